// N-API glue: argument checking and zero-copy access to the caller's typed arrays.
#include <node_api.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "attention.h"
#include "gated.h"
#include "loss.h"
#include "kernels.h"
#include "parallel.h"

#ifdef USE_OPENBLAS
#include <cblas.h>
#endif

namespace {

// The kernel builds this CPU can run, the base build first (kernels.h), and the one in use: the base
// build until selectKernels picks another.
std::vector<const llava::Kernels*> runnableBuilds() {
  std::vector<const llava::Kernels*> builds{&llava::LLAVA_ISA_NS::kernels()};
#ifdef LLAVA_HAVE_AVX512
  // The x86-64-v4 set; libgcc also checks that the OS saves the AVX-512 registers.
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512cd"))
    builds.push_back(&llava::isa_avx512::kernels());
#endif
  return builds;
}

const std::vector<const llava::Kernels*>& builds() {
  static const std::vector<const llava::Kernels*> b = runnableBuilds();
  return b;
}

const llava::Kernels* active = builds().front();

// The sgemm routes: OpenBLAS, or a build's haswellOrderGemm ("haswell-order/avx512"), which gives the
// bits of OpenBLAS 0.3.21's Haswell kernels (haswell_gemm.h).
const char* const kOpenBlas = "openblas";
std::string routeName(const llava::Kernels* build) { return std::string("haswell-order/") + build->isa; }

// By default the widest build's haswellOrderGemm stands in for OpenBLAS wherever OpenBLAS is 0.3.21 on
// its Haswell kernels (the portable bits) and that build has AVX-512: it computes the same bits faster
// there (docs/performance.md); with AVX2 alone OpenBLAS is faster. LLAVA_MORE_SGEMM=openblas keeps
// OpenBLAS.
const llava::Kernels* defaultStandIn() {
#ifdef USE_OPENBLAS
  const char* keep = std::getenv("LLAVA_MORE_SGEMM");
  if (keep != nullptr && std::strcmp(keep, kOpenBlas) == 0) return nullptr;
  const std::string config = openblas_get_config();
  const bool haswell021 = std::strcmp(openblas_get_corename(), "Haswell") == 0 && config.rfind("OpenBLAS 0.3.21 ", 0) == 0;
  const llava::Kernels* widest = builds().back();
  if (haswell021 && widest->haswellOrderGemm != nullptr && std::strcmp(widest->isa, "avx512") == 0) return widest;
#endif
  return nullptr;
}

const llava::Kernels* standIn = defaultStandIn();

}  // namespace

const llava::Kernels& llava::activeKernels() { return *active; }
llava::SgemmFn llava::sgemmStandIn() { return standIn ? standIn->haswellOrderGemm : nullptr; }

namespace {

struct Args {
  napi_env env;
  std::vector<napi_value> values;
  bool failed = false;

  Args(napi_env e, napi_callback_info info, size_t expected, size_t optional = 0) : env(e) {
    size_t argc = expected;
    values.resize(expected);
    napi_get_cb_info(env, info, &argc, values.data(), nullptr, nullptr);
    if (argc + optional < expected || argc > expected) fail("expected " + std::to_string(expected - optional) + " arguments, got " + std::to_string(argc));
    for (size_t i = argc; i < expected; ++i) napi_get_boolean(env, false, &values[i]);
  }

  void fail(const std::string& message) {
    if (!failed) napi_throw_error(env, "LLAVA_NATIVE", message.c_str());
    failed = true;
  }

  template <typename T>
  T* array(size_t i, napi_typedarray_type want, size_t minLength, const char* name) {
    if (failed) return nullptr;
    bool isTyped = false;
    napi_is_typedarray(env, values[i], &isTyped);
    if (!isTyped) {
      fail(std::string(name) + ": expected a typed array");
      return nullptr;
    }
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    napi_get_typedarray_info(env, values[i], &type, &length, &data, nullptr, nullptr);
    if (type != want) {
      fail(std::string(name) + ": wrong element type");
      return nullptr;
    }
    if (length < minLength) {
      fail(std::string(name) + ": " + std::to_string(length) + " elements, needs " + std::to_string(minLength));
      return nullptr;
    }
    return static_cast<T*>(data);
  }

  int64_t integer(size_t i, const char* name) {
    if (failed) return 0;
    int64_t v = 0;
    if (napi_get_value_int64(env, values[i], &v) != napi_ok || v < 0) fail(std::string(name) + ": expected a non-negative integer");
    return v;
  }

  double real(size_t i, const char* name) {
    double v = 0;
    if (!failed && napi_get_value_double(env, values[i], &v) != napi_ok) fail(std::string(name) + ": expected a number");
    return v;
  }

  // A Float32Array of at least minLength elements, or null for "absent" (bias, mask).
  float* optionalFloats(size_t i, size_t minLength, const char* name) {
    if (failed) return nullptr;
    napi_valuetype t;
    napi_typeof(env, values[i], &t);
    return t == napi_null ? nullptr : array<float>(i, napi_float32_array, minLength, name);
  }

  // A short string argument ("" after a failure or a non-string).
  std::string text(size_t i, const char* name) {
    if (failed) return "";
    char buffer[64] = {0};
    size_t length = 0;
    if (napi_get_value_string_utf8(env, values[i], buffer, sizeof buffer, &length) != napi_ok) {
      fail(std::string(name) + ": expected a string");
      return "";
    }
    return std::string(buffer, length);
  }

  bool flag(size_t i) {
    bool v = false;
    if (!failed) napi_get_value_bool(env, values[i], &v);
    return v;
  }
};

// gemm(a, b, out, m, n, k, transA, transB, aOffsets: Float64Array, bOffsets: Float64Array[, builtin])
napi_value Gemm(napi_env env, napi_callback_info info) {
  Args args(env, info, 11, 1);
  const int64_t m = args.integer(3, "m"), n = args.integer(4, "n"), k = args.integer(5, "k");
  const bool transA = args.flag(6), transB = args.flag(7);
  bool isTyped = false;
  size_t batch = 0;
  if (!args.failed) {
    napi_typedarray_type type;
    void* data;
    napi_is_typedarray(env, args.values[8], &isTyped);
    if (isTyped) napi_get_typedarray_info(env, args.values[8], &type, &batch, &data, nullptr, nullptr);
  }
  const double* aOff = args.array<double>(8, napi_float64_array, batch, "aOffsets");
  const double* bOff = args.array<double>(9, napi_float64_array, batch, "bOffsets");
  float* out = args.array<float>(2, napi_float32_array, batch * m * n, "out");
  size_t aLength = 0, bLength = 0;
  if (!args.failed) {
    napi_typedarray_type type;
    void* data;
    napi_get_typedarray_info(env, args.values[0], &type, &aLength, &data, nullptr, nullptr);
    napi_get_typedarray_info(env, args.values[1], &type, &bLength, &data, nullptr, nullptr);
  }
  const float* a = args.array<float>(0, napi_float32_array, 0, "a");
  const float* b = args.array<float>(1, napi_float32_array, 0, "b");
  if (args.failed) return nullptr;
  std::vector<int64_t> ao(batch), bo(batch);
  for (size_t i = 0; i < batch; ++i) {
    ao[i] = static_cast<int64_t>(aOff[i]);
    bo[i] = static_cast<int64_t>(bOff[i]);
    if (ao[i] < 0 || static_cast<size_t>(ao[i] + m * k) > aLength || bo[i] < 0 || static_cast<size_t>(bo[i] + k * n) > bLength) {
      args.fail("gemm: batch offsets outside the operands");
      return nullptr;
    }
  }
  active->batchedGemm(a, b, out, static_cast<int64_t>(batch), m, n, k, transA, transB, ao.data(), bo.data(), args.flag(10));
  return nullptr;
}

// softmax(x, out, rows, cols)
napi_value Softmax(napi_env env, napi_callback_info info) {
  Args args(env, info, 4);
  const int64_t rows = args.integer(2, "rows"), cols = args.integer(3, "cols");
  const float* x = args.array<float>(0, napi_float32_array, rows * cols, "x");
  float* out = args.array<float>(1, napi_float32_array, rows * cols, "out");
  if (args.failed) return nullptr;
  active->softmaxRows(x, out, rows, cols);
  return nullptr;
}

// Reads a Float64Array of small integers (shapes, strides) into int64 values.
static bool readInts(Args& args, size_t i, size_t expected, int64_t* out, const char* name) {
  if (expected == 0) return !args.failed;  // a scalar: an empty shape, whose data pointer may be null
  const double* v = args.array<double>(i, napi_float64_array, expected, name);
  if (!v) return false;
  for (size_t j = 0; j < expected; ++j) out[j] = static_cast<int64_t>(v[j]);
  return true;
}

// Largest element offset reached by a strided walk over shape, plus one.
static int64_t extent(int rank, const int64_t* shape, const int64_t* strides) {
  int64_t last = 0;
  for (int d = 0; d < rank; ++d) {
    if (shape[d] == 0) return 0;
    last += (shape[d] - 1) * strides[d];
  }
  return last + 1;
}

static size_t lengthOf(napi_env env, napi_value v) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data;
  bool isTyped = false;
  napi_is_typedarray(env, v, &isTyped);
  if (isTyped) napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr);
  return length;
}

// binary(op, a, b, out, shape: Float64Array, aStrides, bStrides)
napi_value Binary(napi_env env, napi_callback_info info) {
  Args args(env, info, 7);
  const int64_t op = args.integer(0, "op");
  const size_t rank = lengthOf(env, args.values[4]);
  if (rank > 16) args.fail("binary: rank above 16");
  int64_t shape[16], sa[16], sb[16];
  if (!readInts(args, 4, rank, shape, "shape") || !readInts(args, 5, rank, sa, "aStrides") || !readInts(args, 6, rank, sb, "bStrides")) return nullptr;
  int64_t total = 1;
  for (size_t d = 0; d < rank; ++d) total *= shape[d];
  const float* a = args.array<float>(1, napi_float32_array, extent(rank, shape, sa), "a");
  const float* b = args.array<float>(2, napi_float32_array, extent(rank, shape, sb), "b");
  float* out = args.array<float>(3, napi_float32_array, total, "out");
  if (args.failed || op > llava::kSquaredDifference) {
    if (!args.failed) args.fail("binary: unknown op");
    return nullptr;
  }
  if (total > 0) active->binary(static_cast<int>(op), a, b, out, static_cast<int>(rank), shape, sa, sb);
  return nullptr;
}

// unary(op, x, out)
napi_value Unary(napi_env env, napi_callback_info info) {
  Args args(env, info, 3);
  const int64_t op = args.integer(0, "op");
  const size_t n = lengthOf(env, args.values[1]);
  const float* x = args.array<float>(1, napi_float32_array, n, "x");
  float* out = args.array<float>(2, napi_float32_array, n, "out");
  if (args.failed || op > llava::kRelu) {
    if (!args.failed) args.fail("unary: unknown op");
    return nullptr;
  }
  active->unary(static_cast<int>(op), x, out, static_cast<int64_t>(n));
  return nullptr;
}

// copy(src, srcOffset, dst, dstOffset, shape, srcStrides, dstStrides)
napi_value Copy(napi_env env, napi_callback_info info) {
  Args args(env, info, 7);
  const int64_t srcOffset = args.integer(1, "srcOffset"), dstOffset = args.integer(3, "dstOffset");
  const size_t rank = lengthOf(env, args.values[4]);
  if (rank > 16) args.fail("copy: rank above 16");
  int64_t shape[16], ss[16], ds[16];
  if (!readInts(args, 4, rank, shape, "shape") || !readInts(args, 5, rank, ss, "srcStrides") || !readInts(args, 6, rank, ds, "dstStrides")) return nullptr;
  const float* src = args.array<float>(0, napi_float32_array, srcOffset + extent(rank, shape, ss), "src");
  float* dst = args.array<float>(2, napi_float32_array, dstOffset + extent(rank, shape, ds), "dst");
  if (args.failed) return nullptr;
  if (extent(rank, shape, ss) > 0) active->stridedCopy(src + srcOffset, dst + dstOffset, static_cast<int>(rank), shape, ss, ds);
  return nullptr;
}

// reduceRows(op, x, out, rows, cols)
napi_value Reduce(napi_env env, napi_callback_info info) {
  Args args(env, info, 5);
  const int64_t op = args.integer(0, "op"), rows = args.integer(3, "rows"), cols = args.integer(4, "cols");
  const float* x = args.array<float>(1, napi_float32_array, rows * cols, "x");
  float* out = args.array<float>(2, napi_float32_array, rows, "out");
  if (args.failed || op > 3) {
    if (!args.failed) args.fail("reduce: unknown op");
    return nullptr;
  }
  active->reduceRows(static_cast<int>(op), x, out, rows, cols);
  return nullptr;
}

// reduceCols(op, x, out, rows, cols): sum (0) or mean (1) over the rows
napi_value ReduceCols(napi_env env, napi_callback_info info) {
  Args args(env, info, 5);
  const int64_t op = args.integer(0, "op"), rows = args.integer(3, "rows"), cols = args.integer(4, "cols");
  const float* x = args.array<float>(1, napi_float32_array, rows * cols, "x");
  float* out = args.array<float>(2, napi_float32_array, cols, "out");
  if (args.failed || op > 1) {
    if (!args.failed) args.fail("reduceCols: op must be 0 (sum) or 1 (mean)");
    return nullptr;
  }
  active->reduceCols(static_cast<int>(op), x, out, rows, cols);
  return nullptr;
}

// adamw(param, grad, m, v, outParam, outM, outV, hyper: Float64Array [lr, beta1, beta2, eps, weightDecay, bc1, bc2])
napi_value AdamW(napi_env env, napi_callback_info info) {
  Args args(env, info, 8);
  const size_t n = lengthOf(env, args.values[0]);
  const float* param = args.array<float>(0, napi_float32_array, n, "param");
  const float* grad = args.array<float>(1, napi_float32_array, n, "grad");
  const float* m = args.array<float>(2, napi_float32_array, n, "m");
  const float* v = args.array<float>(3, napi_float32_array, n, "v");
  float* op = args.array<float>(4, napi_float32_array, n, "outParam");
  float* om = args.array<float>(5, napi_float32_array, n, "outM");
  float* ov = args.array<float>(6, napi_float32_array, n, "outV");
  const double* h = args.array<double>(7, napi_float64_array, 7, "hyper");
  if (args.failed) return nullptr;
  if (n > 0) active->adamw(param, grad, m, v, op, om, ov, static_cast<int64_t>(n), h[0], h[1], h[2], h[3], h[4], h[5], h[6]);
  return nullptr;
}

// normForward(x, w, b | null, out, mean, rstd, d, eps, center, offset)
napi_value NormForward(napi_env env, napi_callback_info info) {
  Args args(env, info, 10);
  const int64_t d = args.integer(6, "d");
  const size_t n = lengthOf(env, args.values[0]);
  const int64_t rows = d > 0 ? static_cast<int64_t>(n) / d : 0;
  const double eps = args.real(7, "eps"), offset = args.real(9, "offset");
  const bool center = args.flag(8);
  const float* x = args.array<float>(0, napi_float32_array, n, "x");
  const float* w = args.array<float>(1, napi_float32_array, d, "w");
  const float* b = center ? args.optionalFloats(2, d, "b") : nullptr;
  float* out = args.array<float>(3, napi_float32_array, n, "out");
  float* mean = args.array<float>(4, napi_float32_array, rows, "mean");
  float* rstd = args.array<float>(5, napi_float32_array, rows, "rstd");
  if (args.failed) return nullptr;
  if (d <= 0 || static_cast<int64_t>(n) % d != 0) {
    args.fail("normForward: x is not a whole number of rows of width d");
    return nullptr;
  }
  active->normForward(x, w, b, out, mean, rstd, rows, d, static_cast<float>(eps), center, static_cast<float>(offset));
  return nullptr;
}

// normBackward(x, w, dy, mean, rstd, dx, dw, db | null, d, center, offset)
napi_value NormBackward(napi_env env, napi_callback_info info) {
  Args args(env, info, 11);
  const int64_t d = args.integer(8, "d");
  const size_t n = lengthOf(env, args.values[0]);
  const int64_t rows = d > 0 ? static_cast<int64_t>(n) / d : 0;
  const bool center = args.flag(9);
  const double offset = args.real(10, "offset");
  const float* x = args.array<float>(0, napi_float32_array, n, "x");
  const float* w = args.array<float>(1, napi_float32_array, d, "w");
  const float* dy = args.array<float>(2, napi_float32_array, n, "dy");
  const float* mean = args.array<float>(3, napi_float32_array, rows, "mean");
  const float* rstd = args.array<float>(4, napi_float32_array, rows, "rstd");
  float* dx = args.array<float>(5, napi_float32_array, n, "dx");
  float* dw = args.array<float>(6, napi_float32_array, d, "dw");
  float* db = args.optionalFloats(7, d, "db");
  if (args.failed) return nullptr;
  if (d <= 0 || static_cast<int64_t>(n) % d != 0) {
    args.fail("normBackward: x is not a whole number of rows of width d");
    return nullptr;
  }
  active->normBackward(x, w, dy, mean, rstd, dx, dw, db, rows, d, center, static_cast<float>(offset));
  return nullptr;
}

// Whether the arguments were read and `kind` names an activation (0 GELU, 1 GELU-tanh, 2 quick-GELU,
// 3 SiLU); false after throwing.
static bool knownActivation(Args& args, int64_t kind, const char* kernel) {
  if (!args.failed && kind > 3) args.fail(std::string(kernel) + ": unknown kind");
  return !args.failed;
}

// activation(kind, x, out) and activationGrad(kind, x, dy, dx)
napi_value Activation(napi_env env, napi_callback_info info) {
  Args args(env, info, 3);
  const int64_t kind = args.integer(0, "kind");
  const size_t n = lengthOf(env, args.values[1]);
  const float* x = args.array<float>(1, napi_float32_array, n, "x");
  float* out = args.array<float>(2, napi_float32_array, n, "out");
  if (!knownActivation(args, kind, "activation")) return nullptr;
  active->activation(static_cast<int>(kind), x, out, static_cast<int64_t>(n));
  return nullptr;
}

napi_value ActivationGrad(napi_env env, napi_callback_info info) {
  Args args(env, info, 4);
  const int64_t kind = args.integer(0, "kind");
  const size_t n = lengthOf(env, args.values[1]);
  const float* x = args.array<float>(1, napi_float32_array, n, "x");
  const float* dy = args.array<float>(2, napi_float32_array, n, "dy");
  float* dx = args.array<float>(3, napi_float32_array, n, "dx");
  if (!knownActivation(args, kind, "activationGrad")) return nullptr;
  active->activationGrad(static_cast<int>(kind), x, dy, dx, static_cast<int64_t>(n));
  return nullptr;
}

// attentionSoftmax(scores, mask | null, y, tq, tk, scale, cap)
napi_value AttentionSoftmax(napi_env env, napi_callback_info info) {
  Args args(env, info, 7);
  const int64_t tq = args.integer(3, "tq"), tk = args.integer(4, "tk");
  const double scale = args.real(5, "scale"), cap = args.real(6, "cap");
  const size_t n = lengthOf(env, args.values[0]);
  const float* scores = args.array<float>(0, napi_float32_array, n, "scores");
  const float* mask = args.optionalFloats(1, tq * tk, "mask");
  float* y = args.array<float>(2, napi_float32_array, n, "y");
  if (args.failed) return nullptr;
  if (tk <= 0 || tq <= 0 || static_cast<int64_t>(n) % (tq * tk) != 0) {
    args.fail("attentionSoftmax: scores are not whole [Tq, Tk] blocks");
    return nullptr;
  }
  active->attentionSoftmax(scores, mask, y, static_cast<int64_t>(n) / tk, tq, tk, static_cast<float>(scale), static_cast<float>(cap));
  return nullptr;
}

// attentionSoftmaxGrad(y, dy, scores, ds, tk, scale, cap)
napi_value AttentionSoftmaxGrad(napi_env env, napi_callback_info info) {
  Args args(env, info, 7);
  const int64_t tk = args.integer(4, "tk");
  const double scale = args.real(5, "scale"), cap = args.real(6, "cap");
  const size_t n = lengthOf(env, args.values[0]);
  const float* y = args.array<float>(0, napi_float32_array, n, "y");
  const float* dy = args.array<float>(1, napi_float32_array, n, "dy");
  const float* scores = args.array<float>(2, napi_float32_array, n, "scores");
  float* ds = args.array<float>(3, napi_float32_array, n, "ds");
  if (args.failed) return nullptr;
  if (tk <= 0 || static_cast<int64_t>(n) % tk != 0) {
    args.fail("attentionSoftmaxGrad: not whole rows of Tk");
    return nullptr;
  }
  active->attentionSoftmaxGrad(y, dy, scores, ds, static_cast<int64_t>(n) / tk, tk, static_cast<float>(scale), static_cast<float>(cap));
  return nullptr;
}

// linearForward(x, w, b | null, y, rows, in, out)
napi_value LinearForward(napi_env env, napi_callback_info info) {
  Args args(env, info, 7);
  const int64_t rows = args.integer(4, "rows"), in = args.integer(5, "in"), out = args.integer(6, "out");
  const float* x = args.array<float>(0, napi_float32_array, rows * in, "x");
  const float* w = args.array<float>(1, napi_float32_array, out * in, "w");
  const float* b = args.optionalFloats(2, out, "b");
  float* y = args.array<float>(3, napi_float32_array, rows * out, "y");
  if (args.failed) return nullptr;
  active->linearForward(x, w, b, y, rows, in, out);
  return nullptr;
}

// linearBackward(x, w, dy, dx, dw, db | null, rows, in, out)
napi_value LinearBackward(napi_env env, napi_callback_info info) {
  Args args(env, info, 9);
  const int64_t rows = args.integer(6, "rows"), in = args.integer(7, "in"), out = args.integer(8, "out");
  const float* x = args.array<float>(0, napi_float32_array, rows * in, "x");
  const float* w = args.array<float>(1, napi_float32_array, out * in, "w");
  const float* dy = args.array<float>(2, napi_float32_array, rows * out, "dy");
  float* dx = args.array<float>(3, napi_float32_array, rows * in, "dx");
  float* dw = args.array<float>(4, napi_float32_array, out * in, "dw");
  float* db = args.optionalFloats(5, out, "db");
  if (args.failed) return nullptr;
  active->linearBackward(x, w, dy, dx, dw, db, rows, in, out);
  return nullptr;
}

// Reads attention dims [batch, seq, heads, kvHeads, headDim, rotary, causal, window, packed] and scale,
// cap; false (after throwing) when they do not describe an attention. packed: q, k and v (and their
// gradients) are one array [B, T, (H + 2·H_kv)·d], passed as q with k and v null.
static bool attentionDims(Args& args, size_t i, llava::AttentionDims& d, bool& packed) {
  int64_t v[9];
  if (!readInts(args, i, 9, v, "dims")) return false;
  packed = v[8] != 0;
  const int64_t qkvStride = (v[2] + 2 * v[3]) * v[4];
  d = {v[0], v[1], v[2], v[3], v[4], v[5], v[6] != 0, v[7], static_cast<float>(args.real(i + 1, "scale")), static_cast<float>(args.real(i + 2, "cap")),
       packed ? qkvStride : v[2] * v[4], packed ? qkvStride : v[3] * v[4]};
  if (args.failed) return false;
  if (d.batch <= 0 || d.seq <= 0 || d.kvHeads <= 0 || d.headDim <= 0 || d.heads % d.kvHeads != 0 || d.heads < d.kvHeads || d.rotary < 0 ||
      d.rotary % 2 != 0 || d.rotary > d.headDim || d.window < 0) {
    args.fail("attention: dims must be positive, heads a multiple of kvHeads, rotary even and at most headDim");
    return false;
  }
  return true;
}

// The first five arguments of both attention kernels: q, k, v (or the packed projection and two nulls)
// and the RoPE tables (null without RoPE).
struct AttentionInputs {
  const float *q, *k, *v, *cos, *sin;
  int64_t tokens, qn, kvn, probs;
};

static AttentionInputs attentionInputs(Args& args, const llava::AttentionDims& d, bool packed) {
  AttentionInputs in{};
  in.tokens = d.batch * d.seq;
  in.qn = in.tokens * d.heads * d.headDim;
  in.kvn = in.tokens * d.kvHeads * d.headDim;
  in.probs = d.batch * d.heads * d.seq * d.seq;
  if (packed) {
    in.q = args.array<float>(0, napi_float32_array, in.tokens * d.qStride, "qkv");
    in.k = in.q ? in.q + d.heads * d.headDim : nullptr;
    in.v = in.k ? in.k + d.kvHeads * d.headDim : nullptr;
  } else {
    in.q = args.array<float>(0, napi_float32_array, in.qn, "q");
    in.k = args.array<float>(1, napi_float32_array, in.kvn, "k");
    in.v = args.array<float>(2, napi_float32_array, in.kvn, "v");
  }
  in.cos = d.rotary > 0 ? args.array<float>(3, napi_float32_array, d.seq * d.rotary, "cos") : nullptr;
  in.sin = d.rotary > 0 ? args.array<float>(4, napi_float32_array, d.seq * d.rotary, "sin") : nullptr;
  return in;
}

// attentionForward(q | qkv, k | null, v | null, cos | null, sin | null, keyMask | null, ctx, probs, dims, scale, cap)
napi_value AttentionForward(napi_env env, napi_callback_info info) {
  Args args(env, info, 11);
  llava::AttentionDims d;
  bool packed = false;
  if (!attentionDims(args, 8, d, packed)) return nullptr;
  const AttentionInputs in = attentionInputs(args, d, packed);
  const float* keyMask = args.optionalFloats(5, in.tokens, "keyMask");
  float* ctx = args.array<float>(6, napi_float32_array, in.qn, "ctx");
  float* probs = args.array<float>(7, napi_float32_array, in.probs, "probs");
  if (args.failed) return nullptr;
  active->attentionForward(in.q, in.k, in.v, in.cos, in.sin, keyMask, ctx, probs, d);
  return nullptr;
}

// attentionBackward(q | qkv, k | null, v | null, cos | null, sin | null, probs, dctx, dq | dqkv, dk | null, dv | null, dims, scale, cap)
napi_value AttentionBackward(napi_env env, napi_callback_info info) {
  Args args(env, info, 13);
  llava::AttentionDims d;
  bool packed = false;
  if (!attentionDims(args, 10, d, packed)) return nullptr;
  const AttentionInputs in = attentionInputs(args, d, packed);
  const float* probs = args.array<float>(5, napi_float32_array, in.probs, "probs");
  const float* dctx = args.array<float>(6, napi_float32_array, in.qn, "dctx");
  float *dq = nullptr, *dk = nullptr, *dv = nullptr;
  if (packed) {
    dq = args.array<float>(7, napi_float32_array, in.tokens * d.qStride, "dqkv");
    dk = dq ? dq + d.heads * d.headDim : nullptr;
    dv = dk ? dk + d.kvHeads * d.headDim : nullptr;
  } else {
    dq = args.array<float>(7, napi_float32_array, in.qn, "dq");
    dk = args.array<float>(8, napi_float32_array, in.kvn, "dk");
    dv = args.array<float>(9, napi_float32_array, in.kvn, "dv");
  }
  if (args.failed) return nullptr;
  active->attentionBackward(in.q, in.k, in.v, in.cos, in.sin, probs, dctx, dq, dk, dv, d);
  return nullptr;
}

// gatedActivation(kind, g, u, y) and gatedActivationGrad(kind, g, u, dy, dg, du)
napi_value GatedActivation(napi_env env, napi_callback_info info) {
  Args args(env, info, 4);
  const int64_t kind = args.integer(0, "kind");
  const size_t n = lengthOf(env, args.values[1]);
  const float* g = args.array<float>(1, napi_float32_array, n, "g");
  const float* u = args.array<float>(2, napi_float32_array, n, "u");
  float* y = args.array<float>(3, napi_float32_array, n, "y");
  if (!knownActivation(args, kind, "gatedActivation")) return nullptr;
  llava::gatedActivation(static_cast<int>(kind), g, u, y, static_cast<int64_t>(n));
  return nullptr;
}

napi_value GatedActivationGrad(napi_env env, napi_callback_info info) {
  Args args(env, info, 6);
  const int64_t kind = args.integer(0, "kind");
  const size_t n = lengthOf(env, args.values[1]);
  const float* g = args.array<float>(1, napi_float32_array, n, "g");
  const float* u = args.array<float>(2, napi_float32_array, n, "u");
  const float* dy = args.array<float>(3, napi_float32_array, n, "dy");
  float* dg = args.array<float>(4, napi_float32_array, n, "dg");
  float* du = args.array<float>(5, napi_float32_array, n, "du");
  if (!knownActivation(args, kind, "gatedActivationGrad")) return nullptr;
  llava::gatedActivationGrad(static_cast<int>(kind), g, u, dy, dg, du, static_cast<int64_t>(n));
  return nullptr;
}

// causalLmLoss(logits, labels: Int32Array, lse, batch, seq, vocab, ignore) -> loss
napi_value CausalLmLoss(napi_env env, napi_callback_info info) {
  Args args(env, info, 7);
  const int64_t batch = args.integer(3, "batch"), seq = args.integer(4, "seq"), vocab = args.integer(5, "vocab");
  const double ignore = args.real(6, "ignore");
  const float* logits = args.array<float>(0, napi_float32_array, batch * seq * vocab, "logits");
  const int32_t* labels = args.array<int32_t>(1, napi_int32_array, batch * seq, "labels");
  float* lse = args.array<float>(2, napi_float32_array, seq > 1 ? batch * (seq - 1) : 0, "lse");
  if (args.failed) return nullptr;
  napi_value result;
  napi_create_double(env, llava::causalLmLossForward(logits, labels, lse, batch, seq, vocab, static_cast<int32_t>(ignore)), &result);
  return result;
}

// causalLmLossGrad(logits, labels: Int32Array, lse, dy, dlogits, batch, seq, vocab, ignore)
napi_value CausalLmLossGrad(napi_env env, napi_callback_info info) {
  Args args(env, info, 9);
  const int64_t batch = args.integer(5, "batch"), seq = args.integer(6, "seq"), vocab = args.integer(7, "vocab");
  const double dy = args.real(3, "dy"), ignore = args.real(8, "ignore");
  const float* logits = args.array<float>(0, napi_float32_array, batch * seq * vocab, "logits");
  const int32_t* labels = args.array<int32_t>(1, napi_int32_array, batch * seq, "labels");
  const float* lse = args.array<float>(2, napi_float32_array, seq > 1 ? batch * (seq - 1) : 0, "lse");
  float* dlogits = args.array<float>(4, napi_float32_array, batch * seq * vocab, "dlogits");
  if (args.failed) return nullptr;
  llava::causalLmLossBackward(logits, labels, lse, static_cast<float>(dy), dlogits, batch, seq, vocab, static_cast<int32_t>(ignore));
  return nullptr;
}

// The OpenBLAS kernel set in use ("Haswell", "SkylakeX", …), "builtin" without OpenBLAS.
const char* blasCore() {
#ifdef USE_OPENBLAS
  return openblas_get_corename();
#else
  return "builtin";
#endif
}

// What computes the products OpenBLAS would: "openblas", "haswell-order/<isa>", or "builtin" without OpenBLAS.
std::string sgemmRoute() { return standIn ? routeName(standIn) : std::string(blasCore()) == "builtin" ? "builtin" : kOpenBlas; }

napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, blas, core, threads, isa, isas;
  napi_create_object(env, &obj);
#ifdef USE_OPENBLAS
  napi_create_string_utf8(env, "openblas", NAPI_AUTO_LENGTH, &blas);
#else
  napi_create_string_utf8(env, "builtin", NAPI_AUTO_LENGTH, &blas);
#endif
  napi_create_string_utf8(env, blasCore(), NAPI_AUTO_LENGTH, &core);
  napi_create_int32(env, llava::threadCount(), &threads);
  napi_create_string_utf8(env, active->isa, NAPI_AUTO_LENGTH, &isa);
  napi_create_array_with_length(env, builds().size(), &isas);
  for (size_t i = 0; i < builds().size(); ++i) {
    napi_value name;
    napi_create_string_utf8(env, builds()[i]->isa, NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, isas, static_cast<uint32_t>(i), name);
  }
  napi_set_named_property(env, obj, "blas", blas);
  napi_set_named_property(env, obj, "blasCore", core);
  napi_set_named_property(env, obj, "threads", threads);
  napi_set_named_property(env, obj, "isa", isa);
  napi_set_named_property(env, obj, "isas", isas);
  napi_value sgemm;
  napi_create_string_utf8(env, sgemmRoute().c_str(), NAPI_AUTO_LENGTH, &sgemm);
  napi_set_named_property(env, obj, "sgemm", sgemm);
  return obj;
}

// setSgemm(route): what computes the products OpenBLAS would, "openblas" or "haswell-order/<isa>" of a
// build this CPU runs (for tests and timing; the default is chosen at load); returns the route before.
napi_value SetSgemm(napi_env env, napi_callback_info info) {
  Args args(env, info, 1);
  const std::string name = args.text(0, "route");
  if (args.failed) return nullptr;
  napi_value before;
  napi_create_string_utf8(env, sgemmRoute().c_str(), NAPI_AUTO_LENGTH, &before);
  std::string known;
#ifdef USE_OPENBLAS
  if (name == kOpenBlas) {
    standIn = nullptr;
    return before;
  }
  known = kOpenBlas;
  for (const llava::Kernels* build : builds()) {
    if (build->haswellOrderGemm == nullptr) continue;
    if (routeName(build) == name) {
      standIn = build;
      return before;
    }
    known += ", " + routeName(build);
  }
#else
  known = "none (built without OpenBLAS)";
#endif
  args.fail(std::string("setSgemm: no route \"") + name + "\"; this addon has " + known);
  return nullptr;
}

// selectKernels(isa): makes one of info().isas the build every kernel runs; returns its name.
napi_value SelectKernels(napi_env env, napi_callback_info info) {
  Args args(env, info, 1);
  const std::string name = args.text(0, "isa");
  if (args.failed) return nullptr;
  for (const llava::Kernels* build : builds()) {
    if (std::string(build->isa) == name) {
      active = build;
      napi_value result;
      napi_create_string_utf8(env, active->isa, NAPI_AUTO_LENGTH, &result);
      return result;
    }
  }
  std::string known;
  for (const llava::Kernels* build : builds()) known += (known.empty() ? "" : ", ") + std::string(build->isa);
  args.fail(std::string("selectKernels: no kernel build \"") + name + "\" for this CPU; it runs " + known);
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmax", nullptr, Softmax, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"copy", nullptr, Copy, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduceRows", nullptr, Reduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduceCols", nullptr, ReduceCols, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamw", nullptr, AdamW, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"linearForward", nullptr, LinearForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"linearBackward", nullptr, LinearBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"attentionSoftmax", nullptr, AttentionSoftmax, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"attentionSoftmaxGrad", nullptr, AttentionSoftmaxGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"activation", nullptr, Activation, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"activationGrad", nullptr, ActivationGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"normForward", nullptr, NormForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"normBackward", nullptr, NormBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"attentionForward", nullptr, AttentionForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"attentionBackward", nullptr, AttentionBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gatedActivation", nullptr, GatedActivation, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gatedActivationGrad", nullptr, GatedActivationGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"causalLmLoss", nullptr, CausalLmLoss, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"causalLmLossGrad", nullptr, CausalLmLossGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"selectKernels", nullptr, SelectKernels, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setSgemm", nullptr, SetSgemm, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
