// The near cache: the CPU and the allocations of a hit through the public API (co_await
// cache.async_get on a filled key), on one thread and on two sharing one cache; and SIEVE's hit
// ratio beside plain LRU on Zipf-distributed keys.
//
// The cache is filled once from a loopback server that answers every GetItem with the same item;
// the timed loop sends nothing (checked: the run fails if a request is sent while timing).
#include "../integration/scripted_http_server.hpp"
#include "cache/near_cache.hpp"
#include "codec/base64.hpp"

#include <ddbcache/cache.hpp>

#include <benchmark/benchmark.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <list>
#include <new>
#include <random>
#include <thread>
#include <unordered_map>

// ---- allocation counting: every operator new of the process ----
namespace {
thread_local std::uint64_t allocations = 0;
}
void* operator new(std::size_t n) {
    ++allocations;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {
namespace asio = boost::asio;
using namespace ddbcache;

// One cache with a filled near cache, shared by the benchmarks (and by both threads of the
// two-thread run). Its client's io_context runs on a thread of its own.
struct filled_cache {
    asio::io_context server_io;
    test::scripted_http_server server;
    std::thread server_thread;
    asio::io_context cache_io;
    std::unique_ptr<cache> c;

    static std::string answer_for(const std::string& key, std::size_t value_bytes) {
        std::string body = R"({"Item":{"cache_key":{"S":")" + key + R"("},"response":{"B":")";
        codec::append_base64(std::string(value_bytes, 'v'), body);
        return body + R"("}}})";
    }

    filled_cache()
        : server(server_io,
                 [](const test::seen_request& r) {
                     const bool small = r.body.find("small") != std::string::npos;
                     return test::scripted_reply{200, answer_for(small ? "small" : "large", small ? 15 : 100)};
                 }),
          server_thread([this] { server_io.run(); }) {
        cache_options o;
        o.table_name = "bench";
        o.codec = value_codec::raw;
        o.create_table = false;
        o.near_cache.max_bytes = 64 << 20;
        o.near_cache.ttl = std::chrono::hours(1);
        o.client.endpoint = server.url();
        o.client.region = "us-east-1";
        o.client.credentials.explicit_credentials = credentials{"AKIDBENCH", "bench-secret", ""};
        c = std::make_unique<cache>(cache_io.get_executor(), o);
        auto fill = [this]() -> asio::awaitable<void> {
            auto small = co_await c->async_get("small", asio::use_awaitable);
            auto large = co_await c->async_get("large", asio::use_awaitable);
            if (small.value_or("").size() != 15 || large.value_or("").size() != 100) std::abort();
        };
        auto done = asio::co_spawn(cache_io, fill(), asio::use_future);
        cache_io.run();
        done.get();
    }
    ~filled_cache() {
        server_io.stop();
        server_thread.join();
    }
    std::size_t requests() const { return c->dynamodb().stats().connections.requests_total; }
};

filled_cache& shared_cache() {
    static filled_cache instance;
    return instance;
}

// co_await async_get(key) in a loop on this thread's own io_context; allocations per hit counted.
template <class Token>
void near_cache_hit(benchmark::State& state, const char* key, Token token) {
    filled_cache& f = shared_cache();
    const std::size_t requests_before = f.requests();
    asio::io_context io(1);
    std::uint64_t allocated = 0;
    auto loop = [&]() -> asio::awaitable<void> {
        std::string k = key;
        for (auto _ : state) {
            const std::uint64_t before = allocations;
            auto v = co_await f.c->async_get(k, token);
            allocated += allocations - before;
            benchmark::DoNotOptimize(v);
        }
    };
    asio::co_spawn(io, loop(), asio::detached);
    io.run();
    if (f.requests() != requests_before) state.SkipWithError("a hit sent a request");
    state.counters["allocations_per_hit"] =
        benchmark::Counter(static_cast<double>(allocated), benchmark::Counter::kAvgIterations);
}

void BM_NearCacheHit_Value15Bytes(benchmark::State& state) {
    near_cache_hit(state, "small", asio::use_awaitable);
}
void BM_NearCacheHit_Value100Bytes(benchmark::State& state) {
    near_cache_hit(state, "large", asio::use_awaitable);
}
void BM_NearCacheHit_Value15Bytes_DefaultToken(benchmark::State& state) {
    near_cache_hit(state, "small", default_token{});
}
BENCHMARK(BM_NearCacheHit_Value15Bytes)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_NearCacheHit_Value100Bytes)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_NearCacheHit_Value15Bytes_DefaultToken);

// ---- hit ratio: SIEVE (the library's near cache) beside LRU, on the same Zipf trace ----

// Keys 0..n-1 drawn with P(k) proportional to 1 / (k + 1)^s, by inverse transform on the CDF.
std::vector<std::uint32_t> zipf_trace(std::size_t keys, double s, std::size_t length, std::uint64_t seed) {
    std::vector<double> cdf(keys);
    double sum = 0;
    for (std::size_t k = 0; k < keys; ++k) cdf[k] = sum += 1.0 / std::pow(static_cast<double>(k + 1), s);
    std::mt19937_64 random(seed);
    std::uniform_real_distribution<double> uniform(0, sum);
    // Ranks are shuffled onto key names so that popularity is not in key order.
    std::vector<std::uint32_t> name(keys);
    for (std::size_t k = 0; k < keys; ++k) name[k] = static_cast<std::uint32_t>(k);
    std::shuffle(name.begin(), name.end(), random);
    std::vector<std::uint32_t> trace(length);
    for (auto& t : trace)
        t = name[static_cast<std::size_t>(std::lower_bound(cdf.begin(), cdf.end(), uniform(random)) - cdf.begin())];
    return trace;
}

// Plain LRU, the reference the papers compare with.
class lru {
public:
    explicit lru(std::size_t capacity) : capacity_(capacity) {}
    bool access(std::uint32_t key) {
        if (auto it = where_.find(key); it != where_.end()) {
            order_.splice(order_.begin(), order_, it->second);
            return true;
        }
        if (where_.size() == capacity_) {
            where_.erase(order_.back());
            order_.pop_back();
        }
        order_.push_front(key);
        where_[key] = order_.begin();
        return false;
    }

private:
    std::size_t capacity_;
    std::list<std::uint32_t> order_;
    std::unordered_map<std::uint32_t, std::list<std::uint32_t>::iterator> where_;
};

constexpr std::size_t trace_keys = 100'000;
constexpr std::size_t trace_length = 2'000'000;

// Args: Zipf s * 100, cache size in permille of the keys.
void BM_HitRatio_Sieve(benchmark::State& state) {
    const auto trace = zipf_trace(trace_keys, static_cast<double>(state.range(0)) / 100, trace_length, 42);
    const std::size_t capacity = trace_keys * static_cast<std::size_t>(state.range(1)) / 1000;
    double ratio = 0;
    for (auto _ : state) {
        near_cache_options o;
        o.max_bytes = std::size_t{1} << 40; // bounded by entries alone
        o.max_entries = capacity;
        o.ttl = std::chrono::hours(1);
        near_cache c(o);
        std::uint64_t hits = 0;
        std::optional<std::string> v;
        const near_cache::steady::time_point now{};
        for (std::uint32_t key : trace) {
            const std::string k = std::to_string(key);
            if (c.lookup(k, now, 0, v)) ++hits;
            else c.fill(c.take_ticket(k), k, near_cache::kind::value, "", 0, now);
        }
        ratio = static_cast<double>(hits) / static_cast<double>(trace.size());
    }
    state.counters["hit_ratio"] = ratio;
}
void BM_HitRatio_Lru(benchmark::State& state) {
    const auto trace = zipf_trace(trace_keys, static_cast<double>(state.range(0)) / 100, trace_length, 42);
    const std::size_t capacity = trace_keys * static_cast<std::size_t>(state.range(1)) / 1000;
    double ratio = 0;
    for (auto _ : state) {
        lru c(capacity);
        std::uint64_t hits = 0;
        for (std::uint32_t key : trace) hits += c.access(key);
        ratio = static_cast<double>(hits) / static_cast<double>(trace.size());
    }
    state.counters["hit_ratio"] = ratio;
}
#define DDBCACHE_HIT_RATIO_ARGS ->Args({90, 10})->Args({90, 100})->Args({100, 10})->Args({100, 100})->Iterations(1)->Unit(benchmark::kMillisecond)
BENCHMARK(BM_HitRatio_Sieve) DDBCACHE_HIT_RATIO_ARGS;
BENCHMARK(BM_HitRatio_Lru) DDBCACHE_HIT_RATIO_ARGS;

} // namespace

BENCHMARK_MAIN();
