"""CUDA C sources of the ``gpu`` backend's RawKernels, one module per real type.

:func:`source` gives the text for ``"float"`` (complex64 states, float32 nn data) or
``"double"``; every kernel is ``extern "C"`` and suffixed ``_f32`` / ``_f64``. The sources use
no header (complex numbers are ``R2`` pairs, as CuPy lays them out), so that NVRTC (CuPy) and
``nvcc --ptx`` (the plugin's compile test, without a device) both accept them.

Index conventions: wire 0 is the most significant bit of a basis index; a state is ``[B, 2^n]``
row-major; a batch of 1 broadcasts (``bs``/``bm`` flags: 0 means "row 0 for every b").
"""

from __future__ import annotations

_TEMPLATE = r"""
#ifndef VQ_HOST
#define VQ_SMEM extern __shared__ __align__(16) unsigned char vq_smem[]
#endif
typedef R_T R;
struct C2 { R x, y; };

__device__ __forceinline__ C2 cmul(C2 a, C2 b) {
    C2 r; r.x = a.x * b.x - a.y * b.y; r.y = a.x * b.y + a.y * b.x; return r;
}
__device__ __forceinline__ C2 cadd(C2 a, C2 b) { C2 r; r.x = a.x + b.x; r.y = a.y + b.y; return r; }
__device__ __forceinline__ C2 cconj(C2 a) { a.y = -a.y; return a; }
__device__ __forceinline__ long long insert_zero(long long p, int s) {
    long long low = p & ((1LL << s) - 1);
    return ((p >> s) << (s + 1)) | low;
}
__device__ __forceinline__ R warp_sum(R v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return v;
}

/* one 2x2 gate: pairs (i0, i1) differ in bit s; src may equal dst (in place) */
extern "C" __global__ void sv_1q_SFX(const C2* src, C2* dst, const C2* mat, long long half,
                                     int s, int bs, int bm, long long total) {
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < total;
         t += (long long)gridDim.x * blockDim.x) {
        long long b = t / half, p = t - b * half;
        long long i0 = insert_zero(p, s), i1 = i0 | (1LL << s);
        long long row = 2 * half;
        const C2* in = src + (bs ? b : 0) * row;
        const C2* m = mat + (bm ? b : 0) * 4;
        C2 a0 = in[i0], a1 = in[i1];
        C2* out = dst + b * row;
        out[i0] = cadd(cmul(m[0], a0), cmul(m[1], a1));
        out[i1] = cadd(cmul(m[2], a0), cmul(m[3], a1));
    }
}

/* one 4x4 gate on bits shi > slo (first wire = shi = most significant local bit) */
extern "C" __global__ void sv_2q_SFX(const C2* src, C2* dst, const C2* mat, long long quarter,
                                     int shi, int slo, int bs, int bm, long long total) {
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < total;
         t += (long long)gridDim.x * blockDim.x) {
        long long b = t / quarter, p = t - b * quarter;
        long long base = insert_zero(insert_zero(p, slo), shi);
        long long idx[4] = {base, base | (1LL << slo), base | (1LL << shi),
                            base | (1LL << shi) | (1LL << slo)};
        long long row = 4 * quarter;
        const C2* in = src + (bs ? b : 0) * row;
        const C2* m = mat + (bm ? b : 0) * 16;
        C2 v[4];
        for (int k = 0; k < 4; ++k) v[k] = in[idx[k]];
        C2* out = dst + b * row;
        for (int l = 0; l < 4; ++l) {
            C2 acc = cmul(m[4 * l], v[0]);
            for (int k = 1; k < 4; ++k) acc = cadd(acc, cmul(m[4 * l + k], v[k]));
            out[idx[l]] = acc;
        }
    }
}

/* a diagonal gate on 1 or 2 bits (s1 < 0 for one wire): out = diag[local] * in */
extern "C" __global__ void sv_diag_SFX(const C2* src, C2* dst, const C2* diag, long long dim,
                                       int s0, int s1, int d, int bs, int bm, long long total) {
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < total;
         t += (long long)gridDim.x * blockDim.x) {
        long long b = t / dim, i = t - b * dim;
        int l = (int)((i >> s0) & 1);
        if (s1 >= 0) l = 2 * l + (int)((i >> s1) & 1);
        dst[t] = cmul(diag[(bm ? b : 0) * d + l], src[(bs ? b : 0) * dim + i]);
    }
}

/* a run of 1- and 2-wire gates whose bits are all below kb, on blocks of 2^kb consecutive
   amplitudes held in shared memory: one pass over the state for the whole run. bits[2g],
   bits[2g + 1] are gate g's bits (the second -1 for one wire; else shi > slo); mats
   [ngates, nbm, 16] (a 2x2 in the first 4); each CUDA block walks blocks of the state. */
extern "C" __global__ void sv_block_SFX(const C2* src, C2* dst, const C2* mats, const int* bits,
                                        int ngates, int kb, long long dim, int bs, int nbm,
                                        long long nblk) {
    VQ_SMEM;
    C2* sm = (C2*)vq_smem;
    long long L = 1LL << kb, per_row = dim >> kb;
    for (long long blk = blockIdx.x; blk < nblk; blk += gridDim.x) {
        long long b = blk / per_row, h = blk - b * per_row;
        const C2* in = src + (bs ? b : 0) * dim + h * L;
        C2* out = dst + b * dim + h * L;
        for (long long i = threadIdx.x; i < L; i += blockDim.x) sm[i] = in[i];
        __syncthreads();
        for (int g = 0; g < ngates; ++g) {
            int s0 = bits[2 * g], s1 = bits[2 * g + 1];
            const C2* m = mats + ((long long)g * nbm + (nbm > 1 ? b : 0)) * 16;
            if (s1 < 0) {
                for (long long p = threadIdx.x; p < L / 2; p += blockDim.x) {
                    long long i0 = insert_zero(p, s0), i1 = i0 | (1LL << s0);
                    C2 a0 = sm[i0], a1 = sm[i1];
                    sm[i0] = cadd(cmul(m[0], a0), cmul(m[1], a1));
                    sm[i1] = cadd(cmul(m[2], a0), cmul(m[3], a1));
                }
            } else {
                for (long long p = threadIdx.x; p < L / 4; p += blockDim.x) {
                    long long base = insert_zero(insert_zero(p, s1), s0);
                    long long idx[4] = {base, base | (1LL << s1), base | (1LL << s0),
                                        base | (1LL << s0) | (1LL << s1)};
                    C2 v[4];
                    for (int k = 0; k < 4; ++k) v[k] = sm[idx[k]];
                    for (int l = 0; l < 4; ++l) {
                        C2 acc = cmul(m[4 * l], v[0]);
                        for (int k = 1; k < 4; ++k) acc = cadd(acc, cmul(m[4 * l + k], v[k]));
                        sm[idx[l]] = acc;
                    }
                }
            }
            __syncthreads();
        }
        for (long long i = threadIdx.x; i < L; i += blockDim.x) out[i] = sm[i];
        __syncthreads();
    }
}

/* out[b, i] = src[b, f(i)], f(i) = c ^ XOR(cols[t] for the bits t set in i) */
extern "C" __global__ void sv_affine_SFX(const C2* src, C2* dst, const long long* cols, int n,
                                         long long c, long long dim, long long total) {
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < total;
         t += (long long)gridDim.x * blockDim.x) {
        long long b = t / dim, i = t - b * dim, f = c;
        for (int k = 0; k < n; ++k) if ((i >> k) & 1) f ^= cols[k];
        dst[t] = src[b * dim + f];
    }
}

/* <psi|P|psi> per row: P|j> = phase * (-1)^popcount(j & zy) |j ^ xm>; grid (blocks, B) */
extern "C" __global__ void sv_pauli_SFX(const C2* psi, R* out, long long dim, long long xm,
                                        long long zy, int ny) {
    long long b = blockIdx.y;
    const C2* v = psi + b * dim;
    R acc = 0;
    for (long long j = blockIdx.x * (long long)blockDim.x + threadIdx.x; j < dim;
         j += (long long)gridDim.x * blockDim.x) {
        C2 pr = cmul(cconj(v[j ^ xm]), v[j]);
        R re;  /* real part of i^ny * pr */
        switch (ny & 3) {
            case 0: re = pr.x; break;
            case 1: re = -pr.y; break;
            case 2: re = -pr.x; break;
            default: re = pr.y;
        }
        acc += (__popcll(j & zy) & 1) ? -re : re;
    }
    acc = warp_sum(acc);
    if ((threadIdx.x & 31) == 0) atomicAdd(out + b, acc);
}

/* R[b, i, j] += sum_rest phi'[b, rest, i] psi[b, rest, j] on k = 1 or 2 bits (s1 < 0: one);
   phi' = conj(phi) unless phi_is_conj; out holds 2 * d * d reals per row; grid (blocks, B) */
extern "C" __global__ void sv_overlap_SFX(const C2* phi, const C2* psi, R* out, long long rest,
                                          int s0, int s1, int bphi, int bpsi, int phi_is_conj,
                                          long long dim) {
    long long b = blockIdx.y;
    const C2* p = phi + (bphi ? b : 0) * dim;
    const C2* q = psi + (bpsi ? b : 0) * dim;
    int d = s1 >= 0 ? 4 : 2;
    C2 acc[16];
    for (int k = 0; k < 16; ++k) { acc[k].x = 0; acc[k].y = 0; }
    for (long long r = blockIdx.x * (long long)blockDim.x + threadIdx.x; r < rest;
         r += (long long)gridDim.x * blockDim.x) {
        long long idx[4];
        if (s1 >= 0) {
            long long base = insert_zero(insert_zero(r, s1), s0);
            idx[0] = base; idx[1] = base | (1LL << s1); idx[2] = base | (1LL << s0);
            idx[3] = base | (1LL << s0) | (1LL << s1);
        } else {
            idx[0] = insert_zero(r, s0); idx[1] = idx[0] | (1LL << s0);
        }
        for (int i = 0; i < d; ++i) {
            C2 a = p[idx[i]];
            if (!phi_is_conj) a = cconj(a);
            for (int j = 0; j < d; ++j) acc[i * d + j] = cadd(acc[i * d + j], cmul(a, q[idx[j]]));
        }
    }
    R* o = out + b * 2 * d * d;
    for (int k = 0; k < d * d; ++k) {
        R re = warp_sum(acc[k].x), im = warp_sum(acc[k].y);
        if ((threadIdx.x & 31) == 0) { atomicAdd(o + 2 * k, re); atomicAdd(o + 2 * k + 1, im); }
    }
}

/* one step of the adjoint sweep on a 1-wire gate, in place on both states [B, 2^n] (full
   batch, owned by the caller): ket <- mk ket, bra <- mb bra, and when want
   R[b, i, j] += sum_rest bra[rest, i] ket[rest, j] (2 * 2 * 2 reals per row); grid (blocks, B).
   One pass over both states instead of three (ket, bra, then the overlap reading both). */
extern "C" __global__ void sv_adj1q_SFX(C2* ket, C2* bra, const C2* mk, const C2* mb, R* rout,
                                        long long half, int s, int bmk, int bmb, int want) {
    long long b = blockIdx.y, row = 2 * half;
    C2* k = ket + b * row;
    C2* q = bra + b * row;
    const C2* u = mk + (bmk ? b : 0) * 4;
    const C2* v = mb + (bmb ? b : 0) * 4;
    C2 acc[4];
    for (int t = 0; t < 4; ++t) { acc[t].x = 0; acc[t].y = 0; }
    for (long long p = blockIdx.x * (long long)blockDim.x + threadIdx.x; p < half;
         p += (long long)gridDim.x * blockDim.x) {
        long long i0 = insert_zero(p, s), i1 = i0 | (1LL << s);
        C2 k0 = k[i0], k1 = k[i1], q0 = q[i0], q1 = q[i1];
        C2 n[2], m[2];
        n[0] = cadd(cmul(u[0], k0), cmul(u[1], k1));
        n[1] = cadd(cmul(u[2], k0), cmul(u[3], k1));
        m[0] = cadd(cmul(v[0], q0), cmul(v[1], q1));
        m[1] = cadd(cmul(v[2], q0), cmul(v[3], q1));
        k[i0] = n[0]; k[i1] = n[1]; q[i0] = m[0]; q[i1] = m[1];
        if (want)
            for (int i = 0; i < 2; ++i)
                for (int j = 0; j < 2; ++j) acc[2 * i + j] = cadd(acc[2 * i + j], cmul(m[i], n[j]));
    }
    if (!want) return;
    R* o = rout + b * 8;
    for (int t = 0; t < 4; ++t) {
        R re = warp_sum(acc[t].x), im = warp_sum(acc[t].y);
        if ((threadIdx.x & 31) == 0) { atomicAdd(o + 2 * t, re); atomicAdd(o + 2 * t + 1, im); }
    }
}

/* the same for a 2-wire gate on bits shi > slo (4 x 4 matrices, R with 4 * 4 * 2 reals) */
extern "C" __global__ void sv_adj2q_SFX(C2* ket, C2* bra, const C2* mk, const C2* mb, R* rout,
                                        long long quarter, int shi, int slo, int bmk, int bmb,
                                        int want) {
    long long b = blockIdx.y, row = 4 * quarter;
    C2* k = ket + b * row;
    C2* q = bra + b * row;
    const C2* u = mk + (bmk ? b : 0) * 16;
    const C2* v = mb + (bmb ? b : 0) * 16;
    C2 acc[16];
    for (int t = 0; t < 16; ++t) { acc[t].x = 0; acc[t].y = 0; }
    for (long long p = blockIdx.x * (long long)blockDim.x + threadIdx.x; p < quarter;
         p += (long long)gridDim.x * blockDim.x) {
        long long base = insert_zero(insert_zero(p, slo), shi);
        long long idx[4] = {base, base | (1LL << slo), base | (1LL << shi),
                            base | (1LL << shi) | (1LL << slo)};
        C2 kv[4], qv[4], n[4], m[4];
        for (int t = 0; t < 4; ++t) { kv[t] = k[idx[t]]; qv[t] = q[idx[t]]; }
        for (int l = 0; l < 4; ++l) {
            C2 a = cmul(u[4 * l], kv[0]), c = cmul(v[4 * l], qv[0]);
            for (int t = 1; t < 4; ++t) {
                a = cadd(a, cmul(u[4 * l + t], kv[t]));
                c = cadd(c, cmul(v[4 * l + t], qv[t]));
            }
            n[l] = a; m[l] = c;
        }
        for (int t = 0; t < 4; ++t) { k[idx[t]] = n[t]; q[idx[t]] = m[t]; }
        if (want)
            for (int i = 0; i < 4; ++i)
                for (int j = 0; j < 4; ++j) acc[4 * i + j] = cadd(acc[4 * i + j], cmul(m[i], n[j]));
    }
    if (!want) return;
    R* o = rout + b * 32;
    for (int t = 0; t < 16; ++t) {
        R re = warp_sum(acc[t].x), im = warp_sum(acc[t].y);
        if ((threadIdx.x & 31) == 0) { atomicAdd(o + 2 * t, re); atomicAdd(o + 2 * t + 1, im); }
    }
}

/* per-row logsumexp(x) - x[label] of [N, C] logits; one thread per row */
extern "C" __global__ void xent_SFX(const R* x, const long long* lab, R* out, long long n,
                                    long long c) {
    for (long long r = blockIdx.x * (long long)blockDim.x + threadIdx.x; r < n;
         r += (long long)gridDim.x * blockDim.x) {
        const R* row = x + r * c;
        R m = row[0];
        for (long long k = 1; k < c; ++k) m = row[k] > m ? row[k] : m;
        R s = 0;
        for (long long k = 0; k < c; ++k) s += exp(row[k] - m);
        out[r] = log(s) + m - row[lab[r]];
    }
}

/* (softmax(x) - onehot(label)) * g[row] */
extern "C" __global__ void xent_bwd_SFX(const R* x, const long long* lab, const R* g, R* out,
                                        long long n, long long c) {
    for (long long r = blockIdx.x * (long long)blockDim.x + threadIdx.x; r < n;
         r += (long long)gridDim.x * blockDim.x) {
        const R* row = x + r * c;
        R m = row[0];
        for (long long k = 1; k < c; ++k) m = row[k] > m ? row[k] : m;
        R s = 0;
        for (long long k = 0; k < c; ++k) s += exp(row[k] - m);
        R gr = g[r];
        for (long long k = 0; k < c; ++k) {
            R v = exp(row[k] - m) / s;
            if (k == lab[r]) v -= 1;
            out[r * c + k] = v * gr;
        }
    }
}

/* one torch.optim.SGD update; has_buf: buf holds the previous momentum buffer */
extern "C" __global__ void sgd_SFX(const R* p, const R* g, const R* buf, R* np_, R* nbuf,
                                   long long n, double lr, double momentum, double dampening,
                                   int nesterov, double wd, int maximize, int has_buf) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x) {
        R gi = maximize ? -g[i] : g[i];
        if (wd != 0) gi = gi + p[i] * (R)wd;
        if (momentum != 0) {
            R b = has_buf ? buf[i] * (R)momentum + gi * (R)(1.0 - dampening) : gi;
            nbuf[i] = b;
            gi = nesterov ? gi + b * (R)momentum : b;
        }
        np_[i] = p[i] - gi * (R)lr;
    }
}

/* one Adam / AdamW update (torch's formulas; lerp as torch.lerp on CPU) */
extern "C" __global__ void adam_SFX(const R* p, const R* g, const R* m1, const R* m2,
                                    const R* mx, R* np_, R* nm1, R* nm2, R* nmx, long long n,
                                    double lr, double beta1, double beta2, double eps, double wd,
                                    int amsgrad, int maximize, int decoupled, int has_max,
                                    double step_size, double bc2_sqrt) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x) {
        R gi = maximize ? -g[i] : g[i];
        R pi = p[i];
        if (wd != 0) {
            if (decoupled) pi = pi * (R)(1.0 - lr * wd); else gi = gi + pi * (R)wd;
        }
        R w = (R)(1.0 - beta1);
        R d = gi - m1[i];
        R a = (1.0 - beta1) < 0.5 ? m1[i] + d * w : gi - d * (R)beta1;
        R v = m2[i] * (R)beta2 + gi * (R)(1.0 - beta2) * gi;
        nm1[i] = a; nm2[i] = v;
        R second = v;
        if (amsgrad) {
            second = has_max ? (mx[i] > v ? mx[i] : v) : v;
            nmx[i] = second;
        }
        R denom = sqrt(second) / (R)bc2_sqrt + (R)eps;
        np_[i] = pi + (a / denom) * (R)(-step_size);
    }
}
"""

#: Every kernel name (without the dtype suffix).
KERNELS = ("sv_1q", "sv_2q", "sv_diag", "sv_block", "sv_affine", "sv_pauli", "sv_overlap",
           "sv_adj1q", "sv_adj2q", "xent",
           "xent_bwd", "sgd", "adam")


def suffix(real: str) -> str:
    """``"f32"`` for ``"float"``, ``"f64"`` for ``"double"``."""
    return {"float": "f32", "double": "f64"}[real]


def source(real: str) -> str:
    """The CUDA C text of every kernel for the real type ``real`` (``"float"``/``"double"``)."""
    return _TEMPLATE.replace("R_T", real).replace("_SFX", "_" + suffix(real))
