// ddbcache-soak: mixed cache operations from many coroutines on a 2-thread io_context, through the
// fault proxy, every answer checked. Each worker owns its keys, so it knows which values each key
// may hold: the last confirmed write, plus any write whose outcome a failure left unknown (such a
// write may still land later, even after newer confirmed writes: a request that timed out can sit in
// a socket buffer or a proxy and reach the table after the call has failed). A value
// is wrong when it belongs to another key, is corrupt, or is a version that cannot be there.
//
//   ddbcache-soak --endpoint URL [--ops N] [--workers N] [--threads N] [--connections N]
//                 [--fault-rate F] [--faults CLASS,CLASS...] [--json]
// Exit status: 0 when no value was wrong, no operation hung and every exact counter is exact.
#include "fault_proxy.hpp"
#include "command_line.hpp"

#include <ddbcache/cache.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using ddbcache::test::fault;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
constexpr int keys_per_worker = 8;

struct settings {
    std::string endpoint;
    long ops = 20000, workers = 256, threads = 2, connections = 16;
    double fault_rate = 0.06;
    std::vector<fault> faults; // the classes to inject; empty means every class
    bool json = false;
};

// value(key, version): names its key and version, then bytes derived from both (so that a flipped
// or crossed byte cannot pass), 8 to 300 bytes of them.
std::string value_of(const std::string& key, std::uint64_t version) {
    std::string v = key + "|" + std::to_string(version) + "|";
    std::uint64_t h = std::hash<std::string>{}(v);
    const std::size_t length = 8 + h % 293;
    for (std::size_t i = 0; i < length; ++i) {
        h = h * 6364136223846793005ULL + 1442695040888963407ULL;
        v.push_back("abcdefghijklmnopqrstuvwxyz0123456789"[(h >> 33) % 36]);
    }
    return v;
}

// The version a value holds for `key`, or nullopt when it is not a value of that key.
std::optional<std::uint64_t> version_in(const std::string& key, const std::string& v) {
    const std::string prefix = key + "|";
    if (v.rfind(prefix, 0) != 0) return std::nullopt;
    const auto bar = v.find('|', prefix.size());
    if (bar == std::string::npos) return std::nullopt;
    std::uint64_t version = 0;
    try {
        version = std::stoull(v.substr(prefix.size(), bar - prefix.size()));
    } catch (...) {
        return std::nullopt;
    }
    if (value_of(key, version) != v) return std::nullopt;
    return version;
}

constexpr std::uint64_t absent = 0; // version 0 stands for "no item"

// What one key may hold: `now`, as of the last confirmed write (and failures since), and `late`:
// writes and erases whose calls failed, which may land at any later time.
struct key_state {
    std::set<std::uint64_t> now{absent}, late;
    std::deque<std::string> history; // the last operations on the key, for a wrong value's report

    bool can_be(std::uint64_t v) const { return now.count(v) || late.count(v); }
    bool surely_absent() const {
        return now == std::set<std::uint64_t>{absent} && (late.empty() || late == std::set<std::uint64_t>{absent});
    }
    bool surely_present() const { return !can_be(absent); }
    void confirmed(std::uint64_t v) { now = {v}; }
    void unknown(std::uint64_t v) { now.insert(v), late.insert(v); }
    void record(std::string event) {
        history.push_back(std::move(event));
        if (history.size() > 12) history.pop_front();
    }
};

struct tally {
    std::mutex mutex;
    std::map<std::string, long> failures; // by error message
    std::map<std::string, std::string> failure_example; // a diagnostics message of each
    std::atomic<long> done{0}, wrong{0}, retries{0}, counters_exact{0}, counters_checked{0}, counters_off{0};
    std::vector<std::string> wrong_examples;

    void fail(const ddbcache::error_code& ec, const std::string& detail) {
        std::lock_guard guard(mutex);
        if (++failures[ec.message()] == 1) failure_example[ec.message()] = detail;
    }
    void wrong_value(const std::string& what) {
        ++wrong;
        std::lock_guard guard(mutex);
        if (wrong_examples.size() < 10) wrong_examples.push_back(what);
    }
};

class worker {
public:
    worker(ddbcache::cache& c, tally& t, long id, long ops)
        : cache_(c), tally_(t), id_(id), ops_(ops), random_(static_cast<unsigned>(id) * 7919u + 17u) {}

    asio::awaitable<void> run() {
        for (long i = 0; i < ops_; ++i) {
            co_await one_operation();
            ++tally_.done;
        }
        co_await check_counter_at_end();
    }

private:
    std::string key(int k) const { return "soak-" + std::to_string(id_) + "-" + std::to_string(k); }
    std::string counter() const { return "soak-" + std::to_string(id_) + "-counter"; }

    void wrong(const std::string& k, const std::string& what) {
        std::string report = what + "; history:";
        for (const std::string& event : possible_[k].history) report += " [" + event + "]";
        tally_.wrong_value(report);
    }
    static std::string outcome(const ddbcache::error_code& ec, const ddbcache::diagnostics& d, const std::string& result) {
        return (ec ? "failed: " + d.message : result) + " (" + std::to_string(d.attempts) + " sent)";
    }
    static std::string read_text(const std::string& k, const std::optional<std::string>& v) {
        if (!v) return "absent";
        const auto version = version_in(k, *v);
        return version ? "v" + std::to_string(*version) : "foreign";
    }

    void note(const ddbcache::error_code& ec, const ddbcache::diagnostics& d) {
        if (d.attempts > 1) tally_.retries += d.attempts - 1;
        if (ec) tally_.fail(ec, d.message);
    }

    // A value read for `k` must be one the key may hold; a read narrows nothing (a write whose
    // answer was lost stays possible until the next confirmed write).
    void check_read(const std::string& k, const std::optional<std::string>& v) {
        const key_state& may = possible_[k];
        if (!v) {
            if (may.surely_present()) wrong(k, k + ": absent, but a write was confirmed");
            return;
        }
        const auto version = version_in(k, *v);
        if (!version) wrong(k, k + ": a value that is not this key's: " + v->substr(0, 40));
        else if (!may.can_be(*version)) wrong(k, k + ": version " + std::to_string(*version) + " cannot be there");
    }

    asio::awaitable<void> one_operation() {
        const int k = static_cast<int>(random_() % keys_per_worker);
        const std::string name = key(k);
        auto& may = possible_[name];
        ddbcache::diagnostics d;
        const auto pick = random_() % 100;
        if (pick < 35) {
            auto [ec, v] = co_await cache_.async_get(name, {.diag = &d}, tuple_awaitable);
            note(ec, d);
            if (!ec) check_read(name, v);
            may.record("get: " + outcome(ec, d, read_text(name, v)));
        } else if (pick < 55) {
            const std::uint64_t version = ++next_version_;
            auto [ec, ok] = co_await cache_.async_set(name, value_of(name, version), {.diag = &d}, tuple_awaitable);
            note(ec, d);
            if (!ec) may.confirmed(version);
            else may.unknown(version);
            may.record("set v" + std::to_string(version) + ": " + outcome(ec, d, "ok"));
        } else if (pick < 65) {
            const std::uint64_t version = ++next_version_;
            auto [ec, added] = co_await cache_.async_add(name, value_of(name, version), {.diag = &d}, tuple_awaitable);
            note(ec, d);
            if (ec) may.unknown(version);
            else if (added) {
                if (may.surely_present()) wrong(name, name + ": add stored over a confirmed item");
                may.confirmed(version);
            } else {
                if (may.surely_absent()) wrong(name, name + ": add saw an item that cannot exist");
                may.now.erase(absent);
                if (may.now.empty()) { // a late write is what add saw
                    may.now = may.late;
                    may.now.erase(absent);
                }
            }
            may.record("add v" + std::to_string(version) + ": " + outcome(ec, d, added ? "added" : "exists"));
        } else if (pick < 75) {
            auto [ec, existed] = co_await cache_.async_erase(name, {.diag = &d}, tuple_awaitable);
            note(ec, d);
            // After a retry the answer cannot tell who removed the item (see the README).
            if (!ec && d.attempts == 1) {
                if (existed && may.surely_absent()) wrong(name, name + ": erased an absent item");
                if (!existed && may.surely_present()) wrong(name, name + ": erase missed a confirmed item");
            }
            if (!ec) may.confirmed(absent);
            else may.unknown(absent);
            may.record("erase: " + outcome(ec, d, existed ? "existed" : "was absent"));
        } else if (pick < 85) {
            auto [ec, n] = co_await cache_.async_inc(counter(), {.delta = 1, .diag = &d}, tuple_awaitable);
            note(ec, d);
            if (ec) ++counter_high_;
            else {
                if (n < counter_low_ + 1 || n > counter_high_ + 1)
                    tally_.wrong_value(counter() + ": inc gave " + std::to_string(n) + ", expected " +
                                       std::to_string(counter_low_ + 1) + ".." + std::to_string(counter_high_ + 1));
                counter_low_ = counter_high_ = n;
            }
        } else {
            ddbcache::cache::keys some;
            for (int j = 0; j < 4; ++j) some.push_back(key(static_cast<int>((k + j * 3) % keys_per_worker)));
            auto [ec, values] = co_await cache_.async_get_many(some, {.diag = &d}, tuple_awaitable);
            note(ec, d);
            if (!ec)
                for (std::size_t j = 0; j < some.size(); ++j) {
                    check_read(some[j], values[j]);
                    possible_[some[j]].record("get_many: " + outcome(ec, d, read_text(some[j], values[j])));
                }
        }
    }

    asio::awaitable<void> check_counter_at_end() {
        ddbcache::diagnostics d;
        ddbcache::error_code ec;
        std::optional<std::string> v;
        for (int round = 0; round < 20; ++round) { // faults still fire: read until it succeeds
            std::tie(ec, v) = co_await cache_.async_get(counter(), {.diag = &d}, tuple_awaitable);
            if (!ec) break;
        }
        if (ec) co_return;
        const std::int64_t n = v ? std::stoll(*v) : 0;
        ++tally_.counters_checked;
        if (counter_low_ == counter_high_) ++tally_.counters_exact;
        if (n < counter_low_ || n > counter_high_) {
            ++tally_.counters_off;
            tally_.wrong_value(counter() + ": " + std::to_string(n) + ", expected " + std::to_string(counter_low_) + ".." +
                               std::to_string(counter_high_));
        }
    }

    ddbcache::cache& cache_;
    tally& tally_;
    long id_, ops_;
    std::minstd_rand random_;
    std::map<std::string, key_state> possible_; // a key not yet used is absent (key_state's default)
    std::uint64_t next_version_ = 0;
    std::int64_t counter_low_ = 0, counter_high_ = 0;
};

// Faults at `rate`, spread evenly over `classes`; a delay is longer than the client's attempt timeout.
ddbcache::test::fault_proxy::plan random_faults(double rate, std::vector<fault> classes) {
    auto state = std::make_shared<std::pair<std::mutex, std::mt19937_64>>();
    state->second.seed(20261125);
    return [state, rate, classes = std::move(classes)](const ddbcache::test::proxied_request&) {
        std::lock_guard guard(state->first);
        std::uniform_real_distribution<double> coin(0, 1);
        if (coin(state->second) >= rate) return fault::none;
        return classes[state->second() % classes.size()];
    };
}

std::vector<fault> parse_faults(std::string_view list) {
    std::vector<fault> chosen;
    while (!list.empty()) {
        const auto comma = list.find(',');
        const std::string_view name = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        int f = 1;
        while (f < static_cast<int>(fault::count_) && name != ddbcache::test::fault_name(static_cast<fault>(f))) ++f;
        if (f == static_cast<int>(fault::count_)) throw ddbcache::tools::usage_error("unknown fault class " + std::string(name));
        chosen.push_back(static_cast<fault>(f));
    }
    return chosen;
}

settings parse(int argc, char** argv) {
    settings s;
    ddbcache::tools::walk_arguments(
        std::span(argv + 1, static_cast<std::size_t>(argc - 1)), "ddbcache-soak",
        [&](std::string_view name, auto next) {
            if (name == "--endpoint") s.endpoint = next();
            else if (name == "--ops") s.ops = ddbcache::tools::parse_integer(next(), name);
            else if (name == "--workers") s.workers = ddbcache::tools::parse_integer(next(), name);
            else if (name == "--threads") s.threads = ddbcache::tools::parse_integer(next(), name);
            else if (name == "--connections") s.connections = ddbcache::tools::parse_integer(next(), name);
            else if (name == "--fault-rate") s.fault_rate = std::stod(next());
            else if (name == "--faults") s.faults = parse_faults(next());
            else if (name == "--json") s.json = true;
            else return false;
            return true;
        },
        [](std::string_view arg) { throw ddbcache::tools::usage_error("unexpected argument " + std::string(arg)); });
    if (s.faults.empty())
        for (int f = 1; f < static_cast<int>(fault::count_); ++f) s.faults.push_back(static_cast<fault>(f));
    if (s.endpoint.empty()) throw ddbcache::tools::usage_error("--endpoint is required");
    if (s.workers < 1 || s.ops < s.workers) throw ddbcache::tools::usage_error("need --ops >= --workers >= 1");
    return s;
}

long peak_rss_kb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

} // namespace

int main(int argc, char** argv) try {
    const settings s = parse(argc, argv);
    ddbcache::test::fault_proxy proxy(s.endpoint, {}, 1500ms);
    ddbcache::cache_options o;
    o.table_name = "ddbcache-soak-" + std::to_string(::getpid()) + "-" + std::to_string(std::time(nullptr));
    o.client.endpoint = proxy.url();
    o.client.max_connections = static_cast<std::size_t>(s.connections);
    o.client.attempt_timeout = 1s; // shorter than the proxy's injected delay
    o.client.call_timeout = 8s;
    o.client.retry.base_delay = 10ms;
    o.client.retry.quota = 1'000'000; // the run measures faults, not the retry budget

    asio::io_context io(static_cast<int>(s.threads));
    tally t;
    std::atomic<long> finished{0};
    const auto started = std::chrono::steady_clock::now();
    std::optional<ddbcache::cache> shared;
    std::exception_ptr startup_error;
    std::atomic<bool> startup_failed{false};
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        shared.emplace(co_await asio::this_coro::executor, o);
        ddbcache::diagnostics warmup;
        auto [warmup_ec, stored] = co_await shared->async_set("soak-warmup", "x", {.diag = &warmup}, tuple_awaitable); // creates the table unfaulted
        if (warmup_ec) ddbcache::tools::throw_failure("the warm-up write", warmup_ec, warmup);
        proxy.set_plan(random_faults(s.fault_rate, s.faults));
        for (long w = 0; w < s.workers; ++w) {
            auto owner = std::make_shared<worker>(*shared, t, w, s.ops / s.workers);
            asio::co_spawn(io, [owner, &finished]() -> asio::awaitable<void> {
                co_await owner->run();
                ++finished;
            }, asio::detached);
        }
    }, [&](std::exception_ptr e) {
        if (!e) return;
        startup_error = e; // no region, no credentials, no server: report it rather than wait
        startup_failed = true;
    });

    // Watchdog: an operation that never completes shows as a worker that never finishes.
    const auto limit = std::chrono::seconds(120 + s.ops / 200);
    std::thread watchdog([&] {
        while (finished < s.workers && !startup_failed && std::chrono::steady_clock::now() - started < limit) std::this_thread::sleep_for(50ms);
        proxy.set_plan({});
        if (finished == s.workers) asio::post(io, [&] { shared.reset(); });
        else io.stop();
    });
    std::vector<std::thread> pool;
    for (long i = 1; i < s.threads; ++i) pool.emplace_back([&] { io.run(); });
    io.run();
    for (auto& p : pool) p.join();
    watchdog.join();
    if (startup_error) std::rethrow_exception(startup_error);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const long hung = s.workers - finished;

    long failed = 0;
    for (const auto& [why, n] : t.failures) failed += n;
    if (s.json) {
        std::printf("{\"ops\":%ld,\"workers\":%ld,\"threads\":%ld,\"connections\":%ld,\"seconds\":%.1f,\"requests\":%llu,"
                    "\"faults_injected\":%llu,\"retries\":%ld,\"failed_ops\":%ld,\"wrong_values\":%ld,\"hung_workers\":%ld,"
                    "\"counters_checked\":%ld,\"counters_exact\":%ld,\"counters_off\":%ld,\"peak_rss_kb\":%ld,\"faults\":{",
                    t.done.load(), s.workers, s.threads, s.connections, seconds,
                    static_cast<unsigned long long>(proxy.requests()), static_cast<unsigned long long>(proxy.injected_total()),
                    t.retries.load(), failed, t.wrong.load(), hung, t.counters_checked.load(), t.counters_exact.load(),
                    t.counters_off.load(), peak_rss_kb());
        for (int f = 1; f < static_cast<int>(fault::count_); ++f)
            std::printf("%s\"%s\":%llu", f > 1 ? "," : "", ddbcache::test::fault_name(static_cast<fault>(f)),
                        static_cast<unsigned long long>(proxy.injected(static_cast<fault>(f))));
        std::printf("},\"failed_by_cause\":{");
        const char* comma = "";
        for (const auto& [why, n] : t.failures) {
            std::printf("%s\"", comma);
            for (char c : why) std::printf(c == '"' || c == '\\' ? "\\%c" : "%c", c);
            std::printf("\":%ld", n);
            comma = ",";
        }
        std::printf("}}\n");
    } else {
        std::printf("soak: %ld operations by %ld workers on %ld threads over %ld connections in %.1f s\n", t.done.load(),
                    s.workers, s.threads, s.connections, seconds);
        std::printf("  requests %llu, faults injected %llu (%.1f %%):", static_cast<unsigned long long>(proxy.requests()),
                    static_cast<unsigned long long>(proxy.injected_total()),
                    100.0 * static_cast<double>(proxy.injected_total()) / static_cast<double>(std::max<std::uint64_t>(1, proxy.requests())));
        for (int f = 1; f < static_cast<int>(fault::count_); ++f)
            std::printf(" %s %llu", ddbcache::test::fault_name(static_cast<fault>(f)),
                        static_cast<unsigned long long>(proxy.injected(static_cast<fault>(f))));
        std::printf("\n  retries %ld; failed operations %ld", t.retries.load(), failed);
        for (const auto& [why, n] : t.failures) std::printf("; %s: %ld", why.c_str(), n);
        std::printf("\n  wrong values %ld; hung workers %ld; counters %ld checked, %ld exact, %ld off; peak RSS %ld KB\n",
                    t.wrong.load(), hung, t.counters_checked.load(), t.counters_exact.load(), t.counters_off.load(),
                    peak_rss_kb());
    }
    for (const auto& [why, detail] : t.failure_example)
        std::fprintf(stderr, "example of '%s': %s\n", why.c_str(), detail.c_str());
    for (const auto& example : t.wrong_examples) std::fprintf(stderr, "wrong: %s\n", example.c_str());
    return t.wrong == 0 && hung == 0 && t.counters_off == 0 ? 0 : 1;
} catch (const ddbcache::tools::usage_error& e) {
    std::fprintf(stderr, "ddbcache-soak: %s\n", e.what());
    return 2;
} catch (const std::exception& e) {
    std::fprintf(stderr, "ddbcache-soak: %s\n", ddbcache::tools::failure_line(e).c_str());
    return 1;
}
