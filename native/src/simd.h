// Float math on one vector register written with GCC/Clang vector extensions, so exp-based loops run
// as SIMD on whatever the compiler targets: sixteen lanes in the AVX-512 build, eight in the AVX2 one
// (two SSE halves elsewhere). GCC 12 would not vectorise the scalar exp: the clamp before the floor
// left control flow in the loop. Included by kernels.cc only, inside its instruction set's namespace.
#pragma once
#include <cstdint>
#include <cstring>
#include <limits>

namespace llava {
namespace LLAVA_ISA_NS {
namespace simd {

#ifdef __AVX512F__
constexpr int kLanes = 16;
#else
constexpr int kLanes = 8;
#endif
typedef float V __attribute__((vector_size(kLanes * 4)));
typedef int32_t I __attribute__((vector_size(kLanes * 4)));

inline V splat(float v) { return V{} + v; }
inline V load(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, V v) { std::memcpy(p, &v, sizeof v); }
inline V select(I mask, V a, V b) { return mask ? a : b; }
inline V bitsToFloat(I v) {
  V f;
  std::memcpy(&f, &v, sizeof f);
  return f;
}
inline I floatToBits(V v) {
  I i;
  std::memcpy(&i, &v, sizeof i);
  return i;
}

// exp(x) = 2^k · e^r with r in [−ln2/2, ln2/2] and Cephes' degree-6 polynomial for e^r (relative error
// ~2e-7). Saturates like expf: +inf above ~88.7, 0 below ~−87.3, NaN stays NaN.
inline V exp(V x) {
  V xc = select(x != x, splat(0.0f), x);
  xc = select(xc < -87.3f, splat(-87.3f), xc);
  xc = select(xc > 88.7f, splat(88.7f), xc);
  const V kf = xc * 1.44269504088896341f + 0.5f;
  const I truncated = __builtin_convertvector(kf, I);
  const I ki = truncated + (__builtin_convertvector(truncated, V) > kf);  // floor: the mask is −1 where true
  const V k = __builtin_convertvector(ki, V);
  const V r = xc - k * 0.693359375f + k * 2.12194440e-4f;
  V p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const V e = p * r * r + r + 1.0f;
  V y = e * bitsToFloat((ki + 127) << 23);
  y = select(x > 88.7f, splat(std::numeric_limits<float>::infinity()), y);
  y = select(x < -87.3f, splat(0.0f), y);
  return select(x != x, x, y);
}

inline V sigmoid(V x) { return 1.0f / (1.0f + exp(-x)); }
// tanh(u) = 1 − 2 / (e^{2u} + 1), exact at ±inf.
inline V tanh(V u) { return 1.0f - 2.0f / (exp(2.0f * u) + 1.0f); }
inline V abs(V x) { return bitsToFloat(floatToBits(x) & 0x7fffffff); }

// erf by Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7), odd-extended.
inline V erf(V x) {
  const V a = abs(x);
  const V t = 1.0f / (1.0f + 0.3275911f * a);
  V p = splat(1.061405429f);
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  const V y = 1.0f - p * t * exp(-a * a);
  return select(x < 0.0f, -y, y);
}

// out[i] = f(x[i]) over [i0, i1); the ragged tail goes through the same vector code on a padded copy.
template <typename F>
inline void map(const float* x, float* out, int64_t i0, int64_t i1, F f) {
  int64_t i = i0;
  for (; i + kLanes <= i1; i += kLanes) store(out + i, f(load(x + i)));
  if (i < i1) {
    float in[kLanes] = {0}, res[kLanes];
    std::memcpy(in, x + i, static_cast<size_t>(i1 - i) * sizeof(float));
    store(res, f(load(in)));
    std::memcpy(out + i, res, static_cast<size_t>(i1 - i) * sizeof(float));
  }
}

// out[i] = f(x[i], y[i]) over [i0, i1), as map.
template <typename F>
inline void map2(const float* x, const float* y, float* out, int64_t i0, int64_t i1, F f) {
  int64_t i = i0;
  for (; i + kLanes <= i1; i += kLanes) store(out + i, f(load(x + i), load(y + i)));
  if (i < i1) {
    float a[kLanes] = {0}, b[kLanes] = {0}, res[kLanes];
    std::memcpy(a, x + i, static_cast<size_t>(i1 - i) * sizeof(float));
    std::memcpy(b, y + i, static_cast<size_t>(i1 - i) * sizeof(float));
    store(res, f(load(a), load(b)));
    std::memcpy(out + i, res, static_cast<size_t>(i1 - i) * sizeof(float));
  }
}

}  // namespace simd
}  // namespace LLAVA_ISA_NS
}  // namespace llava
