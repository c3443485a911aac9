// The thread pool every kernel shares, compiled once: the kernels are compiled once per instruction
// set (kernels.cc), and each build splits its loops through these functions.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>

namespace llava {

// LLAVA_MORE_THREADS, else the hardware's count up to 8.
int threadCount();

// Whether the calling thread is running a part of a pooled job (nested loops then run inline).
bool inPool();

// Calls f(part) for every part in [0, parts) on the pool; part 0 on the calling thread.
void runParts(int parts, const std::function<void(int)>& f);

// Runs body(begin, end) over [0, total) split across the cores when the work is large enough.
template <typename F>
inline void parallelFor(int64_t total, double workPerItem, F body) {
  const int threads = threadCount();
  if (threads == 1 || total < 2 || total * workPerItem < 2e5 || inPool()) {
    body(0, total);
    return;
  }
  const int parts = static_cast<int>(std::min<int64_t>(threads, total));
  const int64_t chunk = (total + parts - 1) / parts;
  runParts(parts, [&](int p) {
    const int64_t begin = p * chunk, end = std::min(total, begin + chunk);
    if (begin < end) body(begin, end);
  });
}

// parallelFor behind a std::function, for the kernels compiled outside kernels.cc's builds.
inline void parallelRange(int64_t total, double workPerItem, const std::function<void(int64_t, int64_t)>& body) {
  parallelFor(total, workPerItem, body);
}

}  // namespace llava
