// The near cache: values this process read (or stored through get_or_set) kept in memory for at
// most near_cache_options::ttl, and never past the item's own expiration_time. Sharded by key hash,
// a mutex per shard, so hits on different shards never contend. Eviction is SIEVE (Zhang, Yang,
// Yue, Vigfusson, Rashmi, "SIEVE is Simpler than LRU: an Efficient Turn-Key Eviction Algorithm for
// Web Caches", NSDI 2024): a FIFO queue with one "visited" bit per entry and a hand that moves from
// the oldest entry towards the newest, clearing visited bits and evicting the first entry not
// visited since the hand last passed. A hit only sets a bit: no list is touched.
//
// Fills race with this process's writes: a read that started before a write completed must not
// store the value it read after the write invalidated the key. Each shard counts its invalidations
// (an epoch); a reader takes a ticket before its request and its fill is dropped when the epoch
// moved since.
#pragma once

#include <ddbcache/cache.hpp>
#include <ddbcache/stats.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ddbcache {

class near_cache {
public:
    using steady = std::chrono::steady_clock;

    // What an entry says of its key.
    enum class kind : unsigned char {
        value,   // a stored value
        none,    // a stored "no value" (Python's None, or get_or_set's negative entry)
        absent,  // the key was not in the table (kept only when negative_ttl > 0)
    };

    struct ticket {
        std::size_t shard = 0;
        std::uint64_t epoch = 0;
        steady::time_point taken; // before the read: what it finds is fresh for ttl from here
    };

    // Bookkeeping counted per entry on top of its key and value: the map node, the entry, the hash.
    static constexpr std::size_t entry_overhead = 128;

    explicit near_cache(const near_cache_options& o);
    ~near_cache();

    // The entry's kind when a fresh one exists (its value copied to `value` for kind::value, reset
    // otherwise); nullopt otherwise. `wall_now_seconds`: DynamoDB's time, epoch seconds, checked
    // against the item's expiration_time.
    std::optional<kind> lookup(std::string_view key, steady::time_point now, std::int64_t wall_now_seconds,
                               std::optional<std::string>& value);

    // Taken before the read whose answer fill() stores.
    ticket take_ticket(std::string_view key) const;

    // Stores what a read found, fresh for ttl from `now` (pass the ticket's `taken`: the time before
    // the read; negative_ttl for kind::absent, not stored when it is 0), and never past `expires_at_seconds` (the item's expiration_time, epoch seconds; 0: none).
    // Dropped when the key was invalidated since `t` was taken.
    void fill(const ticket& t, std::string_view key, kind what, std::string_view value,
              std::int64_t expires_at_seconds, steady::time_point now);

    // Drops the key: this process wrote it (or tried to).
    void invalidate(std::string_view key);
    void invalidate_all();

    near_cache_stats stats() const;
    const near_cache_options& options() const { return options_; }

private:
    struct entry;
    struct shard;

    shard& shard_of(std::string_view key) const;
    std::size_t shard_index(std::string_view key) const;

    near_cache_options options_;
    std::size_t shard_bits_ = 0;
    std::unique_ptr<shard[]> shards_;
};

} // namespace ddbcache
