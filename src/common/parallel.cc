#include "common/parallel.h"

#include <omp.h>

#include <algorithm>
#include <exception>
#include <mutex>
#include <thread>

namespace kiln {

void parallel_for(int64_t n, int threads, const std::function<void(int64_t, int64_t)>& fn, int64_t cost_per_item) {
    if (n <= 0) return;
    constexpr int64_t kMinWorkPerThread = 1 << 15;
    int64_t useful = std::max<int64_t>(1, (n * std::max<int64_t>(cost_per_item, 1)) / kMinWorkPerThread);
    int team = static_cast<int>(std::min<int64_t>({static_cast<int64_t>(threads), n, useful}));
    if (team <= 1) {
        fn(0, n);
        return;
    }
    std::exception_ptr error;
    std::mutex error_mutex;
#pragma omp parallel num_threads(team)
    {
        int t = omp_get_thread_num();
        int actual = omp_get_num_threads();
        int64_t begin = n * t / actual;
        int64_t end = n * (t + 1) / actual;
        try {
            if (begin < end) fn(begin, end);
        } catch (...) {
            std::lock_guard<std::mutex> lock(error_mutex);
            if (!error) error = std::current_exception();
        }
    }
    if (error) std::rethrow_exception(error);
}

int default_thread_count() {
    unsigned hw = std::thread::hardware_concurrency();
    return hw ? static_cast<int>(hw) : 1;
}

}  // namespace kiln
