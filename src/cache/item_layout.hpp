// cachelib's item layout: key_field (S) = prefix + key, created_at (S, ISO-8601 UTC), response
// (B) = the encoded value, expiration_time (N, epoch seconds) only for a timeout > 0. Pure
// functions of the options and the clock, so they are unit-tested without a server.
#pragma once

#include <ddbcache/attribute_value.hpp>
#include <ddbcache/cache.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ddbcache::cache_layout {

inline constexpr const char* created_at_field = "created_at";
inline constexpr const char* response_field = "response";
// Attributes cachelib ignores (it reads only the key, response and expiration_time):
inline constexpr const char* no_value_field = "no_value";     // BOOL: a negative entry (get_or_set's "no value")
inline constexpr const char* compute_ms_field = "compute_ms"; // N: how long get_or_set's compute took (XFetch's delta)
// S "zstd": `response` (or a large value's chunks, together) is one zstd frame of the value.
inline constexpr const char* value_encoding_field = "value_encoding";
// A large value's head item has no `response`, but these (see cache_options::max_value_size):
inline constexpr const char* chunks_field = "chunks";             // N: how many chunk items hold the value
inline constexpr const char* stored_size_field = "stored_size";   // N: the bytes they hold together
inline constexpr const char* stored_crc32_field = "stored_crc32"; // N: CRC-32 of those bytes
inline constexpr const char* version_field = "version";           // S: 128 random bits in hex, naming the chunks

// Lock and lease items live under key_prefix + reserved_key_lead + kind + ':' + name. User keys may
// not begin with it, so none collides with them, and a clear() of the prefix removes them.
inline constexpr char reserved_key_lead = '\x1f';
inline std::string reserved_key(const std::string& prefix, std::string_view kind, std::string_view name) {
    std::string k = prefix;
    k += reserved_key_lead;
    k += kind;
    k += ':';
    k += name;
    return k;
}
inline constexpr std::size_t max_key_bytes = 2048;   // DynamoDB's limit for a hash key
inline constexpr std::size_t max_item_bytes = single_item_value_bytes; // DynamoDB's 400 KB item limit

// Chunk `index` (from 0) of a large value's version: a reserved key, so no user key collides with it
// and a clear() of the prefix removes it.
inline std::string chunk_key(const std::string& prefix, std::string_view version, std::size_t index) {
    std::string name(version);
    name += ':';
    name += std::to_string(index);
    return reserved_key(prefix, "chunk", name);
}
// The longest chunk key beyond the prefix: "\x1f" "chunk:" + 32 hex digits + ':' + up to 20 digits.
inline constexpr std::size_t max_chunk_key_suffix_bytes = 1 + 6 + 32 + 1 + 20;
// Chunks of a value of `stored` bytes.
inline constexpr std::size_t chunks_for(std::size_t stored) {
    return (stored + large_value_chunk_bytes - 1) / large_value_chunk_bytes;
}
// A large value's head: an item with a chunk count instead of a response.
inline bool is_large_head(const item& it) { return it.find(chunks_field) != nullptr; }

// A value as it is stored: the codec's bytes, maybe compressed.
struct stored_value {
    std::string bytes;
    bool zstd = false; // `bytes` is one zstd frame
};

using wall_clock = std::chrono::system_clock;

// Python's datetime.isoformat() of an aware UTC time: 2026-11-25T10:11:12.123456+00:00 (the
// fraction is left out when it is zero, as Python does).
std::string iso8601(wall_clock::time_point t);

// Epoch seconds, truncated as cachelib's int(datetime.timestamp()).
std::int64_t epoch_seconds(wall_clock::time_point t);

// Checks the options' table name, key_field and expiration_time_field against DynamoDB's naming
// rules. Sets `why` (naming the option, the value and the rule).
error_code check_names(const cache_options& o, std::string& why);

// Checks a full (prefixed) key: non-empty, valid UTF-8, at most 2048 bytes. Sets `why`.
error_code check_key(const std::string& full_key, std::string& why);

// The latest expiration_time written: 9999-12-31T23:59:59Z, the last second Python's datetime
// (and so cachelib) can represent.
inline constexpr std::int64_t max_expiration_seconds = 253'402'300'799;

// The expiration_time of an entry written at `now` to last `timeout_seconds` (0: none, and
// `out` is 0). Fails with invalid_argument, naming the key, for a negative timeout or an
// expiration past max_expiration_seconds.
error_code expiration_for(const std::string& full_key, std::int64_t timeout_seconds, wall_clock::time_point now,
                          std::int64_t& out, std::string& why);

// Parses created_at as cachelib and this library write it (Python's isoformat(): a date from year
// 1, a time, an optional fraction, an optional UTC offset of hours and minutes, or Z; no offset
// reads as UTC), in epoch seconds (the fraction dropped). nullopt when it is not that.
std::optional<std::int64_t> parse_iso8601_seconds(std::string_view text);

// Epoch seconds of an item's expiration_time, when it is an integer that fits (what this library
// and cachelib write); nullopt when absent or anything else.
std::optional<std::int64_t> expiration_seconds(const cache_options& o, const item& it);

// The item to put, holding `value`'s bytes (moved out of it). When they do not fit one item and
// the options store large values (raw codec, max_value_size above one item), the item is a large
// value's head instead (is_large_head; its version still to be set) and the bytes stay in `value`
// for the chunks. Fails with invalid_argument for a negative timeout or one that puts the
// expiration past max_expiration_seconds, and with item_too_large (saying by how much, and what
// option would store it) over 400 KB otherwise.
error_code build_item(const cache_options& o, const std::string& full_key, stored_value& value,
                      std::int64_t timeout_seconds, wall_clock::time_point now, item& out, std::string& why);

// What a refusal of a value too large says to do: "" when nothing would store it.
std::string larger_values_hint(const cache_options& o);

// DynamoDB's size of an item: attribute names and values (numbers approximated from above).
std::size_t item_size(const item& it);

// True when the item has an expiration time at or before `now` (cachelib's rule), compared exactly
// whatever number another client wrote (a fraction, an exponent, 38 digits). An expiration that is
// not a number counts as expired: a value whose lifetime cannot be read is not served.
bool is_expired(const cache_options& o, const item& it, wall_clock::time_point now);

} // namespace ddbcache::cache_layout
