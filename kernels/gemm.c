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

/* Rows r..r+rows-1 (rows <= 4; a_q for q >= rows repeat a row and are not stored), columns
 * [col, col + 8) of C = A B, with B's row k of this panel at b + k * ldb. Everything stays in
 * locals: the kernel may run inside tfjs's memory, where it must not use a stack. */
static inline void tile(const float *a0, const float *a1, const float *a2, const float *a3,
                        const float *b, i32 ldb, i32 K, float *c, i32 ldc, i32 rows, i32 wide) {
  v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00;
  v128_t c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (i32 k = 0; k < K; k++) {
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
  wasm_v128_store(c, c00);
  if (wide) wasm_v128_store(c + 4, c01);
  if (rows > 1) { wasm_v128_store(c + ldc, c10); if (wide) wasm_v128_store(c + ldc + 4, c11); }
  if (rows > 2) { wasm_v128_store(c + 2 * ldc, c20); if (wide) wasm_v128_store(c + 2 * ldc + 4, c21); }
  if (rows > 3) { wasm_v128_store(c + 3 * ldc, c30); if (wide) wasm_v128_store(c + 3 * ldc + 4, c31); }
}

/* C (m x n) = A[idx] B for B laid out in 8-column panels, panel p at b + p * pstride and its
 * row k at + k * ldb; row r of C uses row idx[r] of A (row r when idx is null). A row-major B
 * has pstride 8 and ldb n; a packed one (gemm_pack_b) pstride K * 8 and ldb 8. Reading B in
 * place costs little while a panel stays in L1 or L2 (a 64 x 64 weight, or K x 8 floats). */
static void gemm(const float *a, const i32 *idx, i32 m, i32 K, const float *b, i32 pstride, i32 ldb,
                 i32 n, float *c) {
  i32 panels = (n + NR - 1) / NR;
  for (i32 r0 = 0; r0 < m; r0 += RB) {
    i32 r1 = m - r0 < RB ? m : r0 + RB;
    for (i32 p = 0; p < panels; p++) {
      for (i32 r = r0; r < r1; r += 4) {
        i32 rows = r1 - r < 4 ? r1 - r : 4;
        i32 q1 = rows > 1 ? r + 1 : r, q2 = rows > 2 ? r + 2 : r, q3 = rows > 3 ? r + 3 : r;
        const float *a0 = a + (idx ? idx[r] : r) * K, *a1 = a + (idx ? idx[q1] : q1) * K;
        const float *a2 = a + (idx ? idx[q2] : q2) * K, *a3 = a + (idx ? idx[q3] : q3) * K;
        tile(a0, a1, a2, a3, b + p * pstride, ldb, K, c + r * n + p * NR, n, rows, p * NR + 4 < n);
      }
    }
  }
}

/* C (m x n) = A[idx] B with B packed by gemm_pack_b. */
EXPORT("gemm_nn") void gemm_nn(const float *a, const i32 *idx, i32 m, i32 K, const float *packed, i32 n, float *c) {
  gemm(a, idx, m, K, packed, K * NR, NR, n, c);
}

/* C (m x n) = A B with both row-major (n a multiple of 4). */
EXPORT("gemm_nn_rowmajor") void gemm_nn_rowmajor(const float *a, i32 m, i32 K, const float *b, i32 n, float *c) {
  gemm(a, 0, m, K, b, NR, n, n, c);
}
