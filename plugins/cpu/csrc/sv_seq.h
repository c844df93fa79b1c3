/* Shared by the cache-blocked gate sequences (sv_seq.c) and their per-ISA passes. */
#ifndef VQNET_CPU_SV_SEQ_H
#define VQNET_CPU_SV_SEQ_H
#include "common.h"

typedef struct {
    int k;               /* 1 or 2 wires */
    int p[2];            /* their global bit positions (p[0] > p[1]) */
    npy_intp s0, s1;     /* strides of those bits inside the block */
    const void *mk, *mb; /* [1 or Bo, d, d] matrices for the ket and the bra (mb: adjoint only) */
    npy_intp mks, mbs;   /* their row steps in T components (0 for a batch of 1) */
    int slot;            /* overlap output of this gate, or -1 */
} sv_gate;

typedef struct {
    npy_intp run;        /* contiguous amplitudes per gathered run (2^c) */
    npy_intp nh;         /* runs per block */
    npy_intp *hoff;      /* global offset of each run from the block base */
    int rest[64], nrest; /* global bit positions outside the block, ascending */
    npy_intp nblocks;
} sv_layout;

/* the bits of q placed at positions bits[0..nb) */
static inline npy_intp sv_deposit(npy_intp q, const int *bits, int nb) {
    npy_intp o = 0;
    for (int i = 0; i < nb && q; i++, q >>= 1)
        if (q & 1) o |= (npy_intp)1 << bits[i];
    return o;
}

/* the arguments of a pass over all blocks (see sv_seq_tmpl.h) */
#define SV_PASS_ARGS(T)                                                                    \
    const T *kin, T *kout, npy_intp kstep, const T *bin, T *bout, npy_intp bstep,          \
        npy_intp Bo, npy_intp N, const sv_layout *L, const sv_gate *g, int G, double *part, \
        int nslots, npy_intp cpr

#endif
