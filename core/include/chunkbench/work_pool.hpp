#pragma once
// A fixed set of worker threads fed through a bounded queue, so a fast producer (a file reader or
// a transfer loop) is slowed down instead of buffering a whole image. Each job gets its worker's
// number, letting callers keep per-worker codecs and hashers without thread_local state.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace chunkbench {

class WorkPool {
 public:
  using Job = std::function<void(unsigned worker)>;
  WorkPool(unsigned threads, std::size_t queue_limit);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Blocks while the queue is full; rethrows the first job error instead of queueing more.
  void submit(Job job);
  // Waits until every queued job has run; rethrows the first error any job threw.
  void wait();
  unsigned threads() const noexcept { return static_cast<unsigned>(workers_.size()); }

 private:
  void run(unsigned worker);
  void rethrow_locked(std::unique_lock<std::mutex>& lock);

  std::mutex mu_;
  std::condition_variable has_work_, has_room_, idle_;
  std::deque<Job> queue_;
  std::size_t limit_;
  std::size_t running_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::vector<std::thread> workers_;
};

}  // namespace chunkbench
