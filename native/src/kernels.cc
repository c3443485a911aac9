// The kernels, compiled once per instruction set (binding.gyp): LLAVA_ISA_NS names the build
// (isa_avx2, isa_avx512, isa_generic), and everything here lives in that namespace, inline helpers
// included, so the linker cannot keep one build's copy of a helper for the other. The standard
// library's templates both builds instantiate are shared: the addon's own objects come first at link
// time, so their base-build copies are kept (test/kernel_build.test.ts reads the addon to check).
#include "kernels.h"
#include "parallel.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#if defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>
#endif

#ifdef USE_OPENBLAS
#include <cblas.h>
#endif

#include "simd.h"
#include "haswell_gemm.h"

namespace llava {
namespace LLAVA_ISA_NS {

using simd::V;

// Built-in kernel: C = op(A) op(B) for one product, rows [r0, r1) of C. The i-k-j order keeps the
// inner loop contiguous in B and C so the compiler vectorises it with FMA.
static void gemmRows(const float* a, const float* b, float* c, int64_t m, int64_t n, int64_t k, bool transA,
                     bool transB, int64_t r0, int64_t r1) {
  std::vector<float> bt;
  const float* bRows = b;  // B as [k, n] row-major
  if (transB) {
    bt.resize(static_cast<size_t>(k * n));
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p) bt[p * n + j] = b[j * k + p];
    bRows = bt.data();
  }
  constexpr int64_t KB = 256;
  for (int64_t i = r0; i < r1; ++i) std::fill(c + i * n, c + (i + 1) * n, 0.0f);
  for (int64_t p0 = 0; p0 < k; p0 += KB) {
    const int64_t p1 = std::min(k, p0 + KB);
    for (int64_t i = r0; i < r1; ++i) {
      float* ci = c + i * n;
      for (int64_t p = p0; p < p1; ++p) {
        const float aip = transA ? a[p * m + i] : a[i * k + p];
        const float* bp = bRows + p * n;
        for (int64_t j = 0; j < n; ++j) ci[j] += aip * bp[j];
      }
    }
  }
}

#ifdef USE_OPENBLAS
// OpenBLAS runs single-threaded and the pool splits each product instead: OpenBLAS's own workers
// busy-wait after every call and fought the pool's worker for the two cores.
static void blasSingleThreaded() {
  static const bool done = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)done;
}

// C block = op(A) op(B) with explicit leading dimensions.
static void blasGemm(const float* a, const float* b, float* c, int64_t m, int64_t n, int64_t k, bool transA, bool transB,
                     int64_t lda, int64_t ldb, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), 1.0f, a, static_cast<int>(lda), b, static_cast<int>(ldb), 0.0f, c,
              static_cast<int>(ldc));
}
#endif

static void gemmOne(const float* a, const float* b, float* c, int64_t m, int64_t n, int64_t k, bool transA,
                    bool transB, bool mayThread, bool builtin) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    std::fill(c, c + m * n, 0.0f);
    return;
  }
#ifdef USE_OPENBLAS
  if (!builtin) {
    blasSingleThreaded();
    const int64_t lda = transA ? m : k, ldb = transB ? k : n;
    // Blocks of C's rows (rows of op(A)), each a multiple of kBlasRowAlign rows, cut by the product's
    // shape alone, each one OpenBLAS call: the result is the same bits whatever the thread count.
    // OpenBLAS's Haswell kernels (the portable bits) give such a block the same bits as those rows of
    // the whole product (they group rows by 12); its SkylakeX kernels do not for every shape (A·Bᵀ
    // with 100 rows, measured), so the blocks must not depend on the thread count. A block edge off the
    // alignment, or a split of C's columns, changes the bits of the rows around it.
    constexpr int64_t kBlasRowAlign = 48, kMaxBlocks = 8;
    const int64_t wanted = std::clamp<int64_t>(m / kBlasRowAlign, 1, kMaxBlocks);
    const int64_t chunk = !mayThread ? m : ((m + wanted - 1) / wanted + kBlasRowAlign - 1) / kBlasRowAlign * kBlasRowAlign;
    if (const SgemmFn standIn = sgemmStandIn()) {
      // The same blocks' bits from haswell_gemm.h, which shares the work out differently (its bits do
      // not depend on the sharing): four shares of C's columns, or of its rows where A is transposed.
      constexpr int kColumnShares = 4;
      if (!mayThread) {
        standIn(a, b, c, m, n, k, transA, transB, lda, ldb, n, chunk, 0, 1);
        return;
      }
      parallelFor(kColumnShares, static_cast<double>(m * n * k) / kColumnShares, [&](int64_t s0, int64_t s1) {
        for (int64_t share = s0; share < s1; ++share) standIn(a, b, c, m, n, k, transA, transB, lda, ldb, n, chunk, static_cast<int>(share), kColumnShares);
      });
      return;
    }
    if (!mayThread) {
      blasGemm(a, b, c, m, n, k, transA, transB, lda, ldb, n);
      return;
    }
    // OpenBLAS itself: the blocks spread C's kBlasRowAlign-row units evenly (their sizes differ by one
    // unit at most, the larger ones spread out), so that the pool's contiguous shares of the blocks
    // hold about as many rows each. Blocks of `chunk` rows left the last block short: 2,080 rows (the
    // ViT's) gave the two threads 1,152 and 928 rows; now 1,056 and 1,024.
    const int64_t units = (m + kBlasRowAlign - 1) / kBlasRowAlign, parts = std::min(units, kMaxBlocks);
    const auto edge = [&](int64_t p) { return std::min(m, p * units / parts * kBlasRowAlign); };
    parallelFor(parts, static_cast<double>(m * n * k) / static_cast<double>(parts), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t r0 = edge(p), r1 = edge(p + 1);
        blasGemm(transA ? a + r0 : a + r0 * k, b, c + r0 * n, r1 - r0, n, k, transA, transB, lda, ldb, n);
      }
    });
    return;
  }
#else
  (void)builtin;
#endif
  if (mayThread) {
    parallelFor(m, static_cast<double>(n * k), [&](int64_t r0, int64_t r1) { gemmRows(a, b, c, m, n, k, transA, transB, r0, r1); });
  } else {
    gemmRows(a, b, c, m, n, k, transA, transB, 0, m);
  }
}

void batchedGemm(const float* a, const float* b, float* c, int64_t batch, int64_t m, int64_t n, int64_t k,
                 bool transA, bool transB, const int64_t* aOffsets, const int64_t* bOffsets, bool builtin) {
  if (batch == 1) {
    gemmOne(a + aOffsets[0], b + bOffsets[0], c, m, n, k, transA, transB, true, builtin);
    return;
  }
  // Many small products: one thread per share of the batch.
  parallelFor(batch, static_cast<double>(m * n * k), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) gemmOne(a + aOffsets[i], b + bOffsets[i], c + i * m * n, m, n, k, transA, transB, false, builtin);
  });
}

// out = exp(in − mx) / Σ exp(in − mx) over one row of n (in and out may be the same row); mx is the
// row's maximum. A row of −inf gives 0 / 0 = NaN, as TF.js does.
static void expNormalise(const float* in, float* out, int64_t n, float mx) {
  if (std::isinf(mx) && mx < 0) mx = 0.0f;
  simd::map(in, out, 0, n, [mx](V v) { return simd::exp(v - mx); });
  float sum = 0.0f;
  for (int64_t j = 0; j < n; ++j) sum += out[j];
  const float inv = 1.0f / sum;
  for (int64_t j = 0; j < n; ++j) out[j] *= inv;
}

void softmaxRows(const float* x, float* out, int64_t rows, int64_t cols) {
  parallelFor(rows, static_cast<double>(cols) * 8, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * cols;
      float* o = out + r * cols;
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < cols; ++j) mx = std::max(mx, xr[j]);
      expNormalise(xr, o, cols, mx);
    }
  });
}

// ---- elementwise --------------------------------------------------------------------------------

namespace {

// Merges adjacent dimensions that both operands traverse the same way, so most calls become a
// single long contiguous or broadcast loop.
int collapse(int rank, const int64_t* shape, const int64_t* sa, const int64_t* sb, int64_t* cs, int64_t* ca, int64_t* cb) {
  int r = 0;
  for (int d = 0; d < rank; ++d) {
    if (shape[d] == 1) continue;
    if (r > 0 && ca[r - 1] == sa[d] * shape[d] && cb[r - 1] == sb[d] * shape[d]) {
      cs[r - 1] *= shape[d];
      ca[r - 1] = sa[d];
      cb[r - 1] = sb[d];
    } else {
      cs[r] = shape[d];
      ca[r] = sa[d];
      cb[r] = sb[d];
      ++r;
    }
  }
  if (r == 0) {
    cs[0] = 1;
    ca[0] = 0;
    cb[0] = 0;
    r = 1;
  }
  return r;
}

// Walks a collapsed N-d box row by row (the last dimension is the row): body(row, offsetA, offsetB)
// gets the row's index and the element offsets of its first element in two strided operands.
template <typename F>
void forEachRow(int rank, const int64_t* shape, const int64_t* sa, const int64_t* sb, F body) {
  int64_t outer = 1;
  for (int d = 0; d < rank - 1; ++d) outer *= shape[d];
  parallelFor(outer, static_cast<double>(shape[rank - 1]), [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      int64_t rest = o, offA = 0, offB = 0;
      for (int d = rank - 2; d >= 0; --d) {
        const int64_t i = rest % shape[d];
        rest /= shape[d];
        offA += i * sa[d];
        offB += i * sb[d];
      }
      body(o, offA, offB);
    }
  });
}

template <typename Op>
void binaryLoop(Op f, const float* a, const float* b, float* out, int rank, const int64_t* shape, const int64_t* sa,
                const int64_t* sb) {
  const int64_t inner = shape[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1];
  forEachRow(rank, shape, sa, sb, [&](int64_t o, int64_t offA, int64_t offB) {
    const float* pa = a + offA;
    const float* pb = b + offB;
    float* po = out + o * inner;
    if (ia == 1 && ib == 1) {
      for (int64_t j = 0; j < inner; ++j) po[j] = f(pa[j], pb[j]);
    } else if (ia == 1 && ib == 0) {
      const float vb = *pb;
      for (int64_t j = 0; j < inner; ++j) po[j] = f(pa[j], vb);
    } else if (ia == 0 && ib == 1) {
      const float va = *pa;
      for (int64_t j = 0; j < inner; ++j) po[j] = f(va, pb[j]);
    } else {
      for (int64_t j = 0; j < inner; ++j) po[j] = f(pa[j * ia], pb[j * ib]);
    }
  });
}

}  // namespace

void binary(int op, const float* a, const float* b, float* out, int rank, const int64_t* outShape, const int64_t* aStrides,
            const int64_t* bStrides) {
  int64_t cs[16], ca[16], cb[16];
  const int r = collapse(rank, outShape, aStrides, bStrides, cs, ca, cb);
  switch (op) {
    case kAdd: return binaryLoop([](float x, float y) { return x + y; }, a, b, out, r, cs, ca, cb);
    case kSub: return binaryLoop([](float x, float y) { return x - y; }, a, b, out, r, cs, ca, cb);
    case kMul: return binaryLoop([](float x, float y) { return x * y; }, a, b, out, r, cs, ca, cb);
    case kDiv: return binaryLoop([](float x, float y) { return x / y; }, a, b, out, r, cs, ca, cb);
    case kMaximum: return binaryLoop([](float x, float y) { return (std::isnan(x) || std::isnan(y)) ? NAN : std::max(x, y); }, a, b, out, r, cs, ca, cb);
    case kMinimum: return binaryLoop([](float x, float y) { return (std::isnan(x) || std::isnan(y)) ? NAN : std::min(x, y); }, a, b, out, r, cs, ca, cb);
    case kSquaredDifference: return binaryLoop([](float x, float y) { return (x - y) * (x - y); }, a, b, out, r, cs, ca, cb);
  }
}

template <typename Op>
static void unaryLoop(Op f, const float* x, float* out, int64_t n) {
  parallelFor(n, 4.0, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) out[i] = f(x[i]);
  });
}

template <typename Op>
static void unaryVectorLoop(Op f, const float* x, float* out, int64_t n) {
  parallelFor(n, 4.0, [&](int64_t i0, int64_t i1) { simd::map(x, out, i0, i1, f); });
}

void unary(int op, const float* x, float* out, int64_t n) {
  switch (op) {
    case kNeg: return unaryLoop([](float v) { return -v; }, x, out, n);
    case kExp: return unaryVectorLoop([](V v) { return simd::exp(v); }, x, out, n);
    case kLog: return unaryLoop([](float v) { return std::log(v); }, x, out, n);
    case kSqrt: return unaryLoop([](float v) { return std::sqrt(v); }, x, out, n);
    case kRsqrt: return unaryLoop([](float v) { return 1.0f / std::sqrt(v); }, x, out, n);
    case kSquare: return unaryLoop([](float v) { return v * v; }, x, out, n);
    case kSigmoid: return unaryVectorLoop([](V v) { return simd::sigmoid(v); }, x, out, n);
    case kTanh: return unaryLoop([](float v) { return std::tanh(v); }, x, out, n);
    case kErf: return unaryLoop([](float v) { return std::erf(v); }, x, out, n);
    case kAbs: return unaryLoop([](float v) { return std::fabs(v); }, x, out, n);
    case kRelu: return unaryLoop([](float v) { return std::isnan(v) ? v : (v > 0 ? v : 0.0f); }, x, out, n);
  }
}

void stridedCopy(const float* src, float* dst, int rank, const int64_t* shape, const int64_t* srcStrides, const int64_t* dstStrides) {
  int64_t cs[16], ca[16], cb[16];
  const int r = collapse(rank, shape, srcStrides, dstStrides, cs, ca, cb);
  const int64_t inner = cs[r - 1], is = ca[r - 1], id = cb[r - 1];
  forEachRow(r, cs, ca, cb, [&](int64_t, int64_t offS, int64_t offD) {
    const float* s = src + offS;
    float* t = dst + offD;
    if (is == 1 && id == 1) {
      std::copy(s, s + inner, t);
    } else {
      for (int64_t j = 0; j < inner; ++j) t[j * id] = s[j * is];
    }
  });
}

void reduceCols(int op, const float* x, float* out, int64_t rows, int64_t cols) {
  // Each thread owns a block of columns and walks the rows, so reads stay contiguous.
  parallelFor(cols, static_cast<double>(rows), [&](int64_t c0, int64_t c1) {
    std::fill(out + c0, out + c1, 0.0f);
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x + r * cols;
      for (int64_t j = c0; j < c1; ++j) out[j] += xr[j];
    }
    if (op == 1)
      for (int64_t j = c0; j < c1; ++j) out[j] /= static_cast<float>(rows);
  });
}

void reduceRows(int op, const float* x, float* out, int64_t rows, int64_t cols) {
  parallelFor(rows, static_cast<double>(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * cols;
      if (op <= 1) {
        float s = 0.0f;
        for (int64_t j = 0; j < cols; ++j) s += xr[j];
        out[r] = op == 1 ? s / static_cast<float>(cols) : s;
      } else {
        float m = op == 2 ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
        bool nan = false;
        for (int64_t j = 0; j < cols; ++j) {
          nan |= std::isnan(xr[j]);
          m = op == 2 ? std::max(m, xr[j]) : std::min(m, xr[j]);
        }
        out[r] = nan ? NAN : m;
      }
    }
  });
}

// The value of x as computed, rounded: the compiler cannot contract the operation that made it with the
// one that uses it (a product into the difference that follows, say).
template <typename T>
inline T rounded(T x) {
  asm("" : "+v"(x));
  return x;
}

// One AdamW step over [i0, i1), explicitly vectorised: the scalar loop stayed scalar (its sqrt kept
// errno), and its bits depended on which products the compiler fused. Each element goes through the
// operations that loop compiled to (GCC 12, both builds): mᵢ = fma(β₁, m, (1 − β₁)·g), vᵢ = fma(β₂, v,
// ((1 − β₂)·g)·g), p = param·fma(−lr, wd, 1), out = p − (lr·(mᵢ / bc₁)) / (√(vᵢ / bc₂) + ε), each other
// product and quotient rounded on its own: the same bits as before, in the portable mode too.
static void adamwRange(const float* param, const float* grad, const float* m, const float* v, float* outParam, float* outM, float* outV,
                       int64_t i0, int64_t i1, float lr, float beta1, float beta2, float eps, float weightDecay, float biasCorrection1,
                       float biasCorrection2) {
  const float decay = std::fma(-lr, weightDecay, 1.0f), keep1 = 1.0f - beta1, keep2 = 1.0f - beta2;
  int64_t i = i0;
#if defined(__AVX512F__) || defined(__FMA__)
#if defined(__AVX512F__)
  const auto fma = [](V a, V b, V c) -> V { return _mm512_fmadd_ps(a, b, c); };
  const auto sqrt = [](V x) -> V { return _mm512_sqrt_ps(x); };
#else
  const auto fma = [](V a, V b, V c) -> V { return _mm256_fmadd_ps(a, b, c); };
  const auto sqrt = [](V x) -> V { return _mm256_sqrt_ps(x); };
#endif
  for (; i + simd::kLanes <= i1; i += simd::kLanes) {
    const V g = simd::load(grad + i);
    const V mi = fma(simd::splat(beta1), simd::load(m + i), rounded(keep1 * g));
    const V vi = fma(simd::splat(beta2), simd::load(v + i), rounded(rounded(keep2 * g) * g));
    const V p = rounded(simd::load(param + i) * decay);
    const V step = rounded(lr * rounded(mi / biasCorrection1));
    simd::store(outM + i, mi);
    simd::store(outV + i, vi);
    simd::store(outParam + i, p - step / (sqrt(rounded(vi / biasCorrection2)) + eps));
  }
#endif
  for (; i < i1; ++i) {
    const float g = grad[i];
    const float mi = std::fma(beta1, m[i], rounded(keep1 * g));
    const float vi = std::fma(beta2, v[i], rounded(rounded(keep2 * g) * g));
    const float p = rounded(param[i] * decay);
    const float step = rounded(lr * rounded(mi / biasCorrection1));
    outM[i] = mi;
    outV[i] = vi;
    outParam[i] = p - step / (std::sqrt(rounded(vi / biasCorrection2)) + eps);
  }
}

void adamw(const float* param, const float* grad, const float* m, const float* v, float* outParam, float* outM, float* outV,
           int64_t n, float lr, float beta1, float beta2, float eps, float weightDecay, float biasCorrection1,
           float biasCorrection2) {
  parallelFor(n, 12.0, [=](int64_t i0, int64_t i1) {
    adamwRange(param, grad, m, v, outParam, outM, outV, i0, i1, lr, beta1, beta2, eps, weightDecay, biasCorrection1, biasCorrection2);
  });
}

void normForward(const float* x, const float* w, const float* b, float* out, float* mean, float* rstd, int64_t rows, int64_t d,
                 float eps, bool center, float offset) {
  parallelFor(rows, static_cast<double>(d) * 4, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * d;
      float* o = out + r * d;
      float mu = 0.0f;
      if (center) {
        for (int64_t j = 0; j < d; ++j) mu += xr[j];
        mu /= static_cast<float>(d);
      }
      float var = 0.0f;
      for (int64_t j = 0; j < d; ++j) var += (xr[j] - mu) * (xr[j] - mu);
      const float rs = 1.0f / std::sqrt(var / static_cast<float>(d) + eps);
      mean[r] = mu;
      rstd[r] = rs;
      for (int64_t j = 0; j < d; ++j) o[j] = (xr[j] - mu) * rs * (w[j] + offset) + (b ? b[j] : 0.0f);
    }
  });
}

// dx row by row; dw and db column by column, each summing every row in order, so the sums are the
// same bits whatever the thread count (a split by rows would add per-thread partial sums).
void normBackward(const float* x, const float* w, const float* dy, const float* mean, const float* rstd, float* dx, float* dw,
                  float* db, int64_t rows, int64_t d, bool center, float offset) {
  parallelFor(rows, static_cast<double>(d) * 6, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * d;
      const float* g = dy + r * d;
      float* o = dx + r * d;
      const float mu = mean[r], rs = rstd[r];
      float sumG = 0.0f, sumGX = 0.0f;
      for (int64_t j = 0; j < d; ++j) {
        const float xhat = (xr[j] - mu) * rs;
        const float gj = g[j] * (w[j] + offset);
        sumG += gj;
        sumGX += gj * xhat;
      }
      const float mG = center ? sumG / static_cast<float>(d) : 0.0f, mGX = sumGX / static_cast<float>(d);
      for (int64_t j = 0; j < d; ++j) {
        const float xhat = (xr[j] - mu) * rs;
        o[j] = rs * (g[j] * (w[j] + offset) - mG - xhat * mGX);
      }
    }
  });
  parallelFor(d, static_cast<double>(rows) * 4, [&](int64_t c0, int64_t c1) {
    for (int64_t j = c0; j < c1; ++j) {
      dw[j] = 0.0f;
      if (db) db[j] = 0.0f;
    }
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x + r * d;
      const float* g = dy + r * d;
      const float mu = mean[r], rs = rstd[r];
      for (int64_t j = c0; j < c1; ++j) {
        dw[j] += g[j] * ((xr[j] - mu) * rs);
        if (db) db[j] += g[j];
      }
    }
  });
}

namespace {
constexpr float kSqrt2OverPi = 0.7978845608028654f;

template <int Kind>
inline V act(V x) {
  if constexpr (Kind == 0) return 0.5f * x * (1.0f + simd::erf(x * 0.7071067811865476f));
  if constexpr (Kind == 1) return 0.5f * x * (1.0f + simd::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
  if constexpr (Kind == 2) return x * simd::sigmoid(1.702f * x);
  if constexpr (Kind == 3) return x * simd::sigmoid(x);
}

template <int Kind>
inline V actDerivative(V x) {
  if constexpr (Kind == 0) {
    return 0.5f * (1.0f + simd::erf(x * 0.7071067811865476f)) + x * 0.3989422804014327f * simd::exp(-0.5f * x * x);
  }
  if constexpr (Kind == 1) {
    const V u = kSqrt2OverPi * (x + 0.044715f * x * x * x);
    const V t = simd::tanh(u);
    return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * kSqrt2OverPi * (1.0f + 3.0f * 0.044715f * x * x);
  }
  if constexpr (Kind == 2) {
    const V s = simd::sigmoid(1.702f * x);
    return s + 1.702f * x * s * (1.0f - s);
  }
  if constexpr (Kind == 3) {
    const V s = simd::sigmoid(x);
    return s * (1.0f + x * (1.0f - s));
  }
}
}  // namespace

template <int Kind>
static void activationLoop(const float* x, float* out, int64_t n) {
  parallelFor(n, 20.0, [=](int64_t i0, int64_t i1) { simd::map(x, out, i0, i1, act<Kind>); });
}

template <int Kind>
static void activationGradLoop(const float* x, const float* dy, float* dx, int64_t n) {
  parallelFor(n, 30.0, [=](int64_t i0, int64_t i1) {
    simd::map2(x, dy, dx, i0, i1, [](V v, V g) { return g * actDerivative<Kind>(v); });
  });
}

void activation(int kind, const float* x, float* out, int64_t n) {
  switch (kind) {
    case 0: return activationLoop<0>(x, out, n);
    case 1: return activationLoop<1>(x, out, n);
    case 2: return activationLoop<2>(x, out, n);
    default: return activationLoop<3>(x, out, n);
  }
}

void activationGrad(int kind, const float* x, const float* dy, float* dx, int64_t n) {
  switch (kind) {
    case 0: return activationGradLoop<0>(x, dy, dx, n);
    case 1: return activationGradLoop<1>(x, dy, dx, n);
    case 2: return activationGradLoop<2>(x, dy, dx, n);
    default: return activationGradLoop<3>(x, dy, dx, n);
  }
}

void attentionSoftmax(const float* scores, const float* mask, float* y, int64_t rows, int64_t tq, int64_t tk, float scale, float cap) {
  parallelFor(rows, static_cast<double>(tk) * 10, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* s = scores + r * tk;
      const float* m = mask ? mask + (r % tq) * tk : nullptr;
      float* o = y + r * tk;
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < tk; ++j) {
        float z = s[j] * scale;
        if (cap > 0) z = cap * std::tanh(z / cap);
        if (m) z += m[j];
        o[j] = z;
        mx = std::max(mx, z);
      }
      expNormalise(o, o, tk, mx);
    }
  });
}

void attentionSoftmaxGrad(const float* y, const float* dy, const float* scores, float* ds, int64_t rows, int64_t tk, float scale,
                          float cap) {
  parallelFor(rows, static_cast<double>(tk) * 6, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* yr = y + r * tk;
      const float* g = dy + r * tk;
      float* o = ds + r * tk;
      float dot = 0.0f;
      for (int64_t j = 0; j < tk; ++j) dot += g[j] * yr[j];
      for (int64_t j = 0; j < tk; ++j) {
        float d = yr[j] * (g[j] - dot) * scale;
        if (cap > 0) {
          const float t = std::tanh(scores[r * tk + j] * scale / cap);
          d *= 1.0f - t * t;
        }
        o[j] = d;
      }
    }
  });
}

void linearForward(const float* x, const float* w, const float* b, float* y, int64_t rows, int64_t in, int64_t out) {
  const int64_t zero = 0;
  batchedGemm(x, w, y, 1, rows, out, in, false, true, &zero, &zero, false);
  if (b) {
    parallelFor(rows, static_cast<double>(out), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t j = 0; j < out; ++j) y[r * out + j] += b[j];
    });
  }
}

void linearBackward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db, int64_t rows, int64_t in,
                    int64_t out) {
  const int64_t zero = 0;
  batchedGemm(dy, w, dx, 1, rows, in, out, false, false, &zero, &zero, false);
  batchedGemm(dy, x, dw, 1, out, in, rows, true, false, &zero, &zero, false);
  if (db) reduceCols(0, dy, db, rows, out);
}

#define LLAVA_QUOTE(ns) #ns
#define LLAVA_NAME_OF(ns) LLAVA_QUOTE(ns)

#if defined(LLAVA_HASWELL_ORDER_GEMM_SIMD) && defined(USE_OPENBLAS)
static const SgemmFn kHaswellOrderGemm = haswell_order::gemm;
#else
static const SgemmFn kHaswellOrderGemm = nullptr;
#endif

const Kernels& kernels() {
  // The build's name without "isa_": "avx2", "avx512", "generic".
  static const Kernels table{LLAVA_NAME_OF(LLAVA_ISA_NS) + 4, batchedGemm, softmaxRows, binary, unary, stridedCopy, reduceCols, reduceRows, adamw, normForward, normBackward,
                             activation, activationGrad, attentionSoftmax, attentionSoftmaxGrad, linearForward, linearBackward,
                             kHaswellOrderGemm, attentionForward, attentionBackward};
  return table;
}

}  // namespace LLAVA_ISA_NS
}  // namespace llava
