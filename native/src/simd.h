// Eight-lane float math written with GCC/Clang vector extensions, so exp-based loops run as SIMD on
// whatever the compiler targets (AVX2 with -march=native here, two SSE halves elsewhere). GCC 12
// would not vectorise the scalar exp: the clamp before the floor left control flow in the loop.
#pragma once
#include <cstdint>
#include <cstring>
#include <limits>

namespace llava::simd {

typedef float V8 __attribute__((vector_size(32)));
typedef int32_t I8 __attribute__((vector_size(32)));

inline V8 splat(float v) { return V8{} + v; }
inline V8 load(const float* p) {
  V8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, V8 v) { std::memcpy(p, &v, sizeof v); }
inline V8 select(I8 mask, V8 a, V8 b) { return mask ? a : b; }
inline V8 bitsToFloat(I8 v) {
  V8 f;
  std::memcpy(&f, &v, sizeof f);
  return f;
}
inline I8 floatToBits(V8 v) {
  I8 i;
  std::memcpy(&i, &v, sizeof i);
  return i;
}

// exp(x) = 2^k · e^r with r in [−ln2/2, ln2/2] and Cephes' degree-6 polynomial for e^r (relative error
// ~2e-7). Saturates like expf: +inf above ~88.7, 0 below ~−87.3, NaN stays NaN.
inline V8 exp(V8 x) {
  V8 xc = select(x != x, splat(0.0f), x);
  xc = select(xc < -87.3f, splat(-87.3f), xc);
  xc = select(xc > 88.7f, splat(88.7f), xc);
  const V8 kf = xc * 1.44269504088896341f + 0.5f;
  const I8 truncated = __builtin_convertvector(kf, I8);
  const I8 ki = truncated + (__builtin_convertvector(truncated, V8) > kf);  // floor: the mask is −1 where true
  const V8 k = __builtin_convertvector(ki, V8);
  const V8 r = xc - k * 0.693359375f + k * 2.12194440e-4f;
  V8 p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const V8 e = p * r * r + r + 1.0f;
  V8 y = e * bitsToFloat((ki + 127) << 23);
  y = select(x > 88.7f, splat(std::numeric_limits<float>::infinity()), y);
  y = select(x < -87.3f, splat(0.0f), y);
  return select(x != x, x, y);
}

inline V8 sigmoid(V8 x) { return 1.0f / (1.0f + exp(-x)); }
// tanh(u) = 1 − 2 / (e^{2u} + 1), exact at ±inf.
inline V8 tanh(V8 u) { return 1.0f - 2.0f / (exp(2.0f * u) + 1.0f); }
inline V8 abs(V8 x) { return bitsToFloat(floatToBits(x) & 0x7fffffff); }

// erf by Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7), odd-extended.
inline V8 erf(V8 x) {
  const V8 a = abs(x);
  const V8 t = 1.0f / (1.0f + 0.3275911f * a);
  V8 p = splat(1.061405429f);
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  const V8 y = 1.0f - p * t * exp(-a * a);
  return select(x < 0.0f, -y, y);
}

// out[i] = f(x[i]) over [i0, i1); the ragged tail goes through the same vector code on a padded copy.
template <typename F>
inline void map(const float* x, float* out, int64_t i0, int64_t i1, F f) {
  int64_t i = i0;
  for (; i + 8 <= i1; i += 8) store(out + i, f(load(x + i)));
  if (i < i1) {
    float in[8] = {0}, res[8];
    std::memcpy(in, x + i, static_cast<size_t>(i1 - i) * sizeof(float));
    store(res, f(load(in)));
    std::memcpy(out + i, res, static_cast<size_t>(i1 - i) * sizeof(float));
  }
}

// out[i] = f(x[i], y[i]) over [i0, i1), as map.
template <typename F>
inline void map2(const float* x, const float* y, float* out, int64_t i0, int64_t i1, F f) {
  int64_t i = i0;
  for (; i + 8 <= i1; i += 8) store(out + i, f(load(x + i), load(y + i)));
  if (i < i1) {
    float a[8] = {0}, b[8] = {0}, res[8];
    std::memcpy(a, x + i, static_cast<size_t>(i1 - i) * sizeof(float));
    std::memcpy(b, y + i, static_cast<size_t>(i1 - i) * sizeof(float));
    store(res, f(load(a), load(b)));
    std::memcpy(out + i, res, static_cast<size_t>(i1 - i) * sizeof(float));
  }
}

}  // namespace llava::simd
