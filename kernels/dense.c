/*
 * Dense helpers for the linear layer over a fixed feature matrix (lib/engine/fixed-linear.ts).
 * Like graph.c, this runs inside tfjs-backend-wasm's memory: arguments only, no static data,
 * no stack.
 */
#include <wasm_simd128.h>

typedef int i32;

#define EXPORT __attribute__((visibility("default")))

/* Y (ncols x k) = transpose of the first ncols columns of the k rows X[idx[i]] (or X[i] when
 * idx is null); X's rows are `stride` floats apart. 4 x 4 blocks are transposed in registers;
 * the 4 rows of a block are read in order and the destination lines they touch stay in cache
 * for the next blocks. */
EXPORT void gather_transpose(const float *x, const i32 *idx, float *y, i32 k, i32 ncols, i32 stride) {
  i32 i = 0;
  for (; i + 4 <= k; i += 4) {
    const float *r0 = x + (idx ? idx[i] : i) * stride;
    const float *r1 = x + (idx ? idx[i + 1] : i + 1) * stride;
    const float *r2 = x + (idx ? idx[i + 2] : i + 2) * stride;
    const float *r3 = x + (idx ? idx[i + 3] : i + 3) * stride;
    i32 j = 0;
    for (; j + 4 <= ncols; j += 4) {
      v128_t a = wasm_v128_load(r0 + j), b = wasm_v128_load(r1 + j);
      v128_t c = wasm_v128_load(r2 + j), d = wasm_v128_load(r3 + j);
      v128_t ab_lo = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), ab_hi = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7);
      v128_t cd_lo = wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), cd_hi = wasm_i32x4_shuffle(c, d, 2, 6, 3, 7);
      wasm_v128_store(y + (j + 0) * k + i, wasm_i64x2_shuffle(ab_lo, cd_lo, 0, 2));
      wasm_v128_store(y + (j + 1) * k + i, wasm_i64x2_shuffle(ab_lo, cd_lo, 1, 3));
      wasm_v128_store(y + (j + 2) * k + i, wasm_i64x2_shuffle(ab_hi, cd_hi, 0, 2));
      wasm_v128_store(y + (j + 3) * k + i, wasm_i64x2_shuffle(ab_hi, cd_hi, 1, 3));
    }
    for (; j < ncols; j++) {
      y[j * k + i] = r0[j];
      y[j * k + i + 1] = r1[j];
      y[j * k + i + 2] = r2[j];
      y[j * k + i + 3] = r3[j];
    }
  }
  for (; i < k; i++) {
    const float *r = x + (idx ? idx[i] : i) * stride;
    for (i32 j = 0; j < ncols; j++) y[j * k + i] = r[j];
  }
}

/* Number of entries of idx[0..k) outside [0, n). */
EXPORT i32 count_out_of_range(const i32 *idx, i32 k, i32 n) {
  i32 bad = 0;
  for (i32 i = 0; i < k; i++) bad += (unsigned)idx[i] >= (unsigned)n;
  return bad;
}

/* y (rows x size) = columns [begin, begin + size) of x (rows x ncols). */
EXPORT void copy_columns(const float *x, float *y, i32 rows, i32 ncols, i32 begin, i32 size) {
  for (i32 r = 0; r < rows; r++) {
    const float *src = x + r * ncols + begin;
    float *dst = y + r * size;
    i32 j = 0;
    for (; j + 4 <= size; j += 4) wasm_v128_store(dst + j, wasm_v128_load(src + j));
    for (; j < size; j++) dst[j] = src[j];
  }
}

/* Columns [begin, begin + w) of y (rows x ncols) = x (rows x w): one part of a column concatenation. */
EXPORT void place_columns(const float *x, float *y, i32 rows, i32 w, i32 ncols, i32 begin) {
  for (i32 r = 0; r < rows; r++) {
    const float *src = x + r * w;
    float *dst = y + r * ncols + begin;
    i32 j = 0;
    for (; j + 4 <= w; j += 4) wasm_v128_store(dst + j, wasm_v128_load(src + j));
    for (; j < w; j++) dst[j] = src[j];
  }
}

/* out[t] = sum_k U[users[t], k] * (I[a[t], k] - I[b[t], k]), summed in k order (the order of
 * tfjs-backend-wasm's Sum), four triples at a time so that their add chains overlap. */
EXPORT void triple_margins(const float *U, const float *I, const i32 *users, const i32 *a, const i32 *b,
                           i32 n, i32 d, float *out) {
  i32 t = 0;
  for (; t + 4 <= n; t += 4) {
    const float *u0 = U + users[t] * d, *u1 = U + users[t + 1] * d, *u2 = U + users[t + 2] * d, *u3 = U + users[t + 3] * d;
    const float *a0 = I + a[t] * d, *a1 = I + a[t + 1] * d, *a2 = I + a[t + 2] * d, *a3 = I + a[t + 3] * d;
    const float *b0 = I + b[t] * d, *b1 = I + b[t + 1] * d, *b2 = I + b[t + 2] * d, *b3 = I + b[t + 3] * d;
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (i32 k = 0; k < d; k++) {
      s0 = s0 + u0[k] * (a0[k] - b0[k]);
      s1 = s1 + u1[k] * (a1[k] - b1[k]);
      s2 = s2 + u2[k] * (a2[k] - b2[k]);
      s3 = s3 + u3[k] * (a3[k] - b3[k]);
    }
    out[t] = s0; out[t + 1] = s1; out[t + 2] = s2; out[t + 3] = s3;
  }
  for (; t < n; t++) {
    const float *u0 = U + users[t] * d, *a0 = I + a[t] * d, *b0 = I + b[t] * d;
    float s0 = 0;
    for (i32 k = 0; k < d; k++) s0 = s0 + u0[k] * (a0[k] - b0[k]);
    out[t] = s0;
  }
}
