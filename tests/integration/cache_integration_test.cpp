// ddbcache::cache against both local servers: cachelib's semantics, batches, counters, clear,
// bad input, and table creation.
#include "local_servers.hpp"
#include "scripted_http_server.hpp"

#include <ddbcache/cache.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <simdjson.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <functional>
#include <optional>
#include <set>

namespace ddbcache::test {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

class Cache : public testing::TestWithParam<std::string> {
protected:
    cache_options options(const std::string& table, const std::string& prefix = "") const {
        cache_options o;
        o.table_name = table;
        o.key_prefix = prefix;
        o.client = local_client_options(GetParam());
        return o;
    }
    // Runs body(cache) on a fresh table (created by the cache's first operation).
    template <class Body>
    void with_cache(Body body, const std::string& prefix = "", int threads = 1) {
        const std::string table = unique_table_name("cache");
        run_on_io(
            [&]() -> asio::awaitable<void> {
                cache c(co_await asio::this_coro::executor, options(table, prefix));
                co_await body(c);
            }(),
            threads);
    }
};

TEST_P(Cache, TheDefaultTokenThrowsAnExceptionCarryingTheAwsTypeMessageAndAttempts) {
    run_on_io([&]() -> asio::awaitable<void> {
        cache_options o = options(unique_table_name("absent"));
        o.create_table = false;
        cache c(co_await asio::this_coro::executor, o);
        try {
            co_await c.async_get("k");
            ADD_FAILURE() << "a get on a missing table succeeded";
        } catch (const error_with_diagnostics& e) {
            EXPECT_EQ(e.code(), service_errc::resource_not_found);
            EXPECT_EQ(e.get_diagnostics().aws_type, "ResourceNotFoundException");
            EXPECT_EQ(e.get_diagnostics().http_status, 400u);
            EXPECT_EQ(e.get_diagnostics().attempts, 1u);
            const std::string what = e.what();
            EXPECT_NE(what.find("GetItem failed after 1 attempt: ResourceNotFoundException: "), std::string::npos) << what;
            EXPECT_NE(what.find(e.get_diagnostics().message), std::string::npos) << what;
        }
    }());
}

TEST_P(Cache, ADeferredOperationKeepsItsCacheAliveUntilItIsAwaited) {
    run_on_io([&]() -> asio::awaitable<void> {
        auto c = std::make_unique<cache>(co_await asio::this_coro::executor, options(unique_table_name("lifetime")));
        co_await c->async_set("k", "v");
        auto with_default_token = c->async_get("k");
        auto with_deferred = c->async_get("k", asio::deferred);
        c.reset(); // neither operation has started yet
        EXPECT_EQ(co_await std::move(with_default_token), "v");
        auto [ec, value] = co_await std::move(with_deferred)(tuple_awaitable);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(value, "v");
    }());
}

TEST_P(Cache, AStartedOperationCompletesAfterItsCacheIsDestroyed) {
    asio::io_context io;
    std::optional<cache> c(std::in_place, io.get_executor(), options(unique_table_name("lifetime")));
    error_code ec = asio::error::would_block;
    bool stored = false;
    c->async_set("k", "v", [&](error_code e, bool ok) { ec = e, stored = ok; });
    c.reset();
    io.run();
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(stored);
}

TEST_P(Cache, TwoCachesOnTwoTablesShareOneClient) {
    run_on_io([&]() -> asio::awaitable<void> {
        auto shared = std::make_shared<client>(co_await asio::this_coro::executor, local_client_options(GetParam()));
        cache sessions(shared, options(unique_table_name("sessions")));
        cache pages(shared, options(unique_table_name("pages")));
        EXPECT_EQ(&sessions.dynamodb(), shared.get());
        EXPECT_EQ(&pages.dynamodb(), shared.get());
        co_await sessions.async_set("k", "a session");
        co_await pages.async_set("k", "a page");
        shared.reset(); // the caches keep it alive
        EXPECT_EQ(co_await sessions.async_get("k"), "a session");
        EXPECT_EQ(co_await pages.async_get("k"), "a page");
    }());
}

TEST_P(Cache, AnInjectedClockDecidesExpiryWithoutSleeping) {
    using wall = std::chrono::system_clock;
    auto ticks = std::make_shared<std::atomic<wall::rep>>(wall::now().time_since_epoch().count());
    cache_options o = options(unique_table_name("clock"));
    o.client.clock = [ticks] { return wall::time_point(wall::duration(ticks->load())); };
    run_on_io([&]() -> asio::awaitable<void> {
        cache c(co_await asio::this_coro::executor, o);
        co_await c.async_set("k", "v", {.timeout = 60s});
        EXPECT_EQ(co_await c.async_get("k"), "v");
        ticks->fetch_add(std::chrono::duration_cast<wall::duration>(59s).count());
        EXPECT_TRUE(co_await c.async_has("k")) << "59 s later";
        ticks->fetch_add(std::chrono::duration_cast<wall::duration>(1s).count());
        EXPECT_FALSE(co_await c.async_get("k")) << "60 s later";
        EXPECT_TRUE(co_await c.async_add("k", "again")) << "the table's condition uses the same clock";
        EXPECT_EQ(c.dynamodb().clock_skew(), 0ms) << "no skew is learned against an injected clock";
    }());
}

TEST_P(Cache, OptionsPassAsNamedVariablesOrTemporaries) {
    with_cache([](cache& c) -> asio::awaitable<void> {
        write_options forever{.timeout = 0s}; // not const: must not be taken for a completion token
        EXPECT_TRUE(co_await c.async_set("k", "v", forever));
        call_options plain;
        EXPECT_EQ(co_await c.async_get("k", plain), "v");
        counter_options by_three{.delta = 3};
        EXPECT_EQ(co_await c.async_inc("n", by_three), 3);
        EXPECT_EQ(co_await c.async_dec("n", counter_options{.delta = 2}), 1);
        EXPECT_TRUE(co_await c.async_add("other", "v", write_options{.timeout = 60s}));
    });
}

TEST_P(Cache, SetGetHasEraseFollowCachelib) {
    with_cache([](cache& c) -> asio::awaitable<void> {
        auto [miss_ec, miss] = co_await c.async_get("k", tuple_awaitable); // creates the table
        CO_ASSERT(!miss_ec, << miss_ec.message())
        EXPECT_FALSE(miss);
        auto [set_ec, stored] = co_await c.async_set("k", std::string("v\0\xff", 3), tuple_awaitable);
        EXPECT_FALSE(set_ec) << set_ec.message();
        EXPECT_TRUE(stored);
        EXPECT_EQ(co_await c.async_get("k", asio::use_awaitable), std::string("v\0\xff", 3));
        EXPECT_TRUE(co_await c.async_has("k", asio::use_awaitable));
        EXPECT_TRUE(co_await c.async_set("k", "overwritten", asio::use_awaitable));
        EXPECT_EQ(co_await c.async_get("k", asio::use_awaitable), "overwritten");
        EXPECT_TRUE(co_await c.async_erase("k", asio::use_awaitable));
        EXPECT_FALSE(co_await c.async_erase("k", asio::use_awaitable)); // no longer there
        EXPECT_FALSE(co_await c.async_has("k", asio::use_awaitable));
        EXPECT_FALSE(co_await c.async_get("k", asio::use_awaitable));
        EXPECT_TRUE(co_await c.async_set("empty", "", asio::use_awaitable));
        EXPECT_EQ(co_await c.async_get("empty", asio::use_awaitable), "");
    });
}

TEST_P(Cache, AddStoresOnlyWhenAbsentOrExpired) {
    with_cache([](cache& c) -> asio::awaitable<void> {
        EXPECT_TRUE(co_await c.async_add("k", "first", asio::use_awaitable));
        EXPECT_FALSE(co_await c.async_add("k", "second", asio::use_awaitable));
        EXPECT_EQ(co_await c.async_get("k", asio::use_awaitable), "first");
        EXPECT_TRUE(co_await c.async_set("short", "lived", {.timeout = 1h}, asio::use_awaitable));
        EXPECT_TRUE(co_await c.async_has("short", asio::use_awaitable));
        // Expired (a second ago, whatever the machine's speed) but not yet deleted by DynamoDB's
        // TTL: absent to every read, replaceable by add.
        update_item_request expire{c.options().table_name, item{{"cache_key", attribute_value::S("short")}}};
        expire.update = "SET #e = :past";
        expire.write.names = {{"#e", "expiration_time"}};
        expire.write.values.set(":past", attribute_value::N(std::chrono::duration_cast<std::chrono::seconds>(
                                                                std::chrono::system_clock::now().time_since_epoch())
                                                                .count() - 1));
        co_await c.dynamodb().async_execute(expire, asio::use_awaitable);
        EXPECT_FALSE(co_await c.async_get("short", asio::use_awaitable));
        EXPECT_FALSE(co_await c.async_has("short", asio::use_awaitable));
        EXPECT_TRUE(co_await c.async_add("short", "again", asio::use_awaitable));
        EXPECT_EQ(co_await c.async_get("short", asio::use_awaitable), "again");
    });
}

// Other clients may write any number DynamoDB accepts (38 digits, a fraction, an exponent).
TEST_P(Cache, ExpirationTimesWrittenByOtherClientsAreReadExactly) {
    const std::string table = unique_table_name("cache");
    const std::vector<std::pair<std::string, bool>> cases{
        {"-99999999999999999999", false}, {"-9223372036854775809", false}, {"1.5E+9", false},
        {"4102444800.5", true},           {"99999999999999999999", true},  {"9223372036854775808", true}};
    run_on_io([&]() -> asio::awaitable<void> {
        cache_options o = options(table);
        o.codec = value_codec::raw;
        cache c(co_await asio::this_coro::executor, o);
        EXPECT_TRUE(co_await c.async_set("created", "v", asio::use_awaitable)); // creates the table
        for (const auto& expiration_and_alive : cases) {
            const std::string& expiration = expiration_and_alive.first;
            const bool alive = expiration_and_alive.second;
            put_item_request put{table, item{{"cache_key", attribute_value::S(expiration)}}};
            put.attributes.set("response", attribute_value::B("hi"));
            put.attributes.set("expiration_time", attribute_value::N(expiration));
            co_await c.dynamodb().async_execute(put, asio::use_awaitable);
            EXPECT_EQ(co_await c.async_has(expiration, asio::use_awaitable), alive) << expiration;
            const cache::value expected = alive ? cache::value("hi") : cache::value();
            EXPECT_EQ(co_await c.async_get(expiration, asio::use_awaitable), expected) << expiration;
            cache::keys one;
            one.push_back(expiration); // no initializer list across co_await: GCC 12 cannot place its array
            const cache::values many = co_await c.async_get_many(one, asio::use_awaitable);
            EXPECT_EQ(many.front().has_value(), alive) << expiration;
        }
    }());
}

TEST_P(Cache, ZeroTimeoutStoresNoExpirationTime) {
    const std::string table = unique_table_name("cache");
    run_on_io([&]() -> asio::awaitable<void> {
        cache c(co_await asio::this_coro::executor, options(table));
        EXPECT_TRUE(co_await c.async_set("forever", "v", {.timeout = 0s}, asio::use_awaitable));
        EXPECT_TRUE(co_await c.async_set("default", "v", asio::use_awaitable));
        get_item_request forever{table, item{{"cache_key", attribute_value::S("forever")}}, "", {}, true};
        get_item_request with_default = forever;
        with_default.key = item{{"cache_key", attribute_value::S("default")}};
        auto [ec1, r1] = co_await c.dynamodb().async_execute(forever, tuple_awaitable);
        auto [ec2, r2] = co_await c.dynamodb().async_execute(with_default, tuple_awaitable);
        CO_ASSERT(r1.found && r2.found)
        EXPECT_EQ(r1.found->find("expiration_time"), nullptr);
        const std::int64_t expires = std::stoll(*r2.found->find("expiration_time")->if_N());
        const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch()).count();
        EXPECT_NEAR(static_cast<double>(expires - now), 300.0, 5.0);
        EXPECT_NE(r2.found->find("created_at"), nullptr);
    });
}

TEST_P(Cache, GetManyKeepsOrderAndDuplicatesAcrossBatches) {
    with_cache([](cache& c) -> asio::awaitable<void> {
        cache::mapping pairs;
        for (int i = 0; i < 230; ++i) pairs.emplace_back("k" + std::to_string(i), "v" + std::to_string(i));
        pairs.emplace_back("k0", "last wins");
        auto [set_ec, stored] = co_await c.async_set_many(pairs, tuple_awaitable);
        CO_ASSERT(!set_ec, << set_ec.message())
        EXPECT_EQ(stored.size(), 230u);
        cache::keys ks;
        for (int i = 229; i >= 0; --i) ks.push_back("k" + std::to_string(i));
        ks.push_back("missing");
        ks.push_back("k5");
        auto [ec, vs] = co_await c.async_get_many(ks, tuple_awaitable);
        CO_ASSERT(!ec, << ec.message())
        CO_ASSERT(vs.size() == ks.size())
        EXPECT_EQ(vs[0], "v229");
        EXPECT_EQ(vs[229], "last wins");
        EXPECT_FALSE(vs[230]);
        EXPECT_EQ(vs[231], "v5");
        const cache::keys some{"k1", "missing"}; // (not braced inside co_await: GCC 12 bug)
        auto dict = co_await c.async_get_dict(some, asio::use_awaitable);
        EXPECT_EQ(dict["k1"], "v1");
        EXPECT_EQ(dict.count("missing"), 1u);
        EXPECT_FALSE(dict["missing"]);
    });
}

// dynalite answers BatchGetItem with about 1 MB at a time, real DynamoDB with 1 MB per partition:
// rounds that make progress go on until every value is read.
TEST_P(Cache, GetManyReadsEveryValueWhenTheServerAnswersInParts) {
    const std::string table = unique_table_name("cache");
    run_on_io([&]() -> asio::awaitable<void> {
        cache_options o = options(table);
        o.codec = value_codec::raw;
        // 10 MB batches: on a busy machine an attempt timeout would cut one off mid-upload, and
        // dynalite dies on a request aborted under it (its handler throws).
        o.client.attempt_timeout = o.client.call_timeout = std::chrono::minutes(5);
        cache c(co_await asio::this_coro::executor, o);
        cache::mapping pairs;
        cache::keys keys;
        for (int i = 0; i < 37; ++i) {
            keys.push_back("big" + std::to_string(i));
            pairs.emplace_back(keys.back(), std::string(399'000, static_cast<char>('a' + i % 26)));
        }
        diagnostics diag;
        auto [set_ec, stored] = co_await c.async_set_many(pairs, {.diag = &diag}, tuple_awaitable);
        CO_ASSERT(!set_ec, << diag.message)
        auto [ec, values] = co_await c.async_get_many(keys, {.diag = &diag}, tuple_awaitable);
        CO_ASSERT(!ec, << diag.message)
        CO_ASSERT(values.size() == 37u)
        for (int i = 0; i < 37; ++i) EXPECT_EQ(values[i], pairs[i].second) << keys[i];
    }());
}

TEST_P(Cache, EraseManyReportsExactlyTheKeysThatExisted) {
    with_cache([](cache& c) -> asio::awaitable<void> {
        cache::mapping pairs;
        for (int i = 0; i < 100; i += 2) pairs.emplace_back("e" + std::to_string(i), "v");
        co_await c.async_set_many(pairs, asio::use_awaitable);
        cache::keys ks;
        for (int i = 0; i < 100; ++i) ks.push_back("e" + std::to_string(i));
        ks.push_back("e0"); // duplicate
        auto deleted = co_await c.async_erase_many(ks, asio::use_awaitable);
        std::set<std::string> expected;
        for (auto& [k, v] : pairs) expected.insert(k);
        EXPECT_EQ(std::set<std::string>(deleted.begin(), deleted.end()), expected);
        EXPECT_EQ(deleted.size(), expected.size());
        EXPECT_TRUE((co_await c.async_erase_many(ks, asio::use_awaitable)).empty());
    });
}

TEST_P(Cache, IncAndDecAreAtomicAcrossCoroutinesOnTwoThreads) {
    with_cache(
        [](cache& c) -> asio::awaitable<void> {
            EXPECT_EQ(co_await c.async_inc("n", asio::use_awaitable), 1);
            EXPECT_EQ(co_await c.async_inc("n", {.delta = 5}, asio::use_awaitable), 6);
            EXPECT_EQ(co_await c.async_dec("n", {.delta = 2}, asio::use_awaitable), 4);
            EXPECT_EQ(co_await c.async_dec("m", asio::use_awaitable), -1);
            EXPECT_EQ(co_await c.async_get("n", asio::use_awaitable), "4"); // digits, as cachelib stores ints
            auto ex = co_await asio::this_coro::executor;
            std::atomic<int> done{0};
            for (int i = 0; i < 20; ++i)
                asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
                    for (int j = 0; j < 10; ++j) {
                        auto [ec, v] = co_await c.async_inc("shared", tuple_awaitable);
                        EXPECT_FALSE(ec) << ec.message();
                    }
                    ++done;
                }, asio::detached);
            asio::steady_timer wait(ex);
            while (done < 20) {
                wait.expires_after(10ms);
                co_await wait.async_wait(asio::use_awaitable);
            }
            EXPECT_EQ(co_await c.async_get("shared", asio::use_awaitable), "200");
        },
        "", 2);
}

TEST_P(Cache, IncOfANonIntegerFailsAndLeavesItUnchanged) {
    with_cache([](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("text", "abc", asio::use_awaitable);
        diagnostics diag;
        auto [ec, v] = co_await c.async_inc("text", {.delta = 1, .diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec, client_errc::unsupported_value);
        EXPECT_NE(diag.message.find("not an integer"), std::string::npos) << diag.message;
        EXPECT_EQ(co_await c.async_get("text", asio::use_awaitable), "abc");
    });
}

TEST_P(Cache, ClearWithAPrefixRemovesOnlyThatPrefix) {
    const std::string table = unique_table_name("cache");
    run_on_io([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        cache mine(ex, options(table, "mine:"));
        cache theirs(ex, options(table, "theirs:"));
        cache::mapping pairs;
        for (int i = 0; i < 60; ++i) pairs.emplace_back(std::to_string(i), "v");
        co_await mine.async_set_many(pairs, asio::use_awaitable);
        co_await theirs.async_set_many(pairs, asio::use_awaitable);
        EXPECT_TRUE(co_await mine.async_clear(asio::use_awaitable));
        EXPECT_FALSE(co_await mine.async_has("7", asio::use_awaitable));
        EXPECT_TRUE(co_await theirs.async_has("7", asio::use_awaitable));
        const cache::keys first_and_last{"0", "59"};
        auto left = co_await theirs.async_get_many(first_and_last, asio::use_awaitable);
        EXPECT_TRUE(left[0] && left[1]);
        cache everything(ex, options(table));
        EXPECT_TRUE(co_await everything.async_clear(asio::use_awaitable));
        EXPECT_FALSE(co_await theirs.async_has("7", asio::use_awaitable));
    });
}

TEST_P(Cache, BadInputFailsBeforeAnyRequestAndStoresNothing) {
    with_cache(
        [](cache& c) -> asio::awaitable<void> {
            co_await c.async_get("warm-up", asio::use_awaitable); // creates the table
            const auto before = c.dynamodb().stats().connections.opened_total;
            diagnostics diag;
            auto [e1, r1] = co_await c.async_set("", "v", {.diag = &diag}, tuple_awaitable);
            EXPECT_EQ(e1, client_errc::invalid_key);
            EXPECT_EQ(diag.message, "the key is empty");
            auto [e2, r2] = co_await c.async_set(std::string(2048, 'k'), "v", {.diag = &diag}, tuple_awaitable);
            EXPECT_EQ(e2, client_errc::invalid_key) << "2048 bytes plus the prefix 'p:' is too long";
            EXPECT_NE(diag.message.find("2050 bytes"), std::string::npos) << diag.message;
            auto [e3, r3] = co_await c.async_get("bad\xc3(", {.diag = &diag}, tuple_awaitable);
            EXPECT_EQ(e3, client_errc::invalid_utf8);
            auto [e4, r4] = co_await c.async_set("big", std::string(410'000, 'x'), {.diag = &diag}, tuple_awaitable);
            EXPECT_EQ(e4, client_errc::item_too_large);
            EXPECT_NE(diag.message.find("over DynamoDB's limit"), std::string::npos) << diag.message;
            cache::mapping pairs{{"fine", "v"}, {"", "v"}};
            auto [e5, r5] = co_await c.async_set_many(pairs, {.diag = &diag}, tuple_awaitable);
            EXPECT_EQ(e5, client_errc::invalid_key);
            auto [e6, r6] = co_await c.async_add("", "v", {.diag = &diag}, tuple_awaitable);
            EXPECT_EQ(e6, client_errc::invalid_key);
            auto [e7, r7] = co_await c.async_inc("", {.diag = &diag}, tuple_awaitable);
            EXPECT_EQ(e7, client_errc::invalid_key);
            auto [e8, r8] = co_await c.async_dec("", {.diag = &diag}, tuple_awaitable);
            EXPECT_EQ(e8, client_errc::invalid_key);
            EXPECT_FALSE(co_await c.async_has("fine", asio::use_awaitable)) << "half a batch was stored";
            EXPECT_FALSE(co_await c.async_has("big", asio::use_awaitable));
            EXPECT_EQ(c.dynamodb().stats().connections.opened_total, before);
        },
        "p:");
}

// Hostile caller input: keys and values with NUL bytes, quotes, backslashes, control characters
// and characters from every Unicode plane round-trip exactly; sizes at DynamoDB's limits are
// accepted, one byte over is refused naming the excess, before any request.
TEST_P(Cache, AwkwardKeysAndValuesRoundTripAndLimitsHoldToTheByte) {
    with_cache([](cache& c) -> asio::awaitable<void> {
        std::string every_byte;
        for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
        std::vector<std::string> keys = {std::string("nul\0inside", 10), "\"quoted\"", "back\\slash", "\\u0000",
                                         "tab\tnewline\ncr\rbell\x07" "del\x7f", "{\"json\":[1]}", " spaces "};
        std::string controls;
        for (char ch = 1; ch < 0x20; ++ch) controls.push_back(ch);
        keys.push_back(controls);
        // One character from each Unicode plane in use, and the edges of UTF-8's lengths.
        keys.push_back("\u00e9\u07ff\u0800\uffef\U00010000\U0001F600\U00020000\U00030000\U000E0001\U000F0000\U0010FFFF");
        for (const std::string& key : keys) {
            diagnostics d;
            auto [set_ec, ok] = co_await c.async_set(key, every_byte + key, {.diag = &d}, tuple_awaitable);
            EXPECT_FALSE(set_ec) << testing::PrintToString(key) << ": " << d.message;
            auto [get_ec, v] = co_await c.async_get(key, {.diag = &d}, tuple_awaitable);
            EXPECT_FALSE(get_ec) << d.message;
            EXPECT_EQ(v, every_byte + key) << testing::PrintToString(key);
        }
        auto values = co_await c.async_get_many(keys, asio::use_awaitable);
        for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(values[i], every_byte + keys[i]) << i;

        // Keys: 2048 bytes exactly (4-byte characters) are stored; 2049 are refused.
        std::string longest;
        while (longest.size() + 4 <= 2048) longest += "\U0001F600";
        EXPECT_EQ(longest.size(), 2048u);
        EXPECT_TRUE(co_await c.async_set(longest, "v", asio::use_awaitable));
        EXPECT_EQ(co_await c.async_get(longest, asio::use_awaitable), "v");
        const auto opened = c.dynamodb().stats().connections.opened_total;
        diagnostics d;
        auto [long_ec, long_ok] = co_await c.async_set(longest + "x", "v", {.diag = &d}, tuple_awaitable);
        EXPECT_EQ(long_ec, client_errc::invalid_key);
        EXPECT_NE(d.message.find("2049 bytes"), std::string::npos) << d.message;

        // Values: find the largest the item allows from the error's own count, then store it.
        auto [big_ec, big_ok] = co_await c.async_set("big", std::string(409'600, 'v'), {.diag = &d}, tuple_awaitable);
        EXPECT_EQ(big_ec, client_errc::item_too_large);
        if (big_ec != client_errc::item_too_large) co_return;
        const auto over_at = d.message.find(" over ");
        const std::size_t over = std::stoul(d.message.substr(d.message.rfind(", ", over_at) + 2));
        const std::size_t largest = 409'600 - over;
        auto [plus_ec, plus_ok] = co_await c.async_set("big", std::string(largest + 1, 'v'), {.diag = &d}, tuple_awaitable);
        EXPECT_EQ(plus_ec, client_errc::item_too_large);
        EXPECT_NE(d.message.find(", 1 over DynamoDB's limit of 409600"), std::string::npos) << d.message;
        EXPECT_EQ(c.dynamodb().stats().connections.opened_total, opened) << "a refused input was sent";
        auto [max_ec, max_ok] = co_await c.async_set("big", std::string(largest, 'v'), {.diag = &d}, tuple_awaitable);
        EXPECT_FALSE(max_ec) << "the server refused an item the cache counted as within 400 KB: " << d.message;
        EXPECT_EQ(co_await c.async_get("big", asio::use_awaitable), std::string(largest, 'v'));
    });
}

TEST_P(Cache, MissingTableWithoutCreationIsAnErrorNotFalse) {
    run_on_io([&]() -> asio::awaitable<void> {
        auto o = options(unique_table_name("absent"));
        o.create_table = false;
        cache c(co_await asio::this_coro::executor, o);
        diagnostics diag;
        auto [ec, stored] = co_await c.async_set("k", "v", {.diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec, service_errc::resource_not_found) << ec.message();
        EXPECT_EQ(diag.aws_type, "ResourceNotFoundException");
        EXPECT_FALSE(diag.message.empty());
    });
}

TEST_P(Cache, OperationsCancelledAtAnyPointLeaveTheCacheUsable) {
    with_cache([](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("survivor", "v", asio::use_awaitable);
        cache::mapping pairs;
        cache::keys keys;
        for (int i = 0; i < 120; ++i) {
            pairs.emplace_back("k" + std::to_string(i), "v");
            keys.push_back("k" + std::to_string(i));
        }
        auto ex = co_await asio::this_coro::executor;
        asio::steady_timer cut(ex);
        int aborted = 0;
        // Rounds 0-3 are cut before any answer can arrive (the emit is queued ahead of the
        // operation's first step), so some aborts are certain; later rounds cut 0-19 ms in.
        for (int round = 0; round < 24; ++round) {
            // Shared with the handlers: the timer's may already be queued when cut.cancel() runs,
            // and then runs after this iteration ends.
            auto signal = std::make_shared<asio::cancellation_signal>();
            if (round < 4) {
                asio::post(ex, [signal] { signal->emit(asio::cancellation_type::terminal); });
            } else {
                cut.expires_after(std::chrono::milliseconds(round - 4));
                cut.async_wait([signal](error_code ec) {
                    if (!ec) signal->emit(asio::cancellation_type::terminal);
                });
            }
            auto slot_token = asio::bind_cancellation_slot(signal->slot(), tuple_awaitable);
            error_code ec;
            switch (round % 4) {
            case 0: ec = std::get<0>(co_await c.async_set_many(pairs, slot_token)); break;
            case 1: ec = std::get<0>(co_await c.async_get_many(keys, slot_token)); break;
            case 2: ec = std::get<0>(co_await c.async_inc("counter", slot_token)); break;
            default: ec = std::get<0>(co_await c.async_erase_many(keys, slot_token)); break;
            }
            cut.cancel();
            EXPECT_TRUE(!ec || ec == asio::error::operation_aborted) << ec.message();
            if (round < 4) {
                EXPECT_EQ(ec, asio::error::operation_aborted) << "round " << round;
            }
            aborted += ec == asio::error::operation_aborted;
        }
        EXPECT_GE(aborted, 4) << "the operations cut before their first answer were not aborted";
        EXPECT_EQ(co_await c.async_get("survivor", asio::use_awaitable), "v");
        EXPECT_TRUE(co_await c.async_set("after", "w", asio::use_awaitable));
        EXPECT_EQ(co_await c.async_get("after", asio::use_awaitable), "w");
    });
}

INSTANTIATE_TEST_SUITE_P(LocalServers, Cache, testing::ValuesIn(server_names), server_param_name);

// A loopback listener that accepts and never answers: an operation sent to it can only end by
// cancellation (timeouts are set far away), so each outcome below is certain, not a race.
class CacheCancellation : public testing::Test {
protected:
    CacheCancellation() { silent_.async_accept([this](error_code, asio::ip::tcp::socket s) { accepted_ = std::move(s); }); }
    cache_options silent_options() const {
        cache_options o;
        o.table_name = "never-answered";
        o.client.endpoint = "http://127.0.0.1:" + std::to_string(silent_.local_endpoint().port());
        o.client.region = "us-east-1";
        o.client.credentials.explicit_credentials = credentials{"AKIDLOCALTEST", "local-test-secret", ""};
        o.client.attempt_timeout = o.client.call_timeout = 60s;
        return o;
    }
    asio::io_context io_;
    asio::ip::tcp::acceptor silent_{io_, {asio::ip::make_address("127.0.0.1"), 0}};
    asio::ip::tcp::socket accepted_{io_};
};

TEST_F(CacheCancellation, AGetRacedAgainstATimerLosesAndReturnsPromptly) {
    using namespace asio::experimental::awaitable_operators;
    const auto started = std::chrono::steady_clock::now();
    bool timer_won = false;
    asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
        cache c(co_await asio::this_coro::executor, silent_options());
        asio::steady_timer deadline(co_await asio::this_coro::executor, 200ms);
        auto winner = co_await (c.async_get("k", asio::use_awaitable) || deadline.async_wait(asio::use_awaitable));
        timer_won = winner.index() == 1;
        silent_.close();
    }, asio::detached);
    io_.run_for(10s);
    EXPECT_TRUE(timer_won);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST_F(CacheCancellation, EveryKindOfOperationEndsWithOperationAbortedWhenCancelled) {
    std::vector<std::string> outcomes;
    asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
        cache c(co_await asio::this_coro::executor, silent_options());
        const cache::keys keys{"a", "b"};
        const cache::mapping pairs{{"a", "1"}, {"b", "2"}};
        asio::steady_timer cut(co_await asio::this_coro::executor);
        for (int kind = 0; kind < 7; ++kind) {
            auto signal = std::make_shared<asio::cancellation_signal>(); // outlives a queued handler
            cut.expires_after(100ms);
            cut.async_wait([signal](error_code ec) {
                if (!ec) signal->emit(asio::cancellation_type::terminal);
            });
            auto token = asio::bind_cancellation_slot(signal->slot(), tuple_awaitable);
            error_code ec;
            switch (kind) {
            case 0: ec = std::get<0>(co_await c.async_get("k", token)); break;
            case 1: ec = std::get<0>(co_await c.async_set("k", "v", token)); break;
            case 2: ec = std::get<0>(co_await c.async_inc("k", token)); break;
            case 3: ec = std::get<0>(co_await c.async_get_many(keys, token)); break;
            case 4: ec = std::get<0>(co_await c.async_set_many(pairs, token)); break;
            case 5: ec = std::get<0>(co_await c.async_erase_many(keys, token)); break;
            default: ec = std::get<0>(co_await c.async_clear(token)); break;
            }
            outcomes.push_back(ec.message());
        }
        silent_.close();
    }, asio::detached);
    io_.run_for(20s);
    const std::string aborted = error_code(asio::error::operation_aborted).message();
    EXPECT_EQ(outcomes, std::vector<std::string>(7, aborted));
}

// One operation under way, one allowed to wait: the third is refused at once, naming the bound,
// and the one waiting at the gate can be cancelled there.
TEST_F(CacheCancellation, OperationsBeyondTheInFlightBoundWaitAndBeyondTheWaitersAreRefused) {
    std::string third_message, waiter_outcome, first_outcome;
    asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
        cache_options o = silent_options();
        o.max_operations_in_flight = 1;
        o.client.max_waiters = 1;
        cache c(co_await asio::this_coro::executor, o);
        asio::cancellation_signal stop_first, stop_waiter;
        c.async_get("first", asio::bind_cancellation_slot(stop_first.slot(), [&](error_code ec, std::optional<std::string>) {
            first_outcome = ec.message();
        }));
        c.async_get("waiter", asio::bind_cancellation_slot(stop_waiter.slot(), [&](error_code ec, std::optional<std::string>) {
            waiter_outcome = ec.message();
        }));
        diagnostics diag;
        auto [ec, value] = co_await c.async_get("third", {.diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec, client_errc::pool_exhausted);
        third_message = diag.message;
        stop_waiter.emit(asio::cancellation_type::terminal);
        asio::steady_timer pause(co_await asio::this_coro::executor, 100ms);
        co_await pause.async_wait(asio::use_awaitable);
        EXPECT_TRUE(first_outcome.empty()) << "the first operation is still waiting for its answer";
        stop_first.emit(asio::cancellation_type::terminal);
        pause.expires_after(100ms);
        co_await pause.async_wait(asio::use_awaitable);
        silent_.close();
    }, asio::detached);
    io_.run_for(20s);
    const std::string aborted = error_code(asio::error::operation_aborted).message();
    EXPECT_EQ(waiter_outcome, aborted);
    EXPECT_EQ(first_outcome, aborted);
    EXPECT_NE(third_message.find("1 operations already wait to start"), std::string::npos) << third_message;
}

// Two processes x 50 coroutines x 100 increments of one key: exactly 10 000 at the end.
TEST(CacheCounters, IncrementsFromTwoProcessesAllCount) {
    const std::string table = unique_table_name("counters");
    auto hammer = [&table] {
        run_on_io(
            [&]() -> asio::awaitable<void> {
                cache_options o;
                o.table_name = table;
                o.client = local_client_options("dynamodb-local");
                cache c(co_await asio::this_coro::executor, o);
                co_await c.async_has("warm-up", asio::use_awaitable); // both processes may create the table
                auto ex = co_await asio::this_coro::executor;
                std::atomic<int> done{0}, failed{0};
                for (int i = 0; i < 50; ++i)
                    asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
                        for (int j = 0; j < 100; ++j) {
                            auto [ec, v] = co_await c.async_inc("counter", tuple_awaitable);
                            if (ec) ++failed;
                        }
                        ++done;
                    }, asio::detached);
                asio::steady_timer wait(ex);
                while (done < 50) {
                    wait.expires_after(20ms);
                    co_await wait.async_wait(asio::use_awaitable);
                }
                EXPECT_EQ(failed.load(), 0);
            }(),
            2);
    };
    const pid_t child = fork();
    ASSERT_NE(child, -1);
    if (child == 0) {
        hammer();
        _exit(testing::Test::HasFailure() ? 1 : 0);
    }
    hammer();
    int status = 0;
    waitpid(child, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const auto final_value = run_on_io([&]() -> asio::awaitable<cache::value> {
        cache_options o;
        o.table_name = table;
        o.client = local_client_options("dynamodb-local");
        cache c(co_await asio::this_coro::executor, o);
        co_return co_await c.async_get("counter", asio::use_awaitable);
    }());
    EXPECT_EQ(final_value, "10000");
}

// ---- a host whose clock is wrong: entries dated and expired by DynamoDB's clock ----

// A DynamoDB whose clock is `skew` from this host's, dating every answer; GetItem finds `stored`
// (a JSON item, or nothing when empty), every other operation succeeds.
scripted_http_server::script skewed_table(std::chrono::system_clock::duration skew, std::function<std::string()> stored) {
    return [skew, stored](const seen_request& r) {
        const std::vector<std::pair<std::string, std::string>> date{
            {"Date", http_date(std::chrono::system_clock::now() + skew)}};
        if (r.header("x-amz-target") == "DynamoDB_20120810.GetItem") {
            const std::string item = stored();
            return scripted_reply{200, item.empty() ? "{}" : R"({"Item":)" + item + "}", 0ms, date};
        }
        return scripted_reply{200, "{}", 0ms, date};
    };
}

cache_options scripted_cache_options(const scripted_http_server& server) {
    cache_options o;
    o.table_name = "skewed";
    o.create_table = false;
    o.codec = value_codec::raw;
    o.client.endpoint = server.url();
    o.client.region = "us-east-1";
    o.client.credentials.explicit_credentials = credentials{"AKIDLOCALTEST", "local-test-secret", ""};
    return o;
}

std::int64_t epoch_seconds(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// This host 20 minutes behind: an entry stored for 5 minutes would already have expired by
// DynamoDB's clock (and its TTL deletion) when dated by this host's.
TEST(CacheClockSkew, AnEntryIsDatedByDynamoDbsClockOnceAnAnswerToldIt) {
    const auto skew = std::chrono::minutes(20);
    asio::io_context io;
    scripted_http_server server(io, skewed_table(skew, [] { return std::string(); }));
    cache c(io.get_executor(), scripted_cache_options(server));
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        co_await c.async_get("first", tuple_awaitable); // any answer tells DynamoDB's time
        co_await c.async_set("k", "v", {.timeout = std::chrono::seconds(300)}, tuple_awaitable);
        io.stop();
    }, asio::detached);
    io.run_for(60s);

    ASSERT_EQ(server.requests().size(), 2u);
    simdjson::dom::parser parser;
    const simdjson::dom::element put = parser.parse(server.requests()[1].body).value();
    const std::string_view expiration = put["Item"]["expiration_time"]["N"].get_string().value();
    const std::int64_t expected = epoch_seconds(std::chrono::system_clock::now() + skew) + 300;
    EXPECT_NEAR(static_cast<double>(std::stoll(std::string(expiration))), static_cast<double>(expected), 60.0);
    const std::string created_at(put["Item"]["created_at"]["S"].get_string().value());
    std::tm utc{};
    ASSERT_EQ(std::sscanf(created_at.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &utc.tm_year, &utc.tm_mon, &utc.tm_mday,
                          &utc.tm_hour, &utc.tm_min, &utc.tm_sec), 6) << created_at;
    utc.tm_year -= 1900;
    utc.tm_mon -= 1;
    EXPECT_NEAR(static_cast<double>(timegm(&utc)), static_cast<double>(expected - 300), 60.0) << created_at;
}

// This host 20 minutes behind, and no answer yet: the first PutItem, dated by this host's clock,
// is refused as DynamoDB refuses it, then re-signed; its item is then written again, dated right.
TEST(CacheClockSkew, AFirstWriteDatedBeforeDynamoDbsTimeWasKnownIsWrittenAgainDatedRight) {
    const auto skew = std::chrono::minutes(20);
    asio::io_context io;
    std::vector<std::chrono::system_clock::time_point> server_times;
    scripted_http_server server(io, [&](const seen_request& r) {
        const auto server_now = std::chrono::system_clock::now() + skew;
        server_times.push_back(server_now);
        const std::vector<std::pair<std::string, std::string>> date{{"Date", http_date(server_now)}};
        if (amz_date_time(r.header("x-amz-date")) < server_now - 5min)
            return scripted_reply{400, R"({"__type":"com.amazon.coral.service#InvalidSignatureException",)"
                                       R"("message":"Signature expired: )" + r.header("x-amz-date") + R"( is now earlier than ..."})",
                                  0ms, date};
        return scripted_reply{200, "{}", 0ms, date};
    });
    cache c(io.get_executor(), scripted_cache_options(server));
    error_code ec;
    bool stored = false;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        std::tie(ec, stored) = co_await c.async_set("k", "v", {.timeout = std::chrono::seconds(300)}, tuple_awaitable);
        io.stop();
    }, asio::detached);
    io.run_for(60s);

    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(stored);
    ASSERT_EQ(server.requests().size(), 3u); // refused, re-signed, written again
    simdjson::dom::parser parser;
    const simdjson::dom::element resent = parser.parse(server.requests()[1].body).value();
    const std::string first_created_at(resent["Item"]["created_at"]["S"].get_string().value());
    simdjson::dom::parser again_parser;
    const simdjson::dom::element again = again_parser.parse(server.requests()[2].body).value();
    const std::string_view expiration = again["Item"]["expiration_time"]["N"].get_string().value();
    EXPECT_NEAR(static_cast<double>(std::stoll(std::string(expiration))),
                static_cast<double>(epoch_seconds(server_times[2]) + 300), 60.0);
    // Only over its own first item: another writer's since stays.
    EXPECT_EQ(again["ConditionExpression"].get_string().value(), "#c = :c");
    EXPECT_EQ(again["ExpressionAttributeValues"][":c"]["S"].get_string().value(), first_created_at);
}

// This host 30 minutes ahead: an entry with 10 minutes left by DynamoDB's clock is still there,
// though this host's clock is past its expiration time.
TEST(CacheClockSkew, AnEntryIsExpiredByDynamoDbsClockNotThisHosts) {
    const auto skew = -std::chrono::minutes(30);
    asio::io_context io;
    scripted_http_server server(io, skewed_table(skew, [skew] {
        const auto expires = epoch_seconds(std::chrono::system_clock::now() + skew) + 600;
        return R"({"cache_key":{"S":"k"},"response":{"B":"dg=="},"expiration_time":{"N":")" + std::to_string(expires) +
               R"("}})";
    }));
    cache c(io.get_executor(), scripted_cache_options(server));
    cache::value found;
    error_code ec;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        std::tie(ec, found) = co_await c.async_get("k", tuple_awaitable);
        io.stop();
    }, asio::detached);
    io.run_for(60s);

    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(found, std::optional<std::string>("v"));
}

} // namespace
} // namespace ddbcache::test
