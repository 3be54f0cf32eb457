// The near cache and the stats against both local servers: hits without requests, invalidation by
// this process's writes, the bound on staleness across processes, expiry, the completion
// executor, and the counts an operator reads. Expiry is decided by an injected clock; the one
// wait on near_cache::ttl only ever makes the verdict surer on a slower machine.
#include "cache_fixture.hpp"
#include "local_servers.hpp"

#include <ddbcache/cache.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>

namespace ddbcache::test {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;

// HTTP requests the cache's client has sent so far.
std::size_t requests(cache& c) { return c.dynamodb().stats().connections.requests_total; }

class NearCache : public testing::TestWithParam<std::string> {
protected:
    std::string table = unique_table_name("near");
    moved_clock clock;

    cache_options options(std::chrono::milliseconds ttl = 1h) const {
        cache_options o;
        o.table_name = table;
        o.client = local_client_options(GetParam());
        o.client.clock = clock.function();
        o.near_cache.max_bytes = 1 << 20;
        o.near_cache.ttl = ttl;
        return o;
    }
    template <class Body>
    void with_cache(Body body, const cache_options& o) {
        run_with_cache(o, std::move(body));
    }
    template <class Body>
    void with_cache(Body body) {
        with_cache(std::move(body), options());
    }
};

TEST_P(NearCache, ASecondGetIsServedFromMemoryWithoutARequest) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("k", "v");
        EXPECT_EQ(co_await c.async_get("k"), "v");
        const auto before = requests(c);
        EXPECT_EQ(co_await c.async_get("k"), "v");
        EXPECT_EQ(requests(c), before);
        EXPECT_EQ(c.stats().near_cache.hits, 1u);
    });
}

TEST_P(NearCache, EachOwnWriteMakesTheNextGetAskDynamoDB) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        const std::vector<std::pair<std::string, std::function<asio::awaitable<void>(cache&)>>> writes = {
            {"set", [](cache& target) -> asio::awaitable<void> { co_await target.async_set("k", "7"); }},
            {"add", [](cache& target) -> asio::awaitable<void> {
                 co_await target.async_erase("k");
                 co_await target.async_add("k", "7");
             }},
            {"erase", [](cache& target) -> asio::awaitable<void> { co_await target.async_erase("k"); }},
            {"inc", [](cache& target) -> asio::awaitable<void> { co_await target.async_inc("k"); }},
            {"dec", [](cache& target) -> asio::awaitable<void> { co_await target.async_dec("k"); }},
            {"touch", [](cache& target) -> asio::awaitable<void> { co_await target.async_touch("k"); }},
            {"set_many", [](cache& target) -> asio::awaitable<void> {
                 cache::mapping pairs{{std::string("k"), std::string("8")}}; // named: see the README on GCC 12
                 co_await target.async_set_many(std::move(pairs));
             }},
            {"erase_many", [](cache& target) -> asio::awaitable<void> {
                 cache::keys ks{"k"};
                 co_await target.async_erase_many(std::move(ks));
             }},
            {"clear", [](cache& target) -> asio::awaitable<void> { co_await target.async_clear(); }},
        };
        for (const auto& [name, write] : writes) {
            SCOPED_TRACE(name);
            co_await c.async_set("k", "1");
            co_await c.async_get("k"); // fills
            const auto filled = requests(c);
            co_await c.async_get("k");
            EXPECT_EQ(requests(c), filled) << "served from memory before the write";
            co_await write(c);
            const auto written = requests(c);
            const auto seen = co_await c.async_get("k");
            EXPECT_GT(requests(c), written) << "the write was not forgotten";
            // What DynamoDB holds now, read past the near cache by a cache without one.
            cache_options plain_options = c.options();
            plain_options.near_cache = {};
            cache plain(c.dynamodb().get_executor(), plain_options);
            EXPECT_EQ(seen, co_await plain.async_get("k"));
        }
    });
}

TEST_P(NearCache, AGetOrSetHitIsServedFromMemoryWithoutComputing) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        auto calls = std::make_shared<int>(0);
        auto compute = [calls]() -> asio::awaitable<std::string> {
            ++*calls;
            co_return std::string("computed");
        };
        EXPECT_EQ((co_await c.async_get_or_set("k", compute)).source, value_source::computed);
        const auto before = requests(c);
        const get_or_set_result again = co_await c.async_get_or_set("k", compute);
        EXPECT_EQ(again.value, "computed");
        EXPECT_EQ(again.source, value_source::hit);
        EXPECT_EQ(requests(c), before);
        EXPECT_EQ(*calls, 1);
        EXPECT_EQ(co_await c.async_get("k"), "computed") << "get shares get_or_set's near entry";
    });
}

TEST_P(NearCache, AValueIsNeverServedPastItsItemsExpirationTime) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("k", "v", write_options{.timeout = 10s});
        EXPECT_EQ(co_await c.async_get("k"), "v");
        clock.advance(11s); // near ttl is an hour; the item expired
        EXPECT_EQ(co_await c.async_get("k"), std::nullopt);
    });
}

TEST_P(NearCache, AbsentKeysAreAskedForAgainUnlessANegativeTtlIsSet) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_get("absent");
        const auto before = requests(c);
        EXPECT_EQ(co_await c.async_get("absent"), std::nullopt);
        EXPECT_GT(requests(c), before);
    });
    cache_options o = options();
    o.near_cache.negative_ttl = 1h;
    with_cache(
        [&](cache& c) -> asio::awaitable<void> {
            co_await c.async_get("absent");
            const auto before = requests(c);
            EXPECT_EQ(co_await c.async_get("absent"), std::nullopt);
            EXPECT_EQ(requests(c), before);
            // get_or_set computes for a key remembered as absent.
            auto compute = []() -> asio::awaitable<std::string> { co_return std::string("now"); };
            EXPECT_EQ((co_await c.async_get_or_set("absent", compute)).source, value_source::computed);
        },
        o);
}

TEST_P(NearCache, AHitCompletesOnTheHandlersExecutorAndNeverInsideTheCall) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("k", "v");
        co_await c.async_get("k");
        auto strand = asio::make_strand(c.get_executor());
        bool initiated = false, on_strand = false, after_initiation = false;
        std::optional<std::string> got;
        asio::steady_timer done(c.get_executor(), asio::steady_timer::time_point::max());
        c.async_get("k", asio::bind_executor(strand, [&](error_code ec, std::optional<std::string> v) {
                          EXPECT_FALSE(ec);
                          on_strand = strand.running_in_this_thread();
                          after_initiation = initiated;
                          got = std::move(v);
                          done.cancel();
                      }));
        initiated = true;
        co_await done.async_wait(asio::as_tuple(asio::use_awaitable));
        EXPECT_EQ(c.stats().near_cache.hits, 1u);
        EXPECT_TRUE(on_strand);
        EXPECT_TRUE(after_initiation);
        EXPECT_EQ(got, "v");
    });
}

TEST_P(NearCache, EvictionKeepsEntriesWithinMaxEntries) {
    cache_options o = options();
    o.near_cache.max_entries = 64;
    with_cache(
        [&](cache& c) -> asio::awaitable<void> {
            for (int i = 0; i < 200; ++i) co_await c.async_get("key" + std::to_string(i));
            for (int i = 0; i < 200; ++i) co_await c.async_set("key" + std::to_string(i), "v");
            for (int i = 0; i < 200; ++i) co_await c.async_get("key" + std::to_string(i));
            const near_cache_stats s = c.stats().near_cache;
            EXPECT_LE(s.entries, 64u);
            EXPECT_GE(s.evictions, 200u - 64u);
            EXPECT_LE(s.bytes, o.near_cache.max_bytes);
        },
        o);
}

TEST_P(NearCache, StatsCountOperationsByOutcomeAndTheHookSeesEach) {
    auto events = std::make_shared<std::vector<operation_event>>();
    auto guard = std::make_shared<std::mutex>();
    cache_options o = options();
    o.on_operation = [events, guard](const operation_event& e) {
        std::lock_guard lock(*guard);
        events->push_back(e);
    };
    with_cache(
        [&](cache& c) -> asio::awaitable<void> {
            co_await c.async_get("k");                               // miss
            co_await c.async_set("k", "v");                          // stored
            co_await c.async_add("k", "w");                          // not stored
            co_await c.async_get("k");                               // hit (DynamoDB)
            co_await c.async_get("k");                               // hit (near cache)
            cache::keys both{"k", "absent"};
            co_await c.async_get_many(std::move(both));              // a hit and a miss
            auto [ec, v] = co_await c.async_get("", asio::as_tuple(asio::use_awaitable)); // invalid input
            EXPECT_EQ(ec, client_errc::invalid_key);
            const cache_stats s = c.stats();
            using enum operation_outcome;
            EXPECT_EQ(s[cache_operation::get][miss], 1u);
            EXPECT_EQ(s[cache_operation::get][hit], 2u);
            EXPECT_EQ(s[cache_operation::get][error_invalid_input], 1u);
            EXPECT_EQ(s[cache_operation::set][stored], 1u);
            EXPECT_EQ(s[cache_operation::add][not_stored], 1u);
            EXPECT_EQ(s[cache_operation::get_many][hit], 1u);
            EXPECT_EQ(s[cache_operation::get_many][miss], 1u);
            EXPECT_EQ(s[cache_operation::get].latency.count(), 3u) << "near-cache hits are not timed";
            EXPECT_EQ(s.near_cache.hits, 1u);
            std::lock_guard lock(*guard);
            EXPECT_EQ(events->size(), 8u);
            if (events->size() != 8u) co_return;
            EXPECT_TRUE((*events)[4].near_cache_hit);
            EXPECT_EQ((*events)[4].outcome, hit);
            EXPECT_EQ((*events)[6].outcome, miss) << "get_many reports its hits, then its misses";
            EXPECT_EQ((*events)[5].count, 1u);
            EXPECT_EQ((*events)[7].outcome, error_invalid_input);
        },
        o);
}

TEST_P(NearCache, OnTwoThreadsEachKeyReadsItsLastWriteOnceTheWritesComplete) {
    const cache_options o = options();
    run_on_io(
        [&]() -> asio::awaitable<void> {
            cache c(co_await asio::this_coro::executor, o);
            auto ex = co_await asio::this_coro::executor;
            auto worker = [&c](int id) -> asio::awaitable<void> {
                for (int i = 0; i < 40; ++i) {
                    const std::string key = "k" + std::to_string(i % 4);
                    if (i % 3 == 0) co_await c.async_set(key, "w" + std::to_string(id) + "-" + std::to_string(i));
                    else co_await c.async_get(key);
                }
            };
            // Both at once (co_spawn with use_awaitable would start each only when awaited).
            auto a = asio::co_spawn(ex, worker(1), asio::deferred);
            auto b = asio::co_spawn(asio::make_strand(ex), worker(2), asio::deferred);
            co_await asio::experimental::make_parallel_group(std::move(a), std::move(b))
                .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
            for (int k = 0; k < 4; ++k) {
                const std::string key = "k" + std::to_string(k);
                co_await c.async_set(key, "final");
                EXPECT_EQ(co_await c.async_get(key), "final") << key;
            }
        }(),
        2);
}

TEST_P(NearCache, AGetOrSetStoreReplacesAnAbsentEntryKeptByANegativeTtl) {
    cache_options o = options();
    o.near_cache.negative_ttl = 1h;
    with_cache(
        [&](cache& c) -> asio::awaitable<void> {
            EXPECT_EQ(co_await c.async_get("k"), std::nullopt); // remembered as absent
            auto compute = []() -> asio::awaitable<std::string> { co_return std::string("computed"); };
            EXPECT_EQ((co_await c.async_get_or_set("k", compute)).source, value_source::computed);
            EXPECT_EQ(co_await c.async_get("k"), "computed");
        },
        o);
}

TEST_P(NearCache, AComputedValueTheTableRefusedIsNotServedFromMemory) {
    cache_options o = options();
    o.near_cache.max_bytes = 64 << 20; // room for the value in a shard
    with_cache(
        [&](cache& c) -> asio::awaitable<void> {
            auto too_large = []() -> asio::awaitable<std::string> { co_return std::string(500 * 1024, 'x'); };
            const get_or_set_result r = co_await c.async_get_or_set("k", too_large); // returned, not stored
            EXPECT_EQ(r.source, value_source::computed);
            EXPECT_EQ(co_await c.async_get("k"), std::nullopt);
        },
        o);
}

TEST_P(NearCache, AnExpiryThatIsNotAnIntegerIsNotKeptInMemory) {
    cache_options o = options();
    o.codec = value_codec::raw;
    with_cache(
        [&](cache& c) -> asio::awaitable<void> {
            co_await c.async_set("k", "v"); // creates the table
            // Another client's item: expiration_time with a fraction, an hour ahead.
            const auto in_an_hour =
                std::chrono::duration_cast<std::chrono::seconds>((clock.function()() + 1h).time_since_epoch()).count();
            put_item_request put{c.options().table_name,
                                 item{{"cache_key", attribute_value::S("k")},
                                      {"response", attribute_value::B("v")},
                                      {"expiration_time", attribute_value::N(std::to_string(in_an_hour) + ".5")}}};
            co_await c.dynamodb().async_execute(std::move(put), asio::use_awaitable);
            auto compute = []() -> asio::awaitable<std::string> { co_return std::string("computed"); };
            EXPECT_EQ((co_await c.async_get_or_set("k", compute)).source, value_source::hit);
            const auto before = requests(c);
            EXPECT_EQ((co_await c.async_get_or_set("k", compute)).value, "v");
            EXPECT_GT(requests(c), before) << "an expiry it cannot read exactly must not be served from memory";
        },
        o);
}

TEST_P(NearCache, AHookThatThrowsDoesNotStopTheOperation) {
    cache_options o = options();
    o.on_operation = [](const operation_event&) { throw std::runtime_error("hook failed"); };
    with_cache(
        [&](cache& c) -> asio::awaitable<void> {
            co_await c.async_set("k", "v");
            EXPECT_EQ(co_await c.async_get("k"), "v");
            EXPECT_EQ(co_await c.async_get("k"), "v"); // a near-cache hit
        },
        o);
}

INSTANTIATE_TEST_SUITE_P(LocalServers, NearCache, testing::ValuesIn(server_names), server_param_name);

// ---- two processes ----

// Another process that sets `key` to `value` when released. Forked before this process starts any
// thread (forking a threaded process leaves the child only async-signal-safe calls).
class writer_process {
public:
    writer_process(const cache_options& o, std::string key, std::string value) {
        int fds[2];
        if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
        pid_ = fork();
        if (pid_ == 0) {
            close(fds[1]);
            char go = 0;
            const bool released = read(fds[0], &go, 1) == 1;
            if (released)
                run_on_io([&]() -> asio::awaitable<void> {
                    cache other(co_await asio::this_coro::executor, o);
                    co_await other.async_set(key, value);
                }());
            _exit(released && !testing::Test::HasFailure() ? 0 : 1);
        }
        close(fds[0]);
        go_ = fds[1];
    }
    ~writer_process() {
        if (go_ >= 0) close(go_); // a child never released exits 1
        if (pid_ > 0) waitpid(pid_, nullptr, 0);
    }
    // Lets it write, and waits for it: true when it stored the value.
    bool write_now() {
        const char go = 1;
        const bool sent = ::write(go_, &go, 1) == 1;
        close(go_);
        go_ = -1;
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return sent && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }

private:
    pid_t pid_ = -1;
    int go_ = -1;
};

class NearCacheAcrossProcesses : public NearCache {};

TEST_P(NearCacheAcrossProcesses, AnotherProcessWriteIsServedStaleWithinTheNearTtl) {
    const cache_options o = options(1h);
    writer_process other(o, "k", "new");
    with_cache(
        [&](cache& c) -> asio::awaitable<void> {
            co_await c.async_set("k", "old");
            co_await c.async_get("k");
            EXPECT_TRUE(other.write_now());
            EXPECT_EQ(co_await c.async_get("k"), "old") << "within near ttl the near cache answers";
        },
        o);
}

TEST_P(NearCacheAcrossProcesses, AnotherProcessWriteIsSeenOnceTheNearTtlHasPassed) {
    constexpr auto ttl = 300ms;
    const cache_options o = options(ttl);
    writer_process other(o, "k", "new");
    with_cache(
        [&](cache& c) -> asio::awaitable<void> {
            co_await c.async_set("k", "old");
            co_await c.async_get("k");
            const auto filled_by = std::chrono::steady_clock::now(); // the fill happened before this
            EXPECT_TRUE(other.write_now());
            asio::steady_timer wait(c.get_executor(), filled_by + ttl);
            co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
            EXPECT_EQ(co_await c.async_get("k"), "new");
        },
        o);
}

INSTANTIATE_TEST_SUITE_P(LocalServers, NearCacheAcrossProcesses, testing::ValuesIn(server_names),
                         server_param_name);

} // namespace
} // namespace ddbcache::test
