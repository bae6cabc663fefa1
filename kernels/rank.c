// Fused full-ranking kernel: dot-product scores of users against every item, train items
// masked, a running top-K per user. The score matrix is never stored: a block of users is
// scored against one panel of NR items at a time and each score is either dropped by one
// threshold comparison or inserted into the user's small sorted top-K buffer.
//
// Scores are plain float32 sums in k order (acc = acc + u[k] * v[k], each operation rounded,
// no fused multiply-add: the build uses -ffp-contract=off), so a JS reference that rounds with
// Math.fround after every operation reproduces them bit for bit. Ties: items are visited in
// ascending id order and an item enters only with a score strictly greater than the current
// K-th best, so among equal scores the lower item id ranks first.

#include "tile4x8.h"

#define NR 8 // items per panel: two f32x4 vectors
#define MR 4 // users per register tile: 4 x 8 accumulators (kernels/tile4x8.h)

typedef struct {
  float* scores; // k entries, descending
  int* items;    // k entries, -1 where unfilled
  int count;
  float threshold; // score to beat: -inf until the buffer is full
} TopK;

// Floats rank_pack_items writes: whole panels, the last one zero-padded.
__attribute__((export_name("rank_packed_floats")))
int rank_packed_floats(int n_items, int dim) {
  return (n_items + NR - 1) / NR * NR * dim;
}

// packed[p * dim * NR + kk * NR + j] = items[(p * NR + j) * dim + kk], zero beyond n_items.
__attribute__((export_name("rank_pack_items")))
void rank_pack_items(const float* items, int n_items, int dim, float* packed) {
  int panels = (n_items + NR - 1) / NR;
  for (int p = 0; p < panels; p++) {
    float* dst = packed + (long)p * dim * NR;
    for (int j = 0; j < NR; j++) {
      int item = p * NR + j;
      const float* src = items + (long)item * dim;
      for (int kk = 0; kk < dim; kk++) dst[kk * NR + j] = item < n_items ? src[kk] : 0.0f;
    }
  }
}

static void topk_insert(TopK* t, int k, float score, int item) {
  int p = t->count < k ? t->count++ : k - 1;
  while (p > 0 && t->scores[p - 1] < score) {
    t->scores[p] = t->scores[p - 1];
    t->items[p] = t->items[p - 1];
    p--;
  }
  t->scores[p] = score;
  t->items[p] = item;
  if (t->count == k) t->threshold = t->scores[k - 1];
}

// One user's row of a tile: masks excluded items and items past n_items, then offers each
// lane in item order. `cursor` walks the user's sorted exclusion list across panels.
static void offer_row(TopK* t, int k, v128_t lo, v128_t hi, int j0, int n_items,
                      const int* excl, int excl_end, int* cursor) {
  int c = *cursor;
  while (c < excl_end && excl[c] < j0) c++;
  int masked = c < excl_end && excl[c] < j0 + NR;
  int partial = j0 + NR > n_items;
  if (!masked && !partial) {
    v128_t th = wasm_f32x4_splat(t->threshold);
    if (!wasm_v128_any_true(wasm_v128_or(wasm_f32x4_gt(lo, th), wasm_f32x4_gt(hi, th)))) {
      *cursor = c;
      return;
    }
  }
  float s[NR];
  wasm_v128_store(s, lo);
  wasm_v128_store(s + 4, hi);
  for (int j = 0; j < NR; j++) {
    int item = j0 + j;
    if (item >= n_items) break;
    if (c < excl_end && excl[c] == item) { c++; continue; }
    if (s[j] > t->threshold) topk_insert(t, k, s[j], item);
  }
  *cursor = c;
}

// Scores `rows` (<= MR) users whose rows start at u[0..rows) against one packed panel.
static void tile(const float* const* u, int rows, const float* panel, int dim, v128_t acc[MR][2]) {
  const float *u0 = u[0], *u1 = u[rows > 1 ? 1 : 0], *u2 = u[rows > 2 ? 2 : 0], *u3 = u[rows > 3 ? 3 : 0];
  Tile4x8 t = tile4x8(u0, u1, u2, u3, panel, NR, dim);
  for (int q = 0; q < MR; q++) { acc[q][0] = t.lo[q]; acc[q][1] = t.hi[q]; }
}

#define BLOCK_BYTES 16384 // user rows kept hot while a panel is reused across the block
#define MAX_BLOCK 256

// users: n_users rows of dim floats. excl_ptr (n_users + 1 entries) / excl_items: each user's
// sorted excluded item ids. Outputs: top_scores / top_items, k per user, best first; unfilled
// slots (fewer than k candidates) hold -inf / -1.
__attribute__((export_name("rank_topk")))
void rank_topk(const float* users, int n_users, const float* packed, int n_items, int dim,
               const int* excl_ptr, const int* excl_items, int k,
               float* top_scores, int* top_items) {
  const float neg_inf = -__builtin_inff();
  for (long i = 0; i < (long)n_users * k; i++) { top_scores[i] = neg_inf; top_items[i] = -1; }
  int block = BLOCK_BYTES / (dim * 4);
  block = block < MR ? MR : block > MAX_BLOCK ? MAX_BLOCK : block - block % MR;
  int panels = (n_items + NR - 1) / NR;
  TopK tk[MAX_BLOCK];
  int cursor[MAX_BLOCK];
  v128_t acc[MR][2];
  for (int u0 = 0; u0 < n_users; u0 += block) {
    int nb = n_users - u0 < block ? n_users - u0 : block;
    for (int r = 0; r < nb; r++) {
      tk[r].scores = top_scores + (long)(u0 + r) * k;
      tk[r].items = top_items + (long)(u0 + r) * k;
      tk[r].count = 0;
      tk[r].threshold = neg_inf;
      cursor[r] = excl_ptr[u0 + r];
    }
    for (int p = 0; p < panels; p++) {
      const float* panel = packed + (long)p * dim * NR;
      int j0 = p * NR;
      for (int r = 0; r < nb; r += MR) {
        int rows = nb - r < MR ? nb - r : MR;
        const float* u[MR];
        for (int q = 0; q < rows; q++) u[q] = users + (long)(u0 + r + q) * dim;
        tile(u, rows, panel, dim, acc);
        for (int q = 0; q < rows; q++) {
          int user = u0 + r + q;
          offer_row(&tk[r + q], k, acc[q][0], acc[q][1], j0, n_items,
                    excl_items, excl_ptr[user + 1], &cursor[r + q]);
        }
      }
    }
  }
}
