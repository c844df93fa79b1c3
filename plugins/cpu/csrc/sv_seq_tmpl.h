/* Gate sequences applied block by block, for one component type T (suffix SUF); see sv_seq.c.
 *
 * A block is gathered into split (re, im) buffers, so every gate loop below is plain real
 * arithmetic over contiguous runs that the compiler vectorises (omp simd). */
#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)

/* the 2x2 update of one amplitude pair */
#define PAIR_UPDATE(xr, xi, yr, yi)                                                          \
    do {                                                                                     \
        T pr = xr, pi = xi, qr = yr, qi = yi;                                                \
        xr = ar * pr - ai * pi + br * qr - bi * qi;                                          \
        xi = ar * pi + ai * pr + br * qi + bi * qr;                                          \
        yr = cr * pr - ci * pi + dr * qr - di * qi;                                          \
        yi = cr * pi + ci * pr + dr * qi + di * qr;                                          \
    } while (0)

/* strides below a vector: the pairs of S (a constant after inlining) neighbours are unrolled
 * so that the loop over their groups vectorises (a loop of S iterations per group would not) */
static inline void CAT(blk1q_small, SUF)(T *re, T *im, npy_intp M, const npy_intp S,
                                         const T *m) {
    const T ar = m[0], ai = m[1], br = m[2], bi = m[3], cr = m[4], ci = m[5], dr = m[6],
            di = m[7];
#pragma omp simd
    for (npy_intp i0 = 0; i0 < M; i0 += 2 * S)
        for (npy_intp t = 0; t < S; t++)
            PAIR_UPDATE(re[i0 + t], im[i0 + t], re[i0 + S + t], im[i0 + S + t]);
}

/* x <- M x on the local bit of stride s; m = 2x2 interleaved complex */
static void CAT(blk1q, SUF)(T *re, T *im, npy_intp M, npy_intp s, const T *m) {
    if (s == 1) { CAT(blk1q_small, SUF)(re, im, M, 1, m); return; }
    if (s == 2) { CAT(blk1q_small, SUF)(re, im, M, 2, m); return; }
    if (s == 4) { CAT(blk1q_small, SUF)(re, im, M, 4, m); return; }
    const T ar = m[0], ai = m[1], br = m[2], bi = m[3], cr = m[4], ci = m[5], dr = m[6],
            di = m[7];
    for (npy_intp i0 = 0; i0 < M; i0 += 2 * s) {
        T *xr = re + i0, *xi = im + i0, *yr = re + i0 + s, *yi = im + i0 + s;
#pragma omp simd
        for (npy_intp t = 0; t < s; t++) PAIR_UPDATE(xr[t], xi[t], yr[t], yi[t]);
    }
}

/* x <- M x on local bits of strides s0 > s1; m = 4x4 interleaved complex */
static void CAT(blk2q, SUF)(T *re, T *im, npy_intp M, npy_intp s0, npy_intp s1, const T *m) {
    T mr[16], mi[16];
    for (int q = 0; q < 16; q++) { mr[q] = m[2 * q]; mi[q] = m[2 * q + 1]; }
    for (npy_intp a = 0; a < M; a += 2 * s0)
        for (npy_intp c = a; c < a + s0; c += 2 * s1) {
            T *r[4] = {re + c, re + c + s1, re + c + s0, re + c + s0 + s1};
            T *i[4] = {im + c, im + c + s1, im + c + s0, im + c + s0 + s1};
#pragma omp simd
            for (npy_intp t = 0; t < s1; t++) {
                T vr[4], vi[4];
                for (int q = 0; q < 4; q++) { vr[q] = r[q][t]; vi[q] = i[q][t]; }
                for (int q = 0; q < 4; q++) {
                    T sr = 0, si = 0;
                    for (int p = 0; p < 4; p++) {
                        sr += mr[4 * q + p] * vr[p] - mi[4 * q + p] * vi[p];
                        si += mr[4 * q + p] * vi[p] + mi[4 * q + p] * vr[p];
                    }
                    r[q][t] = sr;
                    i[q][t] = si;
                }
            }
        }
}

/* acc[2 (2u + v)] += sum bra_u ket_v over the pairs of the local bit of stride s (the bra is
 * already conjugated, so this is <phi|...|psi>'s contraction) */
static void CAT(ovl1q, SUF)(const T *br, const T *bi, const T *kr, const T *ki, npy_intp M,
                            npy_intp s, double *acc) {
    T a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    for (npy_intp i0 = 0; i0 < M; i0 += 2 * s) {
        const T *xbr = br + i0, *xbi = bi + i0, *ybr = br + i0 + s, *ybi = bi + i0 + s;
        const T *xkr = kr + i0, *xki = ki + i0, *ykr = kr + i0 + s, *yki = ki + i0 + s;
#pragma omp simd reduction(+ : a0, a1, a2, a3, a4, a5, a6, a7)
        for (npy_intp t = 0; t < s; t++) {
            a0 += xbr[t] * xkr[t] - xbi[t] * xki[t];
            a1 += xbr[t] * xki[t] + xbi[t] * xkr[t];
            a2 += xbr[t] * ykr[t] - xbi[t] * yki[t];
            a3 += xbr[t] * yki[t] + xbi[t] * ykr[t];
            a4 += ybr[t] * xkr[t] - ybi[t] * xki[t];
            a5 += ybr[t] * xki[t] + ybi[t] * xkr[t];
            a6 += ybr[t] * ykr[t] - ybi[t] * yki[t];
            a7 += ybr[t] * yki[t] + ybi[t] * ykr[t];
        }
    }
    acc[0] += a0; acc[1] += a1; acc[2] += a2; acc[3] += a3;
    acc[4] += a4; acc[5] += a5; acc[6] += a6; acc[7] += a7;
}

/* the same for two local bits (strides s0 > s1): acc[2 (4u + v)] */
static void CAT(ovl2q, SUF)(const T *br, const T *bi, const T *kr, const T *ki, npy_intp M,
                            npy_intp s0, npy_intp s1, double *acc) {
    const npy_intp off[4] = {0, s1, s0, s0 + s1};
    for (int u = 0; u < 4; u++)
        for (int v = 0; v < 4; v++) {
            T sr = 0, si = 0;
            for (npy_intp a = 0; a < M; a += 2 * s0)
                for (npy_intp c = a; c < a + s0; c += 2 * s1) {
                    const T *pr = br + c + off[u], *pi = bi + c + off[u];
                    const T *qr = kr + c + off[v], *qi = ki + c + off[v];
#pragma omp simd reduction(+ : sr, si)
                    for (npy_intp t = 0; t < s1; t++) {
                        sr += pr[t] * qr[t] - pi[t] * qi[t];
                        si += pr[t] * qi[t] + pi[t] * qr[t];
                    }
                }
            acc[2 * (4 * u + v)] += sr;
            acc[2 * (4 * u + v) + 1] += si;
        }
}

/* interleaved amplitudes at src + hoff[h] (runs of `run`) -> split buffers, and back */
static void CAT(gather, SUF)(const T *src, T *re, T *im, const sv_layout *L) {
    for (npy_intp h = 0; h < L->nh; h++) {
        const T *s = src + 2 * L->hoff[h];
        T *r = re + h * L->run, *i = im + h * L->run;
#pragma omp simd
        for (npy_intp t = 0; t < L->run; t++) { r[t] = s[2 * t]; i[t] = s[2 * t + 1]; }
    }
}

static void CAT(scatter, SUF)(const T *re, const T *im, T *dst, const sv_layout *L) {
    for (npy_intp h = 0; h < L->nh; h++) {
        T *d = dst + 2 * L->hoff[h];
        const T *r = re + h * L->run, *i = im + h * L->run;
#pragma omp simd
        for (npy_intp t = 0; t < L->run; t++) { d[2 * t] = r[t]; d[2 * t + 1] = i[t]; }
    }
}

static void CAT(blk_gate, SUF)(T *re, T *im, npy_intp M, const sv_gate *g, const T *m) {
    if (g->k == 1) CAT(blk1q, SUF)(re, im, M, g->s0, m);
    else CAT(blk2q, SUF)(re, im, M, g->s0, g->s1, m);
}

/* One pass: the gates g[0..G) (all on the layout's local bits) applied to every block of the
 * Bo rows of kin (row step kstep: 0 or 1) into kout, and with a bra (bin != NULL) the bra's
 * gates too plus, for each gate with slot >= 0, the overlap into part[item][slot][32]. Items
 * are fixed runs of blocks (cpr per row), so the sums do not depend on the thread count.
 * kout may be kin (blocks are disjoint). Returns -1 if a buffer could not be allocated. */
int CAT(sv_seq_pass, SUF)(SV_PASS_ARGS(T)) {
    const npy_intp M = L->nh * L->run, items = Bo * cpr, bpi = L->nblocks / cpr;
    int fail = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(vqcpu_nthreads) if(items > 1 && Bo * N >= VQCPU_PAR_MIN)
#endif
    {
        T *buf = malloc(sizeof(T) * (size_t)(bin ? 4 : 2) * (size_t)M);
        if (!buf) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
            fail = 1;
        }
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (npy_intp it = 0; it < items; it++) {
            if (!buf) continue;
            const npy_intp b = it / cpr, q0 = (it % cpr) * bpi;
            double *acc = part ? part + (size_t)it * nslots * 32 : NULL;
            T *kr = buf, *ki = buf + M, *br = buf + 2 * M, *bi = buf + 3 * M;
            for (npy_intp q = q0; q < q0 + bpi; q++) {
                const npy_intp base = sv_deposit(q, L->rest, L->nrest);
                CAT(gather, SUF)(kin + 2 * (N * b * kstep + base), kr, ki, L);
                if (bin) CAT(gather, SUF)(bin + 2 * (N * b * bstep + base), br, bi, L);
                for (int j = 0; j < G; j++) {
                    const sv_gate *gt = g + j;
                    CAT(blk_gate, SUF)(kr, ki, M, gt, (const T *)gt->mk + b * gt->mks);
                    if (!bin) continue;
                    CAT(blk_gate, SUF)(br, bi, M, gt, (const T *)gt->mb + b * gt->mbs);
                    if (gt->slot < 0) continue;
                    double *a = acc + 32 * gt->slot;
                    if (gt->k == 1) CAT(ovl1q, SUF)(br, bi, kr, ki, M, gt->s0, a);
                    else CAT(ovl2q, SUF)(br, bi, kr, ki, M, gt->s0, gt->s1, a);
                }
                CAT(scatter, SUF)(kr, ki, kout + 2 * (N * b + base), L);
                if (bin) CAT(scatter, SUF)(br, bi, bout + 2 * (N * b + base), L);
            }
        }
        free(buf);
    }
    return fail ? -1 : 0;
}
#undef PAIR_UPDATE
#undef CAT
#undef CAT_
