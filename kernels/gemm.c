/*
 * C (m x n) = A[idx] B for a fixed feature matrix A (rows of K floats) and a narrow B (K x n,
 * n = 64 in every model here), packed into panels of 8 columns by gemm_pack_b. Used by
 * lib/engine/fixed-gemm.ts for both directions of a linear layer over fixed features: the
 * forward product F[rows] W, and the weight gradient F[rows]^T dY as (F^T)[...] dY on a
 * transposed copy (kernels/dense.c gather_transpose).
 *
 * Each output element is one float32 sum in k order (no fused multiply-add: the build uses
 * -ffp-contract=off), the same bits as tfjs-backend-wasm's matMul, whichever thread computes it.
 * Register tiles are 4 rows x 8 columns (kernels/tile4x8.h, shared with rank.c). Blocking k
 * (to keep a block of B in L2) measured slower here than one pass over all of k; blocks of RB
 * rows read each panel of B once per block instead of once per 4 rows.
 */
#include "tile4x8.h"

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

/* Stores rows r..r+rows-1 (rows <= 4) of a tile at c (row stride ldc); the upper 4 columns only when `wide`. */
static inline __attribute__((always_inline)) void store_tile(Tile4x8 t, float *c, i32 ldc, i32 rows, i32 wide) {
  /* Constant indices only: a variable one would put the tile on a stack. */
  wasm_v128_store(c, t.lo[0]);
  if (wide) wasm_v128_store(c + 4, t.hi[0]);
  if (rows > 1) { wasm_v128_store(c + ldc, t.lo[1]); if (wide) wasm_v128_store(c + ldc + 4, t.hi[1]); }
  if (rows > 2) { wasm_v128_store(c + 2 * ldc, t.lo[2]); if (wide) wasm_v128_store(c + 2 * ldc + 4, t.hi[2]); }
  if (rows > 3) { wasm_v128_store(c + 3 * ldc, t.lo[3]); if (wide) wasm_v128_store(c + 3 * ldc + 4, t.hi[3]); }
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
        store_tile(tile4x8(a0, a1, a2, a3, b + p * pstride, ldb, K), c + r * n + p * NR, n, rows, p * NR + 4 < n);
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
