// The causal-LM cross-entropy of a batch of logits in one pass each way: position t of each sequence
// predicts label t + 1, labels equal to `ignore` count for nothing, the mean runs over the others.
#pragma once
#include <cstdint>

namespace llava {

// logits [B, T, V], labels [B, T]. Writes lse [B, T − 1] (each prediction's log-sum-exp, for the
// backward pass) and returns −Σ log p(label) / max(1, number of counted labels). A label outside
// [0, V) counts in the mean but adds nothing (as one_hot of it is all zeros).
float causalLmLossForward(const float* logits, const int32_t* labels, float* lse, int64_t batch, int64_t seq, int64_t vocab,
                          int32_t ignore);

// dlogits [B, T, V] = dy · w / count · (softmax − one_hot(label)) per prediction, 0 at the last position.
void causalLmLossBackward(const float* logits, const int32_t* labels, const float* lse, float dy, float* dlogits, int64_t batch,
                          int64_t seq, int64_t vocab, int32_t ignore);

}  // namespace llava
