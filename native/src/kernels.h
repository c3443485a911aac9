// Native CPU kernels of the workbench. Every function works on plain float arrays owned by the
// caller (TF.js CPU-backend tensors), so nothing is copied across the N-API boundary.
//
// kernels.cc is compiled once per instruction set, each build in its own namespace (isa_avx2 for
// x86-64-v3, isa_avx512 for x86-64-v4, isa_generic where the build machine has neither), and the
// addon calls the build it selected through that build's table, so an AVX2 CPU never runs a
// function of the AVX-512 build.
#pragma once
#include <cstdint>
#include <functional>

#include "attention.h"

#ifndef LLAVA_ISA_NS
#error "LLAVA_ISA_NS must name the instruction-set build (binding.gyp defines it)"
#endif

namespace llava {

// Binary ops: out[i] = a[..] op b[..]; unary ops: out[i] = op(x[i]).
enum BinaryOp { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3, kMaximum = 4, kMinimum = 5, kSquaredDifference = 6 };
enum UnaryOp { kNeg = 0, kExp = 1, kLog = 2, kSqrt = 3, kRsqrt = 4, kSquare = 5, kSigmoid = 6, kTanh = 7, kErf = 8, kAbs = 9, kRelu = 10 };

// C [m, n] (row stride ldc) = op(A) op(B), each block of rowBlock rows of C bit for bit what one
// single-threaded cblas_sgemm call on those rows gives; computes share `part` of `parts` of C (of its
// columns, or of its rows where A is transposed).
using SgemmFn = void (*)(const float* a, const float* b, float* c, int64_t m, int64_t n, int64_t k, bool transA, bool transB, int64_t lda,
                         int64_t ldb, int64_t ldc, int64_t rowBlock, int part, int parts);

struct Kernels {
  // The instruction set of this build: "avx2", "avx512" or "generic".
  const char* isa;

  // C[i] = op(A + aOffsets[i]) · op(B + bOffsets[i]) for each batch entry i; C is [batch, m, n].
  // `builtin` forces the built-in kernel even where OpenBLAS is linked (for tests and comparison).
  void (*batchedGemm)(const float* a, const float* b, float* c, int64_t batch, int64_t m, int64_t n, int64_t k,
                   bool transA, bool transB, const int64_t* aOffsets, const int64_t* bOffsets, bool builtin);

  // Row-wise softmax of a [rows, cols] array.
  void (*softmaxRows)(const float* x, float* out, int64_t rows, int64_t cols);

  // Elementwise binary op with broadcasting: out[i] = a[..] op b[..] over outShape, where aStrides and
  // bStrides give each operand's element stride per output dimension (0 where it is broadcast).
  void (*binary)(int op, const float* a, const float* b, float* out, int rank, const int64_t* outShape, const int64_t* aStrides,
              const int64_t* bStrides);

  void (*unary)(int op, const float* x, float* out, int64_t n);

  // Copies an N-d box: element at index i of `shape` goes from src[srcStrides·i] to dst[dstStrides·i].
  // Slice, transpose and pad are all this copy with different strides and offsets.
  void (*stridedCopy)(const float* src, float* dst, int rank, const int64_t* shape, const int64_t* srcStrides, const int64_t* dstStrides);

  // Sums (op 0) or averages (op 1) each column of a [rows, cols] array: reduction over leading axes.
  void (*reduceCols)(int op, const float* x, float* out, int64_t rows, int64_t cols);

  // Reduces each row of a [rows, cols] array: 0 sum, 1 mean, 2 max, 3 min.
  void (*reduceRows)(int op, const float* x, float* out, int64_t rows, int64_t cols);

  // One AdamW step (decoupled weight decay, bias-corrected moments) writing new parameter and moments.
  void (*adamw)(const float* param, const float* grad, const float* m, const float* v, float* outParam, float* outM, float* outV,
             int64_t n, float lr, float beta1, float beta2, float eps, float weightDecay, float biasCorrection1,
             float biasCorrection2);

  // Row normalisation over the last axis, d wide: LayerNorm when `center` (y = (x − μ)·r·w + b), else
  // RMSNorm (y = x·r·(w + offset)); r = 1/√(mean((x − μ)²) + eps). Saves μ and r per row for backward.
  void (*normForward)(const float* x, const float* w, const float* b, float* out, float* mean, float* rstd, int64_t rows, int64_t d,
                   float eps, bool center, float offset);
  // Gradients of normForward: dx [rows, d], dw and db [d] (db only when center).
  void (*normBackward)(const float* x, const float* w, const float* dy, const float* mean, const float* rstd, float* dx, float* dw,
                    float* db, int64_t rows, int64_t d, bool center, float offset);

  // Activations and their derivatives: 0 GELU (erf), 1 GELU-tanh, 2 quick-GELU, 3 SiLU.
  void (*activation)(int kind, const float* x, float* out, int64_t n);
  // dx = dy · act'(x)
  void (*activationGrad)(int kind, const float* x, const float* dy, float* dx, int64_t n);

  // Attention probabilities: y = softmax(cap·tanh(s·scale / cap) + mask) row-wise over Tk, where the
  // soft-cap applies only when cap > 0 and mask [Tq, Tk] (may be null) repeats over the leading rows.
  void (*attentionSoftmax)(const float* scores, const float* mask, float* y, int64_t rows, int64_t tq, int64_t tk, float scale, float cap);
  // Its gradient with respect to the raw scores s.
  void (*attentionSoftmaxGrad)(const float* y, const float* dy, const float* scores, float* ds, int64_t rows, int64_t tk, float scale,
                            float cap);

  // y = x·wᵀ + b for x [rows, in], w [out, in], b [out] (may be null).
  void (*linearForward)(const float* x, const float* w, const float* b, float* y, int64_t rows, int64_t in, int64_t out);
  // dx = dy·w, dw = dyᵀ·x, db = Σ_rows dy (db may be null).
  void (*linearBackward)(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db, int64_t rows, int64_t in,
                      int64_t out);

  // An SgemmFn giving the bits of OpenBLAS 0.3.21's Haswell kernels (haswell_gemm.h) with this build's
  // vectors; null in a build without AVX2 or without OpenBLAS.
  SgemmFn haswellOrderGemm;

  // The fused attention and its gradient (attention.h), compiled in this build.
  void (*attentionForward)(const float* q, const float* k, const float* v, const float* cos, const float* sin, const float* keyMask, float* ctx,
                           float* probs, const AttentionDims& dims);
  void (*attentionBackward)(const float* q, const float* k, const float* v, const float* cos, const float* sin, const float* probs,
                            const float* dctx, float* dq, float* dk, float* dv, const AttentionDims& dims);
};

// The table of the build that includes this header (LLAVA_ISA_NS: in the addon, the base build that
// every CPU it was built for runs) and, where it was compiled in, of the AVX-512 build.
namespace LLAVA_ISA_NS { const Kernels& kernels(); }
#ifdef LLAVA_HAVE_AVX512
namespace isa_avx512 { const Kernels& kernels(); }
#endif

// What computes the products OpenBLAS would (addon.cc): null for OpenBLAS itself, or a build's
// haswellOrderGemm where it gives OpenBLAS's bits faster (OpenBLAS on its Haswell kernels, a CPU with
// AVX-512). Read by every build's gemm.
SgemmFn sgemmStandIn();

// The build selected at load (addon.cc): the kernels compiled once outside the builds (gated.cc,
// loss.cc) reach the products and activations through it.
const Kernels& activeKernels();

}  // namespace llava
