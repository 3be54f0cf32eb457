// Monitoring: snapshots of what a client and a cache did since they were created, and the
// log-linear latency histogram they keep. Counters only grow (Prometheus's counters); gauges
// (connections open, near-cache bytes) are the value at the snapshot.
//
// Thread safety: taking a snapshot is safe from any thread while operations run; its fields are read
// one by one (relaxed atomics), so a snapshot taken under load may count an operation in one field
// and not yet in another.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ddbcache {

// A log-linear histogram in the manner of HdrHistogram (Gil Tene): 2^SubBucketBits linear
// sub-buckets per power of two, so a recorded value is known to within 1/2^SubBucketBits, in
// constant memory and with O(1) recording. Values from 0 to 2^(SubBucketBits + 1 + 33) - 1 (larger
// ones are counted in the last bucket). Not synchronised: the library records into atomics and
// hands out copies.
template <unsigned SubBucketBits>
class log_linear_histogram {
public:
    static constexpr unsigned sub_bucket_bits = SubBucketBits;
    static constexpr std::uint64_t sub_buckets = std::uint64_t{1} << sub_bucket_bits;
    static constexpr unsigned max_exponent = 33;
    static constexpr std::uint64_t max_value = (std::uint64_t{1} << (sub_bucket_bits + 1 + max_exponent)) - 1;
    static constexpr std::size_t bucket_count = 2 * sub_buckets + max_exponent * sub_buckets + 1;

    void record(std::uint64_t value) { add(index_of(value), 1); }
    void add(std::size_t bucket, std::uint64_t n) {
        counts_[bucket] += n;
        total_ += n;
    }
    void merge(const log_linear_histogram& other) {
        for (std::size_t i = 0; i < bucket_count; ++i) counts_[i] += other.counts_[i];
        total_ += other.total_;
    }

    std::uint64_t count() const { return total_; }
    std::uint64_t count_in(std::size_t bucket) const { return counts_[bucket]; }
    // Values recorded that are below `bound` exactly when `bound` starts a bucket (any power of two
    // does); otherwise those of the buckets that start below it.
    std::uint64_t count_below(std::uint64_t bound) const {
        std::uint64_t n = 0;
        for (std::size_t i = 0; i < bucket_count && lowest_of(i) < bound; ++i) n += counts_[i];
        return n;
    }

    // The value at quantile q (0..1]: the middle of the bucket holding the rank-q sample; 0 when empty.
    std::uint64_t value_at(double q) const {
        if (total_ == 0) return 0;
        const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(q * static_cast<double>(total_) + 0.5));
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < bucket_count; ++i) {
            seen += counts_[i];
            if (seen >= rank) return middle_of(i);
        }
        return max_value;
    }

    // Values below 2^(bits+1) have a bucket each; above, a value v of bit width bits + 1 + e
    // (e >= 1) falls in bucket 2*sub + (e - 1) * sub + (v >> e) - sub.
    static std::size_t index_of(std::uint64_t v) {
        v = std::min(v, max_value);
        if (v < 2 * sub_buckets) return static_cast<std::size_t>(v);
        const auto e = static_cast<unsigned>(std::bit_width(v)) - (sub_bucket_bits + 1);
        return static_cast<std::size_t>(2 * sub_buckets + (e - 1) * sub_buckets + (v >> e) - sub_buckets);
    }
    static std::uint64_t lowest_of(std::size_t index) {
        if (index < 2 * sub_buckets) return index;
        const std::uint64_t e = (index - 2 * sub_buckets) / sub_buckets + 1;
        const std::uint64_t mantissa = (index - 2 * sub_buckets) % sub_buckets + sub_buckets;
        return mantissa << e;
    }
    static std::uint64_t middle_of(std::size_t index) {
        const std::uint64_t low = lowest_of(index);
        return low + (lowest_of(index + 1) - low) / 2;
    }

private:
    std::array<std::uint64_t, bucket_count> counts_{};
    std::uint64_t total_ = 0;
};

// Latencies in nanoseconds, within 12.5 % (8 sub-buckets per power of two; about 2.2 KB).
using latency_histogram = log_linear_histogram<3>;

// ---- the client ----

// The DynamoDB operations the client counts apart; any other name given to client::async_call
// counts as `other`.
enum class dynamodb_operation : unsigned {
    get_item, put_item, update_item, delete_item, batch_get_item, batch_write_item, scan, query,
    describe_table, create_table, update_time_to_live, other,
};
inline constexpr std::size_t dynamodb_operation_count = 12;
// DynamoDB's name of the operation ("GetItem"...); "other" for other.
std::string_view to_string(dynamodb_operation op) noexcept;

struct dynamodb_operation_stats {
    std::uint64_t calls = 0;     // calls completed, failed or not (refused before sending included)
    std::uint64_t failures = 0;  // of which failed (after their retries), for any reason: refused, cancelled...
    std::uint64_t attempts = 0;  // requests sent for them: retries = attempts - calls
    std::uint64_t throttles = 0; // attempts answered with a throttling error
    // Capacity units DynamoDB reported (client_options::return_consumed_capacity; typed requests
    // only): read units for GetItem, BatchGetItem and Scan, write units for the others. Exact to a
    // millionth of a unit.
    double consumed_capacity_units = 0;
    latency_histogram latency; // of each call, retries included, in nanoseconds
};

// A snapshot of the connection pool.
struct connection_stats {
    std::size_t open = 0;         // connections open or opening
    std::size_t idle = 0;         // of which idle
    std::size_t waiting = 0;      // calls waiting for a connection
    std::size_t opened_total = 0; // connections opened since the client was created
    std::size_t tls_resumed_total = 0; // of which resumed an earlier TLS session (no full handshake)
    std::size_t requests_total = 0; // HTTP requests sent since the client was created (retries and resends counted)
};

struct client_stats {
    connection_stats connections;
    std::array<dynamodb_operation_stats, dynamodb_operation_count> operations{};
    const dynamodb_operation_stats& operator[](dynamodb_operation op) const {
        return operations[static_cast<std::size_t>(op)];
    }
};

// ---- the cache ----

// The cache's operations, in the order of cache_requests::all.
enum class cache_operation : unsigned {
    get, has, set, add, erase, inc, dec, get_many, get_dict, set_many, erase_many, clear, touch, get_or_set, lock,
};
inline constexpr std::size_t cache_operation_count = 15;
std::string_view to_string(cache_operation op) noexcept; // "get", "get_or_set"...

// How an operation ended. hit / miss: a read found the key or not (get, has, get_or_set, and each
// key of get_many and get_dict; erase and touch found the key to act on or not; get_or_set's
// computed value is a miss). stored / not_stored: a write (set, add, inc, dec, set_many, clear,
// lock) took effect or was refused by its condition (add on a present key, a lock held by another).
// The error_* outcomes sort failures by what an operator does about them.
enum class operation_outcome : unsigned {
    hit,
    miss,
    stored,
    not_stored,
    error_invalid_input, // refused before any request: key, value, timeout, name (the caller's bug)
    error_throttled,     // DynamoDB throttled it beyond the retries (capacity, or the retry quota)
    error_timeout,       // a deadline passed: attempt, call, or the wait for a connection or admission
    error_unavailable,   // the server or the network failed: 5xx, resets, refused connections, bad answers
    error_service,       // DynamoDB refused it (access, validation, missing table, credentials...), or
                         // get_or_set's compute failed
    error_cancelled,     // the caller cancelled it
};
inline constexpr std::size_t operation_outcome_count = 10;
std::string_view to_string(operation_outcome o) noexcept; // "hit", "error_throttled"...

struct cache_operation_stats {
    std::array<std::uint64_t, operation_outcome_count> outcomes{};
    std::uint64_t operator[](operation_outcome o) const { return outcomes[static_cast<std::size_t>(o)]; }
    // Of each operation that reached DynamoDB, from its start to its completion, in nanoseconds;
    // near-cache hits (under a microsecond) are counted in `outcomes` only.
    latency_histogram latency;
};

struct near_cache_stats {
    std::uint64_t hits = 0;          // fresh entries found (one remembering a key absent included)
    std::uint64_t misses = 0;        // lookups that went on to DynamoDB
    std::uint64_t evictions = 0;     // entries dropped to stay within max_bytes or max_entries
    std::uint64_t invalidations = 0; // entries dropped by this process's own writes
    std::size_t entries = 0;         // held now
    std::size_t bytes = 0;           // held now: keys, values and bookkeeping
};

struct cache_stats {
    std::array<cache_operation_stats, cache_operation_count> operations{};
    const cache_operation_stats& operator[](cache_operation op) const {
        return operations[static_cast<std::size_t>(op)];
    }
    near_cache_stats near_cache;
    std::uint64_t stale_served = 0; // get_or_set values served stale (fail-safe)
    std::uint64_t lease_waits = 0;  // get_or_set flights (one per key at once) that waited for another process's lease
    client_stats dynamodb;          // the client's (shared by the caches sharing it)
};

// What the metrics hook (cache_options::on_operation) receives once per completed operation; for
// get_many, get_dict and erase_many, which count each key, once per outcome that has keys (the
// hits, then the misses), with `count` keys and the duration on the first.
struct operation_event {
    cache_operation operation;
    operation_outcome outcome;
    std::chrono::nanoseconds duration; // 0 for near-cache hits (not timed) and a batch's second event
    bool near_cache_hit;               // answered from the near cache, without a request
    std::uint64_t count = 1;           // the operations (or a batch's keys) this event stands for
};

} // namespace ddbcache
