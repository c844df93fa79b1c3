/* Shared declarations of the vqnet_cpu extension.
 *
 * Conventions (every entry point follows them, so no Python input can crash the process):
 *  - inputs are validated: ndarray type, exact dtype, ndim, shape consistency; anything else
 *    raises TypeError / ValueError naming the argument;
 *  - inputs are only read; misaligned or (where a kernel needs it) non-contiguous inputs are
 *    copied first, so views, overlapping or aliased arguments are all harmless;
 *  - every output is a fresh array allocated here (never an input written in place);
 *  - sizes are products checked for overflow before allocation;
 *  - the GIL is released around the compute loops, which never call back into Python. */
#ifndef VQNET_CPU_COMMON_H
#define VQNET_CPU_COMMON_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#define PY_ARRAY_UNIQUE_SYMBOL vqnet_cpu_ARRAY_API
#ifndef VQCPU_MODULE_C
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

#include <math.h>
#include <stdint.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* thread count used by every parallel region (set_num_threads) */
extern int vqcpu_nthreads;

/* loops smaller than this run on one thread (fork/join costs more than it saves) */
#define VQCPU_PAR_MIN 32768
#define VQCPU_PAR_MIN_MEM (1 << 18)

#define VQ_PRAGMA(x) _Pragma(#x)
#ifdef _OPENMP
#define PAR_FOR(n) VQ_PRAGMA(omp parallel for schedule(static) num_threads(vqcpu_nthreads) if((n) >= VQCPU_PAR_MIN))
/* memory-bound data movement (im2col, pooling, ...): a fork/join only pays for large arrays,
 * and on a busy 2-core machine each one risks waiting a scheduler tick for the second core */
#define PAR_FOR_MEM(n) VQ_PRAGMA(omp parallel for schedule(static) num_threads(vqcpu_nthreads) if((n) >= VQCPU_PAR_MIN_MEM))
#define PAR_FOR_ALWAYS VQ_PRAGMA(omp parallel for schedule(static) num_threads(vqcpu_nthreads))
/* a parallel region (for per-thread setup such as VQ_FTZ_ON) whose loop is marked OMP_FOR */
#define PAR_REGION(n) VQ_PRAGMA(omp parallel num_threads(vqcpu_nthreads) if((n) >= VQCPU_PAR_MIN))
#define OMP_FOR VQ_PRAGMA(omp for schedule(static))
#define OMP_FOR_SIMD VQ_PRAGMA(omp for simd schedule(static))
#define PAR_FOR_DYN(n) VQ_PRAGMA(omp parallel for schedule(dynamic, 1) num_threads(vqcpu_nthreads) if((n) > 1))
#else
#define PAR_FOR(n)
#define PAR_FOR_MEM(n)
#define PAR_FOR_ALWAYS
#define PAR_REGION(n)
#define OMP_FOR
#define OMP_FOR_SIMD
#define PAR_FOR_DYN(n)
#endif

/* Compute loops that gain from wider vectors get an AVX2 clone next to the baseline build,
 * picked at load time by the CPU (GCC's function multi-versioning; a no-op elsewhere). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VQ_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VQ_SIMD_CLONES
#endif

/* Flush-to-zero and denormals-are-zero for the calling thread, restored after. The optimizer
 * updates run under it: moments that decay for thousands of steps under zero gradients turn
 * subnormal, and every subnormal operation costs ~100x (measured: an Adam step on 16k floats
 * 59 us -> 3.5 ms). The values lost are below 1.2e-38 (float32) / 2.2e-308 (float64). */
#if defined(__x86_64__) || defined(__SSE2__)
#include <xmmintrin.h>
#define VQ_FTZ_ON(saved) const unsigned int saved = _mm_getcsr(); _mm_setcsr(saved | 0x8040u)
#define VQ_FTZ_OFF(saved) _mm_setcsr(saved)
#else
#define VQ_FTZ_ON(saved) const int saved = 0
#define VQ_FTZ_OFF(saved) (void)(saved)
#endif

/* a checked product of non-negative sizes; returns -1 (and sets ValueError) on overflow */
npy_intp vq_mul(npy_intp a, npy_intp b, const char *what);

/* dtype of a float array: NPY_FLOAT / NPY_DOUBLE, else -1 */
static inline int vq_float_type(PyArrayObject *a) {
    int t = PyArray_TYPE(a);
    return (t == NPY_FLOAT || t == NPY_DOUBLE) ? t : -1;
}

/* A new reference to `obj` as an aligned ndarray of exactly `typenum` (no casting: a wrong
 * dtype raises TypeError). contiguous=1 additionally asks for C order (copying if needed).
 * typenum = -1 accepts float32 or float64. Returns NULL with an exception set on failure. */
PyArrayObject *vq_input(PyObject *obj, int typenum, const char *name, int contiguous);

/* like vq_input but also checks ndim (and, for dims[i] >= 0, each size) */
PyArrayObject *vq_input_nd(PyObject *obj, int typenum, const char *name, int ndim,
                           const npy_intp *dims);

/* parse a Python sequence of exactly n ints into out[] (each >= minval) */
int vq_int_tuple(PyObject *seq, int n, npy_intp *out, npy_intp minval, const char *name);

const char *vq_type_name(int typenum);

/* entry points (one file each) */
PyObject *vq_unary(PyObject *self, PyObject *args);
PyObject *vq_binary(PyObject *self, PyObject *args);
PyObject *vq_where(PyObject *self, PyObject *args);
PyObject *vq_reduce(PyObject *self, PyObject *args);
PyObject *vq_im2col(PyObject *self, PyObject *args);
PyObject *vq_col2im(PyObject *self, PyObject *args);
PyObject *vq_rows_to_nchw(PyObject *self, PyObject *args);
PyObject *vq_nchw_to_rows(PyObject *self, PyObject *args);
PyObject *vq_conv2d_direct(PyObject *self, PyObject *args);
PyObject *vq_conv2d_direct_bw(PyObject *self, PyObject *args);
PyObject *vq_max_pool2d(PyObject *self, PyObject *args);
PyObject *vq_max_pool2d_backward(PyObject *self, PyObject *args);
PyObject *vq_avg_pool2d(PyObject *self, PyObject *args);
PyObject *vq_avg_pool2d_backward(PyObject *self, PyObject *args);
PyObject *vq_batch_norm(PyObject *self, PyObject *args);
PyObject *vq_batch_norm_backward(PyObject *self, PyObject *args);
PyObject *vq_relu_backward(PyObject *self, PyObject *args);
PyObject *vq_softmax_xent(PyObject *self, PyObject *args);
PyObject *vq_softmax_xent_backward(PyObject *self, PyObject *args);
PyObject *vq_sgd_step(PyObject *self, PyObject *args);
PyObject *vq_adam_step(PyObject *self, PyObject *args);
PyObject *vq_sv_apply(PyObject *self, PyObject *args);
PyObject *vq_sv_expval_pauli(PyObject *self, PyObject *args);
PyObject *vq_sv_overlap(PyObject *self, PyObject *args);
PyObject *vq_sv_gather(PyObject *self, PyObject *args);
PyObject *vq_sv_apply_affine(PyObject *self, PyObject *args);
PyObject *vq_sv_apply_seq(PyObject *self, PyObject *args);
PyObject *vq_sv_adjoint_seq(PyObject *self, PyObject *args);

/* op codes shared with vqnet_cpu/_backend.py (keep in sync: _ext.UNARY_OPS etc.) */
enum { U_NEG, U_ABS, U_SIGN, U_EXP, U_LOG, U_LOG1P, U_EXPM1, U_SQRT, U_SIN, U_COS, U_TAN,
       U_ASIN, U_ACOS, U_ATAN, U_SINH, U_COSH, U_TANH, U_ASINH, U_ACOSH, U_ATANH, U_ERF,
       U_FLOOR, U_CEIL, U_ROUND, U_TRUNC, U_SIGMOID, U_RECIPROCAL, U_SQUARE, U_RELU, U_COUNT };
enum { B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAXIMUM, B_MINIMUM, B_ATAN2,
       B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE, B_COUNT };
#define B_FIRST_CMP B_EQ
enum { R_SUM, R_PROD, R_MAX, R_MIN, R_COUNT };

#endif
