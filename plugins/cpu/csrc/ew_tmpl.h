/* Elementwise inner loops for one float type; included by elementwise.c with
 * T (the C type), SUF (a name suffix) and F(name) (the libm function for T) defined.
 * Each loop runs over n elements with byte strides is[k] (0 = a broadcast scalar);
 * the output is contiguous. */

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)

static inline T CAT(sigmoid, SUF)(T x) {
    if (x >= 0) return (T)1 / ((T)1 + F(exp)(-x));
    T e = F(exp)(x);
    return e / ((T)1 + e);
}

static inline T CAT(sign, SUF)(T x) {
    return x > 0 ? (T)1 : x < 0 ? (T)-1 : x == 0 ? (T)0 : x; /* NaN stays NaN */
}

#define U_LOOP(EXPR)                                              \
    if (sx == (npy_intp)sizeof(T)) {                              \
        const T *xp = (const T *)px;                              \
        for (npy_intp i = 0; i < n; i++) { T x = xp[i]; o[i] = (EXPR); } \
    } else {                                                      \
        for (npy_intp i = 0; i < n; i++) {                        \
            T x = *(const T *)(px + i * sx); o[i] = (EXPR);       \
        }                                                         \
    }                                                             \
    break;

static void CAT(unary, SUF)(int op, char *const *in, const npy_intp *is, char *out,
                            npy_intp n) {
    const char *px = in[0];
    const npy_intp sx = is[0];
    T *o = (T *)out;
    switch (op) {
    case U_NEG: U_LOOP(-x)
    case U_ABS: U_LOOP(F(fabs)(x))
    case U_SIGN: U_LOOP(CAT(sign, SUF)(x))
    case U_EXP: U_LOOP(F(exp)(x))
    case U_LOG: U_LOOP(F(log)(x))
    case U_LOG1P: U_LOOP(F(log1p)(x))
    case U_EXPM1: U_LOOP(F(expm1)(x))
    case U_SQRT: U_LOOP(F(sqrt)(x))
    case U_SIN: U_LOOP(F(sin)(x))
    case U_COS: U_LOOP(F(cos)(x))
    case U_TAN: U_LOOP(F(tan)(x))
    case U_ASIN: U_LOOP(F(asin)(x))
    case U_ACOS: U_LOOP(F(acos)(x))
    case U_ATAN: U_LOOP(F(atan)(x))
    case U_SINH: U_LOOP(F(sinh)(x))
    case U_COSH: U_LOOP(F(cosh)(x))
    case U_TANH: U_LOOP(F(tanh)(x))
    case U_ASINH: U_LOOP(F(asinh)(x))
    case U_ACOSH: U_LOOP(F(acosh)(x))
    case U_ATANH: U_LOOP(F(atanh)(x))
    case U_ERF: U_LOOP(F(erf)(x))
    case U_FLOOR: U_LOOP(F(floor)(x))
    case U_CEIL: U_LOOP(F(ceil)(x))
    case U_ROUND: U_LOOP(F(nearbyint)(x)) /* half to even, like numpy.round */
    case U_TRUNC: U_LOOP(F(trunc)(x))
    case U_SIGMOID: U_LOOP(CAT(sigmoid, SUF)(x))
    case U_RECIPROCAL: U_LOOP((T)1 / x)
    case U_SQUARE: U_LOOP(x * x)
    case U_RELU: U_LOOP(x > 0 ? x : (x == x ? (T)0 : x))
    default: break;
    }
}
#undef U_LOOP

/* one binary op over a row: A(i) and B(i) read the operands, RES the output type */
#define B_ROW(RES, EXPR)                                                          \
    {                                                                             \
        RES *o = (RES *)out;                                                      \
        if (sa == (npy_intp)sizeof(T) && sb == (npy_intp)sizeof(T)) {             \
            const T *ap = (const T *)pa, *bp = (const T *)pb;                     \
            for (npy_intp i = 0; i < n; i++) { T a = ap[i], b = bp[i]; o[i] = (EXPR); } \
        } else if (sa == (npy_intp)sizeof(T) && sb == 0) {                        \
            const T *ap = (const T *)pa; const T b = *(const T *)pb;              \
            for (npy_intp i = 0; i < n; i++) { T a = ap[i]; o[i] = (EXPR); }      \
        } else if (sa == 0 && sb == (npy_intp)sizeof(T)) {                        \
            const T a = *(const T *)pa; const T *bp = (const T *)pb;              \
            for (npy_intp i = 0; i < n; i++) { T b = bp[i]; o[i] = (EXPR); }      \
        } else {                                                                  \
            for (npy_intp i = 0; i < n; i++) {                                    \
                T a = *(const T *)(pa + i * sa), b = *(const T *)(pb + i * sb);   \
                o[i] = (EXPR);                                                    \
            }                                                                     \
        }                                                                         \
    }                                                                             \
    break;

static void CAT(binary, SUF)(int op, char *const *in, const npy_intp *is, char *out,
                             npy_intp n) {
    const char *pa = in[0], *pb = in[1];
    const npy_intp sa = is[0], sb = is[1];
    switch (op) {
    case B_ADD: B_ROW(T, a + b)
    case B_SUB: B_ROW(T, a - b)
    case B_MUL: B_ROW(T, a * b)
    case B_DIV: B_ROW(T, a / b)
    case B_POW: B_ROW(T, F(pow)(a, b))
    /* NaN in either operand propagates, as numpy.maximum / minimum */
    case B_MAXIMUM: B_ROW(T, (a >= b || a != a) ? a : b)
    case B_MINIMUM: B_ROW(T, (a <= b || a != a) ? a : b)
    case B_ATAN2: B_ROW(T, F(atan2)(a, b))
    case B_EQ: B_ROW(npy_bool, a == b)
    case B_NE: B_ROW(npy_bool, a != b)
    case B_LT: B_ROW(npy_bool, a < b)
    case B_LE: B_ROW(npy_bool, a <= b)
    case B_GT: B_ROW(npy_bool, a > b)
    case B_GE: B_ROW(npy_bool, a >= b)
    default: break;
    }
}
#undef B_ROW

static void CAT(where, SUF)(int op, char *const *in, const npy_intp *is, char *out,
                            npy_intp n) {
    const char *pc = in[0], *pa = in[1], *pb = in[2];
    T *o = (T *)out;
    /* contiguous fast paths: both branches are loaded, so the select compiles branch-free
     * (a random mask such as a ReLU's made the branchy loop several times slower) */
    if (is[0] == 1 && is[1] == (npy_intp)sizeof(T) && (is[2] == 0 || is[2] == (npy_intp)sizeof(T))) {
        const npy_bool *c = (const npy_bool *)pc;
        const T *a = (const T *)pa, *b = (const T *)pb;
        if (is[2] == 0) {
            const T bv = *b;
            for (npy_intp i = 0; i < n; i++) { T av = a[i]; o[i] = c[i] ? av : bv; }
        } else {
            for (npy_intp i = 0; i < n; i++) { T av = a[i], bv = b[i]; o[i] = c[i] ? av : bv; }
        }
        return;
    }
    if (is[0] == 1 && is[1] == 0 && is[2] == (npy_intp)sizeof(T)) {
        const npy_bool *c = (const npy_bool *)pc;
        const T av = *(const T *)pa, *b = (const T *)pb;
        for (npy_intp i = 0; i < n; i++) { T bv = b[i]; o[i] = c[i] ? av : bv; }
        return;
    }
    for (npy_intp i = 0; i < n; i++)
        o[i] = *(const npy_bool *)(pc + i * is[0]) ? *(const T *)(pa + i * is[1])
                                                   : *(const T *)(pb + i * is[2]);
}

#undef CAT
#undef CAT_
