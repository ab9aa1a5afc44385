#include "common/parallel.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln {
namespace {

thread_local bool tls_in_worker = false;

// How long an idle worker, or a caller waiting for its chunks, polls before it sleeps.
constexpr auto kSpin = std::chrono::microseconds(50);

// One parallel_for call: `chunks` pieces of [0, n), claimed by index.
struct Job {
    const std::function<void(int64_t, int64_t)>* fn = nullptr;
    int64_t n = 0;
    int chunks = 0;
    std::atomic<int> next{0};
    std::atomic<int> done{0};
    std::atomic<int> visitors{0};  // workers holding a pointer to this job (it lives on the caller's stack)
    std::mutex error_mutex;
    std::exception_ptr error;

    // Runs chunks until none is left.
    void work() {
        for (int c = next.fetch_add(1); c < chunks; c = next.fetch_add(1)) {
            try {
                (*fn)(n * c / chunks, n * (c + 1) / chunks);
            } catch (...) {
                std::lock_guard<std::mutex> lock(error_mutex);
                if (!error) error = std::current_exception();
            }
            if (done.fetch_add(1) + 1 == chunks) done.notify_all();
        }
    }
    bool has_unclaimed() const { return next.load(std::memory_order_relaxed) < chunks; }
};

class ThreadPool {
  public:
    static ThreadPool& instance() {
        static ThreadPool* pool = new ThreadPool();  // never destroyed: workers may outlive static destruction
        return *pool;
    }

    void run(Job& job, int helpers) {
        ensure_workers(helpers);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            queue_.push_back(&job);
            pending_.fetch_add(1, std::memory_order_release);
        }
        wake_.notify_all();
        tls_in_worker = true;  // a parallel_for inside the caller's chunks runs inline, as in the workers'
        job.work();
        tls_in_worker = false;
        // Wait for chunks that workers took; they finish without needing this thread.
        wait_until(job.done, [&](int v) { return v == job.chunks; });
        remove(job);
        wait_until(job.visitors, [](int v) { return v == 0; });
    }

  private:
    template <typename Pred>
    static void wait_until(std::atomic<int>& value, Pred ready) {
        auto deadline = std::chrono::steady_clock::now() + kSpin;
        int v = value.load();
        while (!ready(v) && std::chrono::steady_clock::now() < deadline) v = value.load();
        while (!ready(v = value.load())) value.wait(v);
    }

    void ensure_workers(int wanted) {
        std::lock_guard<std::mutex> lock(mutex_);
        while (static_cast<int>(workers_.size()) < wanted) {
            workers_.emplace_back([this] { worker_loop(); });
            workers_.back().detach();
        }
    }

    void remove(Job& job) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = std::find(queue_.begin(), queue_.end(), &job);
        if (it != queue_.end()) {
            queue_.erase(it);
            pending_.fetch_sub(1, std::memory_order_release);
        }
    }

    // A queued job with chunks left, registered as visited (see Job::visitors), or null.
    Job* claimable() {
        std::lock_guard<std::mutex> lock(mutex_);
        for (Job* job : queue_) {
            if (job->has_unclaimed()) {
                job->visitors.fetch_add(1);
                return job;
            }
        }
        return nullptr;
    }

    void worker_loop() {
        tls_in_worker = true;
        for (;;) {
            Job* job = nullptr;
            auto deadline = std::chrono::steady_clock::now() + kSpin;
            while (!job) {
                if (pending_.load(std::memory_order_acquire) > 0) job = claimable();
                if (job || std::chrono::steady_clock::now() >= deadline) break;
                sched_yield();
            }
            if (!job) {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [this] {
                    for (Job* j : queue_) {
                        if (j->has_unclaimed()) return true;
                    }
                    return false;
                });
                continue;
            }
            job->work();
            if (job->visitors.fetch_sub(1) == 1) job->visitors.notify_all();
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job*> queue_;
    std::atomic<int> pending_{0};
    std::vector<std::thread> workers_;
};

}  // namespace

void parallel_for(int64_t n, int threads, const std::function<void(int64_t, int64_t)>& fn, int64_t cost_per_item) {
    if (n <= 0) return;
    constexpr int64_t kMinWorkPerThread = 1 << 15;
    int64_t useful = std::max<int64_t>(1, (n * std::max<int64_t>(cost_per_item, 1)) / kMinWorkPerThread);
    int team = static_cast<int>(std::min<int64_t>({static_cast<int64_t>(threads), n, useful}));
    if (team <= 1 || tls_in_worker) {
        fn(0, n);
        return;
    }
    Job job;
    job.fn = &fn;
    job.n = n;
    job.chunks = team;
    ThreadPool::instance().run(job, team - 1);
    if (job.error) std::rethrow_exception(job.error);
}

int default_thread_count() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
    unsigned hw = std::thread::hardware_concurrency();
    return hw ? static_cast<int>(hw) : 1;
}

bool in_parallel_worker() { return tls_in_worker; }

}  // namespace kiln
