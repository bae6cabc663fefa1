/*
 * The register tile shared by kernels/gemm.c and kernels/rank.c: four rows a_r of A against
 * one 8-column panel of B (row k at b + k * ldb), k = 0..K-1, each of the 4 x 8 sums in k order
 * without fused multiply-add. 4 x 8 was as fast as or faster than 2x16, 3x12, 4x12, 5x8 and 6x8
 * here: V8 leaves 15 xmm registers to wasm SIMD, and larger tiles spill accumulators.
 * Always inlined, so the accumulators stay in locals (gemm.c runs inside tfjs's memory and must
 * not use a stack).
 */
#include <wasm_simd128.h>

typedef struct { v128_t lo[4], hi[4]; } Tile4x8;

static inline __attribute__((always_inline)) Tile4x8 tile4x8(
    const float *a0, const float *a1, const float *a2, const float *a3, const float *b, int ldb, int K) {
  v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00;
  v128_t c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int k = 0; k < K; k++) {
    v128_t b0 = wasm_v128_load(b + k * ldb);
    v128_t b1 = wasm_v128_load(b + k * ldb + 4);
    v128_t a = wasm_v128_load32_splat(a0 + k);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a, b1));
    a = wasm_v128_load32_splat(a1 + k);
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a, b0));
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a, b1));
    a = wasm_v128_load32_splat(a2 + k);
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a, b0));
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a, b1));
    a = wasm_v128_load32_splat(a3 + k);
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a, b0));
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a, b1));
  }
  Tile4x8 t = {{c00, c10, c20, c30}, {c01, c11, c21, c31}};
  return t;
}
