/* sv_apply_affine: an affine permutation of the basis states (a network of X / CNOT / SWAP
 * gates composed at plan time, vqnet_core.quantum.plan.AffinePerm) in one gather pass:
 *
 *     out[b, i] = state[b, f(i)],   f(i) = c ^ XOR(cols[t] for every bit t set in i)
 *
 * No 2^n index array: the low AFF_LOW bits of i go through one small table (2^AFF_LOW
 * entries), the rest give one base per chunk of 2^AFF_LOW outputs. Every input is checked:
 * n cols, each in [0, 2^n), c in [0, 2^n), and the linear part invertible over GF(2) (then f
 * is a permutation; any value in range would already keep every read in bounds). */
#include "common.h"
#include "sv.h"

#include <stdint.h>
#include <stdlib.h>

#define AFF_LOW 12

typedef struct { float re, im; } aff_c64;
typedef struct { double re, im; } aff_c128;

/* whether the n vectors cols[0..n) (each < 2^n) are linearly independent over GF(2) */
static int gf2_full_rank(const npy_intp *cols, int n) {
    npy_intp basis[64] = {0};
    for (int t = 0; t < n; t++) {
        npy_intp v = cols[t];
        for (int b = n - 1; b >= 0 && v; b--) {
            if (!(v >> b & 1)) continue;
            if (!basis[b]) { basis[b] = v; break; }
            v ^= basis[b];
        }
        if (!v) return 0;
    }
    return 1;
}

#define AFF_PASS(NAME, TYPE)                                                                  \
    static void NAME(const TYPE *in, TYPE *out, npy_intp Bs, npy_intp N, int lo,               \
                     const npy_intp *tab, const npy_intp *hi, int nhi, npy_intp c) {           \
        const npy_intp size = (npy_intp)1 << lo, nch = N >> lo, items = Bs * nch;              \
        VQ_PRAGMA(omp parallel for schedule(static) num_threads(vqcpu_nthreads)                \
                  if(Bs * N >= VQCPU_PAR_MIN_MEM))                                             \
        for (npy_intp it = 0; it < items; it++) {                                             \
            const npy_intp b = it / nch, h = it % nch;                                         \
            npy_intp base = c;                                                                 \
            for (int t = 0; t < nhi; t++)                                                      \
                if (h >> t & 1) base ^= hi[t];                                                 \
            const TYPE *src = in + N * b;                                                      \
            TYPE *dst = out + N * b + (h << lo);                                               \
            for (npy_intp l = 0; l < size; l++) dst[l] = src[base ^ tab[l]];                   \
        }                                                                                      \
    }

#ifndef _OPENMP
#undef VQ_PRAGMA
#define VQ_PRAGMA(x)
#endif
AFF_PASS(aff_pass_c64, aff_c64)
AFF_PASS(aff_pass_c128, aff_c128)

/* sv_apply_affine(state [B, 2^n] complex, n, cols: n ints, c: int) -> new state [B, 2^n] */
PyObject *vq_sv_apply_affine(PyObject *self, PyObject *args) {
    PyObject *so, *no, *co, *ko;
    if (!PyArg_ParseTuple(args, "OOOO:sv_apply_affine", &so, &no, &co, &ko)) return NULL;
    int n;
    if (sv_nwires(no, "sv_apply_affine", &n)) return NULL;
    const npy_intp N = (npy_intp)1 << n;
    npy_intp cols[64];
    PyObject *f = PySequence_Fast(co, "");
    if (!f) {
        PyErr_SetString(PyExc_TypeError, "sv_apply_affine: cols must be a sequence of ints");
        return NULL;
    }
    if (PySequence_Fast_GET_SIZE(f) != n) {
        PyErr_Format(PyExc_ValueError, "sv_apply_affine: expected n = %d cols, got %zd", n,
                     PySequence_Fast_GET_SIZE(f));
        Py_DECREF(f);
        return NULL;
    }
    for (int t = 0; t < n; t++) {
        PyObject *v = PySequence_Fast_GET_ITEM(f, t);
        long long x = PyLong_Check(v) ? PyLong_AsLongLong(v) : -1;
        if (x == -1 && PyErr_Occurred()) PyErr_Clear();
        if (!PyLong_Check(v) || x < 0 || x >= (long long)N) {
            PyErr_Format(PyExc_ValueError, "sv_apply_affine: cols[%d] must be an int in "
                         "[0, 2^%d)", t, n);
            Py_DECREF(f);
            return NULL;
        }
        cols[t] = (npy_intp)x;
    }
    Py_DECREF(f);
    long long c = PyLong_Check(ko) ? PyLong_AsLongLong(ko) : -1;
    if (c == -1 && PyErr_Occurred()) PyErr_Clear();
    if (!PyLong_Check(ko) || c < 0 || c >= (long long)N) {
        PyErr_Format(PyExc_ValueError, "sv_apply_affine: c must be an int in [0, 2^%d)", n);
        return NULL;
    }
    if (!gf2_full_rank(cols, n)) {
        PyErr_SetString(PyExc_ValueError, "sv_apply_affine: the linear part (cols) is not "
                        "invertible over GF(2), so the map is not a permutation");
        return NULL;
    }
    PyArrayObject *st = sv_state(so, -1, n, "sv_apply_affine state [B, 2^n]");
    if (!st) return NULL;
    const int lo = n < AFF_LOW ? n : AFF_LOW;
    npy_intp *tab = malloc(sizeof(npy_intp) * ((size_t)1 << lo));
    PyArrayObject *out = NULL;
    if (!tab) {
        PyErr_NoMemory();
        goto done;
    }
    tab[0] = 0;
    for (int j = 0; j < lo; j++)
        for (npy_intp v = 0; v < ((npy_intp)1 << j); v++)
            tab[((npy_intp)1 << j) + v] = tab[v] ^ cols[j];
    out = sv_new(2, PyArray_DIMS(st), PyArray_TYPE(st));
    if (!out) goto done;
    const npy_intp Bs = PyArray_DIM(st, 0);
    if (Bs > 0) {
        const int type = PyArray_TYPE(st);
        Py_BEGIN_ALLOW_THREADS
        if (type == NPY_CFLOAT)
            aff_pass_c64(PyArray_DATA(st), PyArray_DATA(out), Bs, N, lo, tab, cols + lo, n - lo,
                         (npy_intp)c);
        else
            aff_pass_c128(PyArray_DATA(st), PyArray_DATA(out), Bs, N, lo, tab, cols + lo,
                          n - lo, (npy_intp)c);
        Py_END_ALLOW_THREADS
    }
done:
    free(tab);
    Py_DECREF(st);
    return (PyObject *)out;
}
