// Gated activations (gated.h), chunk by chunk so each chunk's passes stay in cache; the activation
// itself is kernels.cc's (called from inside a pool task, it runs inline on that chunk).
#include "gated.h"

#include <algorithm>

#include "kernels.h"
#include "parallel.h"

namespace llava {

namespace {
constexpr int64_t kChunk = 4096;

template <typename F>
void forEachChunk(int64_t n, double workPerElement, F body) {
  parallelRange((n + kChunk - 1) / kChunk, workPerElement * kChunk, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t i0 = c * kChunk;
      body(i0, std::min(n, i0 + kChunk) - i0);
    }
  });
}
}  // namespace

void gatedActivation(int kind, const float* g, const float* u, float* y, int64_t n) {
  forEachChunk(n, 24.0, [&](int64_t i0, int64_t len) {
    activeKernels().activation(kind, g + i0, y + i0, len);
    for (int64_t i = i0; i < i0 + len; ++i) y[i] *= u[i];
  });
}

void gatedActivationGrad(int kind, const float* g, const float* u, const float* dy, float* dg, float* du, int64_t n) {
  forEachChunk(n, 60.0, [&](int64_t i0, int64_t len) {
    for (int64_t i = i0; i < i0 + len; ++i) dg[i] = dy[i] * u[i];
    activeKernels().activationGrad(kind, g + i0, dg + i0, dg + i0, len);
    activeKernels().activation(kind, g + i0, du + i0, len);
    for (int64_t i = i0; i < i0 + len; ++i) du[i] *= dy[i];
  });
}

}  // namespace llava
