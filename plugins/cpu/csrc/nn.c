/* conv2d helpers (im2col / col2im / layout changes around the GEMM) and max pooling. */
#include "common.h"

#define T float
#define SUF f32
#include "nn_tmpl.h"
#undef T
#undef SUF
#define T double
#define SUF f64
#include "nn_tmpl.h"
#undef T
#undef SUF

typedef struct {
    npy_intp kh, kw, sh, sw, pt, pb, pl, pr, dh, dw, Ho, Wo;
} geom_t;

/* parse kernel / stride / pad(top, bottom, left, right) / dilation and derive Ho, Wo */
static int parse_geom(PyObject *k, PyObject *s, PyObject *p, PyObject *d, npy_intp H,
                      npy_intp W, geom_t *g) {
    npy_intp kk[2], ss[2], pp[4], dd[2];
    if (vq_int_tuple(k, 2, kk, 1, "kernel") || vq_int_tuple(s, 2, ss, 1, "stride") ||
        vq_int_tuple(p, 4, pp, 0, "padding") || vq_int_tuple(d, 2, dd, 1, "dilation"))
        return -1;
    g->kh = kk[0]; g->kw = kk[1]; g->sh = ss[0]; g->sw = ss[1];
    g->pt = pp[0]; g->pb = pp[1]; g->pl = pp[2]; g->pr = pp[3]; g->dh = dd[0]; g->dw = dd[1];
    npy_intp span_h = g->dh * (g->kh - 1) + 1, span_w = g->dw * (g->kw - 1) + 1;
    npy_intp hp = H + g->pt + g->pb, wp = W + g->pl + g->pr;
    if (hp < span_h || wp < span_w) {
        PyErr_Format(PyExc_ValueError,
                     "kernel (%zd, %zd) with dilation (%zd, %zd) is larger than the padded "
                     "input (%zd, %zd)", (Py_ssize_t)g->kh, (Py_ssize_t)g->kw,
                     (Py_ssize_t)g->dh, (Py_ssize_t)g->dw, (Py_ssize_t)hp, (Py_ssize_t)wp);
        return -1;
    }
    g->Ho = (hp - span_h) / g->sh + 1;
    g->Wo = (wp - span_w) / g->sw + 1;
    return 0;
}

PyObject *vq_im2col(PyObject *self, PyObject *args) {
    PyObject *xo, *k, *s, *p, *d;
    if (!PyArg_ParseTuple(args, "OOOOO:im2col", &xo, &k, &s, &p, &d)) return NULL;
    PyArrayObject *x = vq_input_nd(xo, -1, "im2col input x [N, C, H, W]", 4, NULL);
    if (!x) return NULL;
    npy_intp N = PyArray_DIM(x, 0), C = PyArray_DIM(x, 1), H = PyArray_DIM(x, 2),
             W = PyArray_DIM(x, 3);
    geom_t g;
    PyArrayObject *col = NULL;
    if (parse_geom(k, s, p, d, H, W, &g)) goto done;
    npy_intp rows = vq_mul(C, vq_mul(g.kh, g.kw, "im2col"), "im2col");
    npy_intp cols = rows < 0 ? -1 : vq_mul(N, vq_mul(g.Ho, g.Wo, "im2col"), "im2col");
    if (cols < 0 || vq_mul(rows, cols, "im2col") < 0) goto done;
    npy_intp dims[2] = {rows, cols};
    col = (PyArrayObject *)PyArray_SimpleNew(2, dims, PyArray_TYPE(x));
    if (!col || rows * cols == 0) goto done;
    Py_BEGIN_ALLOW_THREADS
    if (PyArray_TYPE(x) == NPY_FLOAT)
        im2col_f32(PyArray_DATA(x), PyArray_DATA(col), N, C, H, W, g.kh, g.kw, g.sh, g.sw, g.pt,
                   g.pl, g.dh, g.dw, g.Ho, g.Wo);
    else
        im2col_f64(PyArray_DATA(x), PyArray_DATA(col), N, C, H, W, g.kh, g.kw, g.sh, g.sw, g.pt,
                   g.pl, g.dh, g.dw, g.Ho, g.Wo);
    Py_END_ALLOW_THREADS
done:
    Py_DECREF(x);
    return (PyObject *)col;
}

PyObject *vq_col2im(PyObject *self, PyObject *args) {
    PyObject *co, *shp, *k, *s, *p, *d;
    if (!PyArg_ParseTuple(args, "OOOOOO:col2im", &co, &shp, &k, &s, &p, &d)) return NULL;
    npy_intp xs[4];
    if (vq_int_tuple(shp, 4, xs, 0, "col2im xshape")) return NULL;
    geom_t g;
    if (parse_geom(k, s, p, d, xs[2], xs[3], &g)) return NULL;
    npy_intp rows = vq_mul(xs[1], vq_mul(g.kh, g.kw, "col2im"), "col2im");
    npy_intp cols = rows < 0 ? -1 : vq_mul(xs[0], vq_mul(g.Ho, g.Wo, "col2im"), "col2im");
    if (cols < 0) return NULL;
    npy_intp cdims[2] = {rows, cols};
    PyArrayObject *col = vq_input_nd(co, -1, "col2im columns", 2, cdims);
    if (!col) return NULL;
    PyArrayObject *gx = (PyArrayObject *)PyArray_SimpleNew(4, xs, PyArray_TYPE(col));
    if (gx && PyArray_SIZE(gx) > 0) {
        Py_BEGIN_ALLOW_THREADS
        if (PyArray_TYPE(col) == NPY_FLOAT)
            col2im_f32(PyArray_DATA(col), PyArray_DATA(gx), xs[0], xs[1], xs[2], xs[3], g.kh,
                       g.kw, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw, g.Ho, g.Wo);
        else
            col2im_f64(PyArray_DATA(col), PyArray_DATA(gx), xs[0], xs[1], xs[2], xs[3], g.kh,
                       g.kw, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw, g.Ho, g.Wo);
        Py_END_ALLOW_THREADS
    }
    Py_DECREF(col);
    return (PyObject *)gx;
}

PyObject *vq_rows_to_nchw(PyObject *self, PyObject *args) {
    PyObject *yo, *bo;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "OOn:rows_to_nchw", &yo, &bo, &n)) return NULL;
    PyArrayObject *y = vq_input_nd(yo, -1, "rows_to_nchw y [O, N*P]", 2, NULL), *b = NULL;
    if (!y) return NULL;
    PyArrayObject *out = NULL;
    npy_intp O = PyArray_DIM(y, 0), NP = PyArray_DIM(y, 1);
    if (n < 1 || NP % n) {
        PyErr_Format(PyExc_ValueError, "rows_to_nchw: n = %zd does not divide %zd", n,
                     (Py_ssize_t)NP);
        goto done;
    }
    if (bo != Py_None) {
        npy_intp bd[1] = {O};
        if (!(b = vq_input_nd(bo, PyArray_TYPE(y), "bias", 1, bd))) goto done;
    }
    npy_intp dims[3] = {n, O, NP / n};
    out = (PyArrayObject *)PyArray_SimpleNew(3, dims, PyArray_TYPE(y));
    if (out && PyArray_SIZE(out) > 0) {
        Py_BEGIN_ALLOW_THREADS
        if (PyArray_TYPE(y) == NPY_FLOAT)
            rows_to_nchw_f32(PyArray_DATA(y), b ? PyArray_DATA(b) : NULL, PyArray_DATA(out), n,
                             O, NP / n);
        else
            rows_to_nchw_f64(PyArray_DATA(y), b ? PyArray_DATA(b) : NULL, PyArray_DATA(out), n,
                             O, NP / n);
        Py_END_ALLOW_THREADS
    }
done:
    Py_DECREF(y);
    Py_XDECREF(b);
    return (PyObject *)out;
}

PyObject *vq_nchw_to_rows(PyObject *self, PyObject *args) {
    PyObject *go;
    if (!PyArg_ParseTuple(args, "O:nchw_to_rows", &go)) return NULL;
    PyArrayObject *g = vq_input_nd(go, -1, "nchw_to_rows g [N, O, P]", 3, NULL);
    if (!g) return NULL;
    npy_intp N = PyArray_DIM(g, 0), O = PyArray_DIM(g, 1), P = PyArray_DIM(g, 2);
    npy_intp dims[2] = {O, N * P};
    PyArrayObject *out = (PyArrayObject *)PyArray_SimpleNew(2, dims, PyArray_TYPE(g));
    if (out && PyArray_SIZE(out) > 0) {
        Py_BEGIN_ALLOW_THREADS
        if (PyArray_TYPE(g) == NPY_FLOAT)
            nchw_to_rows_f32(PyArray_DATA(g), PyArray_DATA(out), N, O, P);
        else
            nchw_to_rows_f64(PyArray_DATA(g), PyArray_DATA(out), N, O, P);
        Py_END_ALLOW_THREADS
    }
    Py_DECREF(g);
    return (PyObject *)out;
}

PyObject *vq_max_pool2d(PyObject *self, PyObject *args) {
    PyObject *xo, *k, *s, *p, *d;
    if (!PyArg_ParseTuple(args, "OOOOO:max_pool2d", &xo, &k, &s, &p, &d)) return NULL;
    PyArrayObject *x = vq_input_nd(xo, -1, "max_pool2d input x [N, C, H, W]", 4, NULL);
    if (!x) return NULL;
    PyArrayObject *out = NULL, *idx = NULL;
    PyObject *res = NULL;
    geom_t g;
    npy_intp N = PyArray_DIM(x, 0), C = PyArray_DIM(x, 1), H = PyArray_DIM(x, 2),
             W = PyArray_DIM(x, 3);
    if (parse_geom(k, s, p, d, H, W, &g)) goto done;
    npy_intp dims[4] = {N, C, g.Ho, g.Wo};
    out = (PyArrayObject *)PyArray_SimpleNew(4, dims, PyArray_TYPE(x));
    idx = (PyArrayObject *)PyArray_SimpleNew(4, dims, NPY_INT64);
    if (!out || !idx) goto done;
    if (PyArray_SIZE(out) > 0) {
        Py_BEGIN_ALLOW_THREADS
        if (PyArray_TYPE(x) == NPY_FLOAT)
            max_pool_f32(PyArray_DATA(x), PyArray_DATA(out), PyArray_DATA(idx), N * C, H, W,
                         g.kh, g.kw, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw, g.Ho, g.Wo);
        else
            max_pool_f64(PyArray_DATA(x), PyArray_DATA(out), PyArray_DATA(idx), N * C, H, W,
                         g.kh, g.kw, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw, g.Ho, g.Wo);
        Py_END_ALLOW_THREADS
    }
    res = Py_BuildValue("(OO)", out, idx);
done:
    Py_DECREF(x);
    Py_XDECREF(out);
    Py_XDECREF(idx);
    return res;
}

PyObject *vq_max_pool2d_backward(PyObject *self, PyObject *args) {
    PyObject *go, *io;
    Py_ssize_t H, W;
    if (!PyArg_ParseTuple(args, "OOnn:max_pool2d_backward", &go, &io, &H, &W)) return NULL;
    if (H < 0 || W < 0) {
        PyErr_SetString(PyExc_ValueError, "max_pool2d_backward: negative input size");
        return NULL;
    }
    PyArrayObject *g = vq_input_nd(go, -1, "max_pool2d_backward g [N, C, Ho, Wo]", 4, NULL);
    if (!g) return NULL;
    npy_intp idims[4] = {PyArray_DIM(g, 0), PyArray_DIM(g, 1), PyArray_DIM(g, 2),
                         PyArray_DIM(g, 3)};
    PyArrayObject *idx = vq_input_nd(io, NPY_INT64, "max_pool2d_backward indices", 4, idims);
    PyArrayObject *gx = NULL;
    if (!idx) goto done;
    npy_intp HW = vq_mul(H, W, "max_pool2d_backward");
    if (HW < 0) goto done;
    npy_intp dims[4] = {idims[0], idims[1], H, W};
    gx = (PyArrayObject *)PyArray_SimpleNew(4, dims, PyArray_TYPE(g));
    if (gx && PyArray_SIZE(gx) > 0) {
        npy_intp bad = 0, NC = idims[0] * idims[1], P = idims[2] * idims[3];
        Py_BEGIN_ALLOW_THREADS
        if (PyArray_TYPE(g) == NPY_FLOAT)
            bad = max_pool_bwd_f32(PyArray_DATA(g), PyArray_DATA(idx), PyArray_DATA(gx), NC, HW, P);
        else
            bad = max_pool_bwd_f64(PyArray_DATA(g), PyArray_DATA(idx), PyArray_DATA(gx), NC, HW, P);
        Py_END_ALLOW_THREADS
        if (bad) {
            PyErr_Format(PyExc_ValueError, "max_pool2d_backward: %zd indices outside [0, %zd)",
                         (Py_ssize_t)bad, (Py_ssize_t)HW);
            Py_CLEAR(gx);
        }
    }
done:
    Py_DECREF(g);
    Py_XDECREF(idx);
    return (PyObject *)gx;
}
