// The near cache on its own: SIEVE eviction, budgets, freshness, and fills racing invalidations.
// Time is passed in, never read: every verdict is the same on any machine.
#include "cache/near_cache.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace {
using ddbcache::near_cache;
using ddbcache::near_cache_options;
using namespace std::chrono_literals;
using kind = near_cache::kind;

const near_cache::steady::time_point t0{};
constexpr std::int64_t wall_now = 1'000'000;

near_cache_options one_shard(std::size_t entries) {
    // max_entries this small gives one shard (each keeps at least 32): eviction order is then exactly SIEVE's.
    near_cache_options o;
    o.max_bytes = 1 << 20;
    o.max_entries = entries;
    o.ttl = 1h;
    return o;
}

void put(near_cache& c, const std::string& key, const std::string& value = "v",
         near_cache::steady::time_point now = t0, std::int64_t expires = 0) {
    c.fill(c.take_ticket(key), key, kind::value, value, expires, now);
}

bool holds(near_cache& c, const std::string& key, near_cache::steady::time_point now = t0) {
    std::optional<std::string> v;
    return c.lookup(key, now, wall_now, v).has_value();
}

TEST(NearCache, AFilledValueIsReturnedWithItsKind) {
    near_cache c(one_shard(8));
    put(c, "k", "hello");
    std::optional<std::string> v;
    EXPECT_EQ(c.lookup("k", t0, wall_now, v), kind::value);
    EXPECT_EQ(v, "hello");
    c.fill(c.take_ticket("none"), "none", kind::none, "", 0, t0);
    EXPECT_EQ(c.lookup("none", t0, wall_now, v), kind::none);
    EXPECT_EQ(v, std::nullopt);
}

TEST(NearCache, SieveEvictsTheOldestEntryNotVisitedSinceTheHandPassed) {
    near_cache c(one_shard(3));
    put(c, "a");
    put(c, "b");
    put(c, "c");
    EXPECT_TRUE(holds(c, "a")); // visited: the hand spares it once
    put(c, "d");                // evicts b, the oldest not visited
    EXPECT_TRUE(holds(c, "a"));
    EXPECT_FALSE(holds(c, "b"));
    EXPECT_TRUE(holds(c, "c"));
    EXPECT_TRUE(holds(c, "d"));
    EXPECT_EQ(c.stats().evictions, 1u);
}

TEST(NearCache, TheHandClearsVisitedBitsAsItPassesAndResumesWhereItStopped) {
    near_cache c(one_shard(3));
    put(c, "a");
    put(c, "b");
    put(c, "c");
    for (const char* k : {"a", "b", "c"}) EXPECT_TRUE(holds(c, k));
    put(c, "d"); // every entry visited: the hand clears a, b, c and wraps to evict a
    EXPECT_FALSE(holds(c, "a"));
    put(c, "e"); // the hand resumes at b, whose bit it cleared
    EXPECT_FALSE(holds(c, "b"));
    EXPECT_TRUE(holds(c, "c"));
}

TEST(NearCache, TheByteBudgetBoundsWhatIsHeld) {
    near_cache_options o = one_shard(0);
    o.max_bytes = 10 * (near_cache::entry_overhead + 10);
    near_cache c(o);
    for (int i = 0; i < 100; ++i) put(c, (i < 10 ? "k0" : "k") + std::to_string(i), "0123456"); // 3 + 7 bytes each
    EXPECT_LE(c.stats().bytes, o.max_bytes);
    EXPECT_EQ(c.stats().entries, 10u);
    EXPECT_EQ(c.stats().evictions, 90u);
}

TEST(NearCache, AValueLargerThanAShardsBudgetIsNotKept) {
    near_cache_options o = one_shard(0);
    o.max_bytes = 1000;
    near_cache c(o);
    put(c, "big", std::string(2000, 'x'));
    EXPECT_FALSE(holds(c, "big"));
    EXPECT_EQ(c.stats().entries, 0u);
}

TEST(NearCache, AnEntryIsNotServedOnceItsTtlHasPassed) {
    near_cache_options o = one_shard(8);
    o.ttl = 100ms;
    near_cache c(o);
    put(c, "k");
    EXPECT_TRUE(holds(c, "k", t0 + 99ms));
    EXPECT_FALSE(holds(c, "k", t0 + 100ms));
    EXPECT_EQ(c.stats().entries, 0u) << "an expired entry is dropped when found";
}

TEST(NearCache, AnEntryIsNeverServedAtOrPastTheItemsExpirationTime) {
    near_cache c(one_shard(8));
    put(c, "k", "v", t0, wall_now + 1);
    std::optional<std::string> v;
    EXPECT_TRUE(c.lookup("k", t0, wall_now, v).has_value());
    EXPECT_FALSE(c.lookup("k", t0, wall_now + 1, v).has_value());
}

TEST(NearCache, AbsentKeysAreKeptOnlyWithANegativeTtl) {
    near_cache_options o = one_shard(8);
    near_cache without(o);
    without.fill(without.take_ticket("k"), "k", kind::absent, "", 0, t0);
    EXPECT_FALSE(holds(without, "k"));
    o.negative_ttl = 50ms;
    near_cache with(o);
    with.fill(with.take_ticket("k"), "k", kind::absent, "", 0, t0);
    std::optional<std::string> v;
    EXPECT_EQ(with.lookup("k", t0 + 49ms, wall_now, v), kind::absent);
    EXPECT_FALSE(with.lookup("k", t0 + 50ms, wall_now, v).has_value());
}

TEST(NearCache, AFillWhoseKeyWasInvalidatedAfterItsTicketIsDropped) {
    near_cache c(one_shard(8));
    const near_cache::ticket before_read = c.take_ticket("k");
    c.invalidate("k"); // this process wrote k while the read was under way
    c.fill(before_read, "k", kind::value, "old", 0, t0);
    EXPECT_FALSE(holds(c, "k"));
    put(c, "k", "new"); // a read that started after the write is kept
    EXPECT_TRUE(holds(c, "k"));
}

TEST(NearCache, InvalidateDropsTheKeyAndCountsIt) {
    near_cache c(one_shard(8));
    put(c, "k");
    c.invalidate("k");
    EXPECT_FALSE(holds(c, "k"));
    EXPECT_EQ(c.stats().invalidations, 1u);
}

TEST(NearCache, InvalidateAllDropsEverythingAndBlocksFillsTicketedBefore) {
    near_cache_options o;
    o.max_bytes = 64 << 20; // several shards
    o.ttl = 1h;
    near_cache c(o);
    for (int i = 0; i < 50; ++i) put(c, "k" + std::to_string(i));
    const near_cache::ticket before = c.take_ticket("late");
    c.invalidate_all();
    c.fill(before, "late", kind::value, "v", 0, t0);
    EXPECT_EQ(c.stats().entries, 0u);
    EXPECT_EQ(c.stats().bytes, 0u);
    EXPECT_EQ(c.stats().invalidations, 50u);
}

TEST(NearCache, HitsAndMissesAreCounted) {
    near_cache c(one_shard(8));
    put(c, "k");
    EXPECT_TRUE(holds(c, "k"));
    EXPECT_FALSE(holds(c, "other"));
    EXPECT_EQ(c.stats().hits, 1u);
    EXPECT_EQ(c.stats().misses, 1u);
}

TEST(NearCache, RefillingAKeyReplacesItsValueAndItsBytes) {
    near_cache c(one_shard(8));
    put(c, "k", std::string(100, 'a'));
    put(c, "k", "b");
    std::optional<std::string> v;
    c.lookup("k", t0, wall_now, v);
    EXPECT_EQ(v, "b");
    EXPECT_EQ(c.stats().entries, 1u);
    EXPECT_EQ(c.stats().bytes, 1 + 1 + near_cache::entry_overhead);
}

TEST(NearCache, TwoThreadsLookingUpFillingAndInvalidatingAtOnceKeepTheBudget) {
    near_cache_options o;
    o.max_bytes = 64 * (near_cache::entry_overhead + 8);
    o.ttl = 1h;
    near_cache c(o);
    auto work = [&c](int seed) {
        std::optional<std::string> v;
        for (int i = 0; i < 20000; ++i) {
            const std::string k = "k" + std::to_string((i * 7 + seed) % 200);
            if (!c.lookup(k, t0, wall_now, v)) c.fill(c.take_ticket(k), k, kind::value, "value", 0, t0);
            if (i % 13 == 0) c.invalidate(k);
        }
    };
    std::thread other(work, 1);
    work(2);
    other.join();
    const auto s = c.stats();
    EXPECT_LE(s.bytes, o.max_bytes);
    EXPECT_GE(s.bytes, s.entries * (2 + 5 + near_cache::entry_overhead)) << "every entry held is counted";
    EXPECT_EQ(s.hits + s.misses, 40000u);
}

} // namespace
