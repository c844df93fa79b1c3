/* The passes of sv_seq.c for one instruction set: built once plainly (suffix _base) and, on
 * x86-64, once more with -mavx2 -mfma and SV_ISA_AVX2 defined (suffix _avx2; meson.build).
 * A whole translation unit per ISA rather than VQ_SIMD_CLONES (common.h) on the pass: the
 * clone left FMA contraction off and measured 1.6x slower on the W2 gate runs. */
#include "sv_seq.h"

#include <stdlib.h>

#ifdef SV_ISA_AVX2
#define SV_C64 c64_avx2
#define SV_C128 c128_avx2
#else
#define SV_C64 c64_base
#define SV_C128 c128_base
#endif

#define T float
#define SUF SV_C64
#include "sv_seq_tmpl.h"
#undef T
#undef SUF
#define T double
#define SUF SV_C128
#include "sv_seq_tmpl.h"
#undef T
#undef SUF
