// Values beyond DynamoDB's 400 KB item, and compression, against both local servers: round trips
// at every chunk boundary, every operation on a large value, no orphaned chunks, no torn read with
// concurrent writers and readers through faults, and a writer killed between its chunks and its
// head. What the table holds is checked with a Scan of its keys.
#include "cache_fixture.hpp"
#include "fault_proxy.hpp"
#include "local_servers.hpp"

#include <ddbcache/cache.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <random>

namespace ddbcache::test {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t chunk = large_value_chunk_bytes;

// `size` bytes that name `tag` and their own length at the start and then repeat a pattern of
// both: any mix of two such values, or a cut, reads back as something else.
std::string patterned(std::size_t size, std::uint32_t tag) {
    std::string v(size, '\0');
    std::uint64_t x = (std::uint64_t{tag} << 32) ^ size ^ 0x9e3779b97f4a7c15ULL;
    for (std::size_t i = 0; i < size; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; // xorshift: incompressible
        v[i] = static_cast<char>(x);
    }
    return v;
}

// The items of the table: key -> whether it has an expiration_time (and which).
struct table_key {
    std::string key;
    std::optional<std::string> expiration;
};
asio::awaitable<std::vector<table_key>> scan_keys(client& c, const std::string& table) {
    std::vector<table_key> out;
    scan_request scan{table};
    scan.projection = "#k, #e";
    scan.names = {{"#k", "cache_key"}, {"#e", "expiration_time"}};
    do {
        auto page = co_await c.async_execute(scan);
        for (const item& it : page.items) {
            const attribute_value* e = it.find("expiration_time");
            out.push_back({*it.find("cache_key")->if_S(), e && e->if_N() ? std::optional(*e->if_N()) : std::nullopt});
        }
        scan.exclusive_start_key = std::move(page.last_evaluated_key);
    } while (scan.exclusive_start_key);
    co_return out;
}
std::size_t chunk_items(const std::vector<table_key>& keys) {
    return static_cast<std::size_t>(std::count_if(keys.begin(), keys.end(), [](const table_key& k) {
        return k.key.find("\x1f"
                          "chunk:") != std::string::npos;
    }));
}

class LargeValues : public testing::TestWithParam<std::string> {
protected:
    std::string table = unique_table_name("large");
    moved_clock clock;

    cache_options options() const {
        cache_options o;
        o.table_name = table;
        o.codec = value_codec::raw;
        o.max_value_size = 64 << 20;
        o.client = local_client_options(GetParam());
        o.client.clock = clock.function();
        o.client.call_timeout = 120s; // a 20 MB value is 50 chunks of about 530 KB of JSON each
        o.client.attempt_timeout = 30s;
        return o;
    }
    template <class Body>
    void with_cache(Body body) {
        run_with_cache(options(), std::move(body));
    }
};

TEST_P(LargeValues, ValuesRoundTripByteForByteAtEveryChunkBoundary) {
    const std::size_t sizes[] = {
        0, 1, 409'000, 409'600, 2 * chunk - 1, 2 * chunk, 2 * chunk + 1, 3 * chunk, 3 * chunk + 1, 20'000'000};
    with_cache([&](cache& c) -> asio::awaitable<void> {
        std::uint32_t tag = 0;
        for (std::size_t size : sizes) {
            const std::string v = patterned(size, ++tag);
            EXPECT_TRUE(co_await c.async_set("k", v)) << size;
            const auto got = co_await c.async_get("k");
            EXPECT_TRUE(got) << size;
            if (!got) co_return;
            EXPECT_EQ(got->size(), size);
            EXPECT_TRUE(*got == v) << size << " bytes do not read back as written";
            // Only the current version's chunks remain: the replaced ones were deleted.
            const auto keys = co_await scan_keys(c.dynamodb(), table);
            const std::size_t expected = size <= 409'000 ? 0 : (size + chunk - 1) / chunk;
            EXPECT_EQ(chunk_items(keys), expected) << size;
        }
    });
}

TEST_P(LargeValues, ASmallValueStoredOverALargeOneDeletesItsChunks) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("k", patterned(900'000, 1));
        EXPECT_EQ(chunk_items(co_await scan_keys(c.dynamodb(), table)), 3u);
        co_await c.async_set("k", "small");
        EXPECT_EQ(co_await c.async_get("k"), "small");
        EXPECT_EQ(chunk_items(co_await scan_keys(c.dynamodb(), table)), 0u);
    });
}

TEST_P(LargeValues, EraseOfALargeValueDeletesItsChunks) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("a", patterned(900'000, 1));
        co_await c.async_set("b", patterned(500'000, 2));
        EXPECT_TRUE(co_await c.async_erase("a"));
        const cache::keys erased{"b", "missing"}; // named: GCC 12 destroys braced temporaries in co_await twice
        const cache::keys deleted = co_await c.async_erase_many(erased);
        EXPECT_EQ(deleted, cache::keys{"b"});
        EXPECT_FALSE(co_await c.async_get("a"));
        const auto left = co_await scan_keys(c.dynamodb(), table);
        EXPECT_TRUE(left.empty());
    });
}

TEST_P(LargeValues, ClearRemovesEveryChunkOfItsPrefixAndNoOtherItem) {
    cache_options o = options();
    o.key_prefix = "mine:";
    cache_options theirs = options();
    theirs.key_prefix = "theirs:";
    run_with_cache(o, [&](cache& c) -> asio::awaitable<void> {
        cache other(c.get_executor(), theirs);
        co_await c.async_set("a", patterned(1'000'000, 1));
        co_await c.async_set("b", patterned(450'000, 2));
        co_await other.async_set("c", patterned(450'000, 3));
        EXPECT_TRUE(co_await c.async_clear());
        const auto keys = co_await scan_keys(c.dynamodb(), table);
        EXPECT_EQ(keys.size(), 3u) << "other's head and its two chunks stay";
        for (const table_key& k : keys) EXPECT_EQ(k.key.rfind("theirs:", 0), 0u) << k.key;
        EXPECT_EQ(*co_await other.async_get("c"), patterned(450'000, 3));
    });
}

TEST_P(LargeValues, BatchesReadAndWriteLargeValuesBesideSmallOnes) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        const std::string big = patterned(1'000'000, 7);
        const cache::mapping pairs{{"big", big}, {"small", "s"}};
        const cache::keys stored = co_await c.async_set_many(pairs);
        EXPECT_EQ(stored, (cache::keys{"big", "small"}));
        const cache::keys asked{"small", "big", "missing"};
        const auto got = co_await c.async_get_many(asked);
        EXPECT_EQ(got.size(), 3u);
        if (got.size() != 3) co_return;
        EXPECT_EQ(got[0], "s");
        EXPECT_TRUE(got[1] && *got[1] == big);
        EXPECT_FALSE(got[2]);
        const cache::keys one{"big"};
        const auto dict = co_await c.async_get_dict(one);
        EXPECT_TRUE(dict.at("big") && *dict.at("big") == big);
    });
}

TEST_P(LargeValues, AddHasAndGetOrSetTreatALargeValueAsAnyOther) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        const std::string big = patterned(700'000, 3);
        EXPECT_TRUE(co_await c.async_add("k", big));
        EXPECT_FALSE(co_await c.async_add("k", patterned(700'000, 4)));
        EXPECT_EQ(chunk_items(co_await scan_keys(c.dynamodb(), table)), 2u) << "the refused add left no chunks";
        EXPECT_TRUE(co_await c.async_has("k"));
        EXPECT_TRUE(*co_await c.async_get("k") == big);
        auto computed = co_await c.async_get_or_set(
            "g", [&]() -> asio::awaitable<std::string> { co_return patterned(800'001, 5); });
        EXPECT_EQ(computed.source, value_source::computed);
        auto hit = co_await c.async_get_or_set("g", []() -> asio::awaitable<std::string> { co_return "never"; });
        EXPECT_EQ(hit.source, value_source::hit);
        EXPECT_TRUE(hit.value && *hit.value == patterned(800'001, 5));
    });
}

TEST_P(LargeValues, ALargeValueExpiresWithItsChunksAndTouchMovesThemAll) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("k", patterned(900'000, 1), {.timeout = 60s});
        EXPECT_TRUE(co_await c.async_touch("k", {.timeout = 3600s}));
        const auto keys = co_await scan_keys(c.dynamodb(), table);
        EXPECT_EQ(keys.size(), 4u);
        for (const table_key& k : keys) EXPECT_EQ(k.expiration, keys.front().expiration) << k.key;
        clock.advance(1800s);
        EXPECT_TRUE(co_await c.async_get("k")) << "touched past its first timeout";
        clock.advance(3600s);
        EXPECT_FALSE(co_await c.async_get("k"));
        EXPECT_FALSE(co_await c.async_touch("k", {.timeout = 60s})) << "an expired value is not revived";
    });
}

TEST_P(LargeValues, CompressedAndLargeValuesAreReadByACacheWithNeitherOption) {
    cache_options compressing = options();
    compressing.compression.algorithm = value_compression::zstd;
    const std::string text(5'000'000, 'x');           // compresses into one small item
    const std::string random = patterned(900'000, 9); // does not compress: stored as it is, chunked
    run_with_cache(compressing, [&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("text", text);
        co_await c.async_set("random", random);
        co_await c.async_set("short", "tiny"); // under min_size
        EXPECT_EQ(chunk_items(co_await scan_keys(c.dynamodb(), table)), 3u) << "only the random value is chunked";
        cache_options plain_options = options();
        plain_options.max_value_size = single_item_value_bytes; // neither option: it reads both all the same
        cache plain(c.get_executor(), plain_options);
        EXPECT_TRUE(*co_await plain.async_get("text") == text);
        EXPECT_TRUE(*co_await plain.async_get("random") == random);
        EXPECT_EQ(co_await plain.async_get("short"), "tiny");
        const get_item_request get{table, {{"cache_key", attribute_value::S("text")}}};
        auto item = co_await c.dynamodb().async_execute(get);
        EXPECT_TRUE(item.found);
        if (!item.found) co_return;
        EXPECT_EQ(*item.found->find("value_encoding")->if_S(), "zstd");
        EXPECT_LT(item.found->find("response")->if_B()->size(), 10'000u);
    });
}

TEST_P(LargeValues, AValueOverMaxValueSizeIsRefusedBeforeAnyRequest) {
    cache_options o = options();
    o.max_value_size = 1'000'000;
    run_with_cache(o, [&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("other", "x"); // the table exists
        const auto before = c.dynamodb().stats().connections.requests_total;
        diagnostics diag;
        auto [ec, stored] = co_await c.async_set("k", std::string(1'000'001, 'v'), {.diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec, client_errc::item_too_large);
        EXPECT_NE(diag.message.find("max_value_size (1000000)"), std::string::npos) << diag.message;
        EXPECT_EQ(c.dynamodb().stats().connections.requests_total, before);
    });
}

// Writes `attributes` under the item's own key, as another program could.
asio::awaitable<void> put_raw(client& c, const std::string& table, item attributes) {
    const put_item_request put{table, std::move(attributes)};
    co_await c.async_execute(put);
}

TEST_P(LargeValues, AChunkWhoseBytesChangedFailsTheReadNamingTheKeyAndTheCause) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("k", patterned(900'000, 1));
        const get_item_request get_head{table, {{"cache_key", attribute_value::S("k")}}};
        const auto head = (co_await c.dynamodb().async_execute(get_head)).found;
        EXPECT_TRUE(head);
        if (!head) co_return;
        const std::string chunk_key = "\x1f"
                                      "chunk:" +
                                      *head->find("version")->if_S() + ":1";
        const get_item_request get_chunk{table, {{"cache_key", attribute_value::S(chunk_key)}}};
        item changed = *(co_await c.dynamodb().async_execute(get_chunk)).found;
        std::string bytes = *changed.find("response")->if_B();
        bytes[1000] ^= 0x20;
        changed.set("response", attribute_value::B(std::move(bytes)));
        co_await put_raw(c.dynamodb(), table, std::move(changed));
        diagnostics diag;
        auto [ec, v] = co_await c.async_get("k", {.diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec, client_errc::unsupported_value);
        EXPECT_NE(diag.message.find("the large value of key 'k'"), std::string::npos) << diag.message;
        EXPECT_NE(diag.message.find("does not match its head's size and CRC-32"), std::string::npos) << diag.message;
    });
}

TEST_P(LargeValues, AHeadWhoseCountsDoNotAddUpIsRefusedWithoutReadingItsChunks) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("other", "x"); // the table exists
        // A billion chunks of 1 GiB: never read, never allocated.
        item head{{"cache_key", attribute_value::S("k")},
                  {"chunks", attribute_value::N(1'000'000'000)},
                  {"stored_size", attribute_value::N(std::int64_t{1} << 30)},
                  {"stored_crc32", attribute_value::N(0)},
                  {"version", attribute_value::S("v1")}}; // named: GCC 12 mishandles braced temporaries in co_await
        co_await put_raw(c.dynamodb(), table, std::move(head));
        const auto before = c.dynamodb().stats().connections.requests_total;
        diagnostics diag;
        auto [ec, v] = co_await c.async_get("k", {.diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec, client_errc::unsupported_value);
        EXPECT_NE(diag.message.find("has a head item that cannot be read: 1000000000 chunks of 1073741824 bytes do not "
                                    "add up"),
                  std::string::npos)
            << diag.message;
        EXPECT_EQ(c.dynamodb().stats().connections.requests_total, before + 1) << "the head's read only";
    });
}

TEST_P(LargeValues, AHeadWhoseChunksAreGoneReadsAsAMiss) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("other", "x");
        item head{{"cache_key", attribute_value::S("k")},
                  {"chunks", attribute_value::N(2)},
                  {"stored_size", attribute_value::N(500'000)},
                  {"stored_crc32", attribute_value::N(0)},
                  {"version", attribute_value::S("gone")}};
        co_await put_raw(c.dynamodb(), table, std::move(head));
        EXPECT_FALSE(co_await c.async_get("k"));
    });
}

TEST_P(LargeValues, TouchOfAHeadThatCannotBeReadFailsNamingTheKey) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("other", "x");
        item head{{"cache_key", attribute_value::S("k")}, {"chunks", attribute_value::N(2)}};
        co_await put_raw(c.dynamodb(), table, std::move(head));
        diagnostics diag;
        auto [ec, touched] = co_await c.async_touch("k", {.diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec, client_errc::unsupported_value);
        EXPECT_NE(diag.message.find("the large value of key 'k' has a head item that cannot be read"),
                  std::string::npos)
            << diag.message;
    });
}

TEST_P(LargeValues, MaxValueSizeBelowOneItemIsEnforcedToo) {
    cache_options o = options();
    o.max_value_size = 100'000;
    run_with_cache(o, [&](cache& c) -> asio::awaitable<void> {
        diagnostics diag;
        auto [ec, stored] = co_await c.async_set("k", std::string(100'001, 'v'), {.diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec, client_errc::item_too_large);
        EXPECT_NE(diag.message.find("over cache_options::max_value_size (100000)"), std::string::npos) << diag.message;
        EXPECT_TRUE(co_await c.async_set("k", std::string(100'000, 'v')));
    });
}

INSTANTIATE_TEST_SUITE_P(LocalServers, LargeValues, testing::ValuesIn(server_names), server_param_name);

// ---- the cachelib codec refuses both ----

TEST(LargeValuesWithTheCachelibCodec, CompressionIsRefusedWhenTheCacheIsBuilt) {
    cache_options o;
    o.compression.algorithm = value_compression::zstd;
    asio::io_context io;
    try {
        cache c(io.get_executor(), o);
        ADD_FAILURE() << "built";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("cachelib cannot read compressed values"), std::string::npos) << e.what();
    }
}

TEST(LargeValuesWithTheCachelibCodec, AMaxValueSizeAboveOneItemIsRefusedWhenTheCacheIsBuilt) {
    cache_options o;
    o.max_value_size = 2 << 20;
    asio::io_context io;
    try {
        cache c(io.get_executor(), o);
        ADD_FAILURE() << "built";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("values stored across several items"), std::string::npos) << e.what();
    }
}

TEST(LargeValuesWithTheCachelibCodec, AValueOverOneItemFailsBeforeAnyRequestSayingWhy) {
    cache_options o;
    o.table_name = unique_table_name("large-cachelib");
    o.client = local_client_options(server_names.front());
    o.client.endpoint = "http://127.0.0.1:9"; // nothing listens: a request would fail otherwise
    run_with_cache(o, [&](cache& c) -> asio::awaitable<void> {
        diagnostics diag;
        auto [ec, stored] = co_await c.async_set("k", std::string(500'000, 'v'), {.diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec, client_errc::item_too_large);
        EXPECT_NE(diag.message.find("the cachelib codec keeps a value in one item"), std::string::npos) << diag.message;
        EXPECT_EQ(c.dynamodb().stats().connections.requests_total, 0u);
    });
}

// ---- concurrency, faults and a killed writer ----

class LargeValuesUnderFaults : public LargeValues {};

// Two writers replace one key's value (each value names its writer and round) while two readers
// read it, through a proxy that drops answers after forwarding, resets answers half-way and
// corrupts checksums. Every read is absent, or one whole value some writer wrote.
TEST_P(LargeValuesUnderFaults, ConcurrentWritersAndReadersNeverSeeATornOrCorruptedValue) {
    fault_proxy proxy(endpoint_of(GetParam()));
    auto rng = std::make_shared<std::mutex>();
    auto engine = std::make_shared<std::minstd_rand>(42);
    proxy.set_plan([rng, engine](const proxied_request&) {
        std::lock_guard lock(*rng);
        switch ((*engine)() % 20) {
        case 0: return fault::drop_after_forward;
        case 1: return fault::half_answer_reset;
        case 2: return fault::corrupt_crc;
        default: return fault::none;
        }
    });
    cache_options o = options();
    o.client.endpoint = proxy.url();
    o.client.retry.base_delay = 5ms;
    o.client.retry.quota = 1'000'000; // about faults, not the retry budget
    // Nor the attempts: with 3 faults in 20, a value's 5 to 10 requests over 40 writes met 4 faults
    // in a row in about one run of ten (a writer's checksum_mismatch or reset).
    o.client.retry.max_attempts = 30;
    constexpr int rounds = 10, reads = 20;
    std::vector<std::string> written; // every value any writer may have stored
    for (std::uint32_t w = 0; w < 2; ++w)
        for (int r = 0; r < rounds; ++r) written.push_back(patterned(450'000 + 400'000 * (r % 3), w * 100 + r));
    std::atomic<int> whole_reads = 0;
    run_on_io(
        [&]() -> asio::awaitable<void> {
            cache c(co_await asio::this_coro::executor, o);
            co_await c.async_set("k", written.front());
            auto writer = [&](std::uint32_t w) -> asio::awaitable<void> {
                for (int r = 0; r < rounds; ++r) {
                    auto [ec, ok] = co_await c.async_set("k", written[w * rounds + r], tuple_awaitable);
                    EXPECT_FALSE(ec) << ec.message();
                }
            };
            auto reader = [&]() -> asio::awaitable<void> {
                for (int i = 0; i < reads; ++i) {
                    auto [ec, v] = co_await c.async_get("k", tuple_awaitable);
                    EXPECT_TRUE(!ec || ec == client_errc::timeout) << ec.message();
                    if (ec || !v) continue;
                    const bool whole = std::find(written.begin(), written.end(), *v) != written.end();
                    EXPECT_TRUE(whole) << "a read of " << v->size() << " bytes is no value any writer wrote";
                    whole_reads += whole;
                }
            };
            auto ex = co_await asio::this_coro::executor;
            co_await asio::experimental::make_parallel_group(
                asio::co_spawn(ex, writer(0), asio::deferred), asio::co_spawn(ex, writer(1), asio::deferred),
                asio::co_spawn(ex, reader(), asio::deferred), asio::co_spawn(ex, reader(), asio::deferred))
                .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
            // Once the writers are done, the value is one of theirs.
            const auto v = co_await c.async_get("k");
            EXPECT_TRUE(v);
            if (v) {
                EXPECT_NE(std::find(written.begin(), written.end(), *v), written.end());
            }
        }(),
        2);
    EXPECT_GT(whole_reads.load(), 0);
    EXPECT_GT(proxy.injected_total(), 0u);
}

// A writer killed after its chunks and before its head: readers keep reading the old value; its
// chunks are left behind, with the value's expiration, for DynamoDB's TTL.
TEST_P(LargeValuesUnderFaults, AWriterKilledBetweenItsChunksAndItsHeadLeavesTheOldValue) {
    const cache_options o = options();
    const std::string old_value = patterned(900'000, 1);
    run_with_cache(o,
                   [&](cache& c) -> asio::awaitable<void> { co_await c.async_set("k", old_value, {.timeout = 600s}); });
    int at_head[2];
    ASSERT_EQ(pipe(at_head), 0);
    const pid_t child = fork();
    if (child == 0) {
        close(at_head[0]);
        // The head is the PutItem naming chunks: it never reaches the table, and the parent is told.
        fault_proxy proxy(endpoint_of(GetParam()), [fd = at_head[1]](const proxied_request& r) {
            if (r.operation != "PutItem" || r.body.find("\"chunks\"") == std::string::npos) return fault::none;
            const char b = 1;
            (void)!::write(fd, &b, 1);
            return fault::close_before_answer;
        });
        cache_options mine = o;
        mine.client.endpoint = proxy.url();
        run_with_cache(mine, [&](cache& c) -> asio::awaitable<void> {
            co_await c.async_set("k", patterned(1'300'000, 2), {.timeout = 600s});
        });
        _exit(0);
    }
    close(at_head[1]);
    char b = 0;
    const bool reached_head = read(at_head[0], &b, 1) == 1;
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    close(at_head[0]);
    ASSERT_TRUE(reached_head) << "the writer never sent its head";
    run_with_cache(o, [&](cache& c) -> asio::awaitable<void> {
        const auto v = co_await c.async_get("k");
        EXPECT_TRUE(v && *v == old_value);
        const auto keys = co_await scan_keys(c.dynamodb(), table);
        EXPECT_EQ(chunk_items(keys), 3u + 4u) << "the old value's 3 chunks and the killed writer's 4";
        for (const table_key& k : keys) EXPECT_TRUE(k.expiration) << k.key << " would never expire";
    });
}

// The head's answer lost after it reached the table: the retry stores it again, and the value
// stays whole (its chunks put again, idempotently, after a retried head).
TEST_P(LargeValuesUnderFaults, AHeadWhoseAnswerIsLostIsStoredOnceAndWhole) {
    fault_proxy proxy(endpoint_of(GetParam()));
    cache_options o = options();
    o.client.endpoint = proxy.url();
    o.client.retry.base_delay = 5ms;
    run_with_cache(o, [&](cache& c) -> asio::awaitable<void> {
        co_await c.async_set("k", patterned(900'000, 1));
        auto dropped = std::make_shared<std::atomic<int>>(1);
        proxy.set_plan([dropped](const proxied_request& r) {
            const bool head = r.operation == "PutItem" && r.body.find("\"chunks\"") != std::string::npos;
            return head && dropped->fetch_sub(1) > 0 ? fault::drop_after_forward : fault::none;
        });
        const std::string v = patterned(1'300'000, 2);
        diagnostics diag;
        auto [ec, stored] = co_await c.async_set("k", v, {.diag = &diag}, tuple_awaitable);
        EXPECT_FALSE(ec) << diag.message;
        EXPECT_EQ(proxy.injected(fault::drop_after_forward), 1u);
        const auto got = co_await c.async_get("k");
        EXPECT_TRUE(got && *got == v);
        // The replaced version's 3 chunks stay: the answer naming them (ALL_OLD) was the one lost, and
        // the retry's names this head itself. They carry the value's expiration (README: "Not cleaned").
        const auto keys = co_await scan_keys(c.dynamodb(), table);
        EXPECT_EQ(chunk_items(keys), 4u + 3u);
        for (const table_key& k : keys) EXPECT_TRUE(k.expiration) << k.key;
    });
}

INSTANTIATE_TEST_SUITE_P(LocalServers, LargeValuesUnderFaults, testing::ValuesIn(server_names), server_param_name);

} // namespace
} // namespace ddbcache::test
