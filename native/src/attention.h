// Fused self-attention for training: RoPE, scores, masks, soft-cap, softmax and the value product in
// one call per layer, reading q, k, v straight from the projections' [B, T, heads · d] layout.
// attention.cc is compiled once per instruction set, like kernels.cc (kernels.h): the addon calls the
// selected build's functions through its Kernels table.
#pragma once
#include <cstdint>

namespace llava {

struct AttentionDims {
  int64_t batch, seq, heads, kvHeads, headDim;
  // Channels RoPE rotates (0: none); cos and sin are [seq, rotary], each half repeating the other.
  int64_t rotary;
  bool causal;
  // Each query sees only the last `window` keys, itself included (0: no window).
  int64_t window;
  float scale;
  // Soft-cap of the scaled scores, cap · tanh(s / cap) (0: none).
  float cap;
  // Floats from one token's q (dq) to the next, and k, v (dk, dv): H·d and H_kv·d apart, or both
  // (H + 2·H_kv)·d where q, k and v are column blocks of one projection [B, T, (H + 2·H_kv)·d]. The
  // context and its gradient are always [B, T, H·d].
  int64_t qStride, kvStride;
};

#ifndef LLAVA_ISA_NS
#error "LLAVA_ISA_NS must name the instruction-set build (binding.gyp defines it)"
#endif
namespace LLAVA_ISA_NS {

// ctx [B, T, H·d] = softmax(cap·tanh(rope(q)·rope(k)ᵀ·scale / cap) + mask) · v per head, query head h
// reading key-value head ⌊h / (H / H_kv)⌋; q [B, T, H·d], k and v [B, T, H_kv·d]. keyMask [B, T]
// (may be null) is 1 for keys to attend, 0 for padding. Writes the probabilities [B, H, T, T] too:
// the backward pass reads them.
void attentionForward(const float* q, const float* k, const float* v, const float* cos, const float* sin, const float* keyMask,
                      float* ctx, float* probs, const AttentionDims& dims);

// Gradients of attentionForward with respect to q, k and v, from dctx [B, T, H·d] and its probabilities.
void attentionBackward(const float* q, const float* k, const float* v, const float* cos, const float* sin, const float* probs,
                       const float* dctx, float* dq, float* dk, float* dv, const AttentionDims& dims);

}  // namespace LLAVA_ISA_NS
}  // namespace llava
