// Register-blocked products for attention's short operands (attention.cc): T and the head width are
// tens there, where the generic gemm entry's packing and dispatch cost more than the arithmetic.
// Included by kernels.cc inside its build's namespace, so each build runs its widest vectors: 8 rows ×
// 2 vectors of 16 in the AVX-512 build, 4 rows × 3 vectors of 8 in the AVX2 one.
//
// C [m, n] (row stride ldc, n a multiple of 16) = A · B, where A's element (i, p) is a[i·aRow + p·aStep]
// (a transposed A is only other strides) and B is [k, n] with row stride ldb. Each element of C is one
// fused multiply-add chain over p = 0 … k − 1 from zero, in order, so its bits depend neither on the
// blocking nor on the vector width: the AVX2 and AVX-512 builds give the same bits.
#pragma once
#if defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>
#endif

#include <cstdint>

#include "simd.h"

namespace llava {
namespace LLAVA_ISA_NS {
namespace short_gemm {

using simd::V;
using simd::kLanes;

#if defined(__AVX512F__)
inline V loadu(const float* p) { return _mm512_loadu_ps(p); }
inline void storeu(float* p, V v) { _mm512_storeu_ps(p, v); }
inline V broadcast(const float* p) { return _mm512_set1_ps(*p); }
inline V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
constexpr int kRows = 8, kVectors = 2;
#elif defined(__FMA__)
inline V loadu(const float* p) { return _mm256_loadu_ps(p); }
inline void storeu(float* p, V v) { _mm256_storeu_ps(p, v); }
inline V broadcast(const float* p) { return _mm256_broadcast_ss(p); }
inline V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
constexpr int kRows = 4, kVectors = 3;
#else
inline V loadu(const float* p) { return simd::load(p); }
inline void storeu(float* p, V v) { simd::store(p, v); }
inline V broadcast(const float* p) { return simd::splat(*p); }
inline V fma(V a, V b, V c) { return a * b + c; }
constexpr int kRows = 4, kVectors = 2;
#endif
static_assert(16 % kLanes == 0, "n is padded to 16 columns");

// One block of R rows × NV vectors, its accumulators in registers. The steps are spelled out per row
// and vector: with loops over them GCC 12 kept the accumulators in memory, stored on every step.
template <int R, int NV>
void block(const float* __restrict a, int64_t aRow, int64_t aStep, const float* __restrict b, int64_t ldb, float* __restrict c, int64_t ldc,
           int64_t k) {
  static_assert(R >= 1 && R <= 8 && NV >= 1 && NV <= 3, "a block is at most 8 rows of 3 vectors");
  V acc[8][3];
#define LLAVA_ZERO(r)                                 \
  if constexpr (R > r) {                              \
    acc[r][0] = V{};                                  \
    if constexpr (NV > 1) acc[r][1] = V{};            \
    if constexpr (NV > 2) acc[r][2] = V{};            \
  }
  LLAVA_ZERO(0) LLAVA_ZERO(1) LLAVA_ZERO(2) LLAVA_ZERO(3) LLAVA_ZERO(4) LLAVA_ZERO(5) LLAVA_ZERO(6) LLAVA_ZERO(7)
#undef LLAVA_ZERO
  for (int64_t p = 0; p < k; ++p, a += aStep, b += ldb) {
    const V b0 = loadu(b);
    const V b1 = NV > 1 ? loadu(b + kLanes) : b0;
    const V b2 = NV > 2 ? loadu(b + 2 * kLanes) : b0;
#define LLAVA_ROW(r)                                                 \
  if constexpr (R > r) {                                             \
    const V ar = broadcast(a + r * aRow);                            \
    acc[r][0] = fma(ar, b0, acc[r][0]);                              \
    if constexpr (NV > 1) acc[r][1] = fma(ar, b1, acc[r][1]);        \
    if constexpr (NV > 2) acc[r][2] = fma(ar, b2, acc[r][2]);        \
  }
    LLAVA_ROW(0) LLAVA_ROW(1) LLAVA_ROW(2) LLAVA_ROW(3) LLAVA_ROW(4) LLAVA_ROW(5) LLAVA_ROW(6) LLAVA_ROW(7)
#undef LLAVA_ROW
  }
#define LLAVA_STORE(r)                                                       \
  if constexpr (R > r) {                                                     \
    storeu(c + r * ldc, acc[r][0]);                                          \
    if constexpr (NV > 1) storeu(c + r * ldc + kLanes, acc[r][1]);           \
    if constexpr (NV > 2) storeu(c + r * ldc + 2 * kLanes, acc[r][2]);       \
  }
  LLAVA_STORE(0) LLAVA_STORE(1) LLAVA_STORE(2) LLAVA_STORE(3) LLAVA_STORE(4) LLAVA_STORE(5) LLAVA_STORE(6) LLAVA_STORE(7)
#undef LLAVA_STORE
}

// R rows of C across its columns: blocks of kVectors vectors, then the rest one block.
template <int R>
void rows(const float* a, int64_t aRow, int64_t aStep, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t n, int64_t k) {
  constexpr int64_t wide = kVectors * kLanes;
  int64_t j = 0;
  for (; j + wide <= n; j += wide) block<R, kVectors>(a, aRow, aStep, b + j, ldb, c + j, ldc, k);
  const int64_t rest = (n - j) / kLanes;
  if (rest == 1) block<R, 1>(a, aRow, aStep, b + j, ldb, c + j, ldc, k);
  if constexpr (kVectors > 2)
    if (rest == 2) block<R, 2>(a, aRow, aStep, b + j, ldb, c + j, ldc, k);
}

template <int R>
void tail(const float* a, int64_t aRow, int64_t aStep, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t m, int64_t n, int64_t k) {
  if constexpr (R > 0) {
    if (m == R) rows<R>(a, aRow, aStep, b, ldb, c, ldc, n, k);
    else tail<R - 1>(a, aRow, aStep, b, ldb, c, ldc, m, n, k);
  }
}

inline void product(const float* a, int64_t aRow, int64_t aStep, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t m, int64_t n,
                    int64_t k) {
  int64_t i = 0;
  for (; i + kRows <= m; i += kRows) rows<kRows>(a + i * aRow, aRow, aStep, b, ldb, c + i * ldc, ldc, n, k);
  tail<kRows - 1>(a + i * aRow, aRow, aStep, b, ldb, c + i * ldc, ldc, m - i, n, k);
}

}  // namespace short_gemm
}  // namespace LLAVA_ISA_NS
}  // namespace llava
