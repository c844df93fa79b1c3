/* Elementwise unary / binary / where with NumPy broadcasting.
 *
 * One driver serves all three: it broadcasts the operands (stride 0 on broadcast axes),
 * coalesces axes that are contiguous in every operand, and runs an inner loop per row of the
 * last axis (rows in parallel; one long row is split into chunks). Inner loops have
 * contiguous / scalar fast paths and a general byte-strided path, so views of any layout
 * (negative strides, broadcast views, overlapping windows) are read in place. */
#include "common.h"

#include <string.h>

#define T float
#define SUF f32
#define F(name) name##f
#include "ew_tmpl.h"
#undef T
#undef SUF
#undef F

#define T double
#define SUF f64
#define F(name) name
#include "ew_tmpl.h"
#undef T
#undef SUF
#undef F

typedef void (*inner_fn)(int op, char *const *in, const npy_intp *is, char *out, npy_intp n);

#define CHUNK 16384

static void shape_str(char *buf, size_t cap, PyArrayObject *a) {
    size_t len = 0;
    buf[0] = 0;
    len += snprintf(buf + len, cap - len, "(");
    for (int i = 0; i < PyArray_NDIM(a) && len < cap - 24; i++)
        len += snprintf(buf + len, cap - len, "%zd%s", (Py_ssize_t)PyArray_DIM(a, i),
                        i + 1 < PyArray_NDIM(a) ? ", " : "");
    snprintf(buf + len, cap - len, ")");
}

/* Broadcast nin (<= 3) aligned arrays, allocate a C-contiguous output of type otype and run
 * fn over it. Returns the new output or NULL with an exception set. */
static PyObject *run_bcast(int op, int nin, PyArrayObject **in, int otype, inner_fn fn) {
    int nd = 0;
    for (int k = 0; k < nin; k++)
        if (PyArray_NDIM(in[k]) > nd) nd = PyArray_NDIM(in[k]);
    npy_intp shape[NPY_MAXDIMS], st[4][NPY_MAXDIMS];
    for (int d = 0; d < nd; d++) {
        npy_intp size = 1;
        for (int k = 0; k < nin; k++) {
            int dk = d - (nd - PyArray_NDIM(in[k]));
            npy_intp s = dk < 0 ? 1 : PyArray_DIM(in[k], dk);
            if (s != 1) {
                if (size == 1) {
                    size = s;
                } else if (size != s) {
                    char b0[256], b1[256];
                    shape_str(b0, sizeof b0, in[0]);
                    shape_str(b1, sizeof b1, in[k]);
                    PyErr_Format(PyExc_ValueError,
                                 "operands could not be broadcast together: shapes %s and %s",
                                 b0, b1);
                    return NULL;
                }
            }
        }
        shape[d] = size;
        for (int k = 0; k < nin; k++) {
            int dk = d - (nd - PyArray_NDIM(in[k]));
            st[k][d] = (dk < 0 || PyArray_DIM(in[k], dk) == 1) ? 0 : PyArray_STRIDE(in[k], dk);
        }
    }
    PyArrayObject *out = (PyArrayObject *)PyArray_SimpleNew(nd, shape, otype);
    if (!out) return NULL;
    npy_intp n = PyArray_SIZE(out);
    if (n == 0) return (PyObject *)out;
    const npy_intp osz = PyArray_ITEMSIZE(out);

    /* drop size-1 axes and merge axes that are contiguous in every operand (and the output) */
    npy_intp cs[NPY_MAXDIMS], cst[4][NPY_MAXDIMS];
    int m = 0;
    for (int d = 0; d < nd; d++) {
        if (shape[d] == 1) continue;
        if (m > 0) {
            int merge = 1;
            for (int k = 0; k < nin; k++)
                if (cst[k][m - 1] != st[k][d] * shape[d]) merge = 0;
            if (merge) { /* the output is C-contiguous: its axes always merge */
                cs[m - 1] *= shape[d];
                for (int k = 0; k < nin; k++) cst[k][m - 1] = st[k][d];
                continue;
            }
        }
        cs[m] = shape[d];
        for (int k = 0; k < nin; k++) cst[k][m] = st[k][d];
        m++;
    }
    npy_intp inner = m ? cs[m - 1] : 1;
    npy_intp is[4] = {0, 0, 0, 0};
    for (int k = 0; k < nin; k++) is[k] = m ? cst[k][m - 1] : 0;
    char *base[4];
    for (int k = 0; k < nin; k++) base[k] = PyArray_BYTES(in[k]);
    char *obase = PyArray_BYTES(out);
    npy_intp nrows = n / inner;

    Py_BEGIN_ALLOW_THREADS
    if (nrows == 1) {
        npy_intp nblk = (inner + CHUNK - 1) / CHUNK;
        PAR_FOR(inner)
        for (npy_intp blk = 0; blk < nblk; blk++) {
            npy_intp lo = blk * CHUNK, len = inner - lo < CHUNK ? inner - lo : CHUNK;
            char *p[4];
            for (int k = 0; k < nin; k++) p[k] = base[k] + lo * is[k];
            fn(op, p, is, obase + lo * osz, len);
        }
    } else {
        PAR_FOR(n)
        for (npy_intp r = 0; r < nrows; r++) {
            char *p[4];
            for (int k = 0; k < nin; k++) p[k] = base[k];
            npy_intp idx = r;
            for (int d = m - 2; d >= 0; d--) {
                npy_intp c = idx % cs[d];
                idx /= cs[d];
                for (int k = 0; k < nin; k++) p[k] += c * cst[k][d];
            }
            fn(op, p, is, obase + r * inner * osz, inner);
        }
    }
    Py_END_ALLOW_THREADS
    return (PyObject *)out;
}

PyObject *vq_unary(PyObject *self, PyObject *args) {
    int op;
    PyObject *ao;
    if (!PyArg_ParseTuple(args, "iO:unary", &op, &ao)) return NULL;
    if (op < 0 || op >= U_COUNT) {
        PyErr_Format(PyExc_ValueError, "unary: unknown op code %d", op);
        return NULL;
    }
    PyArrayObject *a = vq_input(ao, -1, "unary operand", 0);
    if (!a) return NULL;
    int t = PyArray_TYPE(a);
    PyObject *r = run_bcast(op, 1, &a, t, t == NPY_FLOAT ? unary_f32 : unary_f64);
    Py_DECREF(a);
    return r;
}

PyObject *vq_binary(PyObject *self, PyObject *args) {
    int op;
    PyObject *ao, *bo;
    if (!PyArg_ParseTuple(args, "iOO:binary", &op, &ao, &bo)) return NULL;
    if (op < 0 || op >= B_COUNT) {
        PyErr_Format(PyExc_ValueError, "binary: unknown op code %d", op);
        return NULL;
    }
    PyArrayObject *in[2] = {vq_input(ao, -1, "binary operand a", 0), NULL};
    if (!in[0]) return NULL;
    in[1] = vq_input(bo, PyArray_TYPE(in[0]), "binary operand b (same dtype as a)", 0);
    if (!in[1]) { Py_DECREF(in[0]); return NULL; }
    int t = PyArray_TYPE(in[0]);
    PyObject *r = run_bcast(op, 2, in, op >= B_FIRST_CMP ? NPY_BOOL : t,
                            t == NPY_FLOAT ? binary_f32 : binary_f64);
    Py_DECREF(in[0]);
    Py_DECREF(in[1]);
    return r;
}

PyObject *vq_where(PyObject *self, PyObject *args) {
    PyObject *co, *ao, *bo;
    if (!PyArg_ParseTuple(args, "OOO:where", &co, &ao, &bo)) return NULL;
    PyArrayObject *in[3] = {NULL, NULL, NULL};
    PyObject *r = NULL;
    if (!(in[0] = vq_input(co, NPY_BOOL, "where condition", 0))) goto done;
    if (!(in[1] = vq_input(ao, -1, "where operand a", 0))) goto done;
    if (!(in[2] = vq_input(bo, PyArray_TYPE(in[1]), "where operand b (same dtype as a)", 0)))
        goto done;
    r = run_bcast(0, 3, in, PyArray_TYPE(in[1]),
                  PyArray_TYPE(in[1]) == NPY_FLOAT ? where_f32 : where_f64);
done:
    Py_XDECREF(in[0]);
    Py_XDECREF(in[1]);
    Py_XDECREF(in[2]);
    return r;
}
