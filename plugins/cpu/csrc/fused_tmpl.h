/* softmax cross-entropy and optimizer updates for one float type T (suffix SUF, libm F). */
#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)

/* dx = g where x > 0 or x is NaN (the reference's where(x <= 0, 0, g)), else 0; branch-free */
static void CAT(relu_bwd, SUF)(const T *g, const T *x, T *out, npy_intp n) {
    PAR_FOR_MEM(n)
    for (npy_intp i = 0; i < n; i++) {
        const T gi = g[i]; /* loaded unconditionally, so the select vectorises (no branch) */
        out[i] = x[i] <= 0 ? (T)0 : gi;
    }
}

/* loss[n] = logsumexp(x[n]) - x[n, label[n]], in double */
static void CAT(sxent, SUF)(const T *x, const int64_t *lab, T *loss, npy_intp N, npy_intp C) {
    PAR_FOR(N * C)
    for (npy_intp n = 0; n < N; n++) {
        const T *r = x + n * C;
        double m = r[0];
        for (npy_intp c = 1; c < C; c++) if (r[c] > m || r[c] != r[c]) m = (m != m) ? m : r[c];
        double s = 0;
        if (isinf(m)) m = 0; /* all -inf (or +inf present): let inf/nan arithmetic decide */
        for (npy_intp c = 0; c < C; c++) s += exp((double)r[c] - m);
        loss[n] = (T)(log(s) + m - (double)r[lab[n]]);
    }
}

/* grad[n, c] = (softmax(x[n])[c] - [c == label[n]]) * g[n] */
static void CAT(sxent_bwd, SUF)(const T *x, const int64_t *lab, const T *g, T *out, npy_intp N,
                                npy_intp C) {
    PAR_FOR(N * C)
    for (npy_intp n = 0; n < N; n++) {
        const T *r = x + n * C;
        T *o = out + n * C;
        double m = r[0];
        for (npy_intp c = 1; c < C; c++) if (r[c] > m || r[c] != r[c]) m = (m != m) ? m : r[c];
        if (isinf(m)) m = 0;
        double s = 0;
        for (npy_intp c = 0; c < C; c++) s += exp((double)r[c] - m);
        double gn = g[n], inv = 1.0 / s;
        for (npy_intp c = 0; c < C; c++)
            o[c] = (T)((exp((double)r[c] - m) * inv - (c == lab[n] ? 1.0 : 0.0)) * gn);
    }
}

/* torch.optim.SGD, operation for operation in T (as the primitive reference does) */
static void CAT(sgd, SUF)(const T *p, const T *g, const T *buf, T *np_, T *nb, npy_intp n,
                          double lr, double mom, double damp, int nesterov, double wd,
                          int maximize) {
    const T lrT = (T)lr, momT = (T)mom, dampT = (T)(1.0 - damp), wdT = (T)wd;
    PAR_REGION(n) {
        VQ_FTZ_ON(csr);
        OMP_FOR
        for (npy_intp i = 0; i < n; i++) {
            T gi = maximize ? -g[i] : g[i];
            if (wd != 0) gi = gi + p[i] * wdT;
            if (mom != 0) {
                T b = buf ? buf[i] * momT + gi * dampT : gi;
                nb[i] = b;
                gi = nesterov ? gi + b * momT : b;
            }
            np_[i] = p[i] - gi * lrT;
        }
        VQ_FTZ_OFF(csr);
    }
}

/* torch.optim.Adam / AdamW, operation for operation in T */
static void CAT(adam, SUF)(const T *p, const T *g, const T *m, const T *v, const T *vmax,
                           T *np_, T *nm, T *nv, T *nvmax, npy_intp n, double step_size,
                           double bc2, double b1, double b2, double eps, double wd,
                           int amsgrad, int maximize, int decoupled, double lr) {
    const T w = (T)(1.0 - b1), w1 = (T)(1.0 - (1.0 - b1)), b2T = (T)b2, ob2 = (T)(1.0 - b2);
    const T bc2T = (T)bc2, epsT = (T)eps, nss = (T)(-step_size), wdT = (T)wd,
            decay = (T)(1.0 - lr * wd);
    const int lerp_lo = (1.0 - b1) < 0.5;
    /* the default settings: a branch-free copy of the loop below that vectorises */
    const int plain = !amsgrad && !maximize && wd == 0 && lerp_lo;
    PAR_REGION(n) {
        VQ_FTZ_ON(csr);
        if (plain) {
            OMP_FOR_SIMD
            for (npy_intp i = 0; i < n; i++) {
                const T gi = g[i], d = gi - m[i], mi = m[i] + d * w;
                const T vi = v[i] * b2T + (gi * ob2) * gi;
                const T denom = F(sqrt)(vi) / bc2T + epsT;
                nm[i] = mi;
                nv[i] = vi;
                np_[i] = p[i] + (mi / denom) * nss;
            }
        } else {
            OMP_FOR
            for (npy_intp i = 0; i < n; i++) {
                T gi = maximize ? -g[i] : g[i];
                T pi = p[i];
                if (wd != 0) {
                    if (decoupled) pi = pi * decay;
                    else gi = gi + pi * wdT;
                }
                T d = gi - m[i];
                T mi = lerp_lo ? m[i] + d * w : gi - d * w1;
                T vi = v[i] * b2T + (gi * ob2) * gi;
                T second = vi;
                if (amsgrad) {
                    second = vmax ? (vmax[i] >= vi || vmax[i] != vmax[i] ? vmax[i] : vi) : vi;
                    nvmax[i] = second;
                }
                T denom = F(sqrt)(second) / bc2T + epsT;
                nm[i] = mi;
                nv[i] = vi;
                np_[i] = pi + (mi / denom) * nss;
            }
        }
        VQ_FTZ_OFF(csr);
    }
}
#undef CAT
#undef CAT_
