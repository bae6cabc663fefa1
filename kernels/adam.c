/*
 * One Adam step for one variable in a single pass over its values, for lib/train/adam.ts.
 * The operations, their order and their float32 rounding are those of tfjs 4.22's
 * AdamOptimizer.applyGradients (one tfjs op per line there), so the results are the same bits;
 * tfjs runs those ops as a dozen separate passes over every array.
 *
 * Runs inside tfjs-backend-wasm's memory (lib/engine/kernel-heap.ts): arguments only, no
 * static data, no stack.
 */
#include <wasm_simd128.h>

typedef int i32;
#define EXPORT __attribute__((visibility("default")))

/* m' = m b1 + g (1 - b1); v' = v b2 + g^2 (1 - b2);
 * p' = (m' / c1) / (sqrt(v' / c2) + eps) * (-lr) + p, with c1 = 1 - b1^t, c2 = 1 - b2^t. */
EXPORT void adam_update(const float *p, const float *g, const float *m, const float *v,
                        float *p_out, float *m_out, float *v_out, i32 n,
                        float b1, float one_minus_b1, float b2, float one_minus_b2,
                        float c1, float c2, float eps, float neg_lr) {
  v128_t vb1 = wasm_f32x4_splat(b1), vob1 = wasm_f32x4_splat(one_minus_b1);
  v128_t vb2 = wasm_f32x4_splat(b2), vob2 = wasm_f32x4_splat(one_minus_b2);
  v128_t vc1 = wasm_f32x4_splat(c1), vc2 = wasm_f32x4_splat(c2);
  v128_t veps = wasm_f32x4_splat(eps), vlr = wasm_f32x4_splat(neg_lr);
  i32 i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t gi = wasm_v128_load(g + i);
    v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), vb1), wasm_f32x4_mul(gi, vob1));
    v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), vb2), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), vob2));
    v128_t mh = wasm_f32x4_div(mi, vc1);
    v128_t vh = wasm_f32x4_div(vi, vc2);
    v128_t step = wasm_f32x4_mul(wasm_f32x4_div(mh, wasm_f32x4_add(wasm_f32x4_sqrt(vh), veps)), vlr);
    wasm_v128_store(m_out + i, mi);
    wasm_v128_store(v_out + i, vi);
    wasm_v128_store(p_out + i, wasm_f32x4_add(step, wasm_v128_load(p + i)));
  }
  for (; i < n; i++) {
    float gi = g[i];
    float mi = m[i] * b1 + gi * one_minus_b1;
    float vi = v[i] * b2 + (gi * gi) * one_minus_b2;
    float step = ((mi / c1) / (__builtin_sqrtf(vi / c2) + eps)) * neg_lr;
    m_out[i] = mi;
    v_out[i] = vi;
    p_out[i] = step + p[i];
  }
}
