#include "near_cache.hpp"

#include <algorithm>
#include <bit>
#include <functional>
#include <thread>

namespace ddbcache {

namespace {

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// Counters written under the shard's mutex and read by stats() without it.
struct guarded_counter {
    std::atomic<std::uint64_t> n{0};
    void bump(std::uint64_t k = 1) noexcept { n.store(n.load(std::memory_order_relaxed) + k, std::memory_order_relaxed); }
    std::uint64_t get() const noexcept { return n.load(std::memory_order_relaxed); }
};

} // namespace

struct near_cache::entry {
    const std::string* key = nullptr; // the map's own key
    std::string value;
    kind what = kind::value;
    bool visited = false; // SIEVE's bit: hit since the hand last passed
    steady::time_point fresh_until;
    std::int64_t expires_at = 0; // the item's expiration_time, epoch seconds; 0: none
    entry* newer = nullptr;
    entry* older = nullptr;
    std::size_t bytes = 0;
};

struct alignas(64) near_cache::shard {
    std::mutex mutex;
    std::unordered_map<std::string, entry, string_hash, std::equal_to<>> map;
    entry* newest = nullptr;
    entry* oldest = nullptr;
    entry* hand = nullptr; // SIEVE's hand; null: start from the oldest
    std::size_t bytes = 0;
    std::size_t max_bytes = 0;
    std::size_t max_entries = 0;
    std::uint64_t epoch = 0; // invalidations so far
    guarded_counter hits, misses, evictions, invalidations;
    std::atomic<std::size_t> entries_held{0}, bytes_held{0};

    void push_newest(entry& e) {
        e.older = newest;
        e.newer = nullptr;
        if (newest) newest->newer = &e;
        newest = &e;
        if (!oldest) oldest = &e;
    }

    void remove(entry& e) {
        if (hand == &e) hand = e.newer;
        (e.newer ? e.newer->older : newest) = e.older;
        (e.older ? e.older->newer : oldest) = e.newer;
        bytes -= e.bytes;
        map.erase(map.find(*e.key));
    }

    // SIEVE: from the hand towards the newest (wrapping to the oldest), clear visited bits and
    // evict the first entry not visited.
    void evict_one() {
        entry* e = hand ? hand : oldest;
        while (e->visited) {
            e->visited = false;
            e = e->newer ? e->newer : oldest;
        }
        entry* next = e->newer;
        remove(*e);
        hand = next;
        evictions.bump();
    }

    void publish_sizes() {
        entries_held.store(map.size(), std::memory_order_relaxed);
        bytes_held.store(bytes, std::memory_order_relaxed);
    }
};

near_cache::near_cache(const near_cache_options& o) : options_(o) {
    // Shards enough for the threads, but not so many that one holds too little to keep its hot keys.
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    shard_bits_ = std::min<std::size_t>(6, std::bit_width(std::bit_ceil(4u * threads)) - 1);
    constexpr std::size_t min_shard_bytes = std::size_t{32} << 10, min_shard_entries = 32;
    while (shard_bits_ > 0 && ((o.max_bytes >> shard_bits_) < min_shard_bytes ||
                               (o.max_entries && (o.max_entries >> shard_bits_) < min_shard_entries)))
        --shard_bits_;
    const std::size_t n = std::size_t{1} << shard_bits_;
    shards_ = std::make_unique<shard[]>(n);
    for (std::size_t i = 0; i < n; ++i) {
        shards_[i].max_bytes = o.max_bytes / n;
        shards_[i].max_entries = o.max_entries ? std::max<std::size_t>(1, o.max_entries / n) : 0;
    }
}

near_cache::~near_cache() = default;

std::size_t near_cache::shard_index(std::string_view key) const {
    if (shard_bits_ == 0) return 0;
    // The top bits of a multiplicative mix: the map inside the shard uses the low bits of the hash.
    const std::uint64_t h = string_hash{}(key) * 0x9E3779B97F4A7C15ull;
    return static_cast<std::size_t>(h >> (64 - shard_bits_));
}

near_cache::shard& near_cache::shard_of(std::string_view key) const { return shards_[shard_index(key)]; }

std::optional<near_cache::kind> near_cache::lookup(std::string_view key, steady::time_point now,
                                                   std::int64_t wall_now_seconds, std::optional<std::string>& value) {
    shard& s = shard_of(key);
    std::lock_guard lock(s.mutex);
    const auto it = s.map.find(key);
    if (it == s.map.end()) {
        s.misses.bump();
        return std::nullopt;
    }
    entry& e = it->second;
    if (now >= e.fresh_until || (e.expires_at != 0 && e.expires_at <= wall_now_seconds)) {
        s.remove(e);
        s.publish_sizes();
        s.misses.bump();
        return std::nullopt;
    }
    e.visited = true;
    s.hits.bump();
    if (e.what == kind::value) value = e.value;
    else value.reset();
    return e.what;
}

near_cache::ticket near_cache::take_ticket(std::string_view key) const {
    const std::size_t i = shard_index(key);
    shard& s = shards_[i];
    std::lock_guard lock(s.mutex);
    return {i, s.epoch, steady::now()};
}

void near_cache::fill(const ticket& t, std::string_view key, kind what, std::string_view value,
                      std::int64_t expires_at_seconds, steady::time_point now) {
    const auto ttl = what == kind::absent ? options_.negative_ttl : options_.ttl;
    if (ttl.count() <= 0) return;
    const std::size_t bytes = key.size() + value.size() + entry_overhead;
    shard& s = shards_[t.shard];
    std::lock_guard lock(s.mutex);
    if (s.epoch != t.epoch || bytes > s.max_bytes) return;
    if (const auto old = s.map.find(key); old != s.map.end()) s.remove(old->second); // refilled as new
    // SIEVE evicts before it inserts: the new entry is never the one evicted for itself.
    while (!s.map.empty() && (s.bytes + bytes > s.max_bytes || (s.max_entries && s.map.size() >= s.max_entries)))
        s.evict_one();
    const auto it = s.map.emplace(std::string(key), entry{}).first;
    entry& e = it->second;
    e.key = &it->first;
    e.value.assign(value);
    e.what = what;
    e.fresh_until = now + ttl;
    e.expires_at = expires_at_seconds;
    e.bytes = bytes;
    s.bytes += bytes;
    s.push_newest(e);
    s.publish_sizes();
}

void near_cache::invalidate(std::string_view key) {
    shard& s = shard_of(key);
    std::lock_guard lock(s.mutex);
    ++s.epoch;
    const auto it = s.map.find(key);
    if (it == s.map.end()) return;
    s.remove(it->second);
    s.invalidations.bump();
    s.publish_sizes();
}

void near_cache::invalidate_all() {
    for (std::size_t i = 0; i < (std::size_t{1} << shard_bits_); ++i) {
        shard& s = shards_[i];
        std::lock_guard lock(s.mutex);
        ++s.epoch;
        s.invalidations.bump(s.map.size());
        s.map.clear();
        s.newest = s.oldest = s.hand = nullptr;
        s.bytes = 0;
        s.publish_sizes();
    }
}

near_cache_stats near_cache::stats() const {
    near_cache_stats out;
    for (std::size_t i = 0; i < (std::size_t{1} << shard_bits_); ++i) {
        const shard& s = shards_[i];
        out.hits += s.hits.get();
        out.misses += s.misses.get();
        out.evictions += s.evictions.get();
        out.invalidations += s.invalidations.get();
        out.entries += s.entries_held.load(std::memory_order_relaxed);
        out.bytes += s.bytes_held.load(std::memory_order_relaxed);
    }
    return out;
}

} // namespace ddbcache
