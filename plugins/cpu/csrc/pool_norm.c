/* Average pooling and batch norm (forward + backward), NCHW / [N, C, ...]. */
#include "common.h"

typedef struct {
    npy_intp kh, kw, sh, sw, pt, pl, Ho, Wo;
} pgeom_t;

#define T float
#define SUF f32
#include "pool_norm_tmpl.h"
#undef T
#undef SUF
#define T double
#define SUF f64
#include "pool_norm_tmpl.h"
#undef T
#undef SUF

/* kernel / stride / pad(top, bottom, left, right) over an H x W image -> Ho, Wo */
static int pool_geom(PyObject *k, PyObject *s, PyObject *p, npy_intp H, npy_intp W,
                     pgeom_t *g) {
    npy_intp kk[2], ss[2], pp[4];
    if (vq_int_tuple(k, 2, kk, 1, "kernel") || vq_int_tuple(s, 2, ss, 1, "stride") ||
        vq_int_tuple(p, 4, pp, 0, "padding"))
        return -1;
    npy_intp hp = H + pp[0] + pp[1], wp = W + pp[2] + pp[3];
    if (hp < kk[0] || wp < kk[1]) {
        PyErr_Format(PyExc_ValueError, "avg_pool2d: kernel (%zd, %zd) is larger than the "
                     "padded input (%zd, %zd)", (Py_ssize_t)kk[0], (Py_ssize_t)kk[1],
                     (Py_ssize_t)hp, (Py_ssize_t)wp);
        return -1;
    }
    *g = (pgeom_t){kk[0], kk[1], ss[0], ss[1], pp[0], pp[2], (hp - kk[0]) / ss[0] + 1,
                   (wp - kk[1]) / ss[1] + 1};
    return 0;
}

/* divisor_override: a finite number, 0 for none */
static int check_divisor(double d) {
    if (!isfinite(d)) {
        PyErr_SetString(PyExc_ValueError, "avg_pool2d: divisor must be finite");
        return -1;
    }
    return 0;
}

PyObject *vq_avg_pool2d(PyObject *self, PyObject *args) {
    PyObject *xo, *k, *s, *p;
    int cip;
    double div;
    if (!PyArg_ParseTuple(args, "OOOOpd:avg_pool2d", &xo, &k, &s, &p, &cip, &div)) return NULL;
    if (check_divisor(div)) return NULL;
    PyArrayObject *x = vq_input_nd(xo, -1, "avg_pool2d input x [N, C, H, W]", 4, NULL);
    if (!x) return NULL;
    PyArrayObject *out = NULL;
    pgeom_t g;
    npy_intp N = PyArray_DIM(x, 0), C = PyArray_DIM(x, 1), H = PyArray_DIM(x, 2),
             W = PyArray_DIM(x, 3);
    if (pool_geom(k, s, p, H, W, &g) ||
        vq_mul(vq_mul(N * C, g.Ho, "avg_pool2d"), g.Wo, "avg_pool2d") < 0)
        goto done;
    npy_intp dims[4] = {N, C, g.Ho, g.Wo};
    out = (PyArrayObject *)PyArray_SimpleNew(4, dims, PyArray_TYPE(x));
    if (out && PyArray_SIZE(out) > 0) {
        Py_BEGIN_ALLOW_THREADS
        if (PyArray_TYPE(x) == NPY_FLOAT)
            avg_pool_f32(PyArray_DATA(x), PyArray_DATA(out), N * C, H, W, &g, cip, div);
        else
            avg_pool_f64(PyArray_DATA(x), PyArray_DATA(out), N * C, H, W, &g, cip, div);
        Py_END_ALLOW_THREADS
    }
done:
    Py_DECREF(x);
    return (PyObject *)out;
}

PyObject *vq_avg_pool2d_backward(PyObject *self, PyObject *args) {
    PyObject *go, *k, *s, *p;
    Py_ssize_t H, W;
    int cip;
    double div;
    if (!PyArg_ParseTuple(args, "OnnOOOpd:avg_pool2d_backward", &go, &H, &W, &k, &s, &p, &cip,
                          &div))
        return NULL;
    if (check_divisor(div)) return NULL;
    if (H < 0 || W < 0 || H > ((Py_ssize_t)1 << 40) || W > ((Py_ssize_t)1 << 40)) {
        PyErr_SetString(PyExc_ValueError, "avg_pool2d_backward: input size out of range");
        return NULL;
    }
    pgeom_t g;
    if (pool_geom(k, s, p, H, W, &g)) return NULL;
    npy_intp gd[4] = {-1, -1, g.Ho, g.Wo};
    PyArrayObject *gy = vq_input_nd(go, -1, "avg_pool2d_backward g [N, C, Ho, Wo]", 4, gd);
    if (!gy) return NULL;
    PyArrayObject *gx = NULL;
    npy_intp N = PyArray_DIM(gy, 0), C = PyArray_DIM(gy, 1);
    if (vq_mul(vq_mul(N * C, H, "avg_pool2d_backward"), W, "avg_pool2d_backward") < 0)
        goto done;
    npy_intp dims[4] = {N, C, H, W};
    gx = (PyArrayObject *)PyArray_SimpleNew(4, dims, PyArray_TYPE(gy));
    if (gx && PyArray_SIZE(gx) > 0) {
        Py_BEGIN_ALLOW_THREADS
        if (PyArray_TYPE(gy) == NPY_FLOAT)
            avg_pool_bwd_f32(PyArray_DATA(gy), PyArray_DATA(gx), N * C, H, W, &g, cip, div);
        else
            avg_pool_bwd_f64(PyArray_DATA(gy), PyArray_DATA(gx), N * C, H, W, &g, cip, div);
        Py_END_ALLOW_THREADS
    }
done:
    Py_DECREF(gy);
    return (PyObject *)gx;
}

/* an optional [C] vector of dtype `type` (Py_None -> *out = NULL) */
static int channel_vec(PyObject *o, int type, npy_intp C, const char *name,
                       PyArrayObject **out) {
    *out = NULL;
    if (o == Py_None) return 0;
    *out = vq_input_nd(o, type, name, 1, &C);
    return *out ? 0 : -1;
}

/* x [N, C, ...] as a contiguous array, with N, C and L = prod(rest) */
static PyArrayObject *bn_input(PyObject *xo, const char *name, npy_intp *N, npy_intp *C,
                               npy_intp *L) {
    if (PyArray_Check(xo) && PyArray_NDIM((PyArrayObject *)xo) < 2) {
        PyErr_Format(PyExc_ValueError, "%s must be at least 2-D [N, C, ...], got %d-D", name,
                     PyArray_NDIM((PyArrayObject *)xo));
        return NULL;
    }
    PyArrayObject *x = vq_input(xo, -1, name, 1);
    if (!x) return NULL;
    *N = PyArray_DIM(x, 0);
    *C = PyArray_DIM(x, 1);
    *L = 1;
    for (int i = 2; i < PyArray_NDIM(x); i++) *L *= PyArray_DIM(x, i); /* an existing array */
    return x;
}

static int check_eps(double eps) {
    if (!(eps >= 0) || !isfinite(eps)) {
        /* PyErr_Format has no %g: the number goes in as a Python float, printed with %R */
        PyObject *v = PyFloat_FromDouble(eps);
        if (!v) return -1;
        PyErr_Format(PyExc_ValueError, "batch_norm: eps must be finite and >= 0, got %R", v);
        Py_DECREF(v);
        return -1;
    }
    return 0;
}

PyObject *vq_batch_norm(PyObject *self, PyObject *args) {
    PyObject *xo, *wo, *bo, *mo, *vo;
    double eps;
    if (!PyArg_ParseTuple(args, "OOOOOd:batch_norm", &xo, &wo, &bo, &mo, &vo, &eps))
        return NULL;
    if (check_eps(eps)) return NULL;
    if ((mo == Py_None) != (vo == Py_None)) {
        PyErr_SetString(PyExc_ValueError, "batch_norm: give both mean and var, or neither");
        return NULL;
    }
    npy_intp N, C, L;
    PyArrayObject *x = bn_input(xo, "batch_norm input x", &N, &C, &L);
    if (!x) return NULL;
    int t = PyArray_TYPE(x);
    PyArrayObject *w = NULL, *b = NULL, *m = NULL, *v = NULL, *y = NULL, *mo_ = NULL,
                  *vo_ = NULL;
    PyObject *res = NULL;
    if (channel_vec(wo, t, C, "batch_norm weight [C]", &w) ||
        channel_vec(bo, t, C, "batch_norm bias [C]", &b) ||
        channel_vec(mo, t, C, "batch_norm mean [C]", &m) ||
        channel_vec(vo, t, C, "batch_norm var [C]", &v))
        goto done;
    y = (PyArrayObject *)PyArray_SimpleNew(PyArray_NDIM(x), PyArray_DIMS(x), t);
    if (!y) goto done;
    if (!m) {
        mo_ = (PyArrayObject *)PyArray_SimpleNew(1, &C, t);
        vo_ = (PyArrayObject *)PyArray_SimpleNew(1, &C, t);
        if (!mo_ || !vo_) goto done;
    }
    if (C > 0) {
        const void *wd = w ? PyArray_DATA(w) : NULL, *bd = b ? PyArray_DATA(b) : NULL,
                   *md = m ? PyArray_DATA(m) : NULL, *vd = v ? PyArray_DATA(v) : NULL;
        void *mod = mo_ ? PyArray_DATA(mo_) : NULL, *vod = vo_ ? PyArray_DATA(vo_) : NULL;
        Py_BEGIN_ALLOW_THREADS
        if (t == NPY_FLOAT)
            bn_fwd_f32(PyArray_DATA(x), wd, bd, md, vd, PyArray_DATA(y), mod, vod, N, C, L, eps);
        else
            bn_fwd_f64(PyArray_DATA(x), wd, bd, md, vd, PyArray_DATA(y), mod, vod, N, C, L, eps);
        Py_END_ALLOW_THREADS
    }
    res = m ? Py_BuildValue("(OOO)", y, m, v) : Py_BuildValue("(OOO)", y, mo_, vo_);
done:
    Py_DECREF(x);
    Py_XDECREF(w); Py_XDECREF(b); Py_XDECREF(m); Py_XDECREF(v);
    Py_XDECREF(y); Py_XDECREF(mo_); Py_XDECREF(vo_);
    return res;
}

PyObject *vq_batch_norm_backward(PyObject *self, PyObject *args) {
    PyObject *go, *xo, *wo, *mo, *vo;
    double eps;
    int training, need_dx, need_dw, need_db;
    if (!PyArg_ParseTuple(args, "OOOOOdpppp:batch_norm_backward", &go, &xo, &wo, &mo, &vo, &eps,
                          &training, &need_dx, &need_dw, &need_db))
        return NULL;
    if (check_eps(eps)) return NULL;
    npy_intp N, C, L;
    PyArrayObject *x = bn_input(xo, "batch_norm_backward input x", &N, &C, &L);
    if (!x) return NULL;
    int t = PyArray_TYPE(x);
    PyArrayObject *g = NULL, *w = NULL, *m = NULL, *v = NULL, *dx = NULL, *dw = NULL, *db = NULL;
    PyObject *res = NULL;
    g = vq_input_nd(go, t, "batch_norm_backward g (the shape of x)", PyArray_NDIM(x),
                    PyArray_DIMS(x));
    if (!g || channel_vec(wo, t, C, "batch_norm_backward weight [C]", &w) ||
        channel_vec(mo, t, C, "batch_norm_backward mean [C]", &m) ||
        channel_vec(vo, t, C, "batch_norm_backward var [C]", &v))
        goto done;
    if (!m || !v) {
        PyErr_SetString(PyExc_ValueError, "batch_norm_backward needs mean and var");
        goto done;
    }
    if (need_dx && !(dx = (PyArrayObject *)PyArray_SimpleNew(PyArray_NDIM(x), PyArray_DIMS(x), t)))
        goto done;
    if (need_dw && w && !(dw = (PyArrayObject *)PyArray_SimpleNew(1, &C, t))) goto done;
    if (need_db && !(db = (PyArrayObject *)PyArray_SimpleNew(1, &C, t))) goto done;
    if (C > 0 && (dx || dw || db)) {
        const void *wd = w ? PyArray_DATA(w) : NULL;
        void *dxd = dx ? PyArray_DATA(dx) : NULL, *dwd = dw ? PyArray_DATA(dw) : NULL,
             *dbd = db ? PyArray_DATA(db) : NULL;
        Py_BEGIN_ALLOW_THREADS
        if (t == NPY_FLOAT)
            bn_bwd_f32(PyArray_DATA(g), PyArray_DATA(x), wd, PyArray_DATA(m), PyArray_DATA(v),
                       dxd, dwd, dbd, N, C, L, eps, training);
        else
            bn_bwd_f64(PyArray_DATA(g), PyArray_DATA(x), wd, PyArray_DATA(m), PyArray_DATA(v),
                       dxd, dwd, dbd, N, C, L, eps, training);
        Py_END_ALLOW_THREADS
    }
    res = Py_BuildValue("(OOO)", dx ? (PyObject *)dx : Py_None, dw ? (PyObject *)dw : Py_None,
                        db ? (PyObject *)db : Py_None);
done:
    Py_DECREF(x);
    Py_XDECREF(g); Py_XDECREF(w); Py_XDECREF(m); Py_XDECREF(v);
    Py_XDECREF(dx); Py_XDECREF(dw); Py_XDECREF(db);
    return res;
}
