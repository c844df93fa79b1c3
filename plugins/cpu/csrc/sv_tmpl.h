/* State-vector kernels for one component type T (complex = two interleaved T; suffix SUF).
 *
 * A state is [B, N] complex, N = 2^n, basis index bit (n-1-w) is wire w. Every kernel writes a
 * fresh output and splits the flat (batch x pair) range evenly over the threads, so each
 * thread streams contiguous runs of amplitudes. */
#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)

/* out = M x on bit p (stride s = 2^p) for the pairs [i, e) of one row; m = 2x2 complex */
static inline void CAT(row1q, SUF)(const T *restrict a, T *restrict o, const T *m, npy_intp i,
                                   npy_intp e, npy_intp s) {
    const T m00r = m[0], m00i = m[1], m01r = m[2], m01i = m[3];
    const T m10r = m[4], m10i = m[5], m11r = m[6], m11i = m[7];
    while (i < e) {
        npy_intp lo = i & (s - 1), run = s - lo;
        if (run > e - i) run = e - i;
        npy_intp base = ((i - lo) << 1) | lo; /* i0 of the first pair of this run */
        const T *x = a + 2 * base, *y = a + 2 * (base + s);
        T *ox = o + 2 * base, *oy = o + 2 * (base + s);
        for (npy_intp l = 0; l < run; l++) {
            T xr = x[2 * l], xi = x[2 * l + 1], yr = y[2 * l], yi = y[2 * l + 1];
            ox[2 * l] = m00r * xr - m00i * xi + m01r * yr - m01i * yi;
            ox[2 * l + 1] = m00r * xi + m00i * xr + m01r * yi + m01i * yr;
            oy[2 * l] = m10r * xr - m10i * xi + m11r * yr - m11i * yi;
            oy[2 * l + 1] = m10r * xi + m10i * xr + m11r * yi + m11i * yr;
        }
        i += run;
    }
}

/* out = M x on bits p0 > p1 (strides s0 > s1) for the quads [i, e) of one row; m = 4x4 */
static inline void CAT(row2q, SUF)(const T *restrict a, T *restrict o, const T *m, npy_intp i,
                                   npy_intp e, npy_intp s0, npy_intp s1) {
    while (i < e) {
        npy_intp lo = i & (s1 - 1), run = s1 - lo;
        if (run > e - i) run = e - i;
        npy_intp j = i - lo;                              /* insert a zero bit at p1 ... */
        j = ((j & ~(s1 - 1)) << 1);
        j = ((j & ~(s0 - 1)) << 1) | (j & (s0 - 1));      /* ... then at p0 */
        npy_intp base = j | lo;
        const T *x[4] = {a + 2 * base, a + 2 * (base + s1), a + 2 * (base + s0),
                         a + 2 * (base + s0 + s1)};
        T *y[4] = {o + 2 * base, o + 2 * (base + s1), o + 2 * (base + s0),
                   o + 2 * (base + s0 + s1)};
        for (npy_intp l = 0; l < run; l++) {
            T vr[4], vi[4];
            for (int k = 0; k < 4; k++) { vr[k] = x[k][2 * l]; vi[k] = x[k][2 * l + 1]; }
            for (int r = 0; r < 4; r++) {
                const T *mr = m + 8 * r;
                T sr = 0, si = 0;
                for (int k = 0; k < 4; k++) {
                    sr += mr[2 * k] * vr[k] - mr[2 * k + 1] * vi[k];
                    si += mr[2 * k] * vi[k] + mr[2 * k + 1] * vr[k];
                }
                y[r][2 * l] = sr;
                y[r][2 * l + 1] = si;
            }
        }
        i += run;
    }
}

/* Bo output rows of N/2^k groups each; state row b*sb (sb 0 or 1), matrix b*mb. The flat
 * (row, group) range is cut into SV_CHUNK-group chunks handed out dynamically, so a thread
 * that the OS delays (shared machines) does not hold the others up. */
static void CAT(sv_apply, SUF)(const T *st, T *out, const T *mat, npy_intp Bo, npy_intp sb,
                               npy_intp mb, npy_intp N, int k, npy_intp s0, npy_intp s1) {
    const npy_intp groups = N >> k, total = Bo * groups, dd2 = 2 << (2 * k); /* 2*d*d */
    const npy_intp nchunks = (total + SV_CHUNK - 1) / SV_CHUNK;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(vqcpu_nthreads) if(nchunks > 1 && Bo * N >= VQCPU_PAR_MIN)
#endif
    for (npy_intp c = 0; c < nchunks; c++) {
        npy_intp beg = c * SV_CHUNK, end = beg + SV_CHUNK < total ? beg + SV_CHUNK : total;
        while (beg < end) {
            npy_intp b = beg / groups, i = beg % groups;
            npy_intp e = groups - i < end - beg ? groups : i + (end - beg);
            const T *a = st + 2 * N * (b * sb);
            const T *m = mat + dd2 * (b * mb);
            if (k == 1) CAT(row1q, SUF)(a, out + 2 * N * b, m, i, e, s0);
            else CAT(row2q, SUF)(a, out + 2 * N * b, m, i, e, s0, s1);
            beg += e - i;
        }
    }
}

/* res[b] = Re <psi_b| P |psi_b>, P = i^ny (-1)^{popcount(j & zm)} |j ^ xm><j| */
static void CAT(sv_expval, SUF)(const T *st, T *res, npy_intp Bs, npy_intp N, npy_intp xm,
                                npy_intp zm, int ny) {
    if (xm == 0 && zm == 0) { /* the identity: 1 for the (normalised) states, as the reference */
        for (npy_intp b = 0; b < Bs; b++) res[b] = 1;
        return;
    }
    int par_rows = Bs >= vqcpu_nthreads && Bs * N >= VQCPU_PAR_MIN;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(vqcpu_nthreads) if(par_rows)
#endif
    for (npy_intp b = 0; b < Bs; b++) {
        const T *a = st + 2 * N * b;
        double sr = 0, si = 0;
        int inner = !par_rows && N >= VQCPU_PAR_MIN;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(vqcpu_nthreads) if(inner) reduction(+:sr, si)
#endif
        for (npy_intp j = 0; j < N; j++) {
            npy_intp f = j ^ xm;
            double pr = a[2 * j], pi = a[2 * j + 1], qr = a[2 * f], qi = -(double)a[2 * f + 1];
            double sg = __builtin_parityll((unsigned long long)(j & zm)) ? -1.0 : 1.0;
            sr += sg * (qr * pr - qi * pi);
            si += sg * (qr * pi + qi * pr);
        }
        double r;
        switch (ny & 3) {
        case 0: r = sr; break;
        case 1: r = -si; break;
        case 2: r = -sr; break;
        default: r = si; break;
        }
        res[b] = (T)r;
    }
}

/* acc[2*(r*d+c)] += conj(u_r) v_c over the groups [i, e) of one row (k = 1 or 2) */
static void CAT(ovl_row, SUF)(const T *restrict x, const T *restrict y, double *acc, int k,
                              npy_intp i, npy_intp e, npy_intp s0, npy_intp s1) {
    const int d = 1 << k;
    npy_intp sl = k == 1 ? s0 : s1; /* the lower stride: runs of groups are contiguous */
    npy_intp off[4] = {0, k == 1 ? s0 : s1, s0, s0 + s1};
    while (i < e) {
        npy_intp lo = i & (sl - 1), run = sl - lo;
        if (run > e - i) run = e - i;
        npy_intp j = i - lo, base;
        if (k == 1) base = (j << 1) | lo;
        else {
            j <<= 1;
            base = (((j & ~(s0 - 1)) << 1) | (j & (s0 - 1))) | lo;
        }
        for (int r = 0; r < d; r++)
            for (int c = 0; c < d; c++) {
                const T *u = x + 2 * (base + off[r]), *v = y + 2 * (base + off[c]);
                double re = 0, im = 0;
                for (npy_intp l = 0; l < run; l++) {
                    double ur = u[2 * l], ui = u[2 * l + 1], vr = v[2 * l], vi = v[2 * l + 1];
                    re += ur * vr + ui * vi;
                    im += ur * vi - ui * vr;
                }
                acc[2 * (r * d + c)] += re;
                acc[2 * (r * d + c) + 1] += im;
            }
        i += run;
    }
}

/* R[b, i, j] = sum_rest conj(phi[b, rest, i]) psi[b, rest, j] on k (1 or 2) bits. pb / qb:
 * 0 or 1 (row step of phi / psi). Chunks of groups are summed separately (dynamic schedule)
 * and the chunk sums added in a fixed order, so results do not depend on the threads. */
static int CAT(sv_overlap, SUF)(const T *phi, const T *psi, T *R, npy_intp Bo, npy_intp pb,
                                npy_intp qb, npy_intp N, int k, npy_intp s0, npy_intp s1) {
    const int dd = 1 << (2 * k);
    const npy_intp groups = N >> k, per_row = (groups + SV_CHUNK - 1) / SV_CHUNK;
    const npy_intp nchunks = Bo * per_row;
    double *part = calloc((size_t)nchunks * 2 * dd, sizeof(double));
    if (!part) return -1;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(vqcpu_nthreads) if(nchunks > 1 && Bo * N >= VQCPU_PAR_MIN)
#endif
    for (npy_intp c = 0; c < nchunks; c++) {
        npy_intp b = c / per_row, g0 = (c % per_row) * SV_CHUNK;
        npy_intp g1 = g0 + SV_CHUNK < groups ? g0 + SV_CHUNK : groups;
        CAT(ovl_row, SUF)(phi + 2 * N * (b * pb), psi + 2 * N * (b * qb), part + 2 * dd * c, k,
                          g0, g1, s0, s1);
    }
    for (npy_intp b = 0; b < Bo; b++)
        for (int q = 0; q < 2 * dd; q++) {
            double sum = 0;
            for (npy_intp c = b * per_row; c < (b + 1) * per_row; c++) sum += part[2 * dd * c + q];
            R[2 * dd * b + q] = (T)sum;
        }
    free(part);
    return 0;
}

/* out[b, i] = st[b*sb, idx[i]]; returns 1 if an index is out of [0, N) (out is then junk) */
static int CAT(sv_gather, SUF)(const T *st, const int64_t *idx, T *out, npy_intp Bs,
                               npy_intp N) {
    int bad = 0;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(vqcpu_nthreads) if(Bs * N >= VQCPU_PAR_MIN) reduction(|:bad) collapse(2)
#endif
    for (npy_intp b = 0; b < Bs; b++)
        for (npy_intp i = 0; i < N; i++) {
            int64_t j = idx[i];
            if ((uint64_t)j >= (uint64_t)N) { bad = 1; j = 0; }
            out[2 * (N * b + i)] = st[2 * (N * b + j)];
            out[2 * (N * b + i) + 1] = st[2 * (N * b + j) + 1];
        }
    return bad;
}
#undef CAT
#undef CAT_
