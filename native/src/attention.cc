// Fused self-attention (attention.h). The work is split by (batch, key-value head): each such task
// gathers its heads into contiguous blocks (applying RoPE on the way), runs its products and softmax
// alone and writes only its own rows of the outputs, so the bits do not depend on the thread count.
// The rep = H / H_kv query heads of a group are stacked along the query axis, so one product serves
// the whole group and the key and value gradients sum over its heads inside that product.
#include "attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels.h"
#include "parallel.h"
#include "simd.h"

namespace llava {

// Compiled once, in the addon's base build; the lane sums below are written for its 8 lanes.
namespace simd = LLAVA_ISA_NS::simd;
static_assert(simd::kLanes == 8, "compiled for an 8-lane build");

namespace {

// What the model's additive masks add to a blocked score (src/models/nn/attention.ts NEG).
constexpr float kBlocked = -1e9f;

// C = op(A) · op(B) for one product on the calling thread (inside a pool task the product runs inline).
void product(const float* a, const float* b, float* c, int64_t m, int64_t n, int64_t k, bool transA, bool transB) {
  const int64_t zero = 0;
  activeKernels().batchedGemm(a, b, c, 1, m, n, k, transA, transB, &zero, &zero, false);
}

// y = x with its first `rotary` channels rotated (RoPE at the position whose tables are c and s).
void rotate(const float* __restrict x, float* __restrict y, int64_t d, int64_t rotary, const float* __restrict c, const float* __restrict s) {
  const int64_t half = rotary / 2;
  for (int64_t i = 0; i < half; ++i) {
    y[i] = x[i] * c[i] - x[i + half] * s[i];
    y[i + half] = x[i + half] * c[i + half] + x[i] * s[i + half];
  }
  std::copy(x + rotary, x + d, y + rotary);
}

// The gradient of rotate: dx = Rᵀ dy.
void unrotate(const float* __restrict dy, float* __restrict dx, int64_t d, int64_t rotary, const float* __restrict c, const float* __restrict s) {
  const int64_t half = rotary / 2;
  for (int64_t i = 0; i < half; ++i) {
    dx[i] = dy[i] * c[i] + dy[i + half] * s[i + half];
    dx[i + half] = dy[i + half] * c[i + half] - dy[i] * s[i];
  }
  std::copy(dy + rotary, dy + d, dx + rotary);
}

// One task's view of the operands: batch entry b, key-value head g, its rep query heads.
struct Task {
  const AttentionDims& dims;
  int64_t b, g, rep, rows;
  int64_t qStride() const { return dims.heads * dims.headDim; }
  int64_t kvStride() const { return dims.kvHeads * dims.headDim; }
  // Offset of query row i (head g·rep + i / T, position i % T) in a [B, T, H·d] array.
  int64_t qOffset(int64_t i) const {
    const int64_t t = i % dims.seq, h = g * rep + i / dims.seq;
    return (b * dims.seq + t) * qStride() + h * dims.headDim;
  }
  int64_t kvOffset(int64_t t) const { return (b * dims.seq + t) * kvStride() + g * dims.headDim; }
};

// Per-thread scratch, grown as needed and kept between calls.
std::vector<float>& scratch(int slot) {
  thread_local std::vector<float> buffers[7];
  return buffers[slot];
}
float* scratchOf(int slot, int64_t n) {
  std::vector<float>& v = scratch(slot);
  if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
  return v.data();
}

// Qs [rows, d], Ks [T, d] (RoPE applied) and, when vs is not null, Vs [T, d] of one task.
void gather(const Task& task, const float* q, const float* k, const float* v, const float* cos, const float* sin, float* qs, float* ks,
            float* vs) {
  const AttentionDims& d = task.dims;
  const int64_t hd = d.headDim;
  for (int64_t i = 0; i < task.rows; ++i) {
    const int64_t t = i % d.seq;
    rotate(q + task.qOffset(i), qs + i * hd, hd, d.rotary, cos + t * d.rotary, sin + t * d.rotary);
  }
  for (int64_t t = 0; t < d.seq; ++t) {
    rotate(k + task.kvOffset(t), ks + t * hd, hd, d.rotary, cos + t * d.rotary, sin + t * d.rotary);
    if (vs) std::copy(v + task.kvOffset(t), v + task.kvOffset(t) + hd, vs + t * hd);
  }
}

// Sum and maximum of n floats, eight lanes at a time (a fixed order: the same bits on every call).
float sum(const float* x, int64_t n) {
  simd::V acc = simd::splat(0.0f);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) acc += simd::load(x + j);
  float total = 0.0f;
  for (int lane = 0; lane < 8; ++lane) total += acc[lane];
  for (; j < n; ++j) total += x[j];
  return total;
}
float dot(const float* x, const float* y, int64_t n) {
  simd::V acc = simd::splat(0.0f);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) acc += simd::load(x + j) * simd::load(y + j);
  float total = 0.0f;
  for (int lane = 0; lane < 8; ++lane) total += acc[lane];
  for (; j < n; ++j) total += x[j] * y[j];
  return total;
}
float max(const float* x, int64_t n) {
  simd::V acc = simd::splat(-std::numeric_limits<float>::infinity());
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const simd::V v = simd::load(x + j);
    acc = simd::select(v > acc, v, acc);
  }
  float m = -std::numeric_limits<float>::infinity();
  for (int lane = 0; lane < 8; ++lane) m = std::max(m, acc[lane]);
  for (; j < n; ++j) m = std::max(m, x[j]);
  return m;
}

// One row of probabilities in place: z = cap·tanh(s·scale/cap) + mask, then softmax over the T keys.
// The masks add what the model's additive masks add, over the ranges they block.
void softmaxRow(float* __restrict row, int64_t t, const float* __restrict keyMask, const AttentionDims& d) {
  const int64_t n = d.seq;
  const float scale = d.scale, cap = d.cap;
  if (cap > 0) {
    simd::map(row, row, 0, n, [scale, cap](simd::V x) { return cap * simd::tanh(x * (scale / cap)); });
  } else {
    for (int64_t j = 0; j < n; ++j) row[j] *= scale;
  }
  if (d.causal)
    for (int64_t j = t + 1; j < n; ++j) row[j] += kBlocked;
  if (d.window > 0)
    for (int64_t j = 0; j <= std::min(n - 1, t - d.window); ++j) row[j] += kBlocked;
  if (keyMask)
    for (int64_t j = 0; j < n; ++j) row[j] += (1.0f - keyMask[j]) * kBlocked;
  float mx = max(row, n);
  if (std::isinf(mx) && mx < 0) mx = 0.0f;
  simd::map(row, row, 0, n, [mx](simd::V x) { return simd::exp(x - mx); });
  const float inv = 1.0f / sum(row, n);
  for (int64_t j = 0; j < n; ++j) row[j] *= inv;
}

template <typename F>
void forEachTask(const AttentionDims& d, F body) {
  const int64_t rep = d.heads / d.kvHeads, rows = rep * d.seq;
  const double work = 4.0 * static_cast<double>(rows * d.seq * d.headDim);
  parallelRange(d.batch * d.kvHeads, work, [&](int64_t t0, int64_t t1) {
    for (int64_t task = t0; task < t1; ++task) body(Task{d, task / d.kvHeads, task % d.kvHeads, rep, rows});
  });
}

}  // namespace

void attentionForward(const float* q, const float* k, const float* v, const float* cos, const float* sin, const float* keyMask,
                      float* ctx, float* probs, const AttentionDims& d) {
  const int64_t hd = d.headDim, T = d.seq;
  forEachTask(d, [&](const Task& task) {
    float* qs = scratchOf(0, task.rows * hd);
    float* ks = scratchOf(1, T * hd);
    float* vs = scratchOf(2, T * hd);
    float* os = scratchOf(3, task.rows * hd);
    gather(task, q, k, v, cos, sin, qs, ks, vs);
    // The group's probabilities are rows·T contiguous floats of [B, H, T, T]: heads g·rep … g·rep + rep − 1.
    float* p = probs + (task.b * d.heads + task.g * task.rep) * T * T;
    product(qs, ks, p, task.rows, T, hd, false, true);
    const float* mask = keyMask ? keyMask + task.b * T : nullptr;
    for (int64_t i = 0; i < task.rows; ++i) softmaxRow(p + i * T, i % T, mask, d);
    product(p, vs, os, task.rows, hd, T, false, false);
    for (int64_t i = 0; i < task.rows; ++i) std::copy(os + i * hd, os + (i + 1) * hd, ctx + task.qOffset(i));
  });
}

void attentionBackward(const float* q, const float* k, const float* v, const float* cos, const float* sin, const float* probs,
                       const float* dctx, float* dq, float* dk, float* dv, const AttentionDims& d) {
  const int64_t hd = d.headDim, T = d.seq;
  forEachTask(d, [&](const Task& task) {
    const int64_t rows = task.rows;
    float* qs = scratchOf(0, rows * hd);
    float* ks = scratchOf(1, T * hd);
    float* vs = scratchOf(2, T * hd);
    float* dos = scratchOf(3, rows * hd);
    float* ds = scratchOf(4, rows * T);
    float* grads = scratchOf(5, rows * hd + 2 * T * hd);
    float *dqs = grads, *dks = grads + rows * hd, *dvs = dks + T * hd;
    gather(task, q, k, v, cos, sin, qs, ks, vs);
    for (int64_t i = 0; i < rows; ++i) std::copy(dctx + task.qOffset(i), dctx + task.qOffset(i) + hd, dos + i * hd);
    const float* p = probs + (task.b * d.heads + task.g * task.rep) * T * T;
    product(p, dos, dvs, T, hd, rows, true, false);
    product(dos, vs, ds, rows, T, hd, false, true);
    // The raw scores again, for the soft-cap's derivative (Gemma 2 only).
    float* raw = d.cap > 0 ? scratchOf(6, rows * T) : nullptr;
    if (raw) product(qs, ks, raw, rows, T, hd, false, true);
    for (int64_t i = 0; i < rows; ++i) {
      const float* __restrict pr = p + i * T;
      float* __restrict g = ds + i * T;
      const float rowDot = dot(pr, g, T);
      for (int64_t j = 0; j < T; ++j) g[j] = pr[j] * (g[j] - rowDot) * d.scale;
      if (raw) {
        const float inner = d.scale / d.cap;
        simd::map2(raw + i * T, g, g, 0, T, [inner](simd::V s, simd::V dz) {
          const simd::V th = simd::tanh(s * inner);
          return dz * (1.0f - th * th);
        });
      }
    }
    product(ds, ks, dqs, rows, hd, T, false, false);
    product(ds, qs, dks, T, hd, rows, true, false);
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t t = i % T;
      unrotate(dqs + i * hd, dq + task.qOffset(i), hd, d.rotary, cos + t * d.rotary, sin + t * d.rotary);
    }
    for (int64_t t = 0; t < T; ++t) {
      unrotate(dks + t * hd, dk + task.kvOffset(t), hd, d.rotary, cos + t * d.rotary, sin + t * d.rotary);
      std::copy(dvs + t * hd, dvs + (t + 1) * hd, dv + task.kvOffset(t));
    }
  });
}

}  // namespace llava
