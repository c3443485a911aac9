// Causal-LM cross-entropy (loss.h). Rows are split across threads; the loss sums the rows' terms in
// row order afterwards, so its bits do not depend on the thread count.
#include "loss.h"

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

// log Σ exp(x) over n floats, as max + log Σ exp(x − max).
float logSumExp(const float* x, int64_t n, float* scratch) {
  float mx = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < n; ++j) mx = std::max(mx, x[j]);
  const float shift = std::isinf(mx) ? 0.0f : mx;
  simd::map(x, scratch, 0, n, [shift](simd::V v) { return simd::exp(v - shift); });
  float sum = 0.0f;
  for (int64_t j = 0; j < n; ++j) sum += scratch[j];
  return shift + std::log(sum);
}

struct Prediction {
  const float* row;
  int32_t label;
  bool counted, inRange;
};

Prediction prediction(const float* logits, const int32_t* labels, int64_t r, int64_t seq, int64_t vocab, int32_t ignore) {
  const int64_t b = r / (seq - 1), t = r % (seq - 1);
  const int32_t label = labels[b * seq + t + 1];
  const bool counted = label != ignore;
  return {logits + (b * seq + t) * vocab, label, counted, counted && label >= 0 && label < vocab};
}

}  // namespace

float causalLmLossForward(const float* logits, const int32_t* labels, float* lse, int64_t batch, int64_t seq, int64_t vocab,
                          int32_t ignore) {
  const int64_t rows = seq > 1 ? batch * (seq - 1) : 0;
  std::vector<float> picked(static_cast<size_t>(rows));
  parallelRange(rows, 12.0 * static_cast<double>(vocab), [&](int64_t r0, int64_t r1) {
    std::vector<float> scratch(static_cast<size_t>(vocab));
    for (int64_t r = r0; r < r1; ++r) {
      const Prediction p = prediction(logits, labels, r, seq, vocab, ignore);
      lse[r] = logSumExp(p.row, vocab, scratch.data());
      picked[r] = p.inRange ? p.row[p.label] - lse[r] : 0.0f;
    }
  });
  float total = 0.0f, count = 0.0f;
  for (int64_t r = 0; r < rows; ++r) {
    if (!prediction(logits, labels, r, seq, vocab, ignore).counted) continue;
    total += picked[r];
    count += 1.0f;
  }
  return -total / std::max(count, 1.0f);
}

void causalLmLossBackward(const float* logits, const int32_t* labels, const float* lse, float dy, float* dlogits, int64_t batch,
                          int64_t seq, int64_t vocab, int32_t ignore) {
  const int64_t rows = seq > 1 ? batch * (seq - 1) : 0;
  float count = 0.0f;
  for (int64_t r = 0; r < rows; ++r) count += prediction(logits, labels, r, seq, vocab, ignore).counted ? 1.0f : 0.0f;
  const float scale = dy / std::max(count, 1.0f);
  parallelRange(batch * seq, 6.0 * static_cast<double>(vocab), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      float* out = dlogits + i * vocab;
      const int64_t b = i / seq, t = i % seq;
      const Prediction p = t < seq - 1 ? prediction(logits, labels, b * (seq - 1) + t, seq, vocab, ignore) : Prediction{nullptr, 0, false, false};
      if (!p.inRange) {
        std::fill(out, out + vocab, 0.0f);
        continue;
      }
      const float shift = lse[b * (seq - 1) + t];
      simd::map(p.row, out, 0, vocab, [shift, scale](simd::V v) { return simd::exp(v - shift) * scale; });
      out[p.label] -= scale;
    }
  });
}

}  // namespace llava
