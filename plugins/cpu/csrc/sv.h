/* Helpers shared by the state-vector entry points (sv.c, sv_seq.c). */
#ifndef VQNET_CPU_SV_H
#define VQNET_CPU_SV_H
#include "common.h"

/* a new C-contiguous array; large ones come from (and go back to) a small block cache */
PyArrayObject *sv_new(int nd, npy_intp *dims, int type);
/* n as a wire count in [1, 40] (ValueError otherwise) */
int sv_nwires(PyObject *o, const char *who, int *n);
/* a [B, 2^n] complex C-contiguous state (typenum -1: complex64 or complex128) */
PyArrayObject *sv_state(PyObject *o, int typenum, int n, const char *name);
/* 1 or 2 ascending wires in [0, n) from an int or a sequence */
int sv_wires(PyObject *o, int n, int *k, int w[2], const char *who);
/* the output batch of two batches (each 1 or equal), or -1 with ValueError */
npy_intp sv_batch(npy_intp a, npy_intp b, const char *who);

#endif
