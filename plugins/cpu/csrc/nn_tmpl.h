/* conv / pooling loops for one float type T (suffix SUF). Reads are bounds-checked against
 * the input image, so any (validated) geometry is memory-safe. */
#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)

/* valid output columns [*lo, *hi) for input column iw = ow * s + off, 0 <= iw < w */
static inline void CAT(valid_range, SUF)(npy_intp off, npy_intp s, npy_intp w, npy_intp wo,
                                         npy_intp *lo, npy_intp *hi) {
    npy_intp a = off >= 0 ? 0 : (-off + s - 1) / s;
    npy_intp b = w - off <= 0 ? 0 : (w - off + s - 1) / s;
    *lo = a < wo ? a : wo;
    *hi = b < wo ? b : wo;
    if (*hi < *lo) *hi = *lo;
}

#ifndef FLAT_OK
/* the direct conv's flat layout: stride 1, every window inside the image (no padding read),
 * and a W-wide output plane fits the stack scratch */
#define VQ_FLAT_MAX 4096
#define FLAT_OK(H, W, Ho, Wo, kh, kw, sh, sw, pt, pl, dh, dw)                              \
    ((sh) == 1 && (sw) == 1 && (pt) == 0 && (pl) == 0 && (Ho) - 1 + ((kh) - 1) * (dh) < (H) && \
     (Wo) - 1 + ((kw) - 1) * (dw) < (W) && (Ho) * (W) <= VQ_FLAT_MAX)
#endif

static inline void CAT(copy_row, SUF)(T *restrict d, const T *restrict s, npy_intp n) {
    for (npy_intp k = 0; k < n; k++) d[k] = s[k];
}

/* col[(c, i, j), (n, oh, ow)] = x[n, c, oh*sh - pt + i*dh, ow*sw - pl + j*dw] (0 outside) */
static void CAT(im2col, SUF)(const T *x, T *col, npy_intp N, npy_intp C, npy_intp H,
                             npy_intp W, npy_intp kh, npy_intp kw, npy_intp sh, npy_intp sw,
                             npy_intp pt, npy_intp pl, npy_intp dh, npy_intp dw, npy_intp Ho,
                             npy_intp Wo) {
    const npy_intp rows = C * kh * kw, P = Ho * Wo, NP = N * P;
    PAR_FOR_MEM(rows * NP)
    for (npy_intp t = 0; t < rows * N; t++) {
        npy_intp row = t / N, n = t % N;
        npy_intp c = row / (kh * kw), i = (row / kw) % kh, j = row % kw;
        const T *img = x + (n * C + c) * H * W;
        T *dst = col + row * NP + n * P;
        npy_intp off = j * dw - pl, lo, hi;
        CAT(valid_range, SUF)(off, sw, W, Wo, &lo, &hi);
        npy_intp ih0 = -pt + i * dh;
        if (sw == 1 && lo == 0 && hi == Wo && ih0 >= 0 && (Ho - 1) * sh + ih0 < H) {
            /* the window row lies inside the image: plain row copies (the common case) */
            for (npy_intp oh = 0; oh < Ho; oh++)
                CAT(copy_row, SUF)(dst + oh * Wo, img + (oh * sh + ih0) * W + off, Wo);
            continue;
        }
        for (npy_intp oh = 0; oh < Ho; oh++) {
            npy_intp ih = oh * sh - pt + i * dh;
            T *d = dst + oh * Wo;
            if (ih < 0 || ih >= H) {
                for (npy_intp ow = 0; ow < Wo; ow++) d[ow] = 0;
                continue;
            }
            const T *src = img + ih * W + off;
            for (npy_intp ow = 0; ow < lo; ow++) d[ow] = 0;
            if (sw == 1) {
                for (npy_intp ow = lo; ow < hi; ow++) d[ow] = src[ow];
            } else {
                for (npy_intp ow = lo; ow < hi; ow++) d[ow] = src[ow * sw];
            }
            for (npy_intp ow = hi; ow < Wo; ow++) d[ow] = 0;
        }
    }
}

/* the adjoint of im2col: gx[n, c] += every column entry that read it. One channel per task,
 * reading its kh*kw rows of col front to back (sample after sample): walking the samples
 * first and jumping between rows NP apart costs a TLB miss per segment (~4x slower). */
static void CAT(col2im, SUF)(const T *col, T *gx, npy_intp N, npy_intp C, npy_intp H,
                             npy_intp W, npy_intp kh, npy_intp kw, npy_intp sh, npy_intp sw,
                             npy_intp pt, npy_intp pl, npy_intp dh, npy_intp dw, npy_intp Ho,
                             npy_intp Wo) {
    const npy_intp P = Ho * Wo, NP = N * P;
    PAR_FOR_MEM(C * kh * kw * NP)
    for (npy_intp c = 0; c < C; c++) {
        for (npy_intp n = 0; n < N; n++) {
            T *img = gx + (n * C + c) * H * W;
            for (npy_intp q = 0; q < H * W; q++) img[q] = 0;
        }
        for (npy_intp i = 0; i < kh; i++)
            for (npy_intp j = 0; j < kw; j++) {
                const T *row = col + ((c * kh + i) * kw + j) * NP;
                npy_intp off = j * dw - pl, lo, hi;
                CAT(valid_range, SUF)(off, sw, W, Wo, &lo, &hi);
                for (npy_intp n = 0; n < N; n++) {
                    T *img = gx + (n * C + c) * H * W;
                    const T *src = row + n * P;
                    for (npy_intp oh = 0; oh < Ho; oh++) {
                        npy_intp ih = oh * sh - pt + i * dh;
                        if (ih < 0 || ih >= H) continue;
                        T *d = img + ih * W + off;
                        const T *s = src + oh * Wo;
                        if (sw == 1) {
                            for (npy_intp ow = lo; ow < hi; ow++) d[ow] += s[ow];
                        } else {
                            for (npy_intp ow = lo; ow < hi; ow++) d[ow * sw] += s[ow];
                        }
                    }
                }
            }
    }
}

/* Direct convolution for a small reduction size K = C*kh*kw (a first layer): each output
 * plane is bias + sum over taps of w * (a shifted input row), accumulated in place, so there
 * is no column matrix, no GEMM-layout output and no transpose back to NCHW. The per-plane
 * work is its own function so that it gets the AVX2 clone (OpenMP outlines the loop body of
 * the parallel region, which would not). */
VQ_SIMD_CLONES static void CAT(conv_plane, SUF)(const T *restrict img, const T *restrict wo,
                                                T b, T *restrict d, T *restrict flat,
                                                npy_intp C, npy_intp H,
                                                npy_intp W, npy_intp kh, npy_intp kw,
                                                npy_intp sh, npy_intp sw, npy_intp pt,
                                                npy_intp pl, npy_intp dh, npy_intp dw,
                                                npy_intp Ho, npy_intp Wo) {
    for (npy_intp p = 0; p < Ho * Wo; p++) d[p] = b;
    if (flat) { /* see conv_direct: rows of the scratch plane are W wide */
        const npy_intp L = (Ho - 1) * W + Wo;
        for (npy_intp q = 0; q < L; q++) flat[q] = 0;
        for (npy_intp c = 0; c < C; c++, img += H * W)
            for (npy_intp i = 0; i < kh; i++) {
                const T *wr = wo + (c * kh + i) * kw, *restrict s0 = img + i * dh * W;
                if (kw == 3) { /* a 3-wide kernel row in one pass over the scratch */
                    const T w0 = wr[0], w1 = wr[1], w2 = wr[2];
                    const T *restrict s1 = s0 + dw, *restrict s2 = s0 + 2 * dw;
                    for (npy_intp q = 0; q < L; q++) flat[q] += w0 * s0[q] + w1 * s1[q] + w2 * s2[q];
                    continue;
                }
                for (npy_intp j = 0; j < kw; j++) {
                    const T wv = wr[j], *restrict src = s0 + j * dw;
                    for (npy_intp q = 0; q < L; q++) flat[q] += wv * src[q];
                }
            }
        for (npy_intp oh = 0; oh < Ho; oh++)
            for (npy_intp ow = 0; ow < Wo; ow++) d[oh * Wo + ow] += flat[oh * W + ow];
        return;
    }
    for (npy_intp c = 0; c < C; c++, img += H * W)
        for (npy_intp i = 0; i < kh; i++)
            for (npy_intp j = 0; j < kw; j++) {
                const T wv = wo[(c * kh + i) * kw + j];
                npy_intp off = j * dw - pl, lo, hi;
                CAT(valid_range, SUF)(off, sw, W, Wo, &lo, &hi);
                for (npy_intp oh = 0; oh < Ho; oh++) {
                    npy_intp ih = oh * sh - pt + i * dh;
                    if (ih < 0 || ih >= H) continue;
                    const T *restrict src = img + ih * W + off;
                    T *restrict dr = d + oh * Wo;
                    if (sw == 1)
                        for (npy_intp ow = lo; ow < hi; ow++) dr[ow] += wv * src[ow];
                    else
                        for (npy_intp ow = lo; ow < hi; ow++) dr[ow] += wv * src[ow * sw];
                }
            }
}

static void CAT(conv_direct, SUF)(const T *x, const T *w, const T *bias, T *out, npy_intp N,
                                  npy_intp C, npy_intp H, npy_intp W, npy_intp O, npy_intp kh,
                                  npy_intp kw, npy_intp sh, npy_intp sw, npy_intp pt,
                                  npy_intp pl, npy_intp dh, npy_intp dw, npy_intp Ho,
                                  npy_intp Wo) {
    const npy_intp K = C * kh * kw;
    PAR_FOR((double)N * O * Ho * Wo * K) /* double: a size product must not overflow */
    for (npy_intp t = 0; t < N * O; t++) {
        npy_intp n = t / O, o = t % O;
        /* unpadded stride 1: a tap is one long shifted run of the flattened image when the
         * output rows are W wide (the extra columns are computed into scratch and dropped) */
        T flat[VQ_FLAT_MAX];
        int use_flat = FLAT_OK(H, W, Ho, Wo, kh, kw, sh, sw, pt, pl, dh, dw);
        CAT(conv_plane, SUF)(x + n * C * H * W, w + o * K, bias ? bias[o] : (T)0,
                             out + t * Ho * Wo, use_flat ? flat : NULL, C, H, W, kh, kw, sh, sw,
                             pt, pl, dh, dw, Ho, Wo);
    }
}

/* acc[(k, ow)] += g * (input tap k) and accb[ow] += g over one (sample, channel) plane: an
 * elementwise update that vectorizes without reassociating sums */
VQ_SIMD_CLONES static void CAT(conv_bw_plane, SUF)(const T *restrict img, const T *restrict gp,
                                                   T *restrict acc, T *restrict accb,
                                                   T *restrict gflat, npy_intp C, npy_intp H, npy_intp W,
                                                   npy_intp kh, npy_intp kw, npy_intp sh,
                                                   npy_intp sw, npy_intp pt, npy_intp pl,
                                                   npy_intp dh, npy_intp dw, npy_intp Ho,
                                                   npy_intp Wo) {
    for (npy_intp oh = 0; oh < Ho; oh++)
        for (npy_intp ow = 0; ow < Wo; ow++) accb[ow] += gp[oh * Wo + ow];
    if (gflat) { /* g on rows W wide (zero in the extra columns): one long run per tap */
        const npy_intp L = (Ho - 1) * W + Wo;
        for (npy_intp oh = 0; oh < Ho; oh++)
            for (npy_intp ow = 0; ow < W; ow++)
                gflat[oh * W + ow] = ow < Wo ? gp[oh * Wo + ow] : (T)0;
        for (npy_intp c = 0; c < C; c++, img += H * W)
            for (npy_intp i = 0; i < kh; i++) {
                T *restrict a0 = acc + (c * kh + i) * kw * L;
                const T *restrict s0 = img + i * dh * W;
                if (kw == 3) { /* a 3-wide kernel row: one load of g for three taps */
                    T *restrict a1 = a0 + L, *restrict a2 = a0 + 2 * L;
                    const T *restrict s1 = s0 + dw, *restrict s2 = s0 + 2 * dw;
                    for (npy_intp q = 0; q < L; q++) {
                        const T gq = gflat[q];
                        a0[q] += gq * s0[q];
                        a1[q] += gq * s1[q];
                        a2[q] += gq * s2[q];
                    }
                    continue;
                }
                for (npy_intp j = 0; j < kw; j++) {
                    T *restrict a = a0 + j * L;
                    const T *restrict src = s0 + j * dw;
                    for (npy_intp q = 0; q < L; q++) a[q] += gflat[q] * src[q];
                }
            }
        return;
    }
    for (npy_intp c = 0; c < C; c++, img += H * W)
        for (npy_intp i = 0; i < kh; i++)
            for (npy_intp j = 0; j < kw; j++) {
                T *restrict a = acc + ((c * kh + i) * kw + j) * Wo;
                npy_intp off = j * dw - pl, lo, hi;
                CAT(valid_range, SUF)(off, sw, W, Wo, &lo, &hi);
                for (npy_intp oh = 0; oh < Ho; oh++) {
                    npy_intp ih = oh * sh - pt + i * dh;
                    if (ih < 0 || ih >= H) continue;
                    const T *restrict src = img + ih * W + off, *restrict gr = gp + oh * Wo;
                    if (sw == 1)
                        for (npy_intp ow = lo; ow < hi; ow++) a[ow] += gr[ow] * src[ow];
                    else
                        for (npy_intp ow = lo; ow < hi; ow++) a[ow] += gr[ow] * src[ow * sw];
                }
            }
}

/* Weight (and bias) gradient of conv_direct, one output channel o per task: acc (scratch of
 * K * R + Wo per channel, R = the accumulated row length, the last Wo for the bias) collects
 * every sample's plane and is folded to gw[o, k] at the end. */
static void CAT(conv_direct_bw, SUF)(const T *x, const T *g, T *gw, T *gb, T *acc_all,
                                     npy_intp N, npy_intp C, npy_intp H, npy_intp W,
                                     npy_intp O, npy_intp kh, npy_intp kw, npy_intp sh,
                                     npy_intp sw, npy_intp pt, npy_intp pl, npy_intp dh,
                                     npy_intp dw, npy_intp Ho, npy_intp Wo) {
    const npy_intp P = Ho * Wo, K = C * kh * kw;
    const int use_flat = FLAT_OK(H, W, Ho, Wo, kh, kw, sh, sw, pt, pl, dh, dw);
    const npy_intp R = use_flat ? (Ho - 1) * W + Wo : Wo;
    PAR_FOR((double)N * O * P * K)
    for (npy_intp o = 0; o < O; o++) {
        T gflat[VQ_FLAT_MAX];
        T *acc = acc_all + o * (K * R + Wo), *accb = acc + K * R;
        for (npy_intp q = 0; q < K * R + Wo; q++) acc[q] = 0;
        for (npy_intp n = 0; n < N; n++)
            CAT(conv_bw_plane, SUF)(x + n * C * H * W, g + (n * O + o) * P, acc, accb,
                                    use_flat ? gflat : NULL, C, H, W, kh, kw, sh, sw, pt, pl,
                                    dh, dw, Ho, Wo);
        for (npy_intp k = 0; k < K; k++) {
            T s = 0;
            for (npy_intp r = 0; r < R; r++) s += acc[k * R + r];
            gw[o * K + k] = s;
        }
        if (gb) {
            T s = 0;
            for (npy_intp ow = 0; ow < Wo; ow++) s += accb[ow];
            gb[o] = s;
        }
    }
}

/* out[n, o, p] = y[o, n*P + p] (+ bias[o]) */
static void CAT(rows_to_nchw, SUF)(const T *y, const T *bias, T *out, npy_intp N, npy_intp O,
                                   npy_intp P) {
    PAR_FOR_MEM(N * O * P)
    for (npy_intp t = 0; t < N * O; t++) {
        npy_intp n = t / O, o = t % O;
        const T *s = y + o * N * P + n * P;
        T *d = out + t * P;
        T b = bias ? bias[o] : (T)0;
        if (bias) for (npy_intp p = 0; p < P; p++) d[p] = s[p] + b;
        else for (npy_intp p = 0; p < P; p++) d[p] = s[p];
    }
}

/* out[o, n*P + p] = g[n, o, p] */
static void CAT(nchw_to_rows, SUF)(const T *g, T *out, npy_intp N, npy_intp O, npy_intp P) {
    PAR_FOR_MEM(N * O * P)
    for (npy_intp t = 0; t < N * O; t++) {
        npy_intp o = t / N, n = t % N;
        const T *s = g + (n * O + o) * P;
        T *d = out + o * N * P + n * P;
        for (npy_intp p = 0; p < P; p++) d[p] = s[p];
    }
}

/* NaN wins, else a strictly larger value (ties keep the first window element) */
#define MP_TAKE(v, best) (((v) > (best)) | (((v) != (v)) & ((best) == (best))))

/* one output of a window that lies inside the image: branch-free, since random data made
 * the compare-and-branch loop mispredict on every other element */
static inline void CAT(mp_window, SUF)(const T *w0, npy_intp W, npy_intp kh, npy_intp kw,
                                       npy_intp dh, npy_intp dw, T *best_out, npy_intp *bi_out) {
    T best = w0[0];
    npy_intp bi = 0;
    for (npy_intp i = 0; i < kh; i++)
        for (npy_intp j = 0; j < kw; j++) {
            npy_intp off = i * dh * W + j * dw;
            T v = w0[off];
            int take = MP_TAKE(v, best);
            best = take ? v : best;
            bi = take ? off : bi;
        }
    *best_out = best;
    *bi_out = bi;
}

/* the common 2x2 window with stride 2 along w: max via compare-selects (maxss), the first
 * tap equal to it by integer arithmetic; a window holding a NaN (rare) takes the exact
 * NaN-aware path */
static inline void CAT(mp_2x2s2, SUF)(const T *restrict img, T *restrict o,
                                      int64_t *restrict ix, npy_intp W, npy_intp Ho,
                                      npy_intp Wo, npy_intp sh, npy_intp dh) {
#define MP_MAX2(a, b) ((b) > (a) ? (b) : (a))
    for (npy_intp oh = 0; oh < Ho; oh++) {
        const npy_intp r0 = oh * sh * W, r1 = r0 + dh * W;
        const T *restrict a = img + r0, *restrict b = img + r1;
        npy_intp ow = 0;
#if VQ_F32_SSE2
        if (r1 + 2 * Wo < ((npy_intp)1 << 30)) /* the vector path computes indices in int32 */
            while (ow + 4 <= Wo && mp4_sse2(a, b, o + oh * Wo, ix + oh * Wo, r0, r1, ow)) ow += 4;
#endif
        for (; ow < Wo; ow++) {
            T v0 = a[2 * ow], v1 = a[2 * ow + 1], v2 = b[2 * ow], v3 = b[2 * ow + 1];
            T m = MP_MAX2(MP_MAX2(v0, v1), MP_MAX2(v2, v3));
            npy_intp k;
            if ((v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3)) {
                CAT(mp_window, SUF)(a + 2 * ow, W, 2, 2, dh, 1, &m, &k);
                k += r0 + 2 * ow;
            } else {
                npy_intp tap = (v0 != m) * (1 + (v1 != m) * (1 + (v2 != m)));
                k = (tap & 2 ? r1 : r0) + 2 * ow + (tap & 1);
            }
            o[oh * Wo + ow] = m;
            ix[oh * Wo + ow] = k;
        }
    }
#undef MP_MAX2
}

/* a window with padding: bounds-checked taps; -1 when it holds only padding */
static inline void CAT(mp_border, SUF)(const T *img, npy_intp H, npy_intp W, npy_intp ih0,
                                       npy_intp iw0, npy_intp kh, npy_intp kw, npy_intp dh,
                                       npy_intp dw, T *best_out, int64_t *bi_out) {
    T best = -INFINITY;
    int64_t bi = -1;
    for (npy_intp i = 0; i < kh; i++) {
        npy_intp ih = ih0 + i * dh;
        if (ih < 0 || ih >= H) continue;
        for (npy_intp j = 0; j < kw; j++) {
            npy_intp iw = iw0 + j * dw;
            if (iw < 0 || iw >= W) continue;
            T v = img[ih * W + iw];
            if (bi < 0 || MP_TAKE(v, best)) {
                best = v;
                bi = ih * W + iw;
            }
        }
    }
    *best_out = best;
    *bi_out = bi;
}

/* max over windows; idx = flat position in the H x W plane of the first maximum (NaN wins,
 * as in PyTorch), -1 when a window holds only padding */
static void CAT(max_pool, SUF)(const T *x, T *out, int64_t *idx, npy_intp NC, npy_intp H,
                               npy_intp W, npy_intp kh, npy_intp kw, npy_intp sh, npy_intp sw,
                               npy_intp pt, npy_intp pl, npy_intp dh, npy_intp dw, npy_intp Ho,
                               npy_intp Wo) {
    /* without padding every window lies inside the image (Ho, Wo are floored) */
    const int inside = pt == 0 && pl == 0 && (Ho - 1) * sh + (kh - 1) * dh < H &&
                       (Wo - 1) * sw + (kw - 1) * dw < W;
    PAR_FOR_MEM(NC * Ho * Wo * kh * kw)
    for (npy_intp t = 0; t < NC; t++) {
        const T *img = x + t * H * W;
        T *o = out + t * Ho * Wo;
        int64_t *ix = idx + t * Ho * Wo;
        if (inside && kh == 2 && kw == 2 && sw == 2 && dw == 1) {
            CAT(mp_2x2s2, SUF)(img, o, ix, W, Ho, Wo, sh, dh);
            continue;
        }
        for (npy_intp oh = 0; oh < Ho; oh++)
            for (npy_intp ow = 0; ow < Wo; ow++) {
                npy_intp ih0 = oh * sh - pt, iw0 = ow * sw - pl;
                if (inside) {
                    npy_intp bi;
                    CAT(mp_window, SUF)(img + ih0 * W + iw0, W, kh, kw, dh, dw,
                                        o + oh * Wo + ow, &bi);
                    ix[oh * Wo + ow] = ih0 * W + iw0 + bi;
                } else {
                    CAT(mp_border, SUF)(img, H, W, ih0, iw0, kh, kw, dh, dw, o + oh * Wo + ow,
                                        ix + oh * Wo + ow);
                }
            }
    }
}
#undef MP_TAKE

/* returns the number of out-of-range indices (skipped) */
static npy_intp CAT(max_pool_bwd, SUF)(const T *g, const int64_t *idx, T *gx, npy_intp NC,
                                       npy_intp HW, npy_intp P) {
    npy_intp bad = 0;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(vqcpu_nthreads) reduction(+ : bad) if (NC * P >= VQCPU_PAR_MIN_MEM)
#endif
    for (npy_intp t = 0; t < NC; t++) {
        T *d = gx + t * HW;
        for (npy_intp q = 0; q < HW; q++) d[q] = 0;
        const T *s = g + t * P;
        const int64_t *ix = idx + t * P;
        for (npy_intp p = 0; p < P; p++) {
            int64_t k = ix[p];
            if (k >= 0 && k < HW) d[k] += s[p];
            else if (k != -1) bad++;
        }
    }
    return bad;
}
#undef CAT
#undef CAT_
