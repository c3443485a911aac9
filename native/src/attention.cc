// Fused self-attention (attention.h). The work is split by (batch, key-value head): each such task
// gathers its heads into contiguous blocks (applying RoPE on the way), runs its products and softmax
// alone and writes only its own rows of the outputs, so the bits do not depend on the thread count.
// The rep = H / H_kv query heads of a group are stacked along the query axis, so one product serves
// the whole group and the key and value gradients sum over its heads inside that product.
//
// Compiled once per instruction set, like kernels.cc, each build in its own namespace. The products
// run on short_gemm.h, not the generic gemm entry: at the lengths attention runs here (T and the head
// width are tens) packing and dispatch cost more than the arithmetic. Operands whose columns are a
// product's output columns are padded to a multiple of 16 (Tp keys, dp channels) with zeros, in
// per-thread scratch where they are not whole vectors in place, and the scores are rows of Tp.
#include "attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#ifdef __AVX__
#include <immintrin.h>
#endif

#include "parallel.h"
#include "short_gemm.h"
#include "simd.h"

namespace llava {
namespace LLAVA_ISA_NS {
namespace {

using simd::kLanes;

// What the model's additive masks add to a blocked score (src/models/nn/attention.ts NEG).
constexpr float kBlocked = -1e9f;

// C [m, n] = A·B (short_gemm.h), n a multiple of 16.
void product(const float* a, int64_t aRow, int64_t aStep, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t m, int64_t n, int64_t k) {
  short_gemm::product(a, aRow, aStep, b, ldb, c, ldc, m, n, k);
}

// n rounded up to the 16 columns a short product's operands come in.
int64_t padded(int64_t n) { return (n + 15) / 16 * 16; }

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
  int64_t qStride() const { return dims.qStride; }
  int64_t kvStride() const { return dims.kvStride; }
  int64_t ctxStride() const { return dims.heads * dims.headDim; }
  // Offset of query row i (head g·rep + i / T, position i % T) in q (and dq), rows qStride apart.
  int64_t qOffset(int64_t i) const { return offset(i, qStride()); }
  // The same row's offset in the context [B, T, H·d].
  int64_t ctxOffset(int64_t i) const { return offset(i, ctxStride()); }
  int64_t offset(int64_t i, int64_t stride) const {
    const int64_t t = i % dims.seq, h = g * rep + i / dims.seq;
    return (b * dims.seq + t) * stride + h * dims.headDim;
  }
  int64_t kvOffset(int64_t t) const { return (b * dims.seq + t) * kvStride() + g * dims.headDim; }
};

// Per-thread scratch, grown as needed and kept between calls.
float* scratchOf(int slot, int64_t n) {
  thread_local std::vector<float> buffers[8];
  std::vector<float>& v = buffers[slot];
  if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
  return v.data();
}

// The task's query rows [rows, dp] and its keys or values [T, dp] as contiguous rows, RoPE applied
// where `rotary` says, the padding columns zero.
void gatherQueries(const Task& task, const float* q, const float* cos, const float* sin, int64_t rotary, float* qs, int64_t dp) {
  const AttentionDims& d = task.dims;
  for (int64_t i = 0; i < task.rows; ++i) {
    const int64_t t = i % d.seq;
    float* row = qs + i * dp;
    rotate(q + task.qOffset(i), row, d.headDim, rotary, cos + t * rotary, sin + t * rotary);
    std::fill(row + d.headDim, row + dp, 0.0f);
  }
}
void gatherKeys(const Task& task, const float* k, const float* cos, const float* sin, int64_t rotary, float* ks, int64_t dp) {
  const AttentionDims& d = task.dims;
  for (int64_t t = 0; t < d.seq; ++t) {
    float* row = ks + t * dp;
    rotate(k + task.kvOffset(t), row, d.headDim, rotary, cos + t * rotary, sin + t * rotary);
    std::fill(row + d.headDim, row + dp, 0.0f);
  }
}

// columns [cols, ldt] = rowsᵀ for rows [n, ld] (n ≤ ldt), the columns n … ldt − 1 zero: 8 × 8 tiles
// through registers where the CPU has AVX (element by element, a strided gather of each column
// dominated the backward pass's bookkeeping), the edges element by element.
void transpose(const float* rows, int64_t n, int64_t cols, int64_t ld, float* columns, int64_t ldt) {
  int64_t c0 = 0, t0 = 0;
#ifdef __AVX__
  for (; c0 + 8 <= cols; c0 += 8) {
    for (t0 = 0; t0 + 8 <= n; t0 += 8) {
      const float* in = rows + t0 * ld + c0;
      __m256 r[8], u[8], w[8];
      for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(in + i * ld);
      for (int i = 0; i < 8; i += 2) {
        u[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        u[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
      }
      for (int i = 0; i < 8; i += 4) {
        w[i] = _mm256_shuffle_ps(u[i], u[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        w[i + 1] = _mm256_shuffle_ps(u[i], u[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        w[i + 2] = _mm256_shuffle_ps(u[i + 1], u[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        w[i + 3] = _mm256_shuffle_ps(u[i + 1], u[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
      }
      float* out = columns + c0 * ldt + t0;
      for (int i = 0; i < 4; ++i) {
        _mm256_storeu_ps(out + i * ldt, _mm256_permute2f128_ps(w[i], w[i + 4], 0x20));
        _mm256_storeu_ps(out + (i + 4) * ldt, _mm256_permute2f128_ps(w[i], w[i + 4], 0x31));
      }
    }
    for (int64_t c = c0; c < c0 + 8; ++c)
      for (int64_t t = t0; t < n; ++t) columns[c * ldt + t] = rows[t * ld + c];
  }
#endif
  for (int64_t c = c0; c < cols; ++c)
    for (int64_t t = 0; t < n; ++t) columns[c * ldt + t] = rows[t * ld + c];
  for (int64_t c = 0; c < cols; ++c) std::fill(columns + c * ldt + n, columns + (c + 1) * ldt, 0.0f);
}

// Lane-wise sum of the whole vectors of x [n] (n a multiple of kLanes), then across the lanes in
// order: a fixed order, so the same bits on every call.
float sum(const float* x, int64_t n) {
  simd::V acc = simd::splat(0.0f);
  for (int64_t j = 0; j < n; j += kLanes) acc += simd::load(x + j);
  float total = 0.0f;
  for (int lane = 0; lane < kLanes; ++lane) total += acc[lane];
  return total;
}
float dot(const float* x, const float* y, int64_t n) {
  simd::V acc = simd::splat(0.0f);
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) acc += simd::load(x + j) * simd::load(y + j);
  float total = 0.0f;
  for (int lane = 0; lane < kLanes; ++lane) total += acc[lane];
  for (; j < n; ++j) total += x[j] * y[j];
  return total;
}
float max(const float* x, int64_t n) {
  simd::V acc = simd::splat(-std::numeric_limits<float>::infinity());
  for (int64_t j = 0; j < n; j += kLanes) {
    const simd::V v = simd::load(x + j);
    acc = simd::select(v > acc, v, acc);
  }
  float m = -std::numeric_limits<float>::infinity();
  for (int lane = 0; lane < kLanes; ++lane) m = std::max(m, acc[lane]);
  return m;
}

// One row of probabilities from the row's raw scores, padded to Tp (a multiple of kLanes) and
// overwritten: z = cap·tanh(s·scale/cap) + mask, then softmax over the T keys into out [T]. The masks
// add what the model's additive masks add, over the ranges they block; the padding columns are −∞ (no
// weight) from the mask on.
void softmaxRow(float* __restrict row, float* __restrict out, int64_t t, int64_t Tp, const float* __restrict keyMask, const AttentionDims& d) {
  const int64_t n = d.seq;
  const float scale = d.scale, cap = d.cap;
  if (cap > 0) {
    const float inner = scale / cap;
    for (int64_t j = 0; j < Tp; j += kLanes) simd::store(row + j, cap * simd::tanh(simd::load(row + j) * inner));
  } else {
    for (int64_t j = 0; j < Tp; j += kLanes) simd::store(row + j, simd::load(row + j) * scale);
  }
  if (d.causal)
    for (int64_t j = t + 1; j < n; ++j) row[j] += kBlocked;
  if (d.window > 0)
    for (int64_t j = 0; j <= std::min(n - 1, t - d.window); ++j) row[j] += kBlocked;
  if (keyMask)
    for (int64_t j = 0; j < n; ++j) row[j] += (1.0f - keyMask[j]) * kBlocked;
  std::fill(row + n, row + Tp, -std::numeric_limits<float>::infinity());
  float mx = max(row, Tp);
  if (std::isinf(mx) && mx < 0) mx = 0.0f;
  for (int64_t j = 0; j < Tp; j += kLanes) simd::store(row + j, simd::exp(simd::load(row + j) - mx));
  const float inv = 1.0f / sum(row, Tp);
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) simd::store(out + j, simd::load(row + j) * inv);
  for (; j < n; ++j) out[j] = row[j] * inv;
}

template <typename F>
void forEachTask(const AttentionDims& d, F body) {
  const int64_t rep = d.heads / d.kvHeads, rows = rep * d.seq;
  const double work = 4.0 * static_cast<double>(rows * d.seq * d.headDim);
  parallelRange(d.batch * d.kvHeads, work, [&](int64_t t0, int64_t t1) {
    for (int64_t task = t0; task < t1; ++task) body(Task{d, task / d.kvHeads, task % d.kvHeads, rep, rows});
  });
}

// A matrix operand: element (i, j) at p[i·ld + j].
struct Rows {
  float* p;
  int64_t ld;
  float* row(int64_t i) const { return p + i * ld; }
};

}  // namespace

void attentionForward(const float* q, const float* k, const float* v, const float* cos, const float* sin, const float* keyMask,
                      float* ctx, float* probs, const AttentionDims& d) {
  const int64_t hd = d.headDim, T = d.seq, dp = padded(hd), Tp = padded(T);
  // Query rows per block: its scores stay in L1 between the score product and the softmax.
  constexpr int64_t kRowBlock = 16;
  // Without RoPE the queries are read where they are; with whole vectors of channels (dp = hd) so are
  // the values, and the context is written in place.
  const bool rotated = d.rotary > 0, whole = dp == hd;
  forEachTask(d, [&](const Task& task) {
    float* kt = scratchOf(2, hd * Tp);
    float* scores = scratchOf(4, kRowBlock * Tp);
    float* qs = nullptr;
    if (rotated) {
      qs = scratchOf(0, task.rows * dp);
      gatherQueries(task, q, cos, sin, d.rotary, qs, dp);
      float* ks = scratchOf(1, T * dp);
      gatherKeys(task, k, cos, sin, d.rotary, ks, dp);
      transpose(ks, T, hd, dp, kt, Tp);
    } else {
      transpose(k + task.kvOffset(0), T, hd, task.kvStride(), kt, Tp);
    }
    Rows vs{const_cast<float*>(v) + task.kvOffset(0), task.kvStride()};
    if (!whole) {
      vs = Rows{scratchOf(3, T * dp), dp};
      gatherKeys(task, v, nullptr, nullptr, 0, vs.p, dp);
    }
    // The group's probabilities are rows·T contiguous floats of [B, H, T, T]: heads g·rep … g·rep + rep − 1.
    float* p = probs + (task.b * d.heads + task.g * task.rep) * T * T;
    const float* mask = keyMask ? keyMask + task.b * T : nullptr;
    // Row blocks within one head, so that its rows of q and ctx are evenly spaced.
    for (int64_t h = 0; h < task.rep; ++h) {
      for (int64_t t0 = 0; t0 < T; t0 += kRowBlock) {
        const int64_t n = std::min(kRowBlock, T - t0), i0 = h * T + t0;
        const Rows qr = rotated ? Rows{qs + i0 * dp, dp} : Rows{const_cast<float*>(q) + task.qOffset(i0), task.qStride()};
        product(qr.p, qr.ld, 1, kt, Tp, scores, Tp, n, Tp, hd);
        for (int64_t i = 0; i < n; ++i) softmaxRow(scores + i * Tp, p + (i0 + i) * T, t0 + i, Tp, mask, d);
        const Rows out = whole ? Rows{ctx + task.ctxOffset(i0), task.ctxStride()} : Rows{scratchOf(5, kRowBlock * dp), dp};
        product(p + i0 * T, T, 1, vs.p, vs.ld, out.p, out.ld, n, dp, T);
        if (!whole)
          for (int64_t i = 0; i < n; ++i) std::copy(out.row(i), out.row(i) + hd, ctx + task.ctxOffset(i0 + i));
      }
    }
  });
}

void attentionBackward(const float* q, const float* k, const float* v, const float* cos, const float* sin, const float* probs,
                       const float* dctx, float* dq, float* dk, float* dv, const AttentionDims& d) {
  const int64_t hd = d.headDim, T = d.seq, dp = padded(hd), Tp = padded(T);
  forEachTask(d, [&](const Task& task) {
    const int64_t rows = task.rows;
    // One head per group, no RoPE and whole vectors of channels: every operand and gradient is read
    // and written where it is; otherwise they are gathered into padded scratch (RoPE applied).
    const bool direct = d.rotary == 0 && dp == hd && task.rep == 1;
    Rows qs{const_cast<float*>(q) + task.qOffset(0), task.qStride()}, ks{const_cast<float*>(k) + task.kvOffset(0), task.kvStride()};
    Rows dos{const_cast<float*>(dctx) + task.ctxOffset(0), task.ctxStride()};
    Rows dqs{dq + task.qOffset(0), task.qStride()}, dks{dk + task.kvOffset(0), task.kvStride()}, dvs{dv + task.kvOffset(0), task.kvStride()};
    if (!direct) {
      qs = Rows{scratchOf(0, rows * dp), dp};
      ks = Rows{scratchOf(1, T * dp), dp};
      dos = Rows{scratchOf(3, rows * dp), dp};
      float* grads = scratchOf(5, rows * dp + 2 * T * dp);
      dqs = Rows{grads, dp}, dks = Rows{grads + rows * dp, dp}, dvs = Rows{grads + rows * dp + T * dp, dp};
      gatherQueries(task, q, cos, sin, d.rotary, qs.p, dp);
      gatherKeys(task, k, cos, sin, d.rotary, ks.p, dp);
      for (int64_t i = 0; i < rows; ++i) {
        std::copy(dctx + task.ctxOffset(i), dctx + task.ctxOffset(i) + hd, dos.row(i));
        std::fill(dos.row(i) + hd, dos.row(i + 1), 0.0f);
      }
    }
    float* vt = scratchOf(2, hd * Tp);
    transpose(v + task.kvOffset(0), T, hd, task.kvStride(), vt, Tp);
    float* ds = scratchOf(4, rows * Tp);
    const float* p = probs + (task.b * d.heads + task.g * task.rep) * T * T;
    // dV = Pᵀ·dO and dP = dO·Vᵀ.
    product(p, 1, T, dos.p, dos.ld, dvs.p, dvs.ld, T, dp, rows);
    product(dos.p, dos.ld, 1, vt, Tp, ds, Tp, rows, Tp, hd);
    // The raw scores again, for the soft-cap's derivative (Gemma 2 only).
    float* raw = nullptr;
    if (d.cap > 0) {
      float* kt = scratchOf(6, hd * Tp);
      transpose(ks.p, T, hd, ks.ld, kt, Tp);
      raw = scratchOf(7, rows * Tp);
      product(qs.p, qs.ld, 1, kt, Tp, raw, Tp, rows, Tp, hd);
    }
    for (int64_t i = 0; i < rows; ++i) {
      const float* __restrict pr = p + i * T;
      float* __restrict g = ds + i * Tp;
      const float rowDot = dot(pr, g, T);
      const float scale = d.scale;
      simd::map2(pr, g, g, 0, T, [rowDot, scale](simd::V pv, simd::V gv) { return pv * (gv - rowDot) * scale; });
      if (raw) {
        const float inner = d.scale / d.cap;
        simd::map2(raw + i * Tp, g, g, 0, T, [inner](simd::V s, simd::V dz) {
          const simd::V th = simd::tanh(s * inner);
          return dz * (1.0f - th * th);
        });
      }
    }
    // dQ = dS·K and dK = dSᵀ·Q.
    product(ds, Tp, 1, ks.p, ks.ld, dqs.p, dqs.ld, rows, dp, T);
    product(ds, 1, Tp, qs.p, qs.ld, dks.p, dks.ld, T, dp, rows);
    if (direct) return;
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t t = i % T;
      unrotate(dqs.row(i), dq + task.qOffset(i), hd, d.rotary, cos + t * d.rotary, sin + t * d.rotary);
    }
    for (int64_t t = 0; t < T; ++t) {
      unrotate(dks.row(t), dk + task.kvOffset(t), hd, d.rotary, cos + t * d.rotary, sin + t * d.rotary);
      std::copy(dvs.row(t), dvs.row(t) + hd, dv + task.kvOffset(t));
    }
  });
}

}  // namespace LLAVA_ISA_NS
}  // namespace llava
