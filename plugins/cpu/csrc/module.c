/* Module definition, thread control and the shared argument helpers. */
#define VQCPU_MODULE_C
#include "common.h"

#include <stdlib.h>
#include <string.h>

int vqcpu_nthreads = 2;

npy_intp vq_mul(npy_intp a, npy_intp b, const char *what) {
    npy_intp r;
    if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r)) {
        PyErr_Format(PyExc_ValueError, "%s: size overflows (or is negative)", what);
        return -1;
    }
    return r;
}

const char *vq_type_name(int t) {
    switch (t) {
    case NPY_FLOAT: return "float32";
    case NPY_DOUBLE: return "float64";
    case NPY_BOOL: return "bool";
    case NPY_INT32: return "int32";
    case NPY_INT64: return "int64";
    case NPY_CFLOAT: return "complex64";
    case NPY_CDOUBLE: return "complex128";
    default: return "a non-VQNet dtype";
    }
}

PyArrayObject *vq_input(PyObject *obj, int typenum, const char *name, int contiguous) {
    if (!PyArray_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be a numpy.ndarray, got %.100s", name,
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    PyArrayObject *a = (PyArrayObject *)obj;
    int t = PyArray_TYPE(a);
    if (!PyArray_ISNBO(PyArray_DESCR(a)->byteorder)) {
        PyErr_Format(PyExc_TypeError, "%s must be in native byte order", name);
        return NULL;
    }
    if (typenum == -1 ? (t != NPY_FLOAT && t != NPY_DOUBLE) : t != typenum) {
        PyErr_Format(PyExc_TypeError, "%s must have dtype %s, got %s", name,
                     typenum == -1 ? "float32 or float64" : vq_type_name(typenum),
                     vq_type_name(t));
        return NULL;
    }
    int flags = NPY_ARRAY_ALIGNED | (contiguous ? NPY_ARRAY_C_CONTIGUOUS : 0);
    if (PyArray_CHKFLAGS(a, flags)) {
        Py_INCREF(a);
        return a;
    }
    return (PyArrayObject *)PyArray_NewCopy(a, NPY_CORDER);
}

PyArrayObject *vq_input_nd(PyObject *obj, int typenum, const char *name, int ndim,
                           const npy_intp *dims) {
    if (PyArray_Check(obj) && PyArray_NDIM((PyArrayObject *)obj) != ndim) {
        PyErr_Format(PyExc_ValueError, "%s must be %d-D, got %d-D", name, ndim,
                     PyArray_NDIM((PyArrayObject *)obj));
        return NULL;
    }
    PyArrayObject *a = vq_input(obj, typenum, name, 1);
    if (!a) return NULL;
    for (int i = 0; dims && i < ndim; i++) {
        if (dims[i] >= 0 && PyArray_DIM(a, i) != dims[i]) {
            PyErr_Format(PyExc_ValueError, "%s: axis %d has size %zd, expected %zd", name, i,
                         (Py_ssize_t)PyArray_DIM(a, i), (Py_ssize_t)dims[i]);
            Py_DECREF(a);
            return NULL;
        }
    }
    return a;
}

int vq_int_tuple(PyObject *seq, int n, npy_intp *out, npy_intp minval, const char *name) {
    PyObject *fast = PySequence_Fast(seq, "");
    if (!fast) {
        PyErr_Format(PyExc_TypeError, "%s must be a sequence of %d ints", name, n);
        return -1;
    }
    if (PySequence_Fast_GET_SIZE(fast) != n) {
        PyErr_Format(PyExc_ValueError, "%s must have %d entries, got %zd", name, n,
                     PySequence_Fast_GET_SIZE(fast));
        Py_DECREF(fast);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        PyObject *it = PySequence_Fast_GET_ITEM(fast, i);
        long long v = PyLong_AsLongLong(it);
        if (v == -1 && PyErr_Occurred()) {
            Py_DECREF(fast);
            PyErr_Format(PyExc_TypeError, "%s must hold ints", name);
            return -1;
        }
        /* bound every size parameter well inside npy_intp so derived arithmetic can't wrap */
        if (v < minval || v > ((long long)1 << 40)) {
            Py_DECREF(fast);
            PyErr_Format(PyExc_ValueError, "%s[%d] = %lld is out of range (must be >= %zd)",
                         name, i, v, (Py_ssize_t)minval);
            return -1;
        }
        out[i] = (npy_intp)v;
    }
    Py_DECREF(fast);
    return 0;
}

static PyObject *set_num_threads(PyObject *self, PyObject *arg) {
    long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    if (n < 1 || n > 4096) {
        PyErr_Format(PyExc_ValueError, "number of threads must be in [1, 4096], got %ld", n);
        return NULL;
    }
    vqcpu_nthreads = (int)n;
    Py_RETURN_NONE;
}

static PyObject *get_num_threads(PyObject *self, PyObject *noarg) {
    return PyLong_FromLong(vqcpu_nthreads);
}

static PyObject *has_openmp(PyObject *self, PyObject *noarg) {
#ifdef _OPENMP
    Py_RETURN_TRUE;
#else
    Py_RETURN_FALSE;
#endif
}

static PyMethodDef methods[] = {
    {"set_num_threads", set_num_threads, METH_O, "set_num_threads(n): threads of every kernel"},
    {"get_num_threads", get_num_threads, METH_NOARGS, "get_num_threads() -> int"},
    {"has_openmp", has_openmp, METH_NOARGS, "whether the extension was built with OpenMP"},
    {"unary", vq_unary, METH_VARARGS, "unary(op, a) -> new array"},
    {"binary", vq_binary, METH_VARARGS, "binary(op, a, b) -> new array (broadcasting)"},
    {"where", vq_where, METH_VARARGS, "where(cond, a, b) -> new array (broadcasting)"},
    {"reduce", vq_reduce, METH_VARARGS, "reduce(op, a, outer, r, inner) -> [outer*inner]"},
    {"im2col", vq_im2col, METH_VARARGS, "im2col(x, k, stride, pad, dil, out_hw) -> [C*kh*kw, N*Ho*Wo]"},
    {"col2im", vq_col2im, METH_VARARGS, "col2im(col, xshape, k, stride, pad, dil, out_hw)"},
    {"rows_to_nchw", vq_rows_to_nchw, METH_VARARGS, "rows_to_nchw(y[O, N*P], bias, n)"},
    {"nchw_to_rows", vq_nchw_to_rows, METH_VARARGS, "nchw_to_rows(g[N, O, P]) -> [O, N*P]"},
    {"conv2d_direct", vq_conv2d_direct, METH_VARARGS, "conv2d_direct(x, w, bias, stride, pad, dil) -> out"},
    {"conv2d_direct_backward_weight", vq_conv2d_direct_bw, METH_VARARGS,
     "conv2d_direct_backward_weight(x, g, k, stride, pad, dil, with_bias) -> (gw, gb)"},
    {"max_pool2d", vq_max_pool2d, METH_VARARGS, "max_pool2d(x, k, stride, pad, dil) -> (out, idx)"},
    {"max_pool2d_backward", vq_max_pool2d_backward, METH_VARARGS, "max_pool2d_backward(g, idx, hw)"},
    {"avg_pool2d", vq_avg_pool2d, METH_VARARGS, "avg_pool2d(x, k, stride, pad, count_include_pad, divisor) -> out"},
    {"avg_pool2d_backward", vq_avg_pool2d_backward, METH_VARARGS, "avg_pool2d_backward(g, H, W, k, stride, pad, count_include_pad, divisor) -> gx"},
    {"batch_norm", vq_batch_norm, METH_VARARGS, "batch_norm(x, w, b, mean, var, eps) -> (y, mean, var)"},
    {"batch_norm_backward", vq_batch_norm_backward, METH_VARARGS, "batch_norm_backward(g, x, w, mean, var, eps, training, need_dx, need_dw, need_db) -> (dx, dw, db)"},
    {"relu_backward", vq_relu_backward, METH_VARARGS, "relu_backward(g, x) -> g where not x <= 0, else 0"},
    {"softmax_xent", vq_softmax_xent, METH_VARARGS, "softmax_xent(logits, labels) -> losses"},
    {"softmax_xent_backward", vq_softmax_xent_backward, METH_VARARGS, "softmax_xent_backward(logits, labels, g)"},
    {"sgd_step", vq_sgd_step, METH_VARARGS, "sgd_step(p, g, buf, lr, momentum, dampening, nesterov, wd, maximize)"},
    {"adam_step", vq_adam_step, METH_VARARGS, "adam_step(p, g, m, v, vmax, step, lr, b1, b2, eps, wd, amsgrad, maximize, decoupled)"},
    {"sv_apply", vq_sv_apply, METH_VARARGS, "sv_apply(state[B, 2^n], n, wires, mat[B, d, d]) -> new state"},
    {"sv_expval_pauli", vq_sv_expval_pauli, METH_VARARGS, "sv_expval_pauli(state, n, word) -> real [B]"},
    {"sv_overlap", vq_sv_overlap, METH_VARARGS, "sv_overlap(phi, psi, n, wires) -> [B, d, d]"},
    {"sv_gather", vq_sv_gather, METH_VARARGS, "sv_gather(state[B, N], idx int64[N]) -> state[:, idx]"},
    {"sv_apply_affine", vq_sv_apply_affine, METH_VARARGS, "sv_apply_affine(state[B, 2^n], n, cols, c) -> state[:, f(i)], f(i) = c ^ XOR(cols[t] for bits t of i)"},
    {"sv_apply_seq", vq_sv_apply_seq, METH_VARARGS, "sv_apply_seq(state, n, [(wires, mat), ...]) -> new state (cache-blocked)"},
    {"sv_adjoint_seq", vq_sv_adjoint_seq, METH_VARARGS, "sv_adjoint_seq(ket, brac, n, [(wires, mket, mbra, want), ...]) -> (ket, brac, [R, ...])"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moddef = {PyModuleDef_HEAD_INIT, "_ext",
                                    "vqnet_cpu's compiled kernels", -1, methods};

PyMODINIT_FUNC PyInit__ext(void) {
    import_array();
    /* default 2 threads; OMP_NUM_THREADS (its first entry) overrides */
    const char *env = getenv("OMP_NUM_THREADS");
    if (env && *env) {
        long n = strtol(env, NULL, 10);
        if (n >= 1 && n <= 4096) vqcpu_nthreads = (int)n;
    }
    return PyModule_Create(&moddef);
}
