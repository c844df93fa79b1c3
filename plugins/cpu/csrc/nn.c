/* conv2d helpers (im2col / col2im / layout changes around the GEMM), the direct convolution
 * for few taps, and max pooling. */
#include "common.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#define VQ_F32_SSE2 1
/* Outputs ow..ow+3 of a float32 2x2 / stride-2 max pool from rows a and b (8 floats each):
 * max and first-maximum tap as in mp_2x2s2. Returns 0 (nothing written) when a window holds
 * a NaN, which the scalar path then handles. Indices are int32 here (caller checks range). */
static inline int mp4_sse2(const float *a, const float *b, float *o, int64_t *ix, npy_intp r0,
                           npy_intp r1, npy_intp ow) {
    __m128 a0 = _mm_loadu_ps(a + 2 * ow), a1 = _mm_loadu_ps(a + 2 * ow + 4);
    __m128 b0 = _mm_loadu_ps(b + 2 * ow), b1 = _mm_loadu_ps(b + 2 * ow + 4);
    __m128 v0 = _mm_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0));
    __m128 v1 = _mm_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1));
    __m128 v2 = _mm_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0));
    __m128 v3 = _mm_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1));
    if (_mm_movemask_ps(_mm_or_ps(_mm_cmpunord_ps(v0, v1), _mm_cmpunord_ps(v2, v3))))
        return 0;
    __m128 m = _mm_max_ps(_mm_max_ps(v0, v1), _mm_max_ps(v2, v3));
    /* tap = v0 == m ? 0 : v1 == m ? 1 : v2 == m ? 2 : 3, from the equality masks */
    const __m128i one = _mm_set1_epi32(1), two = _mm_set1_epi32(2);
    __m128i t = _mm_andnot_si128(_mm_castps_si128(_mm_cmpeq_ps(v2, m)), one);
    t = _mm_andnot_si128(_mm_castps_si128(_mm_cmpeq_ps(v1, m)), _mm_add_epi32(one, t));
    t = _mm_andnot_si128(_mm_castps_si128(_mm_cmpeq_ps(v0, m)), _mm_add_epi32(one, t));
    __m128i lane = _mm_set_epi32(6, 4, 2, 0);
    __m128i base = _mm_add_epi32(_mm_set1_epi32((int)(r0 + 2 * ow)), lane);
    __m128i second_row = _mm_cmpeq_epi32(_mm_and_si128(t, two), two);
    __m128i idx = _mm_add_epi32(_mm_add_epi32(base, _mm_and_si128(t, one)),
                                _mm_and_si128(second_row, _mm_set1_epi32((int)(r1 - r0))));
    _mm_storeu_ps(o + ow, m);
    _mm_storeu_si128((__m128i *)(ix + ow), _mm_unpacklo_epi32(idx, _mm_setzero_si128()));
    _mm_storeu_si128((__m128i *)(ix + ow + 2), _mm_unpackhi_epi32(idx, _mm_setzero_si128()));
    return 1;
}
#endif

#define T float
#define SUF f32
#include "nn_tmpl.h"
#undef T
#undef SUF
#undef VQ_F32_SSE2
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
    npy_intp span_h, span_w; /* dilation * (kernel - 1) + 1, checked: both may be ~2^40 */
    int wraps = __builtin_mul_overflow(g->dh, g->kh - 1, &span_h) |
                __builtin_mul_overflow(g->dw, g->kw - 1, &span_w);
    span_h += 1;
    span_w += 1;
    npy_intp hp = H + g->pt + g->pb, wp = W + g->pl + g->pr;
    if (wraps || hp < span_h || wp < span_w) {
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

/* conv2d_direct(x [N, C, H, W], w [O, C, kh, kw], bias [O] or None, stride, pad4, dil) */
PyObject *vq_conv2d_direct(PyObject *self, PyObject *args) {
    PyObject *xo, *wo, *bo, *s, *p, *d;
    if (!PyArg_ParseTuple(args, "OOOOOO:conv2d_direct", &xo, &wo, &bo, &s, &p, &d)) return NULL;
    PyArrayObject *x = vq_input_nd(xo, -1, "conv2d_direct input x [N, C, H, W]", 4, NULL);
    if (!x) return NULL;
    PyArrayObject *w = NULL, *b = NULL, *out = NULL;
    npy_intp wd[4] = {-1, PyArray_DIM(x, 1), -1, -1};
    if (!(w = vq_input_nd(wo, PyArray_TYPE(x), "conv2d_direct weight [O, C, kh, kw] (dtype "
                          "and channels of x)", 4, wd)))
        goto done;
    npy_intp N = PyArray_DIM(x, 0), C = PyArray_DIM(x, 1), H = PyArray_DIM(x, 2),
             W = PyArray_DIM(x, 3), O = PyArray_DIM(w, 0);
    if (bo != Py_None && !(b = vq_input_nd(bo, PyArray_TYPE(x), "conv2d_direct bias [O]", 1, &O)))
        goto done;
    PyObject *k = Py_BuildValue("(nn)", (Py_ssize_t)PyArray_DIM(w, 2), (Py_ssize_t)PyArray_DIM(w, 3));
    if (!k) goto done;
    geom_t g;
    int bad = parse_geom(k, s, p, d, H, W, &g);
    Py_DECREF(k);
    if (bad) goto done;
    npy_intp dims[4] = {N, O, g.Ho, g.Wo};
    if (vq_mul(vq_mul(N, O, "conv2d_direct"), vq_mul(g.Ho, g.Wo, "conv2d_direct"),
               "conv2d_direct") < 0)
        goto done;
    out = (PyArrayObject *)PyArray_SimpleNew(4, dims, PyArray_TYPE(x));
    if (!out || PyArray_SIZE(out) == 0) goto done;
    const void *bp = b ? PyArray_DATA(b) : NULL;
    Py_BEGIN_ALLOW_THREADS
    if (PyArray_TYPE(x) == NPY_FLOAT)
        conv_direct_f32(PyArray_DATA(x), PyArray_DATA(w), bp, PyArray_DATA(out), N, C, H, W, O,
                        g.kh, g.kw, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw, g.Ho, g.Wo);
    else
        conv_direct_f64(PyArray_DATA(x), PyArray_DATA(w), bp, PyArray_DATA(out), N, C, H, W, O,
                        g.kh, g.kw, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw, g.Ho, g.Wo);
    Py_END_ALLOW_THREADS
done:
    Py_DECREF(x);
    Py_XDECREF(w);
    Py_XDECREF(b);
    return (PyObject *)out;
}

/* conv2d_direct_backward_weight(x, g [N, O, Ho, Wo], kernel, stride, pad4, dil, with_bias)
 * -> (gw [O, C, kh, kw], gb [O] or None) */
PyObject *vq_conv2d_direct_bw(PyObject *self, PyObject *args) {
    PyObject *xo, *go, *k, *s, *p, *d;
    int with_bias;
    if (!PyArg_ParseTuple(args, "OOOOOOp:conv2d_direct_backward_weight", &xo, &go, &k, &s, &p,
                          &d, &with_bias))
        return NULL;
    PyArrayObject *x = vq_input_nd(xo, -1, "conv2d_direct_backward_weight input x [N, C, H, W]",
                                   4, NULL);
    if (!x) return NULL;
    PyArrayObject *g = NULL, *gw = NULL, *gb = NULL, *acc = NULL;
    PyObject *res = NULL;
    npy_intp N = PyArray_DIM(x, 0), C = PyArray_DIM(x, 1), H = PyArray_DIM(x, 2),
             W = PyArray_DIM(x, 3);
    geom_t ge;
    if (parse_geom(k, s, p, d, H, W, &ge)) goto done;
    npy_intp gd[4] = {N, -1, ge.Ho, ge.Wo};
    if (!(g = vq_input_nd(go, PyArray_TYPE(x), "conv2d_direct_backward_weight g [N, O, Ho, Wo] "
                          "(dtype of x, the forward's output shape)", 4, gd)))
        goto done;
    npy_intp O = PyArray_DIM(g, 1);
    npy_intp K = vq_mul(C, vq_mul(ge.kh, ge.kw, "conv2d_direct"), "conv2d_direct");
    npy_intp wdims[4] = {O, C, ge.kh, ge.kw};
    /* scratch rows: W wide in the flat layout (see conv_direct_bw), else Wo */
    npy_intp R = FLAT_OK(H, W, ge.Ho, ge.Wo, ge.kh, ge.kw, ge.sh, ge.sw, ge.pt, ge.pl, ge.dh,
                         ge.dw) ? (ge.Ho - 1) * W + ge.Wo : ge.Wo;
    npy_intp adims[2] = {O, K < 0 ? -1 : vq_mul(K, R, "conv2d_direct") + ge.Wo};
    if (K < 0 || adims[1] < ge.Wo || vq_mul(O, adims[1], "conv2d_direct") < 0) goto done;
    int t = PyArray_TYPE(x);
    if (!(gw = (PyArrayObject *)PyArray_SimpleNew(4, wdims, t)) ||
        !(acc = (PyArrayObject *)PyArray_SimpleNew(2, adims, t)) ||
        (with_bias && !(gb = (PyArrayObject *)PyArray_SimpleNew(1, &O, t))))
        goto done;
    if (PyArray_SIZE(gw) > 0 || gb) {
        void *gbp = gb ? PyArray_DATA(gb) : NULL;
        Py_BEGIN_ALLOW_THREADS
        if (t == NPY_FLOAT)
            conv_direct_bw_f32(PyArray_DATA(x), PyArray_DATA(g), PyArray_DATA(gw), gbp,
                               PyArray_DATA(acc), N, C, H, W, O, ge.kh, ge.kw, ge.sh, ge.sw,
                               ge.pt, ge.pl, ge.dh, ge.dw, ge.Ho, ge.Wo);
        else
            conv_direct_bw_f64(PyArray_DATA(x), PyArray_DATA(g), PyArray_DATA(gw), gbp,
                               PyArray_DATA(acc), N, C, H, W, O, ge.kh, ge.kw, ge.sh, ge.sw,
                               ge.pt, ge.pl, ge.dh, ge.dw, ge.Ho, ge.Wo);
        Py_END_ALLOW_THREADS
    }
    res = Py_BuildValue("(OO)", gw, gb ? (PyObject *)gb : Py_None);
done:
    Py_DECREF(x);
    Py_XDECREF(g);
    Py_XDECREF(gw);
    Py_XDECREF(gb);
    Py_XDECREF(acc);
    return res;
}
