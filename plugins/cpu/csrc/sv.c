/* State-vector kernels: 1- and 2-qubit gates, Pauli expectation values, the adjoint overlap and
 * the permutation gather, on batched complex64 / complex128 states [B, 2^n]. */
#include "common.h"
#include "sv.h"

#include <stdlib.h>

/* groups (pairs / quads of amplitudes) per scheduling chunk: ~256 KiB of complex128 */
#define SV_CHUNK 8192

#define T float
#define SUF c64
#include "sv_tmpl.h"
#undef T
#undef SUF
#define T double
#define SUF c128
#include "sv_tmpl.h"
#undef T
#undef SUF

#define SV_MAX_WIRES 40

/* A small cache of large output blocks. A state kernel allocates a fresh [B, 2^n] output per
 * gate and the previous state dies right after; fresh large mallocs are new mmaps whose page
 * faults cost more than the gate itself (measured: ~35% of a W2 step at n=20). A block
 * returns here only when its array (and every view of it: they hold the base) is freed, so
 * reuse is safe. Guarded by the GIL: allocation and the capsule destructor both hold it. */
#define SV_POOL_MIN ((size_t)1 << 20)
/* Two idle blocks are all a forward (state + output) or an in-place adjoint sweep (ket and
 * bra in place, one permutation output) reuse; every idle block is resident memory, so more
 * would only raise the peak (issue 18: 6 slots kept ~1.3 extra states at n = 22). */
#define SV_POOL_SLOTS 2
static struct { void *ptr; size_t size; } sv_pool[SV_POOL_SLOTS];

static void sv_block_free(PyObject *cap) {
    void *p = PyCapsule_GetPointer(cap, "vqnet_cpu.block");
    size_t size = (size_t)PyCapsule_GetContext(cap);
    for (int i = 0; i < SV_POOL_SLOTS; i++)
        if (!sv_pool[i].ptr) { sv_pool[i].ptr = p; sv_pool[i].size = size; return; }
    free(p);
}

/* a new C-contiguous array; large ones come from (and go back to) the block cache */
PyArrayObject *sv_new(int nd, npy_intp *dims, int type) {
    npy_intp count = 1;
    for (int i = 0; i < nd; i++)
        if (vq_mul(count, dims[i], "state kernel output") < 0) return NULL;
        else count *= dims[i];
    size_t size = (size_t)count * (type == NPY_CDOUBLE ? 16 : 8);
    if (size < SV_POOL_MIN) return (PyArrayObject *)PyArray_SimpleNew(nd, dims, type);
    void *p = NULL;
    for (int i = 0; i < SV_POOL_SLOTS && !p; i++)
        if (sv_pool[i].ptr && sv_pool[i].size == size) { p = sv_pool[i].ptr; sv_pool[i].ptr = NULL; }
    if (!p && !(p = malloc(size))) return (PyArrayObject *)PyErr_NoMemory();
    PyObject *cap = PyCapsule_New(p, "vqnet_cpu.block", sv_block_free);
    if (!cap || PyCapsule_SetContext(cap, (void *)size)) {
        Py_XDECREF(cap);
        free(p);
        return NULL;
    }
    PyArrayObject *a = (PyArrayObject *)PyArray_New(&PyArray_Type, nd, dims, type, NULL, p, 0,
                                                    NPY_ARRAY_CARRAY, NULL);
    if (!a || PyArray_SetBaseObject(a, cap)) { /* SetBaseObject steals cap, even on failure */
        if (!a) Py_DECREF(cap);
        Py_XDECREF(a);
        return NULL;
    }
    return a;
}

/* n as a wire count in [1, SV_MAX_WIRES] */
int sv_nwires(PyObject *o, const char *who, int *n) {
    long v = PyLong_AsLong(o);
    if (v == -1 && PyErr_Occurred()) return -1;
    if (v < 1 || v > SV_MAX_WIRES) {
        PyErr_Format(PyExc_ValueError, "%s: number of wires n = %ld must be in [1, %d]", who, v,
                     SV_MAX_WIRES);
        return -1;
    }
    *n = (int)v;
    return 0;
}

/* a [Bs, 2^n] complex64/128 C-contiguous state (typenum -1: either; else exactly typenum) */
PyArrayObject *sv_state(PyObject *o, int typenum, int n, const char *name) {
    if (!PyArray_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be a numpy.ndarray, got %.100s", name,
                     Py_TYPE(o)->tp_name);
        return NULL;
    }
    int t = PyArray_TYPE((PyArrayObject *)o);
    if (typenum == -1 ? (t != NPY_CFLOAT && t != NPY_CDOUBLE) : t != typenum) {
        PyErr_Format(PyExc_TypeError, "%s must have dtype %s, got %s", name,
                     typenum == -1 ? "complex64 or complex128" : vq_type_name(typenum),
                     vq_type_name(t));
        return NULL;
    }
    npy_intp dims[2] = {-1, (npy_intp)1 << n};
    return vq_input_nd(o, t, name, 2, dims);
}

/* wires: a sequence of k in {1, 2} ints, each in [0, n), strictly ascending */
int sv_wires(PyObject *o, int n, int *k, int w[2], const char *who) {
    if (PyLong_Check(o)) {
        long v = PyLong_AsLong(o);
        if (v == -1 && PyErr_Occurred()) return -1;
        if (v < 0 || v >= n) {
            PyErr_Format(PyExc_ValueError, "%s: wire %ld is out of range [0, %d)", who, v, n);
            return -1;
        }
        *k = 1; w[0] = (int)v;
        return 0;
    }
    PyObject *f = PySequence_Fast(o, "");
    if (!f) {
        PyErr_Format(PyExc_TypeError, "%s: wires must be an int or a sequence of ints", who);
        return -1;
    }
    Py_ssize_t m = PySequence_Fast_GET_SIZE(f);
    if (m < 1 || m > 2) {
        Py_DECREF(f);
        PyErr_Format(PyExc_ValueError, "%s: expected 1 or 2 wires, got %zd", who, m);
        return -1;
    }
    for (Py_ssize_t i = 0; i < m; i++) {
        long v = PyLong_AsLong(PySequence_Fast_GET_ITEM(f, i));
        if (v == -1 && PyErr_Occurred()) {
            Py_DECREF(f);
            PyErr_Format(PyExc_TypeError, "%s: wires must be ints", who);
            return -1;
        }
        if (v < 0 || v >= n) {
            Py_DECREF(f);
            PyErr_Format(PyExc_ValueError, "%s: wire %ld is out of range [0, %d)", who, v, n);
            return -1;
        }
        w[i] = (int)v;
    }
    Py_DECREF(f);
    if (m == 2 && w[0] >= w[1]) {
        PyErr_Format(PyExc_ValueError, "%s: wires (%d, %d) must be distinct and ascending", who,
                     w[0], w[1]);
        return -1;
    }
    *k = (int)m;
    return 0;
}

/* output batch of operands with batches a, b (each 1 or equal), or -1 with ValueError */
npy_intp sv_batch(npy_intp a, npy_intp b, const char *who) {
    if (a == b || b == 1) return a;
    if (a == 1) return b;
    PyErr_Format(PyExc_ValueError, "%s: batch sizes %zd and %zd do not broadcast (each must be "
                 "1 or equal)", who, (Py_ssize_t)a, (Py_ssize_t)b);
    return -1;
}

/* sv_apply(state [Bs, 2^n], n, wires, mat [Bm, d, d]) -> [max(Bs, Bm), 2^n] */
PyObject *vq_sv_apply(PyObject *self, PyObject *args) {
    PyObject *so, *no, *wo, *mo;
    if (!PyArg_ParseTuple(args, "OOOO:sv_apply", &so, &no, &wo, &mo)) return NULL;
    int n, k, w[2];
    if (sv_nwires(no, "sv_apply", &n) || sv_wires(wo, n, &k, w, "sv_apply")) return NULL;
    PyArrayObject *st = sv_state(so, -1, n, "sv_apply state [B, 2^n]"), *m = NULL, *out = NULL;
    if (!st) return NULL;
    npy_intp d = (npy_intp)1 << k, mdims[3] = {-1, d, d};
    m = vq_input_nd(mo, PyArray_TYPE(st), "sv_apply mat [B, d, d] (the state's dtype)", 3, mdims);
    if (!m) goto done;
    npy_intp Bs = PyArray_DIM(st, 0), Bm = PyArray_DIM(m, 0), N = (npy_intp)1 << n;
    npy_intp Bo = sv_batch(Bs, Bm, "sv_apply");
    if (Bo < 0) goto done;
    if (Bm == 0 && Bs > 1) Bo = 0;
    npy_intp odims[2] = {Bo, N};
    if (vq_mul(Bo, N, "sv_apply") < 0) goto done;
    out = sv_new(2, odims, PyArray_TYPE(st));
    if (!out || Bo == 0) goto done;
    npy_intp s0 = (npy_intp)1 << (n - 1 - w[0]), s1 = k == 2 ? (npy_intp)1 << (n - 1 - w[1]) : 0;
    npy_intp sb = Bs > 1, mb = Bm > 1;
    Py_BEGIN_ALLOW_THREADS
    if (PyArray_TYPE(st) == NPY_CFLOAT)
        sv_apply_c64(PyArray_DATA(st), PyArray_DATA(out), PyArray_DATA(m), Bo, sb, mb, N, k, s0, s1);
    else
        sv_apply_c128(PyArray_DATA(st), PyArray_DATA(out), PyArray_DATA(m), Bo, sb, mb, N, k, s0, s1);
    Py_END_ALLOW_THREADS
done:
    Py_XDECREF(st);
    Py_XDECREF(m);
    return (PyObject *)out;
}

/* sv_expval_pauli(state [Bs, 2^n], n, word) -> real [Bs] */
PyObject *vq_sv_expval_pauli(PyObject *self, PyObject *args) {
    PyObject *so, *no;
    const char *word;
    Py_ssize_t wl;
    if (!PyArg_ParseTuple(args, "OOs#:sv_expval_pauli", &so, &no, &word, &wl)) return NULL;
    int n;
    if (sv_nwires(no, "sv_expval_pauli", &n)) return NULL;
    if (wl != n) {
        PyErr_Format(PyExc_ValueError, "sv_expval_pauli: word has length %zd, expected n = %d",
                     wl, n);
        return NULL;
    }
    npy_intp xm = 0, zm = 0;
    int ny = 0;
    for (int i = 0; i < n; i++) {
        npy_intp bit = (npy_intp)1 << (n - 1 - i);
        switch (word[i]) {
        case 'I': break;
        case 'X': xm |= bit; break;
        case 'Y': xm |= bit; zm |= bit; ny++; break;
        case 'Z': zm |= bit; break;
        default:
            PyErr_Format(PyExc_ValueError, "sv_expval_pauli: word %.100s has a letter other "
                         "than I, X, Y, Z at position %d", word, i);
            return NULL;
        }
    }
    PyArrayObject *st = sv_state(so, -1, n, "sv_expval_pauli state [B, 2^n]");
    if (!st) return NULL;
    npy_intp Bs = PyArray_DIM(st, 0), N = (npy_intp)1 << n;
    int cplx = PyArray_TYPE(st);
    PyArrayObject *out = (PyArrayObject *)PyArray_SimpleNew(1, &Bs, cplx == NPY_CFLOAT ? NPY_FLOAT : NPY_DOUBLE);
    if (out && Bs > 0) {
        Py_BEGIN_ALLOW_THREADS
        if (cplx == NPY_CFLOAT) sv_expval_c64(PyArray_DATA(st), PyArray_DATA(out), Bs, N, xm, zm, ny);
        else sv_expval_c128(PyArray_DATA(st), PyArray_DATA(out), Bs, N, xm, zm, ny);
        Py_END_ALLOW_THREADS
    }
    Py_DECREF(st);
    return (PyObject *)out;
}

/* sv_overlap(phi [Bp, 2^n], psi [Bq, 2^n], n, wires) -> [max(Bp, Bq), d, d] */
PyObject *vq_sv_overlap(PyObject *self, PyObject *args) {
    PyObject *po, *qo, *no, *wo;
    if (!PyArg_ParseTuple(args, "OOOO:sv_overlap", &po, &qo, &no, &wo)) return NULL;
    int n, k, w[2];
    if (sv_nwires(no, "sv_overlap", &n) || sv_wires(wo, n, &k, w, "sv_overlap")) return NULL;
    PyArrayObject *p = sv_state(po, -1, n, "sv_overlap phi [B, 2^n]"), *q = NULL, *out = NULL;
    if (!p) return NULL;
    q = sv_state(qo, PyArray_TYPE(p), n, "sv_overlap psi [B, 2^n] (phi's dtype)");
    if (!q) goto done;
    npy_intp Bp = PyArray_DIM(p, 0), Bq = PyArray_DIM(q, 0), N = (npy_intp)1 << n;
    npy_intp Bo = sv_batch(Bp, Bq, "sv_overlap");
    if (Bo < 0) goto done;
    if ((Bp == 0 || Bq == 0)) Bo = 0;
    npy_intp d = (npy_intp)1 << k, odims[3] = {Bo, d, d};
    out = (PyArrayObject *)PyArray_SimpleNew(3, odims, PyArray_TYPE(p));
    if (!out || Bo == 0) goto done;
    npy_intp s0 = (npy_intp)1 << (n - 1 - w[0]), s1 = k == 2 ? (npy_intp)1 << (n - 1 - w[1]) : 0;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    if (PyArray_TYPE(p) == NPY_CFLOAT)
        rc = sv_overlap_c64(PyArray_DATA(p), PyArray_DATA(q), PyArray_DATA(out), Bo, Bp > 1, Bq > 1, N, k, s0, s1);
    else
        rc = sv_overlap_c128(PyArray_DATA(p), PyArray_DATA(q), PyArray_DATA(out), Bo, Bp > 1, Bq > 1, N, k, s0, s1);
    Py_END_ALLOW_THREADS
    if (rc) {
        Py_CLEAR(out);
        PyErr_NoMemory();
    }
done:
    Py_XDECREF(p);
    Py_XDECREF(q);
    return (PyObject *)out;
}

/* sv_gather(state [B, N] complex, idx int64 [N]) -> out[b, i] = state[b, idx[i]] */
PyObject *vq_sv_gather(PyObject *self, PyObject *args) {
    PyObject *so, *io;
    if (!PyArg_ParseTuple(args, "OO:sv_gather", &so, &io)) return NULL;
    if (!PyArray_Check(so) || (PyArray_TYPE((PyArrayObject *)so) != NPY_CFLOAT &&
                               PyArray_TYPE((PyArrayObject *)so) != NPY_CDOUBLE)) {
        PyErr_SetString(PyExc_TypeError, "sv_gather state must be a complex64 or complex128 "
                        "numpy.ndarray");
        return NULL;
    }
    PyArrayObject *st = vq_input_nd(so, PyArray_TYPE((PyArrayObject *)so), "sv_gather state [B, N]", 2, NULL);
    if (!st) return NULL;
    npy_intp Bs = PyArray_DIM(st, 0), N = PyArray_DIM(st, 1);
    PyArrayObject *idx = vq_input_nd(io, NPY_INT64, "sv_gather index [N]", 1, &N), *out = NULL;
    if (!idx) goto done;
    out = sv_new(2, PyArray_DIMS(st), PyArray_TYPE(st));
    if (!out || Bs * N == 0) goto done;
    int bad;
    Py_BEGIN_ALLOW_THREADS
    if (PyArray_TYPE(st) == NPY_CFLOAT)
        bad = sv_gather_c64(PyArray_DATA(st), PyArray_DATA(idx), PyArray_DATA(out), Bs, N);
    else
        bad = sv_gather_c128(PyArray_DATA(st), PyArray_DATA(idx), PyArray_DATA(out), Bs, N);
    Py_END_ALLOW_THREADS
    if (bad) {
        PyErr_Format(PyExc_IndexError, "sv_gather: an index is out of range [0, %zd)", (Py_ssize_t)N);
        Py_CLEAR(out);
    }
done:
    Py_XDECREF(st);
    Py_XDECREF(idx);
    return (PyObject *)out;
}
