/* Gate sequences on batched states, cache-blocked: sv_apply_seq (the forward pass) and
 * sv_adjoint_seq (the adjoint sweep: ket and conjugated bra together, with the overlap of
 * every trainable gate).
 *
 * One gate per pass over a large state is memory-bound. Here consecutive gates are grouped
 * into passes whose wires, plus the lowest bits of the index, fit in a block of 2^BLK_BITS
 * amplitudes: every block (all indices with the other bits fixed) is gathered once into a
 * per-thread buffer, all the pass's gates run on it while it is in cache, and it is written
 * back. A layer of one-qubit gates on 16-20 wires is two passes instead of 16-20. */
#include "common.h"
#include "sv.h"
#include "sv_seq.h"

#include <stdlib.h>
#include <string.h>

/* amplitudes of a block: 2^13 complex128 = 128 KiB per state, ket + bra fit in L2 */
#define BLK_BITS 13
/* bits at the bottom of the index always in the block: runs of >= 8 contiguous amplitudes */
#define LOW_BITS 3
/* blocks of a row are summed in at most this many fixed chunks (the overlap's partial sums) */
#define MAX_CHUNKS 64

/* the passes, compiled once per instruction set (sv_seq_isa.c) */
int sv_seq_pass_c64_base(SV_PASS_ARGS(float));
int sv_seq_pass_c128_base(SV_PASS_ARGS(double));
#ifdef VQCPU_HAVE_AVX2
int sv_seq_pass_c64_avx2(SV_PASS_ARGS(float));
int sv_seq_pass_c128_avx2(SV_PASS_ARGS(double));
#endif

/* AVX2 + FMA where the CPU has them (checked once at run time) */
static int use_avx2(void) {
#ifdef VQCPU_HAVE_AVX2
    static int v = -1;
    if (v < 0) v = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return v;
#else
    return 0;
#endif
}

static int seq_pass(int type, const void *kin, void *kout, npy_intp ks, const void *bin,
                    void *bout, npy_intp bs, npy_intp Bo, npy_intp N, const sv_layout *L,
                    const sv_gate *g, int G, double *part, int nsl, npy_intp cpr) {
#ifdef VQCPU_HAVE_AVX2
    if (use_avx2())
        return type == NPY_CFLOAT
            ? sv_seq_pass_c64_avx2(kin, kout, ks, bin, bout, bs, Bo, N, L, g, G, part, nsl, cpr)
            : sv_seq_pass_c128_avx2(kin, kout, ks, bin, bout, bs, Bo, N, L, g, G, part, nsl, cpr);
#endif
    return type == NPY_CFLOAT
        ? sv_seq_pass_c64_base(kin, kout, ks, bin, bout, bs, Bo, N, L, g, G, part, nsl, cpr)
        : sv_seq_pass_c128_base(kin, kout, ks, bin, bout, bs, Bo, N, L, g, G, part, nsl, cpr);
}


/* the low bits every block holds, as a mask */
static npy_intp low_mask(int n) {
    int lb = n < LOW_BITS ? n : LOW_BITS;
    return ((npy_intp)1 << lb) - 1;
}

static int popcount(npy_intp x) { return __builtin_popcountll((unsigned long long)x); }

/* The layout of a pass whose gates use the bits in `mask`: those, the low bits, then the
 * lowest remaining bits up to BLK_BITS (or all n). Fills the gates' block strides. */
static int make_layout(sv_layout *L, int n, npy_intp mask, sv_gate *g, int G) {
    int want = n < BLK_BITS ? n : BLK_BITS;
    mask |= low_mask(n);
    for (int b = 0; b < n && popcount(mask) < want; b++) mask |= (npy_intp)1 << b;
    int local[64], m = 0;
    L->nrest = 0;
    for (int b = 0; b < n; b++) {
        if (mask >> b & 1) local[m++] = b;
        else L->rest[L->nrest++] = b;
    }
    int c = 0;
    while (c < m && local[c] == c) c++;
    L->run = (npy_intp)1 << c;
    L->nh = (npy_intp)1 << (m - c);
    L->nblocks = (npy_intp)1 << L->nrest;
    L->hoff = malloc(sizeof(npy_intp) * (size_t)L->nh);
    if (!L->hoff) return -1;
    for (npy_intp h = 0; h < L->nh; h++) L->hoff[h] = sv_deposit(h, local + c, m - c);
    for (int j = 0; j < G; j++)
        for (int i = 0; i < g[j].k; i++) {
            int li = 0;
            while (local[li] != g[j].p[i]) li++;
            *(i ? &g[j].s1 : &g[j].s0) = (npy_intp)1 << li;
        }
    return 0;
}

/* The gates parsed from a list of (wires, mat) (forward) or (wires, mket, mbra, want)
 * (adjoint) tuples; every matrix is checked (dtype, [B, d, d], batch 1 or Bo) and kept alive
 * in `held`. *Bo is updated with every batch; *nslots counts the wanted overlaps. */
static sv_gate *parse_gates(PyObject *seq, int n, int type, int adjoint, npy_intp *Bo,
                            PyObject *held, int *G, int *nslots, const char *who) {
    PyObject *f = PySequence_Fast(seq, "");
    if (!f) {
        PyErr_Format(PyExc_TypeError, "%s: gates must be a sequence of tuples", who);
        return NULL;
    }
    Py_ssize_t ng = PySequence_Fast_GET_SIZE(f);
    sv_gate *g = calloc(ng ? (size_t)ng : 1, sizeof(sv_gate));
    if (!g) {
        Py_DECREF(f);
        PyErr_NoMemory();
        return NULL;
    }
    const int width = adjoint ? 4 : 2;
    *nslots = 0;
    for (Py_ssize_t j = 0; j < ng; j++) {
        PyObject *it = PySequence_Fast_GET_ITEM(f, j);
        if (!PyTuple_Check(it) || PyTuple_GET_SIZE(it) != width) {
            PyErr_Format(PyExc_TypeError, "%s: gate %zd must be a tuple %s", who, j,
                         adjoint ? "(wires, mat_ket, mat_bra, want_overlap)" : "(wires, mat)");
            goto fail;
        }
        int w[2];
        if (sv_wires(PyTuple_GET_ITEM(it, 0), n, &g[j].k, w, who)) goto fail;
        for (int i = 0; i < g[j].k; i++) g[j].p[i] = n - 1 - w[i];
        npy_intp d = (npy_intp)1 << g[j].k, dims[3] = {-1, d, d};
        for (int side = 0; side < (adjoint ? 2 : 1); side++) {
            PyArrayObject *m = vq_input_nd(PyTuple_GET_ITEM(it, 1 + side), type,
                                           "gate matrix [B, d, d] (the state's dtype)", 3, dims);
            if (!m) goto fail;
            int rc = PyList_Append(held, (PyObject *)m);
            Py_DECREF(m);
            if (rc) goto fail;
            npy_intp bm = PyArray_DIM(m, 0);
            if ((*Bo = sv_batch(*Bo, bm, who)) < 0) goto fail;
            npy_intp step = bm > 1 ? 2 * d * d : 0;
            if (side) { g[j].mb = PyArray_DATA(m); g[j].mbs = step; }
            else { g[j].mk = PyArray_DATA(m); g[j].mks = step; }
        }
        g[j].slot = -1;
        if (adjoint) {
            int want = PyObject_IsTrue(PyTuple_GET_ITEM(it, 3));
            if (want < 0) goto fail;
            if (want) g[j].slot = (*nslots)++;
        }
    }
    Py_DECREF(f);
    *G = (int)ng;
    return g;
fail:
    Py_DECREF(f);
    free(g);
    return NULL;
}

/* Runs the gates as passes (greedy runs of consecutive gates whose bits fit in a block).
 * kin/bin: inputs (row steps ks/bs), kout/bout: outputs of Bo rows. R: the wanted overlaps,
 * [nslots][Bo][2 d d] complex in the state's dtype. Called without the GIL. */
static int run_passes(int type, int n, const void *kin, npy_intp ks, void *kout, const void *bin,
                      npy_intp bs, void *bout, npy_intp Bo, sv_gate *g, int G, void **R) {
    const npy_intp N = (npy_intp)1 << n;
    const int want = n < BLK_BITS ? n : BLK_BITS;
    int rc = 0, start = 0;
    if (G == 0) { /* a copy */
        size_t row = (size_t)N * (type == NPY_CDOUBLE ? 16 : 8);
        for (npy_intp b = 0; b < Bo; b++) {
            if (kout != kin) memcpy((char *)kout + row * b, (const char *)kin + row * b * ks, row);
            if (bin && bout != bin)
                memcpy((char *)bout + row * b, (const char *)bin + row * b * bs, row);
        }
        return 0;
    }
    while (start < G && !rc) {
        npy_intp mask = low_mask(n);
        int end = start, slot0 = -1, nsl = 0;
        while (end < G) {
            npy_intp add = (npy_intp)1 << g[end].p[0];
            if (g[end].k == 2) add |= (npy_intp)1 << g[end].p[1];
            if (end > start && popcount(mask | add) > want) break;
            mask |= add;
            if (g[end].slot >= 0) { if (slot0 < 0) slot0 = g[end].slot; nsl++; }
            end++;
        }
        sv_layout L;
        if (make_layout(&L, n, mask, g + start, end - start)) return -1;
        npy_intp cpr = L.nblocks < MAX_CHUNKS ? L.nblocks : MAX_CHUNKS;
        double *part = NULL;
        /* the pass's gates refer to slots slot0.. slot0+nsl-1: shift them to 0.. */
        for (int j = start; j < end; j++) if (g[j].slot >= 0) g[j].slot -= slot0;
        if (nsl) part = calloc((size_t)(Bo * cpr) * (size_t)nsl * 32, sizeof(double));
        if (nsl && !part) rc = -1;
        else rc = seq_pass(type, kin, kout, ks, bin, bout, bs, Bo, N, &L, g + start,
                           end - start, part, nsl, cpr);
        for (int j = start; j < end && !rc; j++) {
            if (g[j].slot < 0) continue;
            const int dd2 = 2 << (2 * g[j].k); /* 2 d d components */
            for (npy_intp b = 0; b < Bo; b++)
                for (int q = 0; q < dd2; q++) {
                    double sum = 0;
                    for (npy_intp c = 0; c < cpr; c++)
                        sum += part[((size_t)(b * cpr + c) * nsl + g[j].slot) * 32 + q];
                    if (type == NPY_CFLOAT) ((float *)R[slot0 + g[j].slot])[b * dd2 + q] = (float)sum;
                    else ((double *)R[slot0 + g[j].slot])[b * dd2 + q] = sum;
                }
        }
        free(part);
        free(L.hoff);
        /* later passes work in place on the output */
        kin = kout; ks = 1;
        if (bin) { bin = bout; bs = 1; }
        start = end;
    }
    return rc;
}

/* Whether `a` (the array parsed from the caller's object `o`) may be written as the output of
 * Bo rows: the caller's own array (no converted copy), C-contiguous, aligned and writeable,
 * with all Bo rows, and owning its memory (no base, or one of sv_new's blocks) -- so no view
 * of it and no other argument can overlap it. */
static int sv_overlaps(PyArrayObject *a, PyArrayObject *b) {
    const char *x = PyArray_BYTES(a), *y = PyArray_BYTES(b);
    return x < y + PyArray_NBYTES(b) && y < x + PyArray_NBYTES(a);
}

/* ... and whose bytes no other input (`other`, every matrix in `held`; all C-contiguous after
 * parsing) overlaps */
static int sv_reusable(PyArrayObject *a, PyObject *o, npy_intp Bo, PyArrayObject *other,
                       PyObject *held) {
    if ((PyObject *)a != o || PyArray_DIM(a, 0) != Bo) return 0;
    if (!PyArray_ISCARRAY(a) || !PyArray_ISWRITEABLE(a)) return 0;
    PyObject *base = PyArray_BASE(a);
    if (base != NULL && !PyCapsule_CheckExact(base)) return 0;
    if (other && sv_overlaps(a, other)) return 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(held); i++)
        if (sv_overlaps(a, (PyArrayObject *)PyList_GET_ITEM(held, i))) return 0;
    return 1;
}

static PyObject *seq_entry(PyObject *args, int adjoint) {
    const char *who = adjoint ? "sv_adjoint_seq" : "sv_apply_seq";
    PyObject *ko, *bo = NULL, *no, *go;
    int inplace = 0;
    if (adjoint ? !PyArg_ParseTuple(args, "OOOO|p:sv_adjoint_seq", &ko, &bo, &no, &go, &inplace)
                : !PyArg_ParseTuple(args, "OOO|p:sv_apply_seq", &ko, &no, &go, &inplace))
        return NULL;
    int n, G = 0, nslots = 0;
    if (sv_nwires(no, who, &n)) return NULL;
    PyArrayObject *ket = sv_state(ko, -1, n, adjoint ? "sv_adjoint_seq ket [B, 2^n]"
                                                     : "sv_apply_seq state [B, 2^n]");
    if (!ket) return NULL;
    const int type = PyArray_TYPE(ket);
    PyArrayObject *bra = NULL, *kout = NULL, *bout = NULL;
    PyObject *held = PyList_New(0), *Rs = NULL, *result = NULL;
    sv_gate *g = NULL;
    void **Rp = NULL;
    if (!held) goto done;
    npy_intp Bo = PyArray_DIM(ket, 0);
    if (adjoint) {
        bra = sv_state(bo, type, n, "sv_adjoint_seq brac [B, 2^n] (the ket's dtype)");
        if (!bra || (Bo = sv_batch(Bo, PyArray_DIM(bra, 0), who)) < 0) goto done;
    }
    g = parse_gates(go, n, type, adjoint, &Bo, held, &G, &nslots, who);
    if (!g) goto done;
    const npy_intp N = (npy_intp)1 << n;
    npy_intp odims[2] = {Bo, N};
    if (vq_mul(Bo, N, who) < 0) goto done;
    /* inplace: the caller gives up its states; each one that can hold the result does */
    if (inplace && sv_reusable(ket, ko, Bo, bra, held)) { Py_INCREF(ket); kout = ket; }
    else if (!(kout = sv_new(2, odims, type))) goto done;
    if (adjoint) {
        if (inplace && sv_reusable(bra, bo, Bo, ket, held)) { Py_INCREF(bra); bout = bra; }
        else if (!(bout = sv_new(2, odims, type))) goto done;
    }
    Rs = PyList_New(nslots);
    Rp = calloc(nslots ? (size_t)nslots : 1, sizeof(void *));
    if (!Rs || !Rp) goto done;
    for (int j = 0; j < G; j++) {
        if (g[j].slot < 0) continue;
        npy_intp d = (npy_intp)1 << g[j].k, rd[3] = {Bo, d, d};
        PyObject *r = PyArray_ZEROS(3, rd, type, 0);
        if (!r) goto done;
        PyList_SET_ITEM(Rs, g[j].slot, r);
        Rp[g[j].slot] = PyArray_DATA((PyArrayObject *)r);
    }
    int rc = 0;
    if (Bo > 0) {
        npy_intp ks = PyArray_DIM(ket, 0) > 1, bs = bra ? PyArray_DIM(bra, 0) > 1 : 0;
        Py_BEGIN_ALLOW_THREADS
        rc = run_passes(type, n, PyArray_DATA(ket), ks, PyArray_DATA(kout),
                        bra ? PyArray_DATA(bra) : NULL, bs, bout ? PyArray_DATA(bout) : NULL,
                        Bo, g, G, Rp);
        Py_END_ALLOW_THREADS
    }
    if (rc) {
        PyErr_NoMemory();
        goto done;
    }
    result = adjoint ? Py_BuildValue("(OOO)", kout, bout, Rs) : (Py_INCREF(kout), (PyObject *)kout);
done:
    Py_XDECREF(ket);
    Py_XDECREF(bra);
    Py_XDECREF(kout);
    Py_XDECREF(bout);
    Py_XDECREF(Rs);
    Py_XDECREF(held);
    free(g);
    free(Rp);
    return result;
}

/* sv_apply_seq(state [Bs, 2^n], n, [(wires, mat [Bm, d, d]), ...], inplace=False) -> new state
 * [Bo, 2^n] (inplace: the result may be written into `state`, which the caller gives up) */
PyObject *vq_sv_apply_seq(PyObject *self, PyObject *args) { return seq_entry(args, 0); }

/* sv_adjoint_seq(ket, brac, n, [(wires, mket, mbra, want), ...], inplace=False)
 * -> (ket, brac, [R, ...]) (inplace: as for sv_apply_seq, for both states) */
PyObject *vq_sv_adjoint_seq(PyObject *self, PyObject *args) { return seq_entry(args, 1); }
