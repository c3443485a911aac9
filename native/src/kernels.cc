#include <cstdlib>
#include "kernels.h"

#include <algorithm>
#include <cstring>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <limits>
#include <thread>
#include <vector>

#ifdef USE_OPENBLAS
#include <cblas.h>
#endif

namespace llava {

// exp(x) = 2^k · e^r with r in [−ln2/2, ln2/2] and Cephes' degree-6 polynomial for e^r (relative error
// ~2e-7). Written without calls so loops over it vectorise; glibc's scalar expf dominated the softmax
// and activation kernels. Saturates like expf: +inf above ~88.7, 0 below ~−87.3, NaN stays NaN.
static inline float fastExp(float x) {
  const float xc = std::fmin(std::fmax(x, -87.3f), 88.7f);
  const float k = std::floor(xc * 1.44269504088896341f + 0.5f);
  const float r = xc - k * 0.693359375f + k * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(k) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  float y = e * scale;
  y = x > 88.7f ? std::numeric_limits<float>::infinity() : y;
  y = x < -87.3f ? 0.0f : y;
  return x != x ? x : y;
}

// LLAVA_MORE_THREADS overrides the count: the study runner gives each worker process its share of the cores.
int threadCount() {
  static const int n = [] {
    if (const char* env = std::getenv("LLAVA_MORE_THREADS")) {
      const int v = std::atoi(env);
      if (v >= 1) return std::min(v, 64);
    }
    return static_cast<int>(std::max(1u, std::min(8u, std::thread::hardware_concurrency())));
  }();
  return n;
}

namespace {

// A persistent pool of threadCount() − 1 workers: starting a thread per kernel call costs tens of
// microseconds, and a training step makes over a thousand calls.
class Pool {
 public:
  explicit Pool(int workers) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this, i] { loop(i + 1); });
  }

  // Calls f(part) for every part in [0, parts); part 0 on the calling thread.
  void run(int parts, const std::function<void(int)>& f) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = &f;
      parts_ = parts;
      pending_ = std::min<int>(parts - 1, static_cast<int>(threads_.size()));
      ++generation_;
    }
    wake_.notify_all();
    inPool() = true;
    f(0);
    inPool() = false;
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return pending_ == 0; });
    job_ = nullptr;
  }

  static bool& inPool() {
    thread_local bool value = false;
    return value;
  }

 private:
  void loop(int id) {
    inPool() = true;
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      if (id >= parts_) continue;
      const std::function<void(int)>* job = job_;
      lock.unlock();
      (*job)(id);
      lock.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* job_ = nullptr;
  int parts_ = 0;
  int pending_ = 0;
  uint64_t generation_ = 0;
};

Pool& pool() {
  // Never destroyed: its workers sleep until the process exits.
  static Pool* p = new Pool(threadCount() - 1);
  return *p;
}

}  // namespace

// Runs body(begin, end) over [0, total) split across the cores when the work is large enough.
template <typename F>
static void parallelFor(int64_t total, double workPerItem, F body) {
  const int threads = threadCount();
  if (threads == 1 || total < 2 || total * workPerItem < 2e5 || Pool::inPool()) {
    body(0, total);
    return;
  }
  const int parts = static_cast<int>(std::min<int64_t>(threads, total));
  const int64_t chunk = (total + parts - 1) / parts;
  const std::function<void(int)> part = [&](int p) {
    const int64_t begin = p * chunk, end = std::min(total, begin + chunk);
    if (begin < end) body(begin, end);
  };
  pool().run(parts, part);
}

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

static void gemmOne(const float* a, const float* b, float* c, int64_t m, int64_t n, int64_t k, bool transA,
                    bool transB, bool mayThread, bool builtin) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    std::fill(c, c + m * n, 0.0f);
    return;
  }
#ifdef USE_OPENBLAS
  if (!builtin) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, a,
                static_cast<int>(transA ? m : k), b, static_cast<int>(transB ? k : n), 0.0f, c, static_cast<int>(n));
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
#ifdef USE_OPENBLAS
  // Many small products: one thread per share of the batch, OpenBLAS single-threaded inside.
  const int saved = openblas_get_num_threads();
  openblas_set_num_threads(1);
#endif
  parallelFor(batch, static_cast<double>(m * n * k), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) gemmOne(a + aOffsets[i], b + bOffsets[i], c + i * m * n, m, n, k, transA, transB, false, builtin);
  });
#ifdef USE_OPENBLAS
  openblas_set_num_threads(saved);
#endif
}

void softmaxRows(const float* x, float* out, int64_t rows, int64_t cols) {
  parallelFor(rows, static_cast<double>(cols) * 8, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * cols;
      float* o = out + r * cols;
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < cols; ++j) mx = std::max(mx, xr[j]);
      if (std::isinf(mx) && mx < 0) mx = 0.0f;  // a row of −inf: exp gives 0 / 0 = NaN, as TF.js
      float sum = 0.0f;
      for (int64_t j = 0; j < cols; ++j) o[j] = fastExp(xr[j] - mx);
      for (int64_t j = 0; j < cols; ++j) sum += o[j];
      const float inv = 1.0f / sum;
      for (int64_t j = 0; j < cols; ++j) o[j] *= inv;
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

void unary(int op, const float* x, float* out, int64_t n) {
  switch (op) {
    case kNeg: return unaryLoop([](float v) { return -v; }, x, out, n);
    case kExp: return unaryLoop([](float v) { return fastExp(v); }, x, out, n);
    case kLog: return unaryLoop([](float v) { return std::log(v); }, x, out, n);
    case kSqrt: return unaryLoop([](float v) { return std::sqrt(v); }, x, out, n);
    case kRsqrt: return unaryLoop([](float v) { return 1.0f / std::sqrt(v); }, x, out, n);
    case kSquare: return unaryLoop([](float v) { return v * v; }, x, out, n);
    case kSigmoid: return unaryLoop([](float v) { return 1.0f / (1.0f + fastExp(-v)); }, x, out, n);
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

void adamw(const float* param, const float* grad, const float* m, const float* v, float* outParam, float* outM, float* outV,
           int64_t n, float lr, float beta1, float beta2, float eps, float weightDecay, float biasCorrection1,
           float biasCorrection2) {
  parallelFor(n, 12.0, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const float g = grad[i];
      const float mi = beta1 * m[i] + (1.0f - beta1) * g;
      const float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
      const float p = param[i] * (1.0f - lr * weightDecay);
      outM[i] = mi;
      outV[i] = vi;
      outParam[i] = p - lr * (mi / biasCorrection1) / (std::sqrt(vi / biasCorrection2) + eps);
    }
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

void normBackward(const float* x, const float* w, const float* dy, const float* mean, const float* rstd, float* dx, float* dw,
                  float* db, int64_t rows, int64_t d, bool center, float offset) {
  const int threads = threadCount();
  std::vector<float> partW(static_cast<size_t>(threads * d), 0.0f), partB(static_cast<size_t>(threads * d), 0.0f);
  const int64_t chunk = (rows + threads - 1) / threads;
  parallelFor(rows, static_cast<double>(d) * 6, [&](int64_t r0, int64_t r1) {
    const int64_t t = chunk > 0 ? r0 / chunk : 0;
    float* pw = partW.data() + t * d;
    float* pb = partB.data() + t * d;
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
        pw[j] += g[j] * xhat;
        pb[j] += g[j];
      }
      const float mG = center ? sumG / static_cast<float>(d) : 0.0f, mGX = sumGX / static_cast<float>(d);
      for (int64_t j = 0; j < d; ++j) {
        const float xhat = (xr[j] - mu) * rs;
        o[j] = rs * (g[j] * (w[j] + offset) - mG - xhat * mGX);
      }
    }
  });
  for (int64_t j = 0; j < d; ++j) {
    float sw = 0.0f, sb = 0.0f;
    for (int t = 0; t < threads; ++t) {
      sw += partW[t * d + j];
      sb += partB[t * d + j];
    }
    dw[j] = sw;
    if (db) db[j] = sb;
  }
}

namespace {
constexpr float kSqrt2OverPi = 0.7978845608028654f;
inline float sigmoid(float v) { return 1.0f / (1.0f + fastExp(-v)); }
// tanh(u) = 1 − 2 / (e^{2u} + 1), exact at ±inf.
inline float fastTanh(float u) { return 1.0f - 2.0f / (fastExp(2.0f * u) + 1.0f); }

inline float act(int kind, float x) {
  switch (kind) {
    case 0: return 0.5f * x * (1.0f + std::erf(x * 0.7071067811865476f));
    case 1: return 0.5f * x * (1.0f + fastTanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
    case 2: return x * sigmoid(1.702f * x);
    default: return x * sigmoid(x);
  }
}

inline float actDerivative(int kind, float x) {
  switch (kind) {
    case 0: return 0.5f * (1.0f + std::erf(x * 0.7071067811865476f)) + x * 0.3989422804014327f * std::exp(-0.5f * x * x);
    case 1: {
      const float u = kSqrt2OverPi * (x + 0.044715f * x * x * x);
      const float t = fastTanh(u);
      return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * kSqrt2OverPi * (1.0f + 3.0f * 0.044715f * x * x);
    }
    case 2: {
      const float s = sigmoid(1.702f * x);
      return s + 1.702f * x * s * (1.0f - s);
    }
    default: {
      const float s = sigmoid(x);
      return s * (1.0f + x * (1.0f - s));
    }
  }
}
}  // namespace

// The kind is a template argument so the switch folds away and the loops vectorise.
template <int Kind>
static void activationLoop(const float* x, float* out, int64_t n) {
  parallelFor(n, 20.0, [=](int64_t i0, int64_t i1) {
    const float* __restrict in = x;
    float* __restrict o = out;
    for (int64_t i = i0; i < i1; ++i) o[i] = act(Kind, in[i]);
  });
}

template <int Kind>
static void activationGradLoop(const float* x, const float* dy, float* dx, int64_t n) {
  parallelFor(n, 30.0, [=](int64_t i0, int64_t i1) {
    const float* __restrict in = x;
    const float* __restrict g = dy;
    float* __restrict o = dx;
    for (int64_t i = i0; i < i1; ++i) o[i] = g[i] * actDerivative(Kind, in[i]);
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
      if (std::isinf(mx) && mx < 0) mx = 0.0f;
      float sum = 0.0f;
      for (int64_t j = 0; j < tk; ++j) o[j] = fastExp(o[j] - mx);
      for (int64_t j = 0; j < tk; ++j) sum += o[j];
      const float inv = 1.0f / sum;
      for (int64_t j = 0; j < tk; ++j) o[j] *= inv;
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
  batchedGemm(x, w, y, 1, rows, out, in, false, true, &zero, &zero);
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
  batchedGemm(dy, w, dx, 1, rows, in, out, false, false, &zero, &zero);
  batchedGemm(dy, x, dw, 1, out, in, rows, true, false, &zero, &zero);
  if (db) reduceCols(0, dy, db, rows, out);
}

const char* blasName() {
#ifdef USE_OPENBLAS
  return "openblas";
#else
  return "builtin";
#endif
}

}  // namespace llava
