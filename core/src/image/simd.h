/* Eight-lane float vectors for the hot loops of the image code (measure.c,
 * the visual-zone comparison). */
#ifndef DOCEX_IMAGE_SIMD_H
#define DOCEX_IMAGE_SIMD_H

/* The inner loops use the GCC/Clang vector extension (SSE on x86-64, NEON
 * on ARM; a scalar loop finishes the rest).  Eight lanes: two SSE registers in the generic x86-64 build, one AVX2
 * register in the clones DX_SIMD makes of the hot loops (GCC on x86-64: the
 * loader picks the AVX2 clone when the CPU has it, as OpenCV's dispatch
 * does).  The lanes do the same operations in the same order either way,
 * so both clones give the same bits (no FMA: target avx2 only). */
typedef float dx_v8f __attribute__((vector_size(32)));
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__gnu_linux__)
#define DX_SIMD __attribute__((target_clones("avx2", "default")))
#else
#define DX_SIMD
#endif

/* Unaligned loads and stores of eight floats (no function returns a vector:
 * that changes the ABI between the clones). */
typedef float dx_v8f_u __attribute__((vector_size(32), aligned(4), may_alias));
#define V8_LOAD(p) (*(const dx_v8f_u *)(const void *)(p))
#define V8_STORE(p, v) (*(dx_v8f_u *)(void *)(p) = (v))

#endif
