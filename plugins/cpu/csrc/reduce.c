/* Reductions sum / prod / max / min of a C-contiguous array viewed as [outer, r, inner]
 * (the Python side permutes the reduced axes into one block first). */
#include "common.h"

#define T float
#define SUF f32
#include "reduce_tmpl.h"
#undef T
#undef SUF
#define T double
#define SUF f64
#include "reduce_tmpl.h"
#undef T
#undef SUF

PyObject *vq_reduce(PyObject *self, PyObject *args) {
    int op;
    PyObject *ao;
    Py_ssize_t outer, r, inner;
    if (!PyArg_ParseTuple(args, "iOnnn:reduce", &op, &ao, &outer, &r, &inner)) return NULL;
    if (op < 0 || op >= R_COUNT) {
        PyErr_Format(PyExc_ValueError, "reduce: unknown op code %d", op);
        return NULL;
    }
    PyArrayObject *a = vq_input(ao, -1, "reduce operand", 1);
    if (!a) return NULL;
    npy_intp n1 = vq_mul(outer, r, "reduce"), n2 = n1 < 0 ? -1 : vq_mul(n1, inner, "reduce");
    npy_intp no = n2 < 0 ? -1 : vq_mul(outer, inner, "reduce");
    if (no < 0) { Py_DECREF(a); return NULL; }
    if (n2 != PyArray_SIZE(a)) {
        Py_DECREF(a);
        PyErr_Format(PyExc_ValueError, "reduce: outer*r*inner = %zd does not match the size %zd",
                     (Py_ssize_t)n2, (Py_ssize_t)PyArray_SIZE(a));
        return NULL;
    }
    if (r == 0 && (op == R_MAX || op == R_MIN)) {
        Py_DECREF(a);
        PyErr_SetString(PyExc_ValueError, "zero-size reduction with max/min has no identity");
        return NULL;
    }
    npy_intp dims[1] = {no};
    int t = PyArray_TYPE(a);
    PyArrayObject *out = (PyArrayObject *)PyArray_SimpleNew(1, dims, t);
    if (!out) { Py_DECREF(a); return NULL; }
    if (no > 0) {
        int nth = vqcpu_nthreads;
        Py_BEGIN_ALLOW_THREADS
        if (r == 0) {
            double id = op == R_PROD ? 1.0 : 0.0;
            for (npy_intp i = 0; i < no; i++) {
                if (t == NPY_FLOAT) ((float *)PyArray_DATA(out))[i] = (float)id;
                else ((double *)PyArray_DATA(out))[i] = id;
            }
        } else if (t == NPY_FLOAT) {
            reduce_f32(op, PyArray_DATA(a), outer, r, inner, PyArray_DATA(out), nth);
        } else {
            reduce_f64(op, PyArray_DATA(a), outer, r, inner, PyArray_DATA(out), nth);
        }
        Py_END_ALLOW_THREADS
    }
    Py_DECREF(a);
    return (PyObject *)out;
}
