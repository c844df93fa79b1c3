/* Fused kernels: the ReLU backward, softmax cross-entropy (+ backward) and the SGD / Adam
 * updates. */
#include "common.h"

#define T float
#define SUF f32
#define F(name) name##f
#include "fused_tmpl.h"
#undef T
#undef SUF
#undef F
#define T double
#define SUF f64
#define F(name) name
#include "fused_tmpl.h"
#undef T
#undef SUF
#undef F

/* relu_backward(g, x) -> dx, same shape and float dtype */
PyObject *vq_relu_backward(PyObject *self, PyObject *args) {
    PyObject *go, *xo;
    if (!PyArg_ParseTuple(args, "OO:relu_backward", &go, &xo)) return NULL;
    PyArrayObject *g = vq_input(go, -1, "relu_backward g", 1), *x = NULL, *out = NULL;
    if (!g) return NULL;
    x = vq_input(xo, PyArray_TYPE(g), "relu_backward x (g's dtype)", 1);
    if (!x) goto done;
    if (!PyArray_SAMESHAPE(g, x)) {
        PyErr_SetString(PyExc_ValueError, "relu_backward: g and x must have the same shape");
        goto done;
    }
    out = (PyArrayObject *)PyArray_SimpleNew(PyArray_NDIM(g), PyArray_DIMS(g), PyArray_TYPE(g));
    if (!out) goto done;
    npy_intp n = PyArray_SIZE(g);
    Py_BEGIN_ALLOW_THREADS
    if (PyArray_TYPE(g) == NPY_FLOAT) relu_bwd_f32(PyArray_DATA(g), PyArray_DATA(x), PyArray_DATA(out), n);
    else relu_bwd_f64(PyArray_DATA(g), PyArray_DATA(x), PyArray_DATA(out), n);
    Py_END_ALLOW_THREADS
done:
    Py_DECREF(g);
    Py_XDECREF(x);
    return (PyObject *)out;
}

/* logits [N, C] float, labels int64 [N] in [0, C) */
static int xent_inputs(PyObject *xo, PyObject *lo, PyArrayObject **x, PyArrayObject **lab) {
    *x = vq_input_nd(xo, -1, "softmax_cross_entropy logits [N, C]", 2, NULL);
    if (!*x) return -1;
    npy_intp d[1] = {PyArray_DIM(*x, 0)};
    *lab = vq_input_nd(lo, NPY_INT64, "softmax_cross_entropy labels [N]", 1, d);
    if (!*lab) { Py_CLEAR(*x); return -1; }
    npy_intp C = PyArray_DIM(*x, 1);
    if (C < 1 && d[0] > 0) {
        PyErr_SetString(PyExc_ValueError, "softmax_cross_entropy: logits have no classes");
        goto fail;
    }
    const int64_t *l = PyArray_DATA(*lab);
    for (npy_intp i = 0; i < d[0]; i++)
        if (l[i] < 0 || l[i] >= C) {
            PyErr_Format(PyExc_ValueError, "softmax_cross_entropy: label %lld at row %zd is "
                         "out of range [0, %zd)", (long long)l[i], (Py_ssize_t)i, (Py_ssize_t)C);
            goto fail;
        }
    return 0;
fail:
    Py_CLEAR(*x);
    Py_CLEAR(*lab);
    return -1;
}

PyObject *vq_softmax_xent(PyObject *self, PyObject *args) {
    PyObject *xo, *lo;
    if (!PyArg_ParseTuple(args, "OO:softmax_cross_entropy", &xo, &lo)) return NULL;
    PyArrayObject *x, *lab;
    if (xent_inputs(xo, lo, &x, &lab)) return NULL;
    npy_intp N = PyArray_DIM(x, 0), C = PyArray_DIM(x, 1);
    PyArrayObject *out = (PyArrayObject *)PyArray_SimpleNew(1, &N, PyArray_TYPE(x));
    if (out && N > 0) {
        Py_BEGIN_ALLOW_THREADS
        if (PyArray_TYPE(x) == NPY_FLOAT) sxent_f32(PyArray_DATA(x), PyArray_DATA(lab), PyArray_DATA(out), N, C);
        else sxent_f64(PyArray_DATA(x), PyArray_DATA(lab), PyArray_DATA(out), N, C);
        Py_END_ALLOW_THREADS
    }
    Py_DECREF(x);
    Py_DECREF(lab);
    return (PyObject *)out;
}

PyObject *vq_softmax_xent_backward(PyObject *self, PyObject *args) {
    PyObject *xo, *lo, *go;
    if (!PyArg_ParseTuple(args, "OOO:softmax_cross_entropy_backward", &xo, &lo, &go)) return NULL;
    PyArrayObject *x, *lab;
    if (xent_inputs(xo, lo, &x, &lab)) return NULL;
    npy_intp N = PyArray_DIM(x, 0);
    PyArrayObject *out = NULL;
    PyArrayObject *g = vq_input_nd(go, PyArray_TYPE(x), "softmax_cross_entropy_backward g [N]", 1, &N);
    if (g) {
        out = (PyArrayObject *)PyArray_SimpleNew(2, PyArray_DIMS(x), PyArray_TYPE(x));
        if (out && PyArray_SIZE(out) > 0) {
            npy_intp C = PyArray_DIM(x, 1);
            Py_BEGIN_ALLOW_THREADS
            if (PyArray_TYPE(x) == NPY_FLOAT)
                sxent_bwd_f32(PyArray_DATA(x), PyArray_DATA(lab), PyArray_DATA(g), PyArray_DATA(out), N, C);
            else
                sxent_bwd_f64(PyArray_DATA(x), PyArray_DATA(lab), PyArray_DATA(g), PyArray_DATA(out), N, C);
            Py_END_ALLOW_THREADS
        }
        Py_DECREF(g);
    }
    Py_DECREF(x);
    Py_DECREF(lab);
    return (PyObject *)out;
}

/* an optimizer state array: same dtype and shape as the parameter p (None allowed if opt) */
static int state_input(PyObject *o, PyArrayObject *p, const char *name, int optional,
                       PyArrayObject **out) {
    *out = NULL;
    if (o == Py_None) {
        if (optional) return 0;
        PyErr_Format(PyExc_TypeError, "%s must be an array, got None", name);
        return -1;
    }
    *out = vq_input_nd(o, PyArray_TYPE(p), name, PyArray_NDIM(p), PyArray_DIMS(p));
    return *out ? 0 : -1;
}

PyObject *vq_sgd_step(PyObject *self, PyObject *args) {
    PyObject *po, *go, *bo;
    double lr, mom, damp, wd;
    int nesterov, maximize;
    if (!PyArg_ParseTuple(args, "OOOdddpdp:sgd_step", &po, &go, &bo, &lr, &mom, &damp,
                          &nesterov, &wd, &maximize))
        return NULL;
    PyArrayObject *p = vq_input(po, -1, "sgd_step param", 1), *g = NULL, *buf = NULL;
    PyArrayObject *np_ = NULL, *nb = NULL;
    PyObject *res = NULL;
    if (!p) return NULL;
    if (state_input(go, p, "sgd_step grad (shape and dtype of the param)", 0, &g) ||
        state_input(bo, p, "sgd_step momentum buffer", 1, &buf))
        goto done;
    np_ = (PyArrayObject *)PyArray_SimpleNew(PyArray_NDIM(p), PyArray_DIMS(p), PyArray_TYPE(p));
    if (!np_) goto done;
    if (mom != 0 &&
        !(nb = (PyArrayObject *)PyArray_SimpleNew(PyArray_NDIM(p), PyArray_DIMS(p), PyArray_TYPE(p))))
        goto done;
    npy_intp n = PyArray_SIZE(p);
    Py_BEGIN_ALLOW_THREADS
    if (PyArray_TYPE(p) == NPY_FLOAT)
        sgd_f32(PyArray_DATA(p), PyArray_DATA(g), buf ? PyArray_DATA(buf) : NULL,
                PyArray_DATA(np_), nb ? PyArray_DATA(nb) : NULL, n, lr, mom, damp, nesterov, wd,
                maximize);
    else
        sgd_f64(PyArray_DATA(p), PyArray_DATA(g), buf ? PyArray_DATA(buf) : NULL,
                PyArray_DATA(np_), nb ? PyArray_DATA(nb) : NULL, n, lr, mom, damp, nesterov, wd,
                maximize);
    Py_END_ALLOW_THREADS
    res = Py_BuildValue("(OO)", np_, nb ? (PyObject *)nb : Py_None);
done:
    Py_XDECREF(p); Py_XDECREF(g); Py_XDECREF(buf); Py_XDECREF(np_); Py_XDECREF(nb);
    return res;
}

PyObject *vq_adam_step(PyObject *self, PyObject *args) {
    PyObject *po, *go, *mo, *vo, *vmo;
    long long step;
    double lr, b1, b2, eps, wd;
    int amsgrad, maximize, decoupled;
    if (!PyArg_ParseTuple(args, "OOOOOLdddddppp:adam_step", &po, &go, &mo, &vo, &vmo, &step,
                          &lr, &b1, &b2, &eps, &wd, &amsgrad, &maximize, &decoupled))
        return NULL;
    if (step < 1) {
        PyErr_Format(PyExc_ValueError, "adam_step: step must be >= 1, got %lld", step);
        return NULL;
    }
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) {
        PyErr_SetString(PyExc_ValueError, "adam_step: betas must be in [0, 1)");
        return NULL;
    }
    PyArrayObject *p = vq_input(po, -1, "adam_step param", 1), *g = NULL, *m = NULL, *v = NULL,
                  *vm = NULL, *np_ = NULL, *nm = NULL, *nv = NULL, *nvm = NULL;
    PyObject *res = NULL;
    if (!p) return NULL;
    if (state_input(go, p, "adam_step grad (shape and dtype of the param)", 0, &g) ||
        state_input(mo, p, "adam_step exp_avg", 0, &m) ||
        state_input(vo, p, "adam_step exp_avg_sq", 0, &v) ||
        state_input(vmo, p, "adam_step max_exp_avg_sq", 1, &vm))
        goto done;
    int nd = PyArray_NDIM(p), t = PyArray_TYPE(p);
    npy_intp *dims = PyArray_DIMS(p);
    if (!(np_ = (PyArrayObject *)PyArray_SimpleNew(nd, dims, t)) ||
        !(nm = (PyArrayObject *)PyArray_SimpleNew(nd, dims, t)) ||
        !(nv = (PyArrayObject *)PyArray_SimpleNew(nd, dims, t)) ||
        (amsgrad && !(nvm = (PyArrayObject *)PyArray_SimpleNew(nd, dims, t))))
        goto done;
    double step_size = lr / (1.0 - pow(b1, (double)step));
    double bc2 = sqrt(1.0 - pow(b2, (double)step));
    npy_intp n = PyArray_SIZE(p);
    Py_BEGIN_ALLOW_THREADS
    if (t == NPY_FLOAT)
        adam_f32(PyArray_DATA(p), PyArray_DATA(g), PyArray_DATA(m), PyArray_DATA(v),
                 vm ? PyArray_DATA(vm) : NULL, PyArray_DATA(np_), PyArray_DATA(nm),
                 PyArray_DATA(nv), nvm ? PyArray_DATA(nvm) : NULL, n, step_size, bc2, b1, b2,
                 eps, wd, amsgrad, maximize, decoupled, lr);
    else
        adam_f64(PyArray_DATA(p), PyArray_DATA(g), PyArray_DATA(m), PyArray_DATA(v),
                 vm ? PyArray_DATA(vm) : NULL, PyArray_DATA(np_), PyArray_DATA(nm),
                 PyArray_DATA(nv), nvm ? PyArray_DATA(nvm) : NULL, n, step_size, bc2, b1, b2,
                 eps, wd, amsgrad, maximize, decoupled, lr);
    Py_END_ALLOW_THREADS
    /* without amsgrad the max buffer passes through unchanged, as in the reference */
    res = Py_BuildValue("(OOOO)", np_, nm, nv,
                        amsgrad ? (PyObject *)nvm : (vmo == Py_None ? Py_None : vmo));
done:
    Py_XDECREF(p); Py_XDECREF(g); Py_XDECREF(m); Py_XDECREF(v); Py_XDECREF(vm);
    Py_XDECREF(np_); Py_XDECREF(nm); Py_XDECREF(nv); Py_XDECREF(nvm);
    return res;
}
