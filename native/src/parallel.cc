// The persistent thread pool behind parallelFor (parallel.h). Compiled once for the base instruction
// set: the kernels of every instruction set share it.
#include "parallel.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace llava {

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
// microseconds, and a training step makes over a thousand calls. Waking a sleeping worker through a
// condition variable cost ~45 µs a call on this machine's VM, so a worker spins for a short while
// after each job before it sleeps (kernels follow each other within microseconds during a step),
// and sleeps for good when the process goes idle.
class Pool {
 public:
  explicit Pool(int workers) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this, i] { loop(i + 1); });
  }

  // Calls f(part) for every part in [0, parts); part 0 on the calling thread. Every worker
  // acknowledges every job (those without a part just count down), so no worker can still be
  // reading a job when the next one is posted.
  void run(int parts, const std::function<void(int)>& f) {
    job_ = &f;
    parts_ = parts;
    pending_.store(static_cast<int>(threads_.size()), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lock(mu_);
      wake_.notify_all();
    }
    inPool() = true;
    f(0);
    inPool() = false;
    for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
      if (spin < 4096) cpuRelax();
      else std::this_thread::yield();
    }
    job_ = nullptr;
  }

  static bool& inPool() {
    thread_local bool value = false;
    return value;
  }

 private:
  static void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  // Spins up to ~200 µs for the next job, then sleeps until one is posted.
  uint64_t awaitJob(uint64_t seen) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
    for (int spin = 0;; ++spin) {
      const uint64_t g = generation_.load(std::memory_order_acquire);
      if (g != seen) return g;
      cpuRelax();
      if ((spin & 255) == 255 && std::chrono::steady_clock::now() > until) break;
    }
    std::unique_lock<std::mutex> lock(mu_);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    wake_.wait(lock, [&] { return generation_.load(std::memory_order_seq_cst) != seen; });
    sleepers_.fetch_sub(1, std::memory_order_seq_cst);
    return generation_.load(std::memory_order_acquire);
  }

  void loop(int id) {
    inPool() = true;
    uint64_t seen = 0;
    for (;;) {
      seen = awaitJob(seen);
      if (id < parts_) (*job_)(id);
      pending_.fetch_sub(1, std::memory_order_release);
    }
  }

  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable wake_;
  // Written by run() before the generation bump and read by workers after they see it.
  const std::function<void(int)>* job_ = nullptr;
  int parts_ = 0;
  std::atomic<int> pending_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<uint64_t> generation_{0};
};

Pool& pool() {
  // Never destroyed: its workers sleep until the process exits.
  static Pool* p = new Pool(threadCount() - 1);
  return *p;
}

}  // namespace

bool inPool() { return Pool::inPool(); }

void runParts(int parts, const std::function<void(int)>& f) { pool().run(parts, f); }

}  // namespace llava
