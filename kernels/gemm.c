/*
 * C (m x n) = A[idx] B for a fixed feature matrix A (rows of K floats) and a narrow B (K x n,
 * n = 64 in every model here), packed into panels of 8 columns by gemm_pack_b. Used by
 * lib/engine/fixed-gemm.ts for both directions of a linear layer over fixed features: the
 * forward product F[rows] W, and the weight gradient F[rows]^T dY as (F^T)[...] dY on a
 * transposed copy (kernels/dense.c gather_transpose).
 *
 * Each output element is one float32 sum in k order (no fused multiply-add: the build uses
 * -ffp-contract=off), the same bits as tfjs-backend-wasm's matMul, whichever thread computes it.
 * Register tiles are 4 rows x 8 columns (two f32x4 per row): V8 leaves 15 xmm registers to wasm
 * SIMD, and larger tiles spill accumulators (kernels/rank.c measured the same). Blocking k
 * (to keep a block of B in L2) measured slower here than one pass over all of k; blocks of RB
 * rows read each panel of B once per block instead of once per 4 rows.
 */
#include <wasm_simd128.h>

typedef int i32;
#define EXPORT(name) __attribute__((export_name(name)))

#define NR 8    /* columns per panel */
#define RB 128  /* rows whose A rows stay in L2 while every panel of B passes over them */

/* Floats gemm_pack_b writes for a K x n matrix. */
EXPORT("gemm_packed_floats") i32 gemm_packed_floats(i32 K, i32 n) {
  return K * ((n + NR - 1) / NR * NR);
}

/* packed[p * K * NR + k * NR + j] = b[k * n + p * NR + j], zero beyond n. */
EXPORT("gemm_pack_b") void gemm_pack_b(const float *b, i32 K, i32 n, float *packed) {
  i32 panels = (n + NR - 1) / NR;
  for (i32 p = 0; p < panels; p++) {
    float *dst = packed + p * K * NR;
    for (i32 k = 0; k < K; k++) {
      for (i32 j = 0; j < NR; j++) {
        i32 col = p * NR + j;
        dst[k * NR + j] = col < n ? b[k * n + col] : 0.0f;
      }
    }
  }
}

/* acc (4 x 8) += a_r[0..K) . panel[0..K) for the four rows a_r. */
static void nn_tile(const float *a0, const float *a1, const float *a2, const float *a3,
                    const float *panel, i32 K, v128_t acc[4][2]) {
  v128_t c00 = acc[0][0], c01 = acc[0][1], c10 = acc[1][0], c11 = acc[1][1];
  v128_t c20 = acc[2][0], c21 = acc[2][1], c30 = acc[3][0], c31 = acc[3][1];
  for (i32 k = 0; k < K; k++) {
    v128_t b0 = wasm_v128_load(panel + k * NR);
    v128_t b1 = wasm_v128_load(panel + k * NR + 4);
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
  acc[0][0] = c00; acc[0][1] = c01; acc[1][0] = c10; acc[1][1] = c11;
  acc[2][0] = c20; acc[2][1] = c21; acc[3][0] = c30; acc[3][1] = c31;
}

/* Stores columns [col, col + 8) of `rows` rows of C (row stride n); columns past n are skipped. */
static void store_tile(float *c, i32 n, i32 row0, i32 rows, i32 col, v128_t acc[4][2]) {
  for (i32 r = 0; r < rows; r++) {
    float *dst = c + (row0 + r) * n + col;
    wasm_v128_store(dst, acc[r][0]);
    if (col + 4 < n) wasm_v128_store(dst + 4, acc[r][1]);
  }
}

/* C (m x n) = A[idx] B: row r of C uses row idx[r] of A (row r when idx is null). */
EXPORT("gemm_nn") void gemm_nn(const float *a, const i32 *idx, i32 m, i32 K,
                               const float *packed, i32 n, float *c) {
  i32 panels = (n + NR - 1) / NR;
  v128_t acc[4][2];
  for (i32 r0 = 0; r0 < m; r0 += RB) {
    i32 r1 = m - r0 < RB ? m : r0 + RB;
    for (i32 p = 0; p < panels; p++) {
      for (i32 r = r0; r < r1; r += 4) {
        i32 rows = r1 - r < 4 ? r1 - r : 4;
        const float *ar[4];
        for (i32 q = 0; q < 4; q++) {
          i32 row = r + (q < rows ? q : 0);
          ar[q] = a + (idx ? idx[row] : row) * K;
        }
        for (i32 q = 0; q < 4; q++) acc[q][0] = acc[q][1] = wasm_f32x4_splat(0.0f);
        nn_tile(ar[0], ar[1], ar[2], ar[3], packed + p * K * NR, K, acc);
        store_tile(c, n, r, rows, p * NR, acc);
      }
    }
  }
}
