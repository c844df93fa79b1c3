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

/* col[(c, i, j), (n, oh, ow)] = x[n, c, oh*sh - pt + i*dh, ow*sw - pl + j*dw] (0 outside) */
static void CAT(im2col, SUF)(const T *x, T *col, npy_intp N, npy_intp C, npy_intp H,
                             npy_intp W, npy_intp kh, npy_intp kw, npy_intp sh, npy_intp sw,
                             npy_intp pt, npy_intp pl, npy_intp dh, npy_intp dw, npy_intp Ho,
                             npy_intp Wo) {
    const npy_intp rows = C * kh * kw, P = Ho * Wo, NP = N * P;
    PAR_FOR(rows * NP)
    for (npy_intp t = 0; t < rows * N; t++) {
        npy_intp row = t / N, n = t % N;
        npy_intp c = row / (kh * kw), i = (row / kw) % kh, j = row % kw;
        const T *img = x + (n * C + c) * H * W;
        T *dst = col + row * NP + n * P;
        npy_intp off = j * dw - pl, lo, hi;
        CAT(valid_range, SUF)(off, sw, W, Wo, &lo, &hi);
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

/* the adjoint of im2col: gx[n, c] += every column entry that read it (one plane per task) */
static void CAT(col2im, SUF)(const T *col, T *gx, npy_intp N, npy_intp C, npy_intp H,
                             npy_intp W, npy_intp kh, npy_intp kw, npy_intp sh, npy_intp sw,
                             npy_intp pt, npy_intp pl, npy_intp dh, npy_intp dw, npy_intp Ho,
                             npy_intp Wo) {
    const npy_intp P = Ho * Wo, NP = N * P;
    PAR_FOR(C * kh * kw * NP)
    for (npy_intp t = 0; t < N * C; t++) {
        npy_intp n = t / C, c = t % C;
        T *img = gx + t * H * W;
        for (npy_intp q = 0; q < H * W; q++) img[q] = 0;
        for (npy_intp i = 0; i < kh; i++)
            for (npy_intp j = 0; j < kw; j++) {
                const T *src = col + ((c * kh + i) * kw + j) * NP + n * P;
                npy_intp off = j * dw - pl, lo, hi;
                CAT(valid_range, SUF)(off, sw, W, Wo, &lo, &hi);
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

/* out[n, o, p] = y[o, n*P + p] (+ bias[o]) */
static void CAT(rows_to_nchw, SUF)(const T *y, const T *bias, T *out, npy_intp N, npy_intp O,
                                   npy_intp P) {
    PAR_FOR(N * O * P)
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
    PAR_FOR(N * O * P)
    for (npy_intp t = 0; t < N * O; t++) {
        npy_intp o = t / N, n = t % N;
        const T *s = g + (n * O + o) * P;
        T *d = out + o * N * P + n * P;
        for (npy_intp p = 0; p < P; p++) d[p] = s[p];
    }
}

/* max over windows; idx = flat position in the H x W plane of the first maximum (NaN wins,
 * as in PyTorch), -1 when a window holds only padding */
static void CAT(max_pool, SUF)(const T *x, T *out, int64_t *idx, npy_intp NC, npy_intp H,
                               npy_intp W, npy_intp kh, npy_intp kw, npy_intp sh, npy_intp sw,
                               npy_intp pt, npy_intp pl, npy_intp dh, npy_intp dw, npy_intp Ho,
                               npy_intp Wo) {
    PAR_FOR(NC * Ho * Wo * kh * kw)
    for (npy_intp t = 0; t < NC; t++) {
        const T *img = x + t * H * W;
        T *o = out + t * Ho * Wo;
        int64_t *ix = idx + t * Ho * Wo;
        for (npy_intp oh = 0; oh < Ho; oh++)
            for (npy_intp ow = 0; ow < Wo; ow++) {
                T best = -INFINITY;
                int64_t bi = -1;
                for (npy_intp i = 0; i < kh; i++) {
                    npy_intp ih = oh * sh - pt + i * dh;
                    if (ih < 0 || ih >= H) continue;
                    for (npy_intp j = 0; j < kw; j++) {
                        npy_intp iw = ow * sw - pl + j * dw;
                        if (iw < 0 || iw >= W) continue;
                        T v = img[ih * W + iw];
                        if (bi < 0 || v > best || (v != v && best == best)) {
                            best = v;
                            bi = ih * W + iw;
                        }
                    }
                }
                o[oh * Wo + ow] = best;
                ix[oh * Wo + ow] = bi;
            }
    }
}

/* returns the number of out-of-range indices (skipped) */
static npy_intp CAT(max_pool_bwd, SUF)(const T *g, const int64_t *idx, T *gx, npy_intp NC,
                                       npy_intp HW, npy_intp P) {
    npy_intp bad = 0;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(vqcpu_nthreads) reduction(+ : bad) if (NC * P >= VQCPU_PAR_MIN)
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
