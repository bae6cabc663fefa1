/*
 * Graph kernels: sparse-dense product, row gather, segment sum, per-edge dot products,
 * segment softmax. Dense matrices are row-major float32 with d columns (any d).
 *
 * These functions may run inside tfjs-backend-wasm's own memory (lib/engine/kernel-heap.ts),
 * so they must not touch anything but their arguments: no static data, no stack (only scalar
 * and v128 locals), no globals. kernel-heap.ts refuses a build with a data or global section.
 *
 * Index arrays are checked where a bad index would write out of bounds or read garbage; the
 * check functions return the number of bad entries so that the caller can raise an error.
 */
#include <wasm_simd128.h>

typedef int i32;

#define EXPORT __attribute__((visibility("default")))

/* y[0..d) = 0 */
static inline void zero_row(float *y, i32 d) {
  i32 j = 0;
  for (; j + 4 <= d; j += 4) wasm_v128_store(y + j, wasm_f32x4_splat(0.0f));
  for (; j < d; j++) y[j] = 0.0f;
}

/* y[0..d) += a * x[0..d) */
static inline void axpy_row(float *y, const float *x, float a, i32 d) {
  v128_t va = wasm_f32x4_splat(a);
  i32 j = 0;
  for (; j + 4 <= d; j += 4) {
    v128_t t = wasm_f32x4_mul(va, wasm_v128_load(x + j));
    wasm_v128_store(y + j, wasm_f32x4_add(wasm_v128_load(y + j), t));
  }
  for (; j < d; j++) y[j] += a * x[j];
}

static inline float dot_row(const float *p, const float *q, i32 d) {
  /* four independent accumulators: a single chain is bound by the add latency */
  v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
  i32 j = 0;
  for (; j + 16 <= d; j += 16) {
    a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(p + j), wasm_v128_load(q + j)));
    a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(p + j + 4), wasm_v128_load(q + j + 4)));
    a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load(p + j + 8), wasm_v128_load(q + j + 8)));
    a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load(p + j + 12), wasm_v128_load(q + j + 12)));
  }
  for (; j + 4 <= d; j += 4) a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(p + j), wasm_v128_load(q + j)));
  v128_t acc = wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3));
  acc = wasm_f32x4_add(acc, wasm_i32x4_shuffle(acc, acc, 2, 3, 0, 1));
  acc = wasm_f32x4_add(acc, wasm_i32x4_shuffle(acc, acc, 1, 0, 3, 2));
  float s = wasm_f32x4_extract_lane(acc, 0);
  for (; j < d; j++) s += p[j] * q[j];
  return s;
}

/* Number of entries of idx[0..k) outside [0, n). */
EXPORT i32 count_out_of_range(const i32 *idx, i32 k, i32 n) {
  i32 bad = 0;
  for (i32 i = 0; i < k; i++) bad += (unsigned)idx[i] >= (unsigned)n;
  return bad;
}

/*
 * Y = A X for A in CSR (nrows rows), X with d columns. The value of entry k is
 * values[perm[k]] when perm is not null (edge weights kept in another edge order),
 * else values[k].
 *
 * Columns are processed in tiles of 16 held in four SIMD accumulators, so each output
 * element is written once; the row's index list is re-read once per tile (it is in L1).
 */
EXPORT void spmm(const i32 *indptr, const i32 *indices, const float *values, const i32 *perm,
                 const float *x, float *y, i32 nrows, i32 d) {
  for (i32 r = 0; r < nrows; r++) {
    i32 k0 = indptr[r], k1 = indptr[r + 1];
    float *yr = y + r * d;
    i32 j = 0;
    for (; j + 16 <= d; j += 16) {
      v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
      for (i32 k = k0; k < k1; k++) {
        v128_t v = wasm_f32x4_splat(perm ? values[perm[k]] : values[k]);
        const float *xr = x + indices[k] * d + j;
        a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(v, wasm_v128_load(xr)));
        a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(v, wasm_v128_load(xr + 4)));
        a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(v, wasm_v128_load(xr + 8)));
        a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(v, wasm_v128_load(xr + 12)));
      }
      wasm_v128_store(yr + j, a0);
      wasm_v128_store(yr + j + 4, a1);
      wasm_v128_store(yr + j + 8, a2);
      wasm_v128_store(yr + j + 12, a3);
    }
    if (j < d) {
      i32 rest = d - j;
      zero_row(yr + j, rest);
      for (i32 k = k0; k < k1; k++) {
        float v = perm ? values[perm[k]] : values[k];
        axpy_row(yr + j, x + indices[k] * d + j, v, rest);
      }
    }
  }
}

/* Y[i] = X[idx[i]] for i < k. Indices must have been checked. */
EXPORT void gather_rows(const float *x, const i32 *idx, float *y, i32 k, i32 d) {
  for (i32 i = 0; i < k; i++) {
    const float *src = x + idx[i] * d;
    float *dst = y + i * d;
    i32 j = 0;
    for (; j + 4 <= d; j += 4) wasm_v128_store(dst + j, wasm_v128_load(src + j));
    for (; j < d; j++) dst[j] = src[j];
  }
}

/* Y (nseg rows) = 0; Y[seg[i]] += X[i] for i < k. Segment ids must have been checked. */
EXPORT void segment_sum(const float *x, const i32 *seg, float *y, i32 k, i32 nseg, i32 d) {
  for (i32 s = 0; s < nseg; s++) zero_row(y + s * d, d);
  for (i32 i = 0; i < k; i++) axpy_row(y + seg[i] * d, x + i * d, 1.0f, d);
}

/* out[k] = <P[r], Q[indices[k]]> for every entry k of CSR row r (SDDMM). */
EXPORT void sddmm(const i32 *indptr, const i32 *indices, const float *p, const float *q,
                  float *out, i32 nrows, i32 d) {
  for (i32 r = 0; r < nrows; r++) {
    const float *pr = p + r * d;
    for (i32 k = indptr[r]; k < indptr[r + 1]; k++) out[k] = dot_row(pr, q + indices[k] * d, d);
  }
}

/*
 * exp for x <= 0 (softmax after subtracting the maximum): x = n ln2 + t, |t| <= ln2/2,
 * exp(t) by its degree-6 Taylor polynomial (relative error < 2e-7 there), times 2^n built
 * in the exponent bits.
 */
static inline float exp_nonpositive(float x) {
  if (x < -87.0f) return 0.0f;
  float n = __builtin_floorf(x * 1.44269504f + 0.5f);
  float t = x - n * 0.693145752f - n * 1.42860677e-6f;
  float p = 1.0f + t * (1.0f + t * (0.5f + t * (1.66666667e-1f + t * (4.16666667e-2f +
            t * (8.33333333e-3f + t * 1.38888889e-3f)))));
  union { float f; i32 i; } s;
  s.i = ((i32)n + 127) << 23;
  return p * s.f;
}

/* Softmax of logits within each CSR row's entry range. Empty rows are skipped. */
EXPORT void segment_softmax(const i32 *indptr, const float *logits, float *out, i32 nrows) {
  for (i32 r = 0; r < nrows; r++) {
    i32 k0 = indptr[r], k1 = indptr[r + 1];
    if (k0 == k1) continue;
    float m = logits[k0];
    for (i32 k = k0 + 1; k < k1; k++) m = logits[k] > m ? logits[k] : m;
    float s = 0.0f;
    for (i32 k = k0; k < k1; k++) { float e = exp_nonpositive(logits[k] - m); out[k] = e; s += e; }
    float inv = 1.0f / s;
    for (i32 k = k0; k < k1; k++) out[k] *= inv;
  }
}

/* Gradient of segment_softmax: dx_k = y_k (dy_k - sum_{j in row} y_j dy_j). */
EXPORT void segment_softmax_grad(const i32 *indptr, const float *y, const float *dy, float *dx, i32 nrows) {
  for (i32 r = 0; r < nrows; r++) {
    i32 k0 = indptr[r], k1 = indptr[r + 1];
    float s = 0.0f;
    for (i32 k = k0; k < k1; k++) s += y[k] * dy[k];
    for (i32 k = k0; k < k1; k++) dx[k] = y[k] * (dy[k] - s);
  }
}
