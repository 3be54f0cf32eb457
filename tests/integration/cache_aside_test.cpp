// Cache-aside (get_or_set), touch, sliding expiration and locks, against both local servers.
// Expiry is decided by an injected clock, never by sleeping; waits on other processes are bounded
// generously.
#include "fault_proxy.hpp"
#include "cache_fixture.hpp"
#include "local_servers.hpp"

#include <ddbcache/cache.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <set>
#include <stdexcept>

namespace ddbcache::test {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using wall = std::chrono::system_clock;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> pause(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(tuple_awaitable);
}

// A compute that counts its calls and answers `value` after `delay`. Computes are named before the
// co_await that uses them: GCC 12 destroys temporaries inside a co_await expression twice.
struct counted_compute {
    std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
    auto returning(std::string value, std::chrono::milliseconds delay = 0ms) const {
        return [calls = calls, value, delay]() -> asio::awaitable<std::string> {
            ++*calls;
            if (delay.count() > 0) co_await pause(delay);
            co_return value;
        };
    }
};

asio::awaitable<std::string> failing_origin() {
    throw std::runtime_error("origin is down");
    co_return std::string();
}

class CacheAside : public testing::TestWithParam<std::string> {
protected:
    std::string table = unique_table_name("aside");
    moved_clock clock;

    cache_options options(const std::string& prefix = "") const {
        cache_options o;
        o.table_name = table;
        o.key_prefix = prefix;
        o.client = local_client_options(GetParam());
        o.client.clock = clock.function();
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

    // The raw item, expired or not (nullopt when absent).
    static asio::awaitable<std::optional<item>> raw_item(cache& c, const std::string& full_key) {
        get_item_request get{c.options().table_name, item{{"cache_key", attribute_value::S(full_key)}}, "", {}, true};
        auto r = co_await c.dynamodb().async_execute(std::move(get), asio::use_awaitable);
        co_return r.found;
    }
    static std::int64_t number(const item& it, const char* field) {
        const attribute_value* v = it.find(field);
        return v && v->if_N() ? std::stoll(*v->if_N()) : -1;
    }
    static std::int64_t epoch(wall::time_point t) {
        return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    }
};

// ---- get_or_set ----

TEST_P(CacheAside, AMissComputesStoresAndSaysComputedThenTheNextCallIsAHitWithoutComputing) {
    counted_compute origin;
    with_cache([&](cache& c) -> asio::awaitable<void> {
        auto compute1 = origin.returning("<html>");
        const get_or_set_result first = co_await c.async_get_or_set("page", compute1);
        EXPECT_EQ(first.value, "<html>");
        EXPECT_EQ(first.source, value_source::computed);
        auto compute2 = origin.returning("other");
        const get_or_set_result second = co_await c.async_get_or_set("page", compute2);
        EXPECT_EQ(second.value, "<html>");
        EXPECT_EQ(second.source, value_source::hit);
        EXPECT_EQ(co_await c.async_get("page"), "<html>");
    });
    EXPECT_EQ(*origin.calls, 1);
}

TEST_P(CacheAside, ConcurrentCallersOfOneKeyInAProcessShareOneComputation) {
    counted_compute origin;
    std::atomic<int> finished{0};
    with_cache([&](cache& c) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        for (int i = 0; i < 16; ++i)
            asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
                auto compute3 = origin.returning("v", 200ms);
                const get_or_set_result r = co_await c.async_get_or_set("hot", compute3);
                EXPECT_EQ(r.value, "v");
                ++finished;
            }, asio::detached);
        while (finished < 16) co_await pause(10ms);
    });
    EXPECT_EQ(*origin.calls, 1);
}

TEST_P(CacheAside, CancellingOneOfTwoJoinedCallersLeavesTheOtherUnaffected) {
    std::atomic<int> calls{0};
    with_cache([&](cache& c) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        // Owned by the io_context's side (the frames), not the test: a timer must not outlive it.
        auto gate = std::make_shared<asio::steady_timer>(ex, asio::steady_timer::time_point::max());
        // The computation waits until the test opens the gate: nothing races the cancellation.
        auto held_origin = [&calls, gate]() -> asio::awaitable<std::string> {
            ++calls;
            co_await gate->async_wait(tuple_awaitable);
            co_return std::string("v");
        };
        asio::cancellation_signal cancel;
        std::optional<error_code> first_ec;
        asio::co_spawn(ex, c.async_get_or_set("k", held_origin, tuple_awaitable),
                       asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr, auto r) {
                           first_ec = std::get<0>(r);
                       }));
        std::optional<get_or_set_result> second;
        asio::co_spawn(ex, c.async_get_or_set("k", held_origin, asio::use_awaitable),
                       [&](std::exception_ptr, get_or_set_result r) { second = std::move(r); });
        for (int i = 0; i < 3000 && calls == 0; ++i) co_await pause(10ms);
        CO_ASSERT(calls == 1, << "the computation did not start");
        cancel.emit(asio::cancellation_type::terminal);
        for (int i = 0; i < 3000 && !first_ec; ++i) co_await pause(10ms);
        EXPECT_EQ(first_ec, asio::error::operation_aborted);
        EXPECT_FALSE(second) << "the other caller must still be waiting";
        gate->cancel();
        for (int i = 0; i < 3000 && !second; ++i) co_await pause(10ms);
        CO_ASSERT(second.has_value());
        EXPECT_EQ(second->value, "v");
        EXPECT_EQ(co_await c.async_get("k"), "v") << "the shared computation was stored";
    });
    EXPECT_EQ(calls, 1);
}

TEST_P(CacheAside, AComputeThatReturnsAnErrorCodeFailsTheCallWithIt) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        auto callback_origin = [](auto handler) {
            std::move(handler)(make_error_code(boost::system::errc::host_unreachable), std::nullopt);
        };
        diagnostics diag;
        auto [ec, r] = co_await c.async_get_or_set("k", callback_origin, {.diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec, boost::system::errc::host_unreachable);
        EXPECT_NE(diag.message.find("compute for key 'k' failed"), std::string::npos) << diag.message;
        EXPECT_FALSE(co_await c.async_has("k")) << "nothing is stored";
    });
}

TEST_P(CacheAside, AComputeThatThrowsFailsWithComputeFailedNamingTheKeyAndTheReason) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        diagnostics diag;
        auto [ec, r] = co_await c.async_get_or_set("k", failing_origin, {.diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec, client_errc::compute_failed);
        EXPECT_NE(diag.message.find("compute for key 'k' failed: origin is down"), std::string::npos) << diag.message;
    });
}

TEST_P(CacheAside, NoValueIsCachedForTheNegativeTimeoutAndReadsAsAbsent) {
    std::atomic<int> calls{0};
    with_cache([&](cache& c) -> asio::awaitable<void> {
        auto nothing = [&calls]() -> asio::awaitable<std::optional<std::string>> {
            ++calls;
            co_return std::nullopt;
        };
        const get_or_set_options o{.negative_timeout = 30s};
        const std::int64_t before = epoch(clock.function()());
        const get_or_set_result first = co_await c.async_get_or_set("missing", nothing, o);
        const std::int64_t after = epoch(clock.function()());
        EXPECT_EQ(first.value, std::nullopt);
        EXPECT_EQ(first.source, value_source::computed);
        const get_or_set_result second = co_await c.async_get_or_set("missing", nothing, o);
        EXPECT_EQ(second.value, std::nullopt);
        EXPECT_EQ(second.source, value_source::hit);
        EXPECT_EQ(co_await c.async_get("missing"), std::nullopt);
        const auto it = co_await raw_item(c, "missing");
        CO_ASSERT(it.has_value());
        EXPECT_GE(number(*it, "expiration_time"), before + 30) << "its own, shorter timeout";
        EXPECT_LE(number(*it, "expiration_time"), after + 30);
    });
    EXPECT_EQ(calls, 1);
}

TEST_P(CacheAside, WithoutANegativeTimeoutNoValueIsNotStored) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        auto nothing = []() -> asio::awaitable<std::optional<std::string>> { co_return std::nullopt; };
        const get_or_set_result r = co_await c.async_get_or_set("missing", nothing);
        EXPECT_EQ(r.value, std::nullopt);
        EXPECT_FALSE(co_await raw_item(c, "missing"));
    });
}

TEST_P(CacheAside, FailSafeServesAValueExpiredWithinMaxStaleWhenComputeFails) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("k", "old", {.timeout = 10s});
        clock.advance(15s); // expired 5 s ago
        const get_or_set_result r =
            co_await c.async_get_or_set("k", failing_origin, {.max_stale = 60s});
        EXPECT_EQ(r.value, "old");
        EXPECT_EQ(r.source, value_source::stale);
        EXPECT_EQ(co_await c.async_get("k"), std::nullopt) << "a stale value is not served by get";
    });
}

TEST_P(CacheAside, FailSafeFailsWithComputesErrorWhenTheValueExpiredLongerAgoThanMaxStale) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("k", "old", {.timeout = 10s});
        clock.advance(80s); // expired 70 s ago
        auto [ec, r] = co_await c.async_get_or_set("k", failing_origin, {.max_stale = 60s}, tuple_awaitable);
        EXPECT_EQ(ec, client_errc::compute_failed);
    });
}

TEST_P(CacheAside, AnExpiredValueIsRecomputedWhenComputeSucceeds) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("k", "old", {.timeout = 10s});
        clock.advance(15s);
        counted_compute origin;
        auto compute4 = origin.returning("new");
        const get_or_set_result r = co_await c.async_get_or_set("k", compute4, {.max_stale = 60s});
        EXPECT_EQ(r.value, "new");
        EXPECT_EQ(r.source, value_source::computed);
        EXPECT_EQ(co_await c.async_get("k"), "new");
    });
}

TEST_P(CacheAside, EarlyRefreshServesTheCurrentValueAndStoresANewOneInTheBackground) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        // A first computation that takes a while (its duration is XFetch's delta).
        auto compute5 = counted_compute{}.returning("first", 50ms);
        co_await c.async_get_or_set("k", compute5, {.timeout = 100s});
        // A huge beta makes the refresh certain on this hit.
        const get_or_set_options eager{.timeout = 100s, .early_refresh_beta = 1e12};
        auto compute6 = counted_compute{}.returning("second");
        const get_or_set_result hit = co_await c.async_get_or_set("k", compute6, eager);
        EXPECT_EQ(hit.value, "first");
        EXPECT_EQ(hit.source, value_source::hit);
        std::optional<std::string> now_stored;
        for (int i = 0; i < 3000 && now_stored != "second"; ++i) {
            co_await pause(10ms);
            now_stored = co_await c.async_get("k");
        }
        EXPECT_EQ(now_stored, "second");
    });
}

TEST_P(CacheAside, WithoutEarlyRefreshAHitNeverComputes) {
    counted_compute origin;
    with_cache([&](cache& c) -> asio::awaitable<void> {
        auto compute7 = origin.returning("first", 50ms);
        co_await c.async_get_or_set("k", compute7, {.timeout = 100s});
        auto compute8 = origin.returning("second");
        for (int i = 0; i < 20; ++i) co_await c.async_get_or_set("k", compute8, {.timeout = 100s});
        EXPECT_EQ(co_await c.async_get("k"), "first");
    });
    EXPECT_EQ(*origin.calls, 1);
}

TEST_P(CacheAside, BadOptionsAreRefusedBeforeAnyRequestNamingTheField) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        diagnostics diag;
        auto compute = counted_compute{}.returning("v");
        auto [ec, r] = co_await c.async_get_or_set("k", compute,
                                                   {.early_refresh_beta = -1, .diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec, client_errc::invalid_argument);
        EXPECT_NE(diag.message.find("early_refresh_beta"), std::string::npos) << diag.message;
        auto [ec2, r2] = co_await c.async_get_or_set("\x1fk", compute, tuple_awaitable);
        EXPECT_EQ(ec2, client_errc::invalid_key) << "keys beginning with \\x1f are reserved";
    });
}

TEST_P(CacheAside, AComputeThatThrowsBeforeCallingItsHandlerFailsAndLeavesTheKeyUsable) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        auto throws_at_once = [](auto) { throw std::invalid_argument("bad input"); };
        diagnostics diag;
        auto [ec, r] = co_await c.async_get_or_set("k", throws_at_once, {.diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec, client_errc::compute_failed);
        EXPECT_NE(diag.message.find("bad input"), std::string::npos) << diag.message;
        auto fine = counted_compute{}.returning("v");
        EXPECT_EQ((co_await c.async_get_or_set("k", fine)).value, "v");
    });
}

TEST_P(CacheAside, TimeoutsAreCheckedBeforeComputing) {
    counted_compute origin;
    with_cache([&](cache& c) -> asio::awaitable<void> {
        auto compute = origin.returning("v");
        auto [ec, r] = co_await c.async_get_or_set("k", compute, {.timeout = -5s}, tuple_awaitable);
        EXPECT_EQ(ec, client_errc::invalid_argument);
        auto [ec2, r2] = co_await c.async_get_or_set("k", compute, {.negative_timeout = std::chrono::seconds(253402300800)},
                                                     tuple_awaitable);
        EXPECT_EQ(ec2, client_errc::invalid_argument);
    });
    EXPECT_EQ(*origin.calls, 0);
}

TEST_P(CacheAside, AKeyWhoseLeaseItemWouldPassDynamoDbsKeyLimitIsRefusedBeforeAnyRequest) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        const std::string key(2045, 'a');
        EXPECT_TRUE(co_await c.async_set(key, "fits without a lease"));
        auto compute = counted_compute{}.returning("v");
        diagnostics diag;
        auto [ec, r] = co_await c.async_get_or_set(key, compute, {.lease = true, .diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec, client_errc::invalid_key);
        EXPECT_NE(diag.message.find("lease item"), std::string::npos) << diag.message;
    });
}

TEST_P(CacheAside, ALeaseBelievesTheExpiryItStored) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        lease l = co_await c.async_lock("job", {.ttl = 10s});
        auto it = co_await raw_item(c, "\x1f" "lock:job");
        CO_ASSERT(it.has_value());
        EXPECT_EQ(number(*it, "lease_until"),
                  std::chrono::duration_cast<std::chrono::milliseconds>(l.expires_at().time_since_epoch()).count());
        EXPECT_TRUE(co_await l.async_extend(20s));
        it = co_await raw_item(c, "\x1f" "lock:job");
        CO_ASSERT(it.has_value());
        EXPECT_EQ(number(*it, "lease_until"),
                  std::chrono::duration_cast<std::chrono::milliseconds>(l.expires_at().time_since_epoch()).count());
    });
}

TEST_P(CacheAside, ALockWaitOfMillisecondsMaxWaitsForTheHolder) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        lease first = co_await c.async_lock("job", {.ttl = 60s});
        std::optional<lease> second;
        asio::co_spawn(co_await asio::this_coro::executor,
                       c.async_lock("job", {.ttl = 60s, .wait = std::chrono::milliseconds::max()}, asio::use_awaitable),
                       [&](std::exception_ptr e, lease l) { if (!e) second = std::move(l); });
        co_await pause(300ms);
        EXPECT_FALSE(second) << "still waiting while the lock is held";
        EXPECT_TRUE(co_await first.async_release());
        for (int i = 0; i < 6000 && !second; ++i) co_await pause(10ms);
        CO_ASSERT(second.has_value());
        EXPECT_EQ(second->fencing_token(), first.fencing_token() + 1);
    });
}

// ---- touch and sliding expiration ----

TEST_P(CacheAside, TouchMovesAnUnexpiredEntrysExpiryWithoutRewritingItsValue) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("k", "v", {.timeout = 10s});
        const auto before = co_await raw_item(c, "k");
        const std::int64_t touched_from = epoch(clock.function()());
        EXPECT_TRUE(co_await c.async_touch("k", {.timeout = 500s}));
        const std::int64_t touched_until = epoch(clock.function()());
        const auto after = co_await raw_item(c, "k");
        CO_ASSERT(before && after);
        EXPECT_GE(number(*after, "expiration_time"), touched_from + 500);
        EXPECT_LE(number(*after, "expiration_time"), touched_until + 500);
        EXPECT_EQ(*after->find("created_at"), *before->find("created_at")) << "the value was not rewritten";
        clock.advance(100s);
        EXPECT_EQ(co_await c.async_get("k"), "v") << "past its first expiry";
    });
}

TEST_P(CacheAside, TouchOfAMissingOrExpiredKeyIsFalseAndCreatesNothing) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        EXPECT_FALSE(co_await c.async_touch("absent"));
        EXPECT_FALSE(co_await raw_item(c, "absent"));
        co_await c.async_set("k", "v", {.timeout = 10s});
        clock.advance(11s);
        EXPECT_FALSE(co_await c.async_touch("k"));
        EXPECT_EQ(co_await c.async_get("k"), std::nullopt);
    });
}

TEST_P(CacheAside, TouchWithTimeoutZeroMakesTheEntryNeverExpire) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("k", "v", {.timeout = 10s});
        EXPECT_TRUE(co_await c.async_touch("k", {.timeout = 0s}));
        const auto it = co_await raw_item(c, "k");
        CO_ASSERT(it.has_value());
        EXPECT_EQ(it->find("expiration_time"), nullptr);
    });
}

TEST_P(CacheAside, SlidingExpirationMovesTheExpiryOnReadsUpToItsAbsoluteCap) {
    cache_options o = options();
    o.sliding = {.window = 100s, .absolute = 150s};
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("k", "v", {.timeout = 100s});
        const auto written = co_await raw_item(c, "k");
        CO_ASSERT(written.has_value());
        const std::int64_t start = number(*written, "expiration_time") - 100; // the write's second
        clock.advance(10s);
        co_await c.async_get("k");
        auto it = co_await raw_item(c, "k");
        CO_ASSERT(it.has_value());
        EXPECT_EQ(number(*it, "expiration_time"), start + 100) << "skipped: less than a quarter window passed";
        clock.advance(50s); // 60 s after the write
        EXPECT_EQ(co_await c.async_get("k"), "v");
        it = co_await raw_item(c, "k");
        CO_ASSERT(it.has_value());
        EXPECT_EQ(number(*it, "expiration_time"), start + 150) << "moved to the cap (created_at + 150 s)";
        clock.advance(80s); // 140 s after the write: the cap still holds
        EXPECT_EQ(co_await c.async_get("k"), "v");
        clock.advance(20s); // 160 s: past the cap
        EXPECT_EQ(co_await c.async_get("k"), std::nullopt);
    }, o);
}

// ---- locks ----

TEST_P(CacheAside, TheFencingTokenGrowsWithEveryGrant) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        std::int64_t last = 0;
        for (int i = 0; i < 3; ++i) {
            lease l = co_await c.async_lock("job", {.ttl = 10s});
            EXPECT_GT(l.fencing_token(), last);
            last = l.fencing_token();
            EXPECT_TRUE(co_await l.async_release());
        }
    });
}

TEST_P(CacheAside, AHeldLockIsNotGrantedAndTheWaitEndsWithLockNotAcquired) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        lease held = co_await c.async_lock("job", {.ttl = 60s});
        diagnostics diag;
        auto [ec, none] = co_await c.async_lock("job", {.ttl = 60s, .wait = 200ms, .diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec, client_errc::lock_not_acquired);
        EXPECT_NE(diag.message.find("lock 'job' is held by another owner"), std::string::npos) << diag.message;
        EXPECT_TRUE(co_await held.async_release());
        lease next = co_await c.async_lock("job", {.ttl = 60s});
        EXPECT_EQ(next.fencing_token(), held.fencing_token() + 1);
    });
}

TEST_P(CacheAside, ExtendAndReleaseByAHolderWhoseLeaseWasGrantedToAnotherFail) {
    // Two processes' views: `late` lives 2 s after `early`, so the first lease has lapsed for it.
    moved_clock later;
    later.advance(2s);
    cache_options o2 = options();
    o2.client.clock = later.function();
    with_cache([&](cache& early) -> asio::awaitable<void> {
        cache late(co_await asio::this_coro::executor, o2);
        lease first = co_await early.async_lock("job", {.ttl = 1s});
        lease second = co_await late.async_lock("job", {.ttl = 60s});
        EXPECT_GT(second.fencing_token(), first.fencing_token());
        EXPECT_FALSE(co_await first.async_extend(60s)) << "not the owner any more";
        EXPECT_FALSE(co_await first.async_release()) << "must not release another's lease";
        auto [ec, none] = co_await early.async_lock("job", {.ttl = 1s}, tuple_awaitable);
        EXPECT_EQ(ec, client_errc::lock_not_acquired) << "the second lease still holds";
        EXPECT_TRUE(co_await second.async_extend(60s));
        EXPECT_TRUE(co_await second.async_release());
    });
}

TEST_P(CacheAside, AHeartbeatKeepsALeaseAlivePastItsTtl) {
    moved_clock later;
    with_cache([&](cache& c) -> asio::awaitable<void> {
        lease l = co_await c.async_lock("job", {.ttl = 900ms, .heartbeat = true});
        const auto granted_until = l.expires_at();
        for (int i = 0; i < 6000 && l.expires_at() == granted_until; ++i) co_await pause(10ms);
        CO_ASSERT(l.expires_at() > granted_until, << "the heartbeat never extended the lease");
        // Another process whose clock is past the first ttl still finds it held.
        later.offset_ms->store(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   granted_until + 50ms - wall::now()).count());
        cache_options o2 = options();
        o2.client.clock = later.function();
        cache other(co_await asio::this_coro::executor, o2);
        auto [ec, none] = co_await other.async_lock("job", {.ttl = 1s}, tuple_awaitable);
        EXPECT_EQ(ec, client_errc::lock_not_acquired);
        EXPECT_TRUE(co_await l.async_release());
    });
}

TEST_P(CacheAside, LockItemsNeverCollideWithKeysAndClearWithThePrefixRemovesThem) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("job", "value");
        lease l = co_await c.async_lock("job", {.ttl = 60s});
        EXPECT_EQ(co_await c.async_get("job"), "value");
        EXPECT_TRUE(co_await c.async_clear());
        scan_request scan{c.options().table_name};
        const scan_result left = co_await c.dynamodb().async_execute(std::move(scan), asio::use_awaitable);
        EXPECT_TRUE(left.items.empty()) << left.items.size() << " items left";
    }, options("app:"));
}

TEST_P(CacheAside, OnAnIoContextRunByTwoThreadsEachKeyIsComputedOnceAndLockHoldersNeverOverlap) {
    counted_compute origin;
    std::atomic<int> inside{0}, overlaps{0}, finished{0};
    const cache_options o = options();
    run_on_io([&]() -> asio::awaitable<void> {
        cache c(co_await asio::this_coro::executor, o);
        co_await c.async_set("table", "created");
        auto ex = co_await asio::this_coro::executor;
        for (int i = 0; i < 32; ++i)
            asio::co_spawn(ex, [&, i]() -> asio::awaitable<void> {
                const std::string key = "key" + std::to_string(i % 4);
                auto compute = origin.returning("v", 100ms);
                const get_or_set_result r = co_await c.async_get_or_set(key, compute);
                EXPECT_EQ(r.value, "v");
                lease l = co_await c.async_lock("shared", {.ttl = 30s, .wait = 120s});
                if (++inside != 1) ++overlaps;
                co_await pause(1ms);
                --inside;
                EXPECT_TRUE(co_await l.async_release());
                ++finished;
            }, asio::detached);
        while (finished < 32) co_await pause(10ms);
    }(), 2);
    EXPECT_EQ(*origin.calls, 4);
    EXPECT_EQ(overlaps, 0);
}

// ---- fail-safe when DynamoDB fails (through the fault proxy) ----

// `f` on the first UpdateItem only.
fault_proxy::plan first_update_then_none(fault f) {
    auto seen = std::make_shared<std::atomic<bool>>(false);
    return [f, seen](const proxied_request& r) {
        return r.operation == "UpdateItem" && !seen->exchange(true) ? f : fault::none;
    };
}

class FailSafe : public CacheAside {
protected:
    fault_proxy proxy{endpoint_of(GetParam()), {}, fault_proxy::until_released};
    cache_options proxied() const {
        cache_options o = options();
        o.client.endpoint = proxy.url();
        o.client.retry.base_delay = 5ms;
        o.client.retry.quota = 1'000'000;
        return o;
    }
    // An entry expired 5 s ago, then `f` on every `operation` from now on.
    void serve_stale_through(fault f, const std::string& operation) {
        counted_compute origin;
        with_cache([&](cache& c) -> asio::awaitable<void> {
            co_await c.async_set("k", "old", {.timeout = 10s});
            clock.advance(15s);
            proxy.set_plan([f, operation](const proxied_request& r) { return r.operation == operation ? f : fault::none; });
            auto compute9 = origin.returning("new");
            const get_or_set_result r = co_await c.async_get_or_set(
                "k", compute9, {.max_stale = 60s, .lease = true, .lease_wait = 10s});
            EXPECT_EQ(r.value, "old") << fault_name(f);
            EXPECT_EQ(r.source, value_source::stale);
        }, proxied());
        EXPECT_EQ(*origin.calls, 0) << "DynamoDB failing, the stale value is served without computing";
        EXPECT_GT(proxy.injected(f), 0u);
    }
};

TEST_P(FailSafe, ThrottlingServesTheStaleValue) { serve_stale_through(fault::throughput_exceeded, "UpdateItem"); }
TEST_P(FailSafe, ServerErrorsServeTheStaleValue) { serve_stale_through(fault::internal_error, "UpdateItem"); }
TEST_P(FailSafe, UnavailabilityServesTheStaleValue) { serve_stale_through(fault::unavailable, "UpdateItem"); }
TEST_P(FailSafe, DroppedConnectionsServeTheStaleValue) { serve_stale_through(fault::close_before_answer, "UpdateItem"); }

TEST_P(FailSafe, AFailingComputeServesTheStaleValueAlsoWhenTheStoreWouldFail) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("k", "old", {.timeout = 10s});
        clock.advance(15s);
        proxy.set_plan([](const proxied_request& r) { return r.operation == "PutItem" ? fault::unavailable : fault::none; });
        const get_or_set_result r = co_await c.async_get_or_set("k", failing_origin, {.max_stale = 60s});
        EXPECT_EQ(r.source, value_source::stale);
        EXPECT_EQ(r.value, "old");
    }, proxied());
}

TEST_P(FailSafe, AnUnreadableTableStillGivesTheComputedValue) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("other", "x"); // creates the table
        proxy.set_plan([](const proxied_request& r) { return r.operation == "GetItem" ? fault::unavailable : fault::none; });
        auto compute10 = counted_compute{}.returning("computed");
        const get_or_set_result r = co_await c.async_get_or_set("k", compute10);
        EXPECT_EQ(r.value, "computed");
        EXPECT_EQ(r.source, value_source::computed);
        proxy.set_plan({});
        EXPECT_EQ(co_await c.async_get("k"), "computed") << "and stored";
    }, proxied());
}

TEST_P(FailSafe, AStoreWhoseAnswerIsLostStillReturnsTheComputedValue) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("other", "x");
        proxy.set_plan([](const proxied_request& r) {
            return r.operation == "PutItem" ? fault::drop_after_forward : fault::none;
        });
        auto compute11 = counted_compute{}.returning("computed");
        const get_or_set_result r = co_await c.async_get_or_set("k", compute11);
        EXPECT_EQ(r.value, "computed");
        proxy.set_plan({});
        EXPECT_EQ(co_await c.async_get("k"), "computed");
    }, proxied());
}

// Another process's miss read before this one stored, and its lease granted after this one released:
// it reads again before computing.
TEST_P(FailSafe, ALeaseGrantedAfterAnotherProcessStoredTheValueReadsItInsteadOfComputingAgain) {
    counted_compute origin;
    run_on_io([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        cache a(ex, options());
        co_await a.async_set("other", "x"); // the table exists
        cache_options via = proxied();
        via.client.attempt_timeout = 60s;
        via.client.call_timeout = 120s;
        cache b(ex, via); // "another process": its own single-flight
        proxy.set_plan([](const proxied_request& r) { return r.operation == "GetItem" ? fault::delay : fault::none; });
        std::optional<get_or_set_result> from_b;
        auto b_compute = origin.returning("from b");
        asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
            from_b = co_await b.async_get_or_set("k", b_compute, {.lease = true, .lease_wait = 30s});
        }, asio::detached);
        while (proxy.injected(fault::delay) == 0) co_await pause(5ms);
        // B's GetItem is forwarded (a miss) and its answer held. Should it reach the server only
        // after A's store, the race is not exercised, but the verdict is the same.
        co_await pause(300ms);
        proxy.set_plan({});
        auto a_compute = origin.returning("from a");
        const get_or_set_result from_a = co_await a.async_get_or_set("k", a_compute, {.lease = true});
        EXPECT_EQ(from_a.source, value_source::computed);
        proxy.release_delayed();
        while (!from_b) co_await pause(5ms);
        EXPECT_EQ(from_b->value, "from a");
        EXPECT_EQ(from_b->source, value_source::hit);
    }());
    EXPECT_EQ(*origin.calls, 1) << "computed again by the process whose miss was read before the value was stored";
}

TEST_P(FailSafe, ANonRetryableLeaseErrorFailsTheCallInsteadOfServingStale) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("k", "old", {.timeout = 10s});
        clock.advance(15s);
        proxy.set_plan([](const proxied_request& r) { return r.operation == "UpdateItem" ? fault::validation : fault::none; });
        auto compute = counted_compute{}.returning("new");
        auto [ec, r] = co_await c.async_get_or_set("k", compute, {.max_stale = 60s, .lease = true}, tuple_awaitable);
        EXPECT_EQ(ec, service_errc::validation);
    }, proxied());
}

TEST_P(FailSafe, ALockGrantWhoseAnswerWasLostIsRecognisedOnTheRetry) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("table", "created");
        proxy.set_plan(first_update_then_none(fault::drop_after_forward));
        lease l = co_await c.async_lock("job", {.ttl = 60s});
        EXPECT_EQ(l.fencing_token(), 1);
        EXPECT_TRUE(co_await l.async_release());
    }, proxied());
}

TEST_P(FailSafe, ALockReleaseWhoseAnswerWasLostIsRecognisedOnTheRetry) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        lease l = co_await c.async_lock("job", {.ttl = 60s});
        proxy.set_plan(first_update_then_none(fault::drop_after_forward));
        EXPECT_TRUE(co_await l.async_release());
        lease next = co_await c.async_lock("job", {.ttl = 60s});
        EXPECT_EQ(next.fencing_token(), l.fencing_token() + 1);
    }, proxied());
}

INSTANTIATE_TEST_SUITE_P(LocalServers, FailSafe, testing::ValuesIn(server_names), server_param_name);

INSTANTIATE_TEST_SUITE_P(LocalServers, CacheAside, testing::ValuesIn(server_names), server_param_name);

// ---- several processes ----

// Runs `body` in `n` forked processes at once; true when every one exited 0.
template <class Body>
bool in_processes(int n, Body body) {
    std::vector<pid_t> children;
    for (int i = 0; i < n; ++i) {
        const pid_t pid = fork();
        if (pid == 0) {
            body(i);
            _exit(testing::Test::HasFailure() ? 1 : 0);
        }
        children.push_back(pid);
    }
    bool ok = true;
    for (pid_t pid : children) {
        int status = 0;
        waitpid(pid, &status, 0);
        ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    return ok;
}

class Fleet : public CacheAside {};

TEST_P(Fleet, FourProcessesOfSixteenCallersComputeAMissingKeyOnce) {
    // The computations are counted in the table itself, by an atomic counter.
    with_cache([&](cache& c) -> asio::awaitable<void> { co_await c.async_set("computations", "0"); });
    const cache_options o = options();
    EXPECT_TRUE(in_processes(4, [&](int) {
        run_on_io([&]() -> asio::awaitable<void> {
            cache c(co_await asio::this_coro::executor, o);
            auto origin = [&c]() -> asio::awaitable<std::string> {
                co_await c.async_inc("computations");
                co_await pause(300ms);
                co_return std::string("computed once");
            };
            std::atomic<int> finished{0};
            auto ex = co_await asio::this_coro::executor;
            for (int i = 0; i < 16; ++i)
                asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
                    const get_or_set_result r =
                        co_await c.async_get_or_set("hot", origin, {.lease = true, .lease_ttl = 60s, .lease_wait = 120s});
                    EXPECT_EQ(r.value, "computed once");
                    ++finished;
                }, asio::detached);
            while (finished < 16) co_await pause(10ms);
        }());
    }));
    with_cache([&](cache& c) -> asio::awaitable<void> { EXPECT_EQ(co_await c.async_get("computations"), "1"); });
}

TEST_P(Fleet, ALeaseHolderKilledMidComputationIsTakenOverAfterItsLease) {
    const cache_options o = options();
    with_cache([&](cache& c) -> asio::awaitable<void> { co_await c.async_set("table", "created"); });
    const pid_t holder = fork();
    ASSERT_NE(holder, -1);
    if (holder == 0) {
        run_on_io([&]() -> asio::awaitable<void> {
            cache c(co_await asio::this_coro::executor, o);
            auto never = []() -> asio::awaitable<std::string> {
                co_await pause(std::chrono::hours(1));
                co_return std::string();
            };
            co_await c.async_get_or_set("k", never, {.lease = true, .lease_ttl = 1s});
        }());
        _exit(0);
    }
    // Wait until the holder has its lease, then kill it.
    with_cache([&](cache& c) -> asio::awaitable<void> {
        bool leased = false;
        for (int i = 0; i < 6000 && !leased; ++i) {
            const auto it = co_await raw_item(c, "\x1f" "lease:k");
            leased = it && it->find("owner");
            if (!leased) co_await pause(10ms);
        }
        ::kill(holder, SIGKILL);
        ::waitpid(holder, nullptr, 0);
        CO_ASSERT(leased, << "the first process never took the lease");
        auto compute12 = counted_compute{}.returning("taken over");
        const get_or_set_result r = co_await c.async_get_or_set("k", compute12,
                                                                {.lease = true, .lease_ttl = 1s, .lease_wait = 60s});
        EXPECT_EQ(r.value, "taken over");
        EXPECT_EQ(r.source, value_source::computed);
    });
}

TEST_P(Fleet, FourProcessesTakeALockTwentyFiveTimesEachWithoutOverlap) {
    const std::string marker = "/tmp/ddbcache-lock-marker-" + std::to_string(::getpid()) + "-" + GetParam();
    const std::string fences = marker + ".fences";
    ::rmdir(marker.c_str());
    std::remove(fences.c_str());
    const cache_options o = options();
    EXPECT_TRUE(in_processes(4, [&](int) {
        run_on_io([&]() -> asio::awaitable<void> {
            cache c(co_await asio::this_coro::executor, o);
            for (int i = 0; i < 25; ++i) {
                lease l = co_await c.async_lock("shared", {.ttl = 30s, .wait = 300s});
                // The exclusive marker: mkdir fails when another holder is inside.
                EXPECT_EQ(::mkdir(marker.c_str(), 0700), 0) << "two holders at once";
                std::ofstream(fences, std::ios::app) << l.fencing_token() << "\n";
                co_await pause(2ms);
                EXPECT_EQ(::rmdir(marker.c_str()), 0);
                EXPECT_TRUE(co_await l.async_release());
            }
        }());
    }));
    std::ifstream in(fences);
    std::set<std::int64_t> seen;
    std::int64_t f;
    while (in >> f) seen.insert(f);
    EXPECT_EQ(seen.size(), 100u) << "every grant has its own fencing token";
    std::remove(fences.c_str());
}

INSTANTIATE_TEST_SUITE_P(LocalServers, Fleet, testing::ValuesIn(server_names), server_param_name);

} // namespace
} // namespace ddbcache::test
