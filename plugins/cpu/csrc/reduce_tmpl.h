/* Reduction loops for one float type T (suffix SUF); accumulation is in double. */
#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)

/* op over the contiguous run x[0..n), n >= 1 */
static double CAT(red_run, SUF)(int op, const T *x, npy_intp n) {
    switch (op) {
    case R_SUM: {
        double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        npy_intp i = 0;
        for (; i + 8 <= n; i += 8)
            for (int l = 0; l < 8; l++) acc[l] += (double)x[i + l];
        for (; i < n; i++) acc[0] += (double)x[i];
        return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    }
    case R_PROD: {
        double p = 1;
        for (npy_intp i = 0; i < n; i++) p *= (double)x[i];
        return p;
    }
    case R_MAX: {
        T m = x[0];
        for (npy_intp i = 1; i < n; i++) { T v = x[i]; if (v > m || v != v) m = (m != m) ? m : v; }
        return (double)m;
    }
    default: {
        T m = x[0];
        for (npy_intp i = 1; i < n; i++) { T v = x[i]; if (v < m || v != v) m = (m != m) ? m : v; }
        return (double)m;
    }
    }
}

/* op over r rows (stride `inner`) of `len` <= 64 adjacent columns starting at x */
static void CAT(red_cols, SUF)(int op, const T *x, npy_intp r, npy_intp inner, T *out,
                               npy_intp len) {
    double acc[64];
    for (npy_intp j = 0; j < len; j++)
        acc[j] = op == R_SUM ? 0.0 : op == R_PROD ? 1.0 : (double)x[j];
    for (npy_intp rr = (op == R_SUM || op == R_PROD) ? 0 : 1; rr < r; rr++) {
        const T *row = x + rr * inner;
        switch (op) {
        case R_SUM: for (npy_intp j = 0; j < len; j++) acc[j] += (double)row[j]; break;
        case R_PROD: for (npy_intp j = 0; j < len; j++) acc[j] *= (double)row[j]; break;
        case R_MAX:
            for (npy_intp j = 0; j < len; j++) {
                double v = row[j];
                if ((v > acc[j] || v != v) && acc[j] == acc[j]) acc[j] = v;
            }
            break;
        default:
            for (npy_intp j = 0; j < len; j++) {
                double v = row[j];
                if ((v < acc[j] || v != v) && acc[j] == acc[j]) acc[j] = v;
            }
        }
    }
    for (npy_intp j = 0; j < len; j++) out[j] = (T)acc[j];
}

static void CAT(reduce, SUF)(int op, const T *x, npy_intp outer, npy_intp r, npy_intp inner,
                             T *out, int nth) {
    if (inner == 1) {
        if (outer >= nth || r < VQCPU_PAR_MIN || nth == 1) {
            PAR_FOR(outer * r)
            for (npy_intp o = 0; o < outer; o++) out[o] = (T)CAT(red_run, SUF)(op, x + o * r, r);
            return;
        }
        /* few long rows: split each row over the threads, then combine the partials */
        for (npy_intp o = 0; o < outer; o++) {
            double part[64];
            int np_ = nth > 64 ? 64 : nth;
            npy_intp step = (r + np_ - 1) / np_;
            PAR_FOR_ALWAYS
            for (int t = 0; t < np_; t++) {
                npy_intp lo = t * step, hi = lo + step < r ? lo + step : r;
                part[t] = lo < hi ? CAT(red_run, SUF)(op, x + o * r + lo, hi - lo)
                                  : (op == R_PROD ? 1.0 : op == R_SUM ? 0.0 : NAN);
            }
            double acc = part[0];
            for (int t = 1; t < np_; t++) {
                npy_intp lo = t * step;
                if (lo >= r) break;
                double v = part[t];
                if (op == R_SUM) acc += v;
                else if (op == R_PROD) acc *= v;
                else if (acc == acc && (v != v || (op == R_MAX ? v > acc : v < acc))) acc = v;
            }
            out[o] = (T)acc;
        }
        return;
    }
    npy_intp nb = (inner + 63) / 64, total = outer * nb;
    PAR_FOR(outer * r * inner)
    for (npy_intp t = 0; t < total; t++) {
        npy_intp o = t / nb, j = (t % nb) * 64;
        npy_intp len = inner - j < 64 ? inner - j : 64;
        CAT(red_cols, SUF)(op, x + o * r * inner + j, r, inner, out + o * inner + j, len);
    }
}
#undef CAT
#undef CAT_
