// Lock-free recording of the stats.hpp snapshots: relaxed atomic counters and histograms that any
// thread may bump while another takes a snapshot.
#pragma once

#include <ddbcache/stats.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

namespace ddbcache::metrics {

struct counter {
    std::atomic<std::uint64_t> n{0};
    void add(std::uint64_t k = 1) noexcept { n.fetch_add(k, std::memory_order_relaxed); }
    std::uint64_t get() const noexcept { return n.load(std::memory_order_relaxed); }
};

// A counter bumped from many threads at once on a hot path: striped over cache lines by thread (the
// idea of Java's LongAdder), so that threads do not contend for one line. Reading sums the stripes.
class striped_counter {
public:
    void add(std::uint64_t k = 1) noexcept { stripes_[mine()].n.fetch_add(k, std::memory_order_relaxed); }
    std::uint64_t get() const noexcept {
        std::uint64_t sum = 0;
        for (const auto& s : stripes_) sum += s.n.load(std::memory_order_relaxed);
        return sum;
    }

private:
    static constexpr std::size_t stripe_count = 16;
    struct alignas(64) stripe {
        std::atomic<std::uint64_t> n{0};
    };
    static std::size_t mine() noexcept {
        thread_local const std::size_t index = std::hash<std::thread::id>{}(std::this_thread::get_id()) % stripe_count;
        return index;
    }
    std::array<stripe, stripe_count> stripes_{};
};

// Records into atomics with latency_histogram's layout; snapshot() copies it.
class histogram_recorder {
public:
    void record(std::chrono::nanoseconds d) noexcept {
        const auto v = d.count() < 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(d.count());
        counts_[latency_histogram::index_of(v)].fetch_add(1, std::memory_order_relaxed);
    }
    latency_histogram snapshot() const {
        latency_histogram h;
        for (std::size_t i = 0; i < latency_histogram::bucket_count; ++i)
            if (const auto k = counts_[i].load(std::memory_order_relaxed)) h.add(i, k);
        return h;
    }

private:
    std::array<std::atomic<std::uint64_t>, latency_histogram::bucket_count> counts_{};
};

} // namespace ddbcache::metrics
