/* avg pooling and batch norm loops for one float type T (suffix SUF). Window reads are
 * clipped to the image, so any (validated) geometry is memory-safe; sums are in double. */
#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)

/* the part [*a, *b) of the window [o * s - p, o * s - p + k) inside [0, n) */
static inline void CAT(clip, SUF)(npy_intp o, npy_intp s, npy_intp p, npy_intp k, npy_intp n,
                                  npy_intp *a, npy_intp *b) {
    npy_intp lo = o * s - p, hi = lo + k;
    *a = lo < 0 ? 0 : lo;
    *b = hi > n ? n : hi;
    if (*b < *a) *b = *a;
}

/* what a window's sum is divided by: the override, the window size, or its real pixels */
static inline double CAT(avg_div, SUF)(const pgeom_t *g, double divisor, int cip,
                                       npy_intp rows, npy_intp cols) {
    if (divisor != 0) return divisor;
    return cip ? (double)(g->kh * g->kw) : (double)(rows * cols);
}

static void CAT(avg_pool, SUF)(const T *x, T *out, npy_intp NC, npy_intp H, npy_intp W,
                               const pgeom_t *g, int cip, double divisor) {
    const npy_intp Ho = g->Ho, Wo = g->Wo;
    PAR_FOR((double)NC * Ho * Wo * g->kh * g->kw) /* double: no overflow in the estimate */
    for (npy_intp t = 0; t < NC; t++) {
        const T *img = x + t * H * W;
        T *o = out + t * Ho * Wo;
        for (npy_intp oh = 0; oh < Ho; oh++) {
            npy_intp h0, h1;
            CAT(clip, SUF)(oh, g->sh, g->pt, g->kh, H, &h0, &h1);
            for (npy_intp ow = 0; ow < Wo; ow++) {
                npy_intp w0, w1;
                CAT(clip, SUF)(ow, g->sw, g->pl, g->kw, W, &w0, &w1);
                double s = 0;
                for (npy_intp ih = h0; ih < h1; ih++)
                    for (npy_intp iw = w0; iw < w1; iw++) s += img[ih * W + iw];
                o[oh * Wo + ow] = (T)(s / CAT(avg_div, SUF)(g, divisor, cip, h1 - h0, w1 - w0));
            }
        }
    }
}

/* gx = every g / divisor added back onto the real pixels of its window (one plane a task) */
static void CAT(avg_pool_bwd, SUF)(const T *gy, T *gx, npy_intp NC, npy_intp H, npy_intp W,
                                   const pgeom_t *g, int cip, double divisor) {
    const npy_intp Ho = g->Ho, Wo = g->Wo;
    PAR_FOR((double)NC * (H * W + (double)Ho * Wo * g->kh * g->kw))
    for (npy_intp t = 0; t < NC; t++) {
        T *img = gx + t * H * W;
        const T *src = gy + t * Ho * Wo;
        for (npy_intp q = 0; q < H * W; q++) img[q] = 0;
        for (npy_intp oh = 0; oh < Ho; oh++) {
            npy_intp h0, h1;
            CAT(clip, SUF)(oh, g->sh, g->pt, g->kh, H, &h0, &h1);
            for (npy_intp ow = 0; ow < Wo; ow++) {
                npy_intp w0, w1;
                CAT(clip, SUF)(ow, g->sw, g->pl, g->kw, W, &w0, &w1);
                T v = (T)((double)src[oh * Wo + ow] /
                          CAT(avg_div, SUF)(g, divisor, cip, h1 - h0, w1 - w0));
                for (npy_intp ih = h0; ih < h1; ih++)
                    for (npy_intp iw = w0; iw < w1; iw++) img[ih * W + iw] += v;
            }
        }
    }
}

/* sum of p[0..n) and of (p - m)^2 (four partial sums: a shorter dependency chain) */
static inline double CAT(run_sum, SUF)(const T *p, npy_intp n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    npy_intp i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += p[i]; s1 += p[i + 1]; s2 += p[i + 2]; s3 += p[i + 3];
    }
    for (; i < n; i++) s0 += p[i];
    return (s0 + s1) + (s2 + s3);
}

static inline double CAT(run_sqdev, SUF)(const T *p, npy_intp n, double m) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    npy_intp i = 0;
    for (; i + 4 <= n; i += 4) {
        double a = p[i] - m, b = p[i + 1] - m, c = p[i + 2] - m, d = p[i + 3] - m;
        s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d;
    }
    for (; i < n; i++) { double a = p[i] - m; s0 += a * a; }
    return (s0 + s1) + (s2 + s3);
}

/* x, y [N, C, L]; mean_in / var_in NULL: batch statistics (two passes), written to
 * mean_out / var_out; w, b may be NULL. One channel per task. */
static void CAT(bn_fwd, SUF)(const T *x, const T *w, const T *b, const T *mean_in,
                             const T *var_in, T *y, T *mean_out, T *var_out, npy_intp N,
                             npy_intp C, npy_intp L, double eps) {
    PAR_FOR(N * C * L)
    for (npy_intp c = 0; c < C; c++) {
        double m, v;
        if (mean_in) {
            m = mean_in[c];
            v = var_in[c];
        } else {
            double s = 0, q = 0, cnt = (double)N * (double)L;
            for (npy_intp n = 0; n < N; n++) s += CAT(run_sum, SUF)(x + (n * C + c) * L, L);
            m = s / cnt;
            for (npy_intp n = 0; n < N; n++) q += CAT(run_sqdev, SUF)(x + (n * C + c) * L, L, m);
            v = q / cnt;
            mean_out[c] = (T)m;
            var_out[c] = (T)v;
        }
        double sc = (w ? (double)w[c] : 1.0) / sqrt(v + eps), sh = b ? (double)b[c] : 0.0;
        for (npy_intp n = 0; n < N; n++) {
            const T *p = x + (n * C + c) * L;
            T *d = y + (n * C + c) * L;
            for (npy_intp l = 0; l < L; l++) d[l] = (T)((p[l] - m) * sc + sh);
        }
    }
}

/* dx (if non-NULL), dw, db [C] of bn_fwd for upstream g [N, C, L]; training: the batch
 * statistics depend on x, dx = w * invstd * (g - mean(g) - xhat * mean(g * xhat)). */
static void CAT(bn_bwd, SUF)(const T *g, const T *x, const T *w, const T *mean, const T *var,
                             T *dx, T *dw, T *db, npy_intp N, npy_intp C, npy_intp L,
                             double eps, int training) {
    PAR_FOR(N * C * L)
    for (npy_intp c = 0; c < C; c++) {
        double m = mean[c], inv = 1.0 / sqrt((double)var[c] + eps);
        double sg = 0, sgx = 0; /* sum g, sum g * (x - m) */
        if (dw || db || training) {
            for (npy_intp n = 0; n < N; n++) {
                const T *gp = g + (n * C + c) * L, *xp = x + (n * C + c) * L;
                double a0 = 0, a1 = 0, b0 = 0, b1 = 0;
                npy_intp l = 0;
                for (; l + 2 <= L; l += 2) {
                    a0 += gp[l]; a1 += gp[l + 1];
                    b0 += gp[l] * (xp[l] - m); b1 += gp[l + 1] * (xp[l + 1] - m);
                }
                for (; l < L; l++) { a0 += gp[l]; b0 += gp[l] * (xp[l] - m); }
                sg += a0 + a1;
                sgx += b0 + b1;
            }
        }
        if (dw) dw[c] = (T)(sgx * inv);
        if (db) db[c] = (T)sg;
        if (!dx) continue;
        double sc = (w ? (double)w[c] : 1.0) * inv, cnt = (double)N * (double)L;
        double a = training ? sg / cnt : 0.0, k = training ? sgx * inv * inv / cnt : 0.0;
        for (npy_intp n = 0; n < N; n++) {
            const T *gp = g + (n * C + c) * L, *xp = x + (n * C + c) * L;
            T *d = dx + (n * C + c) * L;
            for (npy_intp l = 0; l < L; l++) d[l] = (T)((gp[l] - a - (xp[l] - m) * k) * sc);
        }
    }
}
#undef CAT
#undef CAT_
