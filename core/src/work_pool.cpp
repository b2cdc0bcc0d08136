#include "chunkbench/work_pool.hpp"

namespace chunkbench {

WorkPool::WorkPool(unsigned threads, std::size_t queue_limit) : limit_(queue_limit ? queue_limit : 1) {
  if (threads == 0) threads = 1;
  workers_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) workers_.emplace_back([this, i] { run(i); });
}

WorkPool::~WorkPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  has_work_.notify_all();
  for (auto& t : workers_) t.join();
}

void WorkPool::rethrow_locked(std::unique_lock<std::mutex>& lock) {
  if (!error_) return;
  auto e = error_;
  queue_.clear();
  lock.unlock();
  std::rethrow_exception(e);
}

void WorkPool::submit(Job job) {
  std::unique_lock lock(mu_);
  has_room_.wait(lock, [&] { return queue_.size() < limit_ || error_; });
  rethrow_locked(lock);
  queue_.push_back(std::move(job));
  lock.unlock();
  has_work_.notify_one();
}

void WorkPool::wait() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return (queue_.empty() && running_ == 0) || (error_ && running_ == 0); });
  rethrow_locked(lock);
}

void WorkPool::run(unsigned worker) {
  std::unique_lock lock(mu_);
  while (true) {
    has_work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    has_room_.notify_one();
    try {
      job(worker);
    } catch (...) {
      std::lock_guard g(mu_);
      if (!error_) error_ = std::current_exception();
      queue_.clear();  // after a failure the remaining work is pointless
    }
    lock.lock();
    --running_;
    if (error_) has_room_.notify_all();
    if (running_ == 0 && (queue_.empty() || error_)) idle_.notify_all();
  }
}

}  // namespace chunkbench
