// An sgemm that gives OpenBLAS 0.3.21's Haswell sgemm's bits (one single-threaded cblas_sgemm call,
// RowMajor, alpha 1, beta 0) with this build's widest vectors: AVX-512 in the x86-64-v4 build, AVX2
// in the x86-64-v3 build. Included by kernels.cc inside its build's namespace.
//
// A float sum's bits depend only on the order of its additions, not on the vector width that runs
// them, so this reproduces, element by element, the order OpenBLAS sums in. cblas RowMajor
// C = A·B runs as column-major Cᵀ = Bᵀ·Aᵀ: the "kernel" below has M = our n (columns of C) and N = our
// m (rows of C). In OpenBLAS 0.3.21 (driver/level3/level3.c, param.h HASWELL, kernel/x86_64/
// sgemm_kernel_8x4_haswell_2.c; single-threaded, no small-matrix path for Haswell):
// - C is zeroed (beta 0), then K is cut into chunks (GEMM_Q 320; a rest in (320, 640) halves, rounded
//   up to 8) and each chunk's sum is added to C: c = fma(acc, alpha = 1, c).
// - Within a chunk, each element's acc is one FMA chain over k from +0, except in the micro-kernels
//   that unroll k by two into two accumulator sets: for k below the chunk's multiple of 8, even k go to
//   one chain and odd k to another, the rest go to the even chain, and acc = even + odd.
// - Which micro-kernel computes an element depends on its place: C's columns are cut into blocks of
//   GEMM_P 320 rows of the kernel's M (same halving rule); in the first block the rows of C go through
//   the kernel in groups of 12 while 12 remain, then 4, then the rest (≤ 4 → 2 + 1), in later blocks
//   12s, then 8, 4, 2, 1. Groups of 4 split k for the block's first multiple of 8 columns. Groups of 12
//   in blocks of at least 16 columns run a staggered 16 × 6 scheme whose 8 × 6 end pieces split k: the
//   left 6 rows for the block's first 8 columns, and for the last 8 of its multiple of 8 columns the left
//   or the right 6 rows (whichever the last 16 × 6 step did not cover). Everything else is one chain.
// test/native_gemm.test.ts checks the bits against OpenBLAS Haswell on many shapes.
#pragma once
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#define LLAVA_HASWELL_ORDER_GEMM_SIMD 1
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace llava {
namespace LLAVA_ISA_NS {
namespace haswell_order {

constexpr int64_t kQ = 320, kP = 320, kUnrollM = 8;
// The length of the next block of `rest` (level3.c's rule for K chunks and M blocks).
inline int64_t blockLength(int64_t rest, int64_t limit) {
  if (rest >= 2 * limit) return limit;
  if (rest > limit) return (rest / 2 + kUnrollM - 1) / kUnrollM * kUnrollM;
  return rest;
}

// What a row of C (a column of the kernel's N) is in a block's grouping.
enum RowKind : uint8_t { kOneChain = 0, kLeftOf12 = 1, kRightOf12 = 2, kGroupOf4 = 3 };

inline int64_t laterGroup(int64_t rest) { return rest > 11 ? 12 : rest > 7 ? 8 : rest > 3 ? 4 : rest > 1 ? 2 : 1; }

// Row kinds for the first column block (is == 0: the kernel called per 12 / 4 / rest rows) and later ones.
inline void rowKinds(int64_t rows, uint8_t* first, uint8_t* later) {
  auto mark = [](uint8_t* kind, int64_t start, int64_t size) {
    for (int64_t r = 0; r < size; ++r) kind[start + r] = size == 12 ? (r < 6 ? kLeftOf12 : kRightOf12) : size == 4 ? kGroupOf4 : kOneChain;
  };
  for (int64_t j = 0; j < rows;) {
    int64_t call = rows - j;
    call = call >= 12 ? 12 : call > 4 ? 4 : call;
    for (int64_t done = 0; done < call;) {
      const int64_t g = laterGroup(call - done);
      mark(first, j + done, g);
      done += g;
    }
    j += call;
  }
  for (int64_t j = 0; j < rows;) {
    const int64_t g = laterGroup(rows - j);
    mark(later, j, g);
    j += g;
  }
}

// Per column of C: bit (kind − 1) says whether a row of that kind splits k there; bit 3: first block.
inline void columnCodes(int64_t cols, uint8_t* code) {
  for (int64_t is = 0; is < cols;) {
    const int64_t mi = blockLength(cols - is, kP), m8 = mi / 8 * 8;
    const bool staggered = mi >= 16, lastIsLeft = ((m8 / 8 - 1) & 1) != 0;
    for (int64_t r = 0; r < mi; ++r) {
      const bool end8 = staggered && r < m8 && r >= m8 - 8;
      uint8_t c = is == 0 ? 8 : 0;
      if (staggered && r < m8 && (r < 8 || (lastIsLeft && end8))) c |= 1;
      if (!lastIsLeft && end8) c |= 2;
      if (r < m8) c |= 4;
      code[is + r] = c;
    }
    is += mi;
  }
}

inline bool splits(uint8_t code, uint8_t kindFirst, uint8_t kindLater) {
  const uint8_t kind = (code & 8) ? kindFirst : kindLater;
  return kind != kOneChain && ((code >> (kind - 1)) & 1);
}

#if defined(__AVX512F__)
struct Vec {
  static constexpr int kLanes = 16;
  using T = __m512;
  using Mask = __mmask16;
  static T zero() { return _mm512_setzero_ps(); }
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static T broadcast(const float* p) { return _mm512_set1_ps(*p); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static T maskFma(T a, T b, T c, Mask m) { return _mm512_mask3_fmadd_ps(a, b, c, m); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  static Mask mask(uint32_t bits) { return static_cast<Mask>(bits); }
  static Mask notMask(Mask m) { return static_cast<Mask>(~m); }
  static T loadPart(const float* p, int n) { return _mm512_maskz_loadu_ps(static_cast<Mask>((1u << n) - 1), p); }
  static void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static void storePart(float* p, T v, int n) { _mm512_mask_storeu_ps(p, static_cast<Mask>((1u << n) - 1), v); }
};
#elif defined(__AVX2__) && defined(__FMA__)
struct Vec {
  static constexpr int kLanes = 8;
  using T = __m256;
  using Mask = __m256;
  static T zero() { return _mm256_setzero_ps(); }
  static T load(const float* p) { return _mm256_loadu_ps(p); }
  static T broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static T fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static T maskFma(T a, T b, T c, Mask m) { return _mm256_blendv_ps(c, _mm256_fmadd_ps(a, b, c), m); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
  static __m256i laneBits() { return _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128); }
  static Mask mask(uint32_t bits) {
    const __m256i lanes = laneBits();
    return _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<int>(bits)), lanes), lanes));
  }
  static Mask notMask(Mask m) { return _mm256_xor_ps(m, _mm256_castsi256_ps(_mm256_set1_epi32(-1))); }
  static __m256i partMask(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
  static T loadPart(const float* p, int n) { return _mm256_maskload_ps(p, partMask(n)); }
  static void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static void storePart(float* p, T v, int n) { _mm256_maskstore_ps(p, partMask(n), v); }
};
#endif

constexpr int kMaxVecs = 2;                        // vectors per row of a tile
constexpr int kTileCols = kMaxVecs * Vec::kLanes;  // 32 (AVX-512) or 16 (AVX2) columns of C at most
constexpr int kTileRows = 6;
constexpr bool kPairRows = Vec::kLanes == 16;  // 12-row tiles (a group of 12) where both halves sum alike
constexpr int64_t kBlockCols = 512;                // columns of B packed at a time, about

// How a vector's lanes sum k below the chunk's multiple of 8: all as one chain, all split even / odd,
// or some of each (a mask).
enum Mode { kSimple, kSplit, kMixed };

// One tile: R rows × NV vectors of C += the chunk's sums, vector v summing as Mv says (its lanes that
// split in split[v], the same for every row of the tile). A's value for row r and k p (broadcast) is
// ap[r·rs + p·ks]; B's values for k p are the NV vectors at bp + p·bs.
template <int R, int NV, Mode M0, Mode M1>
inline void tile(const float* ap, int64_t rs, int64_t ks, const float* bp, int64_t bs, int64_t kc, int64_t k8, const typename Vec::Mask* split,
                 bool firstChunk, float* c, int64_t ldc, int cols) {
  using T = typename Vec::T;
  constexpr bool anySplit = M0 != kSimple || (NV > 1 && M1 != kSimple);
  const Mode modes[2] = {M0, M1};
  T even[R][NV], odd[anySplit ? R : 1][NV];
  #pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
    #pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) even[r][v] = odd[anySplit ? r : 0][v] = Vec::zero();
  int64_t p = 0;
  if (anySplit) {
    typename Vec::Mask single[NV];
    #pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) single[v] = Vec::notMask(split[v]);
    for (; p < k8; p += 2) {
      T b0[NV], b1[NV];
      #pragma GCC unroll 16
      for (int v = 0; v < NV; ++v) {
        b0[v] = Vec::load(bp + p * bs + v * Vec::kLanes);
        b1[v] = Vec::load(bp + (p + 1) * bs + v * Vec::kLanes);
      }
      #pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const T a0 = Vec::broadcast(ap + p * ks + r * rs), a1 = Vec::broadcast(ap + (p + 1) * ks + r * rs);
        #pragma GCC unroll 16
        for (int v = 0; v < NV; ++v) {
          even[r][v] = Vec::fma(a0, b0[v], even[r][v]);
          if (modes[v] == kSimple) {
            even[r][v] = Vec::fma(a1, b1[v], even[r][v]);
          } else if (modes[v] == kSplit) {
            odd[r][v] = Vec::fma(a1, b1[v], odd[r][v]);
          } else {
            even[r][v] = Vec::maskFma(a1, b1[v], even[r][v], single[v]);
            odd[r][v] = Vec::maskFma(a1, b1[v], odd[r][v], split[v]);
          }
        }
      }
    }
  }
  for (; p < kc; ++p) {
    T b[NV];
    #pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) b[v] = Vec::load(bp + p * bs + v * Vec::kLanes);
    #pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const T a = Vec::broadcast(ap + p * ks + r * rs);
      #pragma GCC unroll 16
      for (int v = 0; v < NV; ++v) even[r][v] = Vec::fma(a, b[v], even[r][v]);
    }
  }
  // acc (+ odd: +0 where a lane does not split, which leaves acc's bits) added to C, as the kernel's
  // fma(acc, 1, c) does; the first chunk adds to the zeros of beta = 0.
  #pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    float* cr = c + r * ldc;
    #pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) {
      const T acc = modes[v] == kSimple ? even[r][v] : Vec::add(even[r][v], odd[anySplit ? r : 0][v]);
      const int lanes = std::min(Vec::kLanes, cols - v * Vec::kLanes);
      if (lanes <= 0) break;
      float* cv = cr + v * Vec::kLanes;
      if (lanes == Vec::kLanes) Vec::store(cv, Vec::add(acc, firstChunk ? Vec::zero() : Vec::load(cv)));
      else Vec::storePart(cv, Vec::add(acc, firstChunk ? Vec::zero() : Vec::loadPart(cv, lanes)), lanes);
    }
  }
}

using TileFn = void (*)(const float*, int64_t, int64_t, const float*, int64_t, int64_t, int64_t, const typename Vec::Mask*, bool, float*, int64_t, int);

template <int R>
inline TileFn tileFor(int nv, Mode m0, Mode m1) {
  static const TileFn one[3] = {tile<R, 1, kSimple, kSimple>, tile<R, 1, kSplit, kSimple>, tile<R, 1, kMixed, kSimple>};
  static const TileFn two[3][3] = {{tile<R, 2, kSimple, kSimple>, tile<R, 2, kSimple, kSplit>, tile<R, 2, kSimple, kMixed>},
                                   {tile<R, 2, kSplit, kSimple>, tile<R, 2, kSplit, kSplit>, tile<R, 2, kSplit, kMixed>},
                                   {tile<R, 2, kMixed, kSimple>, tile<R, 2, kMixed, kSplit>, tile<R, 2, kMixed, kMixed>}};
  return nv == 1 ? one[m0] : two[m0][m1];
}

inline TileFn tileFor(int rows, int nv, Mode m0, Mode m1) {
  switch (rows) {
    case 6: return tileFor<6>(nv, m0, m1);
    case 5: return tileFor<5>(nv, m0, m1);
    case 4: return tileFor<4>(nv, m0, m1);
    case 3: return tileFor<3>(nv, m0, m1);
    case 2: return tileFor<2>(nv, m0, m1);
    default: return tileFor<1>(nv, m0, m1);
  }
}

// dst[p·tw + i] = src[i·ld + p] for i < w, p < kc; zeros for w ≤ i < tw. 8 × 8 blocks go through
// registers (AVX), the edges one by one.
inline void packTransposed(const float* src, int64_t ld, int w, int64_t kc, float* dst, int tw) {
  const int w8 = w / 8 * 8;
  const int64_t k8 = kc / 8 * 8;
  for (int i = 0; i < w8; i += 8) {
    const float* s = src + i * ld;
    for (int64_t p = 0; p < k8; p += 8) {
      __m256 r0 = _mm256_loadu_ps(s + 0 * ld + p), r1 = _mm256_loadu_ps(s + 1 * ld + p), r2 = _mm256_loadu_ps(s + 2 * ld + p),
             r3 = _mm256_loadu_ps(s + 3 * ld + p), r4 = _mm256_loadu_ps(s + 4 * ld + p), r5 = _mm256_loadu_ps(s + 5 * ld + p),
             r6 = _mm256_loadu_ps(s + 6 * ld + p), r7 = _mm256_loadu_ps(s + 7 * ld + p);
      const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
                   t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
                   t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
      const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE), u2 = _mm256_shuffle_ps(t1, t3, 0x44),
                   u3 = _mm256_shuffle_ps(t1, t3, 0xEE), u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
                   u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
      r0 = _mm256_permute2f128_ps(u0, u4, 0x20);
      r1 = _mm256_permute2f128_ps(u1, u5, 0x20);
      r2 = _mm256_permute2f128_ps(u2, u6, 0x20);
      r3 = _mm256_permute2f128_ps(u3, u7, 0x20);
      r4 = _mm256_permute2f128_ps(u0, u4, 0x31);
      r5 = _mm256_permute2f128_ps(u1, u5, 0x31);
      r6 = _mm256_permute2f128_ps(u2, u6, 0x31);
      r7 = _mm256_permute2f128_ps(u3, u7, 0x31);
      float* d = dst + p * tw + i;
      _mm256_storeu_ps(d + 0 * tw, r0);
      _mm256_storeu_ps(d + 1 * tw, r1);
      _mm256_storeu_ps(d + 2 * tw, r2);
      _mm256_storeu_ps(d + 3 * tw, r3);
      _mm256_storeu_ps(d + 4 * tw, r4);
      _mm256_storeu_ps(d + 5 * tw, r5);
      _mm256_storeu_ps(d + 6 * tw, r6);
      _mm256_storeu_ps(d + 7 * tw, r7);
    }
    for (int64_t p = k8; p < kc; ++p)
      for (int q = 0; q < 8; ++q) dst[p * tw + i + q] = s[q * ld + p];
  }
  for (int64_t p = 0; p < kc; ++p) {
    for (int i = w8; i < w; ++i) dst[p * tw + i] = src[i * ld + p];
    for (int i = w; i < tw; ++i) dst[p * tw + i] = 0.0f;
  }
}

struct Span {
  int64_t start;
  int size;
};

// Columns of C cut into tiles of at most kTileCols within one block of the kernel's M (so a tile's
// lanes that split k sit at the same place in every chunk).
inline void columnTiles(int64_t cols, std::vector<Span>& tiles) {
  tiles.clear();
  for (int64_t is = 0; is < cols;) {
    const int64_t mi = blockLength(cols - is, kP);
    for (int64_t i = 0; i < mi; i += kTileCols) tiles.push_back({is + i, static_cast<int>(std::min<int64_t>(kTileCols, mi - i))});
    is += mi;
  }
}

// Rows of C cut into tiles of at most kTileRows within one group of both groupings (and one half of a
// group of 12), so a tile's rows sum alike.
inline void rowTiles(int64_t offset, int64_t rows, std::vector<Span>& tiles) {
  thread_local std::vector<uint8_t> edge;
  edge.assign(static_cast<size_t>(rows) + 1, 0);
  edge[0] = edge[rows] = 1;
  auto groupEdges = [&](bool first) {
    for (int64_t j = 0; j < rows;) {
      int64_t call = rows - j;
      if (first) call = call >= 12 ? 12 : call > 4 ? 4 : call;
      for (int64_t done = 0; done < call;) {
        const int64_t g = laterGroup(call - done);
        edge[j + done] = 1;
        if (g == 12) edge[j + done + 6] = 1;
        done += g;
      }
      j += call;
    }
  };
  groupEdges(true);
  groupEdges(false);
  for (int64_t j = 0; j < rows;) {
    int64_t e = j + 1;
    while (!edge[e] && e - j < kTileRows) ++e;
    tiles.push_back({offset + j, static_cast<int>(e - j)});
    j = e;
  }
}

inline Mode modeOf(uint32_t bits, uint32_t valid) { return bits == 0 ? kSimple : bits == valid ? kSplit : kMixed; }

// C [m, n] (leading dimension ldc) = op(A) op(B), each block of rowBlock rows of C (the last one
// shorter) bit for bit what one single-threaded cblas_sgemm call on those rows of OpenBLAS 0.3.21's
// Haswell kernels gives (RowMajor, alpha 1, beta 0). Computes share `part` of `parts` of C's tiles, of
// its rows where A is transposed (each share packs its own rows of A), else of its columns (each packs
// its own columns of B): the shares can run on different threads, and the bits do not depend on how C
// is shared out.
inline void gemm(const float* a, const float* b, float* c, int64_t m, int64_t n, int64_t k, bool transA, bool transB, int64_t lda,
                 int64_t ldb, int64_t ldc, int64_t rowBlock, int part, int parts) {
  if (m <= 0 || n <= 0) return;
  thread_local std::vector<uint8_t> kindFirst, kindLater, code;
  thread_local std::vector<Span> cTiles, rTiles;
  thread_local std::vector<uint32_t> tileMasks;  // [column tile][kindFirst * 4 + kindLater]: split lanes
  thread_local std::vector<float> packedA, packedB;
  struct TileB {
    const float* data;
    int64_t stride;
  };
  thread_local std::vector<TileB> tileB;
  if (rowBlock <= 0) rowBlock = m;
  // The summation order's map depends on the shape alone: kept for the next call of the same shape
  // (a batch of products, the shares of one).
  thread_local int64_t mapped[3] = {-1, -1, -1};
  if (mapped[0] != m || mapped[1] != n || mapped[2] != rowBlock) {
    kindFirst.resize(m);
    kindLater.resize(m);
    rTiles.clear();
    for (int64_t b0 = 0; b0 < m; b0 += rowBlock) {
      const int64_t rows = std::min(rowBlock, m - b0);
      rowKinds(rows, kindFirst.data() + b0, kindLater.data() + b0);
      rowTiles(b0, rows, rTiles);
    }
    columnTiles(n, cTiles);
    code.resize(n);
    columnCodes(n, code.data());
    tileMasks.assign(cTiles.size() * 16, 0);
    for (size_t t = 0; t < cTiles.size(); ++t)
      for (int i = 0; i < cTiles[t].size; ++i)
        for (uint8_t kf = 0; kf < 4; ++kf)
          for (uint8_t kl = 0; kl < 4; ++kl)
            if (splits(code[cTiles[t].start + i], kf, kl)) tileMasks[t * 16 + kf * 4 + kl] |= 1u << i;
    mapped[0] = m;
    mapped[1] = n;
    mapped[2] = rowBlock;
  }
  const int64_t allTiles = static_cast<int64_t>(cTiles.size()), allRowTiles = static_cast<int64_t>(rTiles.size());
  const int64_t shared = transA ? allRowTiles : allTiles, from = shared * part / parts, to = shared * (part + 1) / parts;
  if (from >= to) return;
  const int64_t tBegin = transA ? 0 : from, tEnd = transA ? allTiles : to;
  const size_t rBegin = static_cast<size_t>(transA ? from : 0), rEnd = static_cast<size_t>(transA ? to : allRowTiles);
  if (k <= 0) {
    const int64_t i0 = cTiles[tBegin].start, i1 = cTiles[tEnd - 1].start + cTiles[tEnd - 1].size;
    for (size_t rt = rBegin; rt < rEnd; ++rt)
      for (int64_t j = rTiles[rt].start; j < rTiles[rt].start + rTiles[rt].size; ++j) std::fill(c + j * ldc + i0, c + j * ldc + i1, 0.0f);
    return;
  }
  packedB.resize(static_cast<size_t>(kQ * (kBlockCols + 2 * kTileCols)));
  packedA.resize(static_cast<size_t>(kQ * 2 * kTileRows));
  tileB.resize(static_cast<size_t>(kBlockCols / Vec::kLanes + 2));
  for (int64_t ls = 0; ls < k;) {
    const int64_t kc = blockLength(k - ls, kQ), k8 = kc >= 8 ? kc / 8 * 8 : 0;
    for (int64_t t0 = tBegin; t0 < tEnd;) {
      // A block of column tiles.
      int64_t t1 = t0, width = 0;
      while (t1 < tEnd && width < kBlockCols) width += (cTiles[t1++].size + Vec::kLanes - 1) / Vec::kLanes * Vec::kLanes;
      // Where each tile reads B: in place (B's rows hold a whole tile's columns, and are not a multiple
      // of 4 KiB apart, which would put all of them in one set of the L1 cache: 1024³ ran 1.06× OpenBLAS
      // in place, 1.24× packed), else packed as [p][tile width], zero past the tile's columns.
      const bool inPlace = !transB && ldb % 1024 != 0;
      float* dst = packedB.data();
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t i0 = cTiles[t].start;
        const int w = cTiles[t].size, tw = (w + Vec::kLanes - 1) / Vec::kLanes * Vec::kLanes;
        if (inPlace && w == tw) {
          tileB[t - t0] = {b + ls * ldb + i0, ldb};
          continue;
        }
        if (!transB) {
          for (int64_t p = 0; p < kc; ++p) {
            const float* src = b + (ls + p) * ldb + i0;
            float* d = dst + p * tw;
            int i = 0;
            for (; i + Vec::kLanes <= w; i += Vec::kLanes) Vec::store(d + i, Vec::load(src + i));
            if (i < w) Vec::store(d + i, Vec::loadPart(src + i, w - i));
          }
        } else {
          packTransposed(b + i0 * ldb + ls, ldb, w, kc, dst, tw);
        }
        tileB[t - t0] = {dst, tw};
        dst += kc * tw;
      }
      for (size_t rti = rBegin; rti < rEnd; ++rti) {
        const int64_t r0 = rTiles[rti].start;
        // A group of 12 rows in both groupings runs as one 12-row tile where its two halves sum alike
        // (AVX-512 only: AVX2 has too few registers for it).
        const bool pair = kPairRows && kindFirst[r0] == kLeftOf12 && kindLater[r0] == kLeftOf12 && rti + 1 < rEnd;
        const int rows = pair ? 12 : rTiles[rti].size;
        if (pair) ++rti;
        // A is read in place (row r0 + r, k ls + p), or packed as [kc][rows] where its rows are columns.
        const float* pa = a + r0 * lda + ls;
        int64_t rs = lda, ks = 1;
        if (transA) {
          float* packed = packedA.data();
          for (int64_t p = 0; p < kc; ++p) {
            const float* src = a + (ls + p) * lda + r0;
            float* d = packed + p * rows;
            int r = 0;
            for (; r + Vec::kLanes <= rows; r += Vec::kLanes) Vec::store(d + r, Vec::load(src + r));
            if (r < rows) Vec::storePart(d + r, Vec::loadPart(src + r, rows - r), rows - r);
          }
          pa = packed;
          rs = 1;
          ks = rows;
        }
        // Each half's modes per vector and split lanes for tile t.
        auto modesOf = [&](int64_t t, int64_t row, typename Vec::Mask* split, Mode* modes) {
          const int w = cTiles[t].size;
          const uint32_t bits = k8 > 0 ? tileMasks[t * 16 + kindFirst[row] * 4 + kindLater[row]] : 0;
          for (int v = 0; v < kMaxVecs; ++v) {
            const int lanes = std::clamp(w - v * Vec::kLanes, 0, Vec::kLanes);
            const uint32_t valid = (1u << lanes) - 1, vb = (bits >> (v * Vec::kLanes)) & valid;
            split[v] = Vec::mask(vb);
            modes[v] = lanes == 0 ? kSimple : modeOf(vb, valid);
          }
        };
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t i0 = cTiles[t].start;
          const int w = cTiles[t].size, nv = (w + Vec::kLanes - 1) / Vec::kLanes;
          const TileB& bt = tileB[t - t0];
          typename Vec::Mask split[kMaxVecs], split2[kMaxVecs];
          Mode modes[kMaxVecs], modes2[kMaxVecs];
          modesOf(t, r0, split, modes);
          if (!pair) {
            tileFor(rows, nv, modes[0], modes[1])(pa, rs, ks, bt.data, bt.stride, kc, k8, split, ls == 0, c + r0 * ldc + i0, ldc, w);
            continue;
          }
          modesOf(t, r0 + 6, split2, modes2);
          if constexpr (kPairRows) {
            if (modes[0] == kSimple && modes[1] == kSimple && modes2[0] == kSimple && modes2[1] == kSimple) {
              (nv == 2 ? tile<12, 2, kSimple, kSimple> : tile<12, 1, kSimple, kSimple>)(pa, rs, ks, bt.data, bt.stride, kc, k8, split, ls == 0,
                                                                                       c + r0 * ldc + i0, ldc, w);
              continue;
            }
          }
          tileFor(6, nv, modes[0], modes[1])(pa, rs, ks, bt.data, bt.stride, kc, k8, split, ls == 0, c + r0 * ldc + i0, ldc, w);
          tileFor(6, nv, modes2[0], modes2[1])(pa + 6 * rs, rs, ks, bt.data, bt.stride, kc, k8, split2, ls == 0, c + (r0 + 6) * ldc + i0, ldc,
                                                w);
        }
      }
      t0 = t1;
    }
    ls += kc;
  }
}
}  // namespace haswell_order
}  // namespace LLAVA_ISA_NS
}  // namespace llava
#endif
