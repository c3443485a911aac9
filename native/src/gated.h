// Gated activations, act(gate) ⊙ up, and their gradients in one pass each (the gated MLPs of LLaMA,
// Phi and Gemma 2). Each element is computed by the same operations as the separate activation and
// product kernels, so the bits are theirs.
#pragma once
#include <cstdint>

namespace llava {

// y = act(g) · u, act as in activation() (0 GELU, 1 GELU-tanh, 2 quick-GELU, 3 SiLU).
void gatedActivation(int kind, const float* g, const float* u, float* y, int64_t n);
// dg = (dy · u) · act'(g), du = dy · act(g).
void gatedActivationGrad(int kind, const float* g, const float* u, const float* dy, float* dg, float* du, int64_t n);

}  // namespace llava
