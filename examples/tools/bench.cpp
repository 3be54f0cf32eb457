// ddbcache-bench: a load tool for the cache against any DynamoDB endpoint. Run `ddbcache-bench --help`.
//
// Every get is checked against the value its key must have; latencies go to a log-linear
// histogram; client CPU comes from getrusage. --replay sends one pre-signed request over the same
// pool with no per-request work: the server's ceiling, against which real runs are compared.
#include <ddbcache/cache.hpp>
#include <ddbcache/stats.hpp>

#include "codec/base64.hpp"
#include "dynamodb/call_signing.hpp"
#include "dynamodb/client_config.hpp"
#include "http/connection_pool.hpp"
#include "http/endpoint.hpp"
#include "command_line.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sigv4/sigv4.hpp>
#include <simdjson.h>

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <new>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace tools = ddbcache::tools;
using steady = std::chrono::steady_clock;
// 128 sub-buckets per power of two: latencies within 1/128 (0.8 %), in about 36 KB.
using latency_histogram = ddbcache::log_linear_histogram<7>;

// Every operator new of the process is counted, to report C++ allocations per operation. malloc
// called by C libraries (OpenSSL) and Asio's aligned_alloc for coroutine frames are not:
// scripts/performance.py counts every allocation function with heaptrack.
namespace {
std::atomic<std::uint64_t> heap_allocations{0};
} // namespace

void* operator new(std::size_t size) {
    heap_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
// The nothrow form too (std::stable_sort's buffer uses it): whatever one of these allocates,
// either delete below frees, so every form must come from the same malloc.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    heap_allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(size ? size : 1);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

constexpr std::string_view usage = R"(usage: ddbcache-bench --endpoint URL [OPTIONS]

  --op get|set|add|mixed|get_many|get_or_set|get_or_set_miss|get_set_miss
                       the operation (default get); mixed = 80 % get, 20 % set;
                       get_many reads 10 keys per operation; get_or_set hits stored keys;
                       get_or_set_miss and get_set_miss (a get, then a set: the plain cache-aside)
                       use a key never seen before each time
  --lease              get_or_set with the fleet-wide lease
  --near-cache         turn the near cache on (256 MiB, ttl 1 s): get and get_or_set hits are served
                       from memory; the report adds near-cache hits and their share of the operations
  --concurrency N      operations in flight (default 64)
  --connections N      connection pool size (default 64)
  --threads N          threads running the io_context (default 1)
  --ops N | --seconds S   how long to run (default 10 s)
  --value-size BYTES   value size (default 100)
  --codec cachelib|raw value encoding (default cachelib)
  --max-value-size B   raw codec: store values over one item's 400 KB across items, up to B bytes
  --compression zstd   raw codec: compress values of 1 KiB or more
  --keys N             distinct keys, preloaded (default 1000)
  --table T            table (default ddbcache-bench; created when missing)
  --region R           region (default from the AWS environment)
  --json               one JSON object: ops_per_s, p50_us, p90_us, p99_us, p999_us, cpu_us_per_op,
                       peak_rss_kb, errors, retries, wrong_values, misses, requests_per_op,
                       near_cache_hits, allocations_per_op (operator new only), json_kernel
                       (the simdjson kernel chosen for this CPU)
  --replay             send one pre-signed GetItem over the same pool, with no per-request work
  --compare-replay     run the operation, then --replay with the same settings, and compare
                       (with --json: one line each)
  --floor              the blocking floor (get or set, one at a time, plain http:// only): one
                       blocking socket writes a pre-signed GetItem, or PutItem of the same item
                       size, whole and reads each answer whole (Content-Length), over keep-alive,
                       with no other work per request
  --write-request FILE write the floor's pre-signed request (--op get or set), as it goes on the
                       wire, to FILE and exit: for replaying it with wrk
  --version            print "ddbcache-bench VERSION" and exit
Credentials come from the usual AWS environment variables and shared files.
)";

struct bench_options {
    std::string endpoint, region, table = "ddbcache-bench", op = "get";
    std::size_t concurrency = 64, connections = 64, threads = 1, value_size = 100, keys = 1000;
    std::uint64_t ops = 0;
    std::chrono::seconds duration{10};
    bool json = false, replay = false, compare_replay = false, floor = false, help = false, version = false,
         lease = false, near_cache = false;
    bool raw_codec = false, compression = false;
    std::size_t max_value_size = 0; // 0: the cache's default (one item)
    std::string write_request; // a file: write the floor's request there and exit
};

std::size_t positive(std::string text, std::string_view what) {
    const std::int64_t n = tools::parse_integer(text, what);
    if (n <= 0) throw tools::usage_error(std::string(what) + " must be at least 1");
    return static_cast<std::size_t>(n);
}

bool apply_option(bench_options& o, std::string_view name, auto&& next) {
    if (name == "--help") o.help = true;
    else if (name == "--version") o.version = true;
    else if (name == "--json") o.json = true;
    else if (name == "--replay") o.replay = true;
    else if (name == "--lease") o.lease = true;
    else if (name == "--near-cache") o.near_cache = true;
    else if (name == "--compare-replay") o.compare_replay = true;
    else if (name == "--floor") o.floor = true;
    else if (name == "--endpoint") o.endpoint = next();
    else if (name == "--region") o.region = next();
    else if (name == "--write-request") o.write_request = next();
    else if (name == "--table") o.table = next();
    else if (name == "--op") o.op = next();
    else if (name == "--concurrency") o.concurrency = positive(next(), name);
    else if (name == "--connections") o.connections = positive(next(), name);
    else if (name == "--threads") o.threads = positive(next(), name);
    else if (name == "--value-size") o.value_size = positive(next(), name);
    else if (name == "--codec") {
        const std::string codec = next();
        if (codec != "cachelib" && codec != "raw") throw tools::usage_error("--codec must be cachelib or raw");
        o.raw_codec = codec == "raw";
    } else if (name == "--max-value-size") o.max_value_size = positive(next(), name);
    else if (name == "--compression") {
        if (next() != "zstd") throw tools::usage_error("--compression must be zstd");
        o.compression = true;
    }
    else if (name == "--keys") o.keys = positive(next(), name);
    else if (name == "--ops") o.ops = positive(next(), name);
    else if (name == "--seconds") o.duration = std::chrono::seconds(positive(next(), name));
    else return false;
    return true;
}

bench_options parse_arguments(std::span<char*> args) {
    bench_options o;
    tools::walk_arguments(
        args, "ddbcache-bench", [&](std::string_view name, auto&& next) { return apply_option(o, name, next); },
        [](std::string_view arg) { throw tools::usage_error("unexpected argument \"" + std::string(arg) + "\""); });
    static const std::set<std::string> known_ops{"get",        "set",        "add",           "mixed",
                                                 "get_many",   "get_or_set", "get_or_set_miss", "get_set_miss"};
    if (!o.help && !o.version && !known_ops.contains(o.op))
        throw tools::usage_error("--op must be get, set, add, mixed, get_many, get_or_set, get_or_set_miss or get_set_miss");
    return o;
}

// The value key `index` must have: its stamp "v<index>;" repeated to `size` bytes.
std::string expected_value(std::size_t index, std::size_t size) {
    const std::string stamp = "v" + std::to_string(index) + ";";
    std::string v;
    v.reserve(size + stamp.size());
    while (v.size() < size) v += stamp;
    v.resize(size);
    return v;
}

// Latencies go to the histogram of the thread running the worker (36 KB each: one per worker
// would cost 360 MB at 10 000 in flight). Set by each thread before it runs the io_context.
thread_local latency_histogram* thread_latency = nullptr;

// What every worker counts; merged at the end (no sharing while running).
struct worker_stats {
    std::map<std::string, std::uint64_t> errors; // by type: the AWS type, else the error's message
    std::map<std::string, std::string> first_message; // of each type: what DynamoDB or the library said
    std::uint64_t ops = 0, retries = 0, wrong_values = 0, misses = 0;

    void merge(const worker_stats& o) {
        for (const auto& [type, n] : o.errors) errors[type] += n;
        first_message.insert(o.first_message.begin(), o.first_message.end());
        ops += o.ops;
        retries += o.retries;
        wrong_values += o.wrong_values;
        misses += o.misses;
    }
    void failed(const ddbcache::error_code& ec, const ddbcache::diagnostics& diag) {
        const std::string type = diag.aws_type.empty() ? ec.message() : diag.aws_type;
        if (errors[type]++ == 0) first_message[type] = diag.message;
    }
};

// The key set and the values they must hold, shared read-only by the workers.
struct workload {
    const bench_options& options;
    std::vector<std::string> keys;
    std::vector<std::string> values;
    std::atomic<std::uint64_t> started{0};
    std::atomic<std::uint64_t> fresh_keys{0}; // for the *_miss operations
    const std::string run_id = std::to_string(::getpid()) + "-" + std::to_string(steady::now().time_since_epoch().count());
    steady::time_point deadline;

    explicit workload(const bench_options& o) : options(o) {
        for (std::size_t i = 0; i < o.keys; ++i) {
            keys.push_back("k" + std::to_string(i));
            values.push_back(expected_value(i, o.value_size));
        }
    }
    // Claims the next operation; false once the run is over.
    bool claim() {
        if (options.ops) return started.fetch_add(1, std::memory_order_relaxed) < options.ops;
        return steady::now() < deadline;
    }
};

// xorshift64*: a fast per-worker random source (quality is not the point here).
struct random_source {
    std::uint64_t state;
    std::size_t below(std::size_t n) {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return static_cast<std::size_t>((state * 0x2545F4914F6CDD1DULL) % n);
    }
};

constexpr auto as_result = asio::as_tuple(asio::use_awaitable);

void check_value(const workload& w, std::size_t index, const ddbcache::cache::value& v, worker_stats& s) {
    if (!v) ++s.misses;
    else if (*v != w.values[index]) ++s.wrong_values;
}

asio::awaitable<void> one_cache_operation(ddbcache::cache& c, workload& w, random_source& random, worker_stats& s) {
    ddbcache::diagnostics diag;
    const std::size_t index = random.below(w.keys.size());
    const std::string& op = w.options.op;
    const bool is_set = op == "set" || (op == "mixed" && random.below(5) == 0);
    ddbcache::error_code ec;
    if (op == "get_many") {
        ddbcache::cache::keys keys;
        std::vector<std::size_t> indices;
        for (int i = 0; i < 10; ++i) {
            indices.push_back(random.below(w.keys.size()));
            keys.push_back(w.keys[indices.back()]);
        }
        auto [e, values] = co_await c.async_get_many(std::move(keys), {.diag = &diag}, as_result);
        ec = e;
        for (std::size_t i = 0; !ec && i < values.size(); ++i) check_value(w, indices[i], values[i], s);
    } else if (is_set) {
        ec = std::get<0>(co_await c.async_set(w.keys[index], w.values[index], {.diag = &diag}, as_result));
    } else if (op == "get_or_set" || op == "get_or_set_miss") {
        const std::string key = op == "get_or_set" ? w.keys[index] : "miss-" + w.run_id + "-" + std::to_string(w.fresh_keys++);
        const std::string& v = w.values[index];
        auto compute = [&v]() -> asio::awaitable<std::string> { co_return v; };
        auto [e, r] = co_await c.async_get_or_set(key, compute, {.lease = w.options.lease, .diag = &diag}, as_result);
        ec = e;
        if (!ec && op == "get_or_set") check_value(w, index, r.value, s);
    } else if (op == "get_set_miss") {
        const std::string key = "miss-" + w.run_id + "-" + std::to_string(w.fresh_keys++);
        auto [e, value] = co_await c.async_get(key, {.diag = &diag}, as_result);
        ec = e;
        if (!ec && !value) ec = std::get<0>(co_await c.async_set(key, w.values[index], {.diag = &diag}, as_result));
    } else if (op == "add") {
        ec = std::get<0>(co_await c.async_add(w.keys[index], w.values[index], {.diag = &diag}, as_result));
    } else {
        auto [e, value] = co_await c.async_get(w.keys[index], {.diag = &diag}, as_result);
        ec = e;
        if (!ec) check_value(w, index, value, s);
    }
    if (ec) s.failed(ec, diag);
    if (diag.attempts > 1) s.retries += diag.attempts - 1;
}

// The replay: one signed request, sent as it is every time.
struct replay_request {
    std::string body;
    std::vector<std::pair<std::string, std::string>> header_storage;
    std::vector<ddbcache::http::header_field> headers;
    ddbcache::http::request request() const { return {"POST", headers, body, {}}; }
};

asio::awaitable<void> one_replay(ddbcache::http::connection_pool& pool, const replay_request& r, worker_stats& s) {
    ddbcache::http::response res;
    const auto result = co_await pool.exchange(r.request(), res, ddbcache::http::clock::now() + std::chrono::seconds(10), std::chrono::seconds(10));
    if (result.ec) ++s.errors[result.ec.message()];
    else if (res.status != 200) ++s.errors["HTTP status " + std::to_string(res.status)];
}

template <class OneOperation>
asio::awaitable<void> worker(workload& w, worker_stats& s, std::uint64_t seed, OneOperation one) {
    random_source random{seed * 0x9E3779B97F4A7C15ULL + 1};
    while (w.claim()) {
        const auto t0 = steady::now();
        co_await one(random, s);
        thread_latency->record(static_cast<std::uint64_t>((steady::now() - t0).count()));
        ++s.ops;
    }
}

struct cpu_snapshot {
    double cpu_seconds = 0;
    long peak_rss_kb = 0;
    std::uint64_t allocations = 0;
    static cpu_snapshot now() {
        rusage u{};
        getrusage(RUSAGE_SELF, &u);
        auto seconds = [](timeval t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
        return {seconds(u.ru_utime) + seconds(u.ru_stime), u.ru_maxrss, heap_allocations.load()};
    }
};

struct run_report {
    worker_stats stats;
    latency_histogram latency;
    double seconds = 0, cpu_seconds = 0;
    std::uint64_t requests = 0; // HTTP requests the client sent during the run
    std::uint64_t near_cache_hits = 0;
    long peak_rss_kb = 0, rss_before_kb = 0; // peak over the process's life; peak before this run
    std::uint64_t allocations = 0;
    double ops_per_s() const { return static_cast<double>(stats.ops) / seconds; }
    double cpu_us_per_op() const { return stats.ops ? cpu_seconds * 1e6 / static_cast<double>(stats.ops) : 0; }
    std::uint64_t error_count() const {
        std::uint64_t n = 0;
        for (const auto& [type, count] : stats.errors) n += count;
        return n;
    }
};

// The report of a run that started at `t0` with `before`, from its counts and latencies.
run_report report_since(steady::time_point t0, const cpu_snapshot& before, worker_stats stats, latency_histogram latency) {
    run_report r;
    r.seconds = std::chrono::duration<double>(steady::now() - t0).count();
    const auto after = cpu_snapshot::now();
    r.cpu_seconds = after.cpu_seconds - before.cpu_seconds;
    r.peak_rss_kb = after.peak_rss_kb;
    r.rss_before_kb = before.peak_rss_kb;
    r.allocations = after.allocations - before.allocations;
    r.stats = std::move(stats);
    r.latency = std::move(latency);
    return r;
}

// Runs `concurrency` workers on `threads` threads until the workload is spent.
template <class OneOperation>
run_report measure(asio::io_context& io, workload& w, OneOperation one) {
    const bench_options& o = w.options;
    std::vector<worker_stats> stats(o.concurrency);
    w.started = 0;
    const auto before = cpu_snapshot::now();
    const auto t0 = steady::now();
    w.deadline = t0 + o.duration;
    std::atomic<std::size_t> running{o.concurrency};
    for (std::size_t i = 0; i < o.concurrency; ++i)
        asio::co_spawn(io, worker(w, stats[i], i, one), [&](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
            if (--running == 0) io.stop(); // idle connections would keep run() going
        });
    std::vector<latency_histogram> latencies(o.threads);
    auto run_thread = [&](std::size_t i) {
        thread_latency = &latencies[i];
        io.run();
    };
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < o.threads; ++i) threads.emplace_back(run_thread, i);
    run_thread(0);
    for (auto& t : threads) t.join();
    worker_stats merged;
    for (const auto& s : stats) merged.merge(s);
    latency_histogram latency;
    for (const auto& h : latencies) latency.merge(h);
    io.restart();
    return report_since(t0, before, std::move(merged), std::move(latency));
}

double us(const latency_histogram& h, double q) { return static_cast<double>(h.value_at(q)) / 1e3; }

std::string to_json(const run_report& r) {
    const auto& h = r.latency;
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(2);
    out << "{\"ops_per_s\":" << r.ops_per_s() << ",\"p50_us\":" << us(h, 0.5)
        << ",\"p90_us\":" << us(h, 0.9) << ",\"p99_us\":" << us(h, 0.99)
        << ",\"p999_us\":" << us(h, 0.999) << ",\"cpu_us_per_op\":" << r.cpu_us_per_op()
        << ",\"peak_rss_kb\":" << r.peak_rss_kb << ",\"errors\":" << r.error_count()
        << ",\"retries\":" << r.stats.retries << ",\"wrong_values\":" << r.stats.wrong_values
        << ",\"misses\":" << r.stats.misses << ",\"requests_per_op\":"
        << static_cast<double>(r.requests) / static_cast<double>(std::max<std::uint64_t>(1, r.stats.ops))
        << ",\"near_cache_hits\":" << r.near_cache_hits << ",\"allocations_per_op\":"
        << static_cast<double>(r.allocations) / static_cast<double>(std::max<std::uint64_t>(1, r.stats.ops))
        << ",\"json_kernel\":\"" << simdjson::get_active_implementation()->name() << "\"}";
    return out.str();
}

// One line per error type, with the first message of that type (the AWS type and message).
void print_errors(std::FILE* to, const char* lead, const worker_stats& s) {
    for (const auto& [type, n] : s.errors) {
        const auto message = s.first_message.find(type);
        std::fprintf(to, "%s%llu x %s%s%s\n", lead, static_cast<unsigned long long>(n), type.c_str(),
                     message != s.first_message.end() ? ", the first: " : "",
                     message != s.first_message.end() ? message->second.c_str() : "");
    }
}

void print_text(std::string_view title, const run_report& r) {
    const auto& h = r.latency;
    std::printf("%s: %llu ops in %.2f s = %.0f ops/s\n", std::string(title).c_str(),
                static_cast<unsigned long long>(r.stats.ops), r.seconds, r.ops_per_s());
    std::printf("  latency us: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f\n", us(h, 0.5),
                us(h, 0.9), us(h, 0.99), us(h, 0.999));
    std::printf("  client CPU %.2f us/op; %.1f allocations/op; peak RSS %ld KB (%ld KB before the run)\n",
                r.cpu_us_per_op(), static_cast<double>(r.allocations) / static_cast<double>(std::max<std::uint64_t>(1, r.stats.ops)),
                r.peak_rss_kb, r.rss_before_kb);
    std::printf("  DynamoDB requests %.2f/op\n",
                static_cast<double>(r.requests) / static_cast<double>(std::max<std::uint64_t>(1, r.stats.ops)));
    if (r.near_cache_hits)
        std::printf("  near-cache hits %llu (%.1f %% of operations)\n", static_cast<unsigned long long>(r.near_cache_hits),
                    100.0 * static_cast<double>(r.near_cache_hits) / static_cast<double>(std::max<std::uint64_t>(1, r.stats.ops)));
    std::printf("  retries %llu; wrong values %llu; misses %llu\n", static_cast<unsigned long long>(r.stats.retries),
                static_cast<unsigned long long>(r.stats.wrong_values), static_cast<unsigned long long>(r.stats.misses));
    print_errors(stdout, "  errors: ", r.stats);
}

ddbcache::cache_options cache_options_for(const bench_options& o) {
    ddbcache::cache_options c;
    c.table_name = o.table;
    c.key_prefix = "bench:";
    c.client.endpoint = o.endpoint;
    c.client.region = o.region;
    c.client.max_connections = o.connections;
    c.client.max_waiters = std::max<std::size_t>(4096, o.concurrency * 2);
    if (o.near_cache) c.near_cache.max_bytes = std::size_t{256} << 20;
    if (o.raw_codec) c.codec = ddbcache::value_codec::raw;
    if (o.max_value_size) c.max_value_size = o.max_value_size;
    if (o.compression) c.compression.algorithm = ddbcache::value_compression::zstd;
    c.client.call_timeout = std::max(c.client.call_timeout, std::chrono::milliseconds(o.value_size / 100)); // 10 s per MB at worst
    return c;
}

// Stores every key's value (so gets hit), in batches.
void preload(asio::io_context& io, ddbcache::cache& c, const workload& w) {
    ddbcache::cache::mapping pairs;
    for (std::size_t i = 0; i < w.keys.size(); ++i) pairs.emplace_back(w.keys[i], w.values[i]);
    ddbcache::diagnostics diag;
    ddbcache::error_code failure;
    c.async_set_many(std::move(pairs), {.diag = &diag}, [&](ddbcache::error_code ec, auto&&) {
        failure = ec;
        io.stop();
    });
    io.run();
    io.restart();
    if (failure) ddbcache::tools::throw_failure("storing the keys before the run", failure, diag);
}

// `body` for `target`, signed as the client signs each attempt, then kept: the same request is
// sent every time.
replay_request signed_request(ddbcache::cache& c, const ddbcache::http::endpoint& ep, const char* target,
                              std::string body) {
    replay_request r;
    r.body = std::move(body);
    ddbcache::error_code ec;
    ddbcache::diagnostics diag;
    const ddbcache::credentials creds = ddbcache::resolve_credentials(c.options().client.credentials, ec, diag);
    if (ec) throw std::runtime_error(diag.message);
    sigv4::signer signer;
    const auto& client = c.dynamodb();
    std::string user_agent, why;
    if (ddbcache::dynamodb::resolve_user_agent(client.options(), user_agent, why)) throw std::runtime_error(why);
    ddbcache::dynamodb::signed_call signed_request;
    ddbcache::dynamodb::sign_call(signer, ep, client.region(), target, r.body, creds, client.now(), user_agent,
                                  signed_request);
    for (const auto& [name, value] : signed_request.headers()) r.header_storage.emplace_back(name, value);
    for (const auto& [name, value] : r.header_storage) r.headers.push_back({name, value});
    return r;
}

replay_request signed_get_item(ddbcache::cache& c, const bench_options& o, const ddbcache::http::endpoint& ep) {
    return signed_request(c, ep, "DynamoDB_20120810.GetItem",
                          R"({"TableName":")" + o.table + R"(","Key":{"cache_key":{"S":"bench:k0"}}})");
}

// A PutItem of key k0 as large as the cache's (cachelib pickles 100 bytes into 118).
replay_request signed_put_item(ddbcache::cache& c, const bench_options& o, const ddbcache::http::endpoint& ep) {
    const auto expires = std::chrono::duration_cast<std::chrono::seconds>(
        (c.dynamodb().now() + std::chrono::hours(24)).time_since_epoch());
    std::string body = R"({"TableName":")" + o.table + R"(","Item":{"cache_key":{"S":"bench:k0"},"expiration_time":{"N":")" +
                       std::to_string(expires.count()) + R"("},"response":{"B":")";
    ddbcache::codec::append_base64(expected_value(0, o.value_size + 18), body);
    body += R"("}}})";
    return signed_request(c, ep, "DynamoDB_20120810.PutItem", std::move(body));
}

run_report run_replay(asio::io_context& io, ddbcache::cache& c, workload& w) {
    ddbcache::error_code ec;
    const auto ep = ddbcache::http::parse_endpoint(c.dynamodb().endpoint(), ec);
    if (ec) throw std::runtime_error("bad endpoint: " + ec.message());
    ddbcache::http::pool_options po;
    po.max_connections = w.options.connections;
    po.max_waiters = std::max<std::size_t>(4096, w.options.concurrency * 2);
    ddbcache::http::connection_pool pool(io.get_executor(), ep, po);
    const replay_request request = signed_get_item(c, w.options, ep);
    auto report = measure(io, w, [&](random_source&, worker_stats& s) { return one_replay(pool, request, s); });
    pool.close();
    return report;
}

// The floor's request, whole as it goes on the wire: a pre-signed GetItem, or PutItem for --op set.
std::string floor_request(ddbcache::cache& c, const bench_options& o, const ddbcache::http::endpoint& ep) {
    if (o.op != "get" && o.op != "set") throw tools::usage_error("--floor and --write-request take --op get or set");
    const replay_request r = o.op == "set" ? signed_put_item(c, o, ep) : signed_get_item(c, o, ep);
    std::string request = "POST " + ep.target + " HTTP/1.1\r\nHost: " + ep.host_header + "\r\n";
    for (const auto& h : r.headers) request.append(h.name).append(": ").append(h.value).append("\r\n");
    request += "Content-Length: " + std::to_string(r.body.size()) + "\r\n\r\n" + r.body;
    return request;
}

// The blocking floor: what one request costs a client that does nothing but write it and read
// its answer. A request cannot cost less CPU through any client on this socket API.
run_report run_floor(ddbcache::cache& c, workload& w) {
    ddbcache::error_code ec;
    const auto ep = ddbcache::http::parse_endpoint(c.dynamodb().endpoint(), ec);
    if (ec || ep.tls) throw tools::usage_error("--floor needs a plain http:// endpoint");
    const bench_options& o = w.options;
    const std::string request = floor_request(c, o, ep);

    asio::ip::tcp::socket socket(c.get_executor());
    socket.connect({asio::ip::make_address(ep.host == "localhost" ? "127.0.0.1" : ep.host), ep.port});
    socket.set_option(asio::ip::tcp::no_delay(true));
    const int fd = socket.native_handle(); // blocking: the socket was never put in non-blocking mode
    std::vector<char> buffer(std::size_t{1} << 16);
    worker_stats stats;
    latency_histogram latency;
    const auto before = cpu_snapshot::now();
    const auto t0 = steady::now();
    w.started = 0;
    w.deadline = t0 + o.duration;
    while (w.claim()) {
        const auto sent = steady::now();
        if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
            throw std::runtime_error("--floor: send failed");
        // The answer whole: headers, then Content-Length bytes of body.
        std::size_t have = 0, need = 0;
        unsigned status = 0;
        while (need == 0 || have < need) {
            const ssize_t n = ::recv(fd, buffer.data() + have, buffer.size() - have, 0);
            if (n <= 0) throw std::runtime_error("--floor: the server closed the connection");
            have += static_cast<std::size_t>(n);
            const std::string_view got(buffer.data(), have);
            const std::size_t head_end = got.find("\r\n\r\n");
            if (need || head_end == std::string_view::npos) continue;
            const std::size_t length_at = got.substr(0, head_end).find("Content-Length: ");
            if (length_at == std::string_view::npos) throw std::runtime_error("--floor: an answer without Content-Length");
            need = head_end + 4 + std::strtoull(buffer.data() + length_at + 16, nullptr, 10);
            status = static_cast<unsigned>(std::strtoul(buffer.data() + 9, nullptr, 10));
            if (need > buffer.size()) throw std::runtime_error("--floor: an answer over 64 KiB");
        }
        if (status != 200) ++stats.errors["HTTP status " + std::to_string(status)];
        latency.record(static_cast<std::uint64_t>((steady::now() - sent).count()));
        ++stats.ops;
    }
    const std::uint64_t requests = stats.ops;
    run_report report = report_since(t0, before, std::move(stats), std::move(latency));
    report.requests = requests;
    return report;
}

int run(const bench_options& o) {
    asio::io_context io(static_cast<int>(o.threads));
    ddbcache::cache c(io.get_executor(), cache_options_for(o));
    workload w(o);
    preload(io, c, w);
    auto emit = [&](std::string_view title, const run_report& r) {
        if (o.json) std::cout << to_json(r) << std::endl;
        else print_text(title, r);
        if (o.json) print_errors(stderr, "ddbcache-bench: errors: ", r.stats);
    };
    if (!o.write_request.empty()) {
        ddbcache::error_code ec;
        const auto ep = ddbcache::http::parse_endpoint(c.dynamodb().endpoint(), ec);
        if (ec) throw std::runtime_error("bad endpoint: " + ec.message());
        std::ofstream out(o.write_request, std::ios::binary);
        out << floor_request(c, o, ep);
        if (!out.flush()) throw std::runtime_error("--write-request: cannot write " + o.write_request);
        c.dynamodb().close();
        return 0;
    }
    if (o.floor) {
        emit("floor (blocking socket, pre-signed " + std::string(o.op == "set" ? "PutItem" : "GetItem") + ")", run_floor(c, w));
        c.dynamodb().close();
        return 0;
    }
    std::optional<run_report> real, replay;
    if (!o.replay) {
        const std::size_t requests_before = c.dynamodb().stats().connections.requests_total;
        const std::uint64_t near_hits_before = c.stats().near_cache.hits;
        real = measure(io, w, [&](random_source& random, worker_stats& s) { return one_cache_operation(c, w, random, s); });
        real->requests = c.dynamodb().stats().connections.requests_total - requests_before;
        real->near_cache_hits = c.stats().near_cache.hits - near_hits_before;
        emit(o.op, *real);
    }
    if (o.replay || o.compare_replay) {
        replay = run_replay(io, c, w);
        emit("replay (pre-signed GetItem, same pool)", *replay);
    }
    if (real && replay && !o.json)
        std::printf("throughput: %.1f %% of replay\n", 100.0 * real->ops_per_s() / replay->ops_per_s());
    c.dynamodb().close();
    return real && real->stats.wrong_values ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        const bench_options o = parse_arguments(std::span<char*>(argv + 1, static_cast<std::size_t>(argc - 1)));
        if (o.help) {
            std::cout << usage;
            return 0;
        }
        if (o.version) {
            std::cout << ddbcache::tools::version_line("ddbcache-bench");
            return 0;
        }
        return run(o);
    } catch (const std::exception& e) {
        std::cerr << "ddbcache-bench: " << ddbcache::tools::failure_line(e) << "\n";
        return 2;
    }
}
