#include "item_layout.hpp"

#include "../codec/printable.hpp"
#include "../dynamodb/crc32.hpp"
#include "../dynamodb/number.hpp"
#include "../dynamodb/naming_rules.hpp"

#include <simdjson.h>

#include <charconv>
#include <cstring>
#include <cstdio>
#include <ctime>

namespace ddbcache::cache_layout {

std::string iso8601(wall_clock::time_point t) {
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
    const long fraction = static_cast<long>(micros % 1'000'000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[48];
    int n = std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d", utc.tm_year + 1900, utc.tm_mon + 1,
                          utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
    if (fraction != 0) n += std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n), ".%06ld", fraction);
    return std::string(text, static_cast<std::size_t>(n)) + "+00:00";
}

std::int64_t epoch_seconds(wall_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

error_code check_names(const cache_options& o, std::string& why) {
    if (error_code ec = dynamodb::check_table_name(o.table_name, why)) {
        why = "cache_options::table_name: " + why;
        return ec;
    }
    if (error_code ec = dynamodb::check_key_attribute_name(o.key_field, "cache_options::key_field", why)) return ec;
    return dynamodb::check_key_attribute_name(o.expiration_time_field, "cache_options::expiration_time_field", why);
}

error_code check_key(const std::string& full_key, std::string& why) {
    if (full_key.empty()) {
        why = "the key is empty";
        return client_errc::invalid_key;
    }
    if (full_key.size() > max_key_bytes) {
        why = "key '" + codec::printable(full_key) + "' is " + std::to_string(full_key.size()) +
              " bytes with its prefix; DynamoDB allows " + std::to_string(max_key_bytes);
        return client_errc::invalid_key;
    }
    if (!simdjson::validate_utf8(full_key.data(), full_key.size())) {
        why = "key '" + codec::printable(full_key) + "' is not valid UTF-8";
        return client_errc::invalid_utf8;
    }
    return {};
}

std::size_t item_size(const item& it) {
    std::size_t size = 0;
    for (const auto& [name, value] : it) {
        size += name.size();
        if (const std::string* s = value.if_S()) size += s->size();
        else if (const std::string* b = value.if_B()) size += b->size();
        else if (const std::string* n = value.if_N()) size += n->size() / 2 + 2;
        else size += 1;
    }
    return size;
}

error_code expiration_for(const std::string& full_key, std::int64_t timeout_seconds, wall_clock::time_point now,
                          std::int64_t& out, std::string& why) {
    const std::int64_t now_seconds = epoch_seconds(now);
    if (timeout_seconds < 0) {
        why = "timeout of " + std::to_string(timeout_seconds) + " s for key '" + codec::printable(full_key) +
              "' is negative (0 means never expires)";
        return client_errc::invalid_argument;
    }
    if (timeout_seconds > max_expiration_seconds - now_seconds) {
        why = "timeout of " + std::to_string(timeout_seconds) + " s for key '" + codec::printable(full_key) +
              "' puts its expiration past 9999-12-31T23:59:59Z, the latest time cachelib can read (at most " +
              std::to_string(max_expiration_seconds - now_seconds) + " s from now)";
        return client_errc::invalid_argument;
    }
    out = timeout_seconds > 0 ? now_seconds + timeout_seconds : 0;
    return {};
}

std::optional<std::int64_t> parse_iso8601_seconds(std::string_view text) {
    auto digits = [&](std::size_t at, std::size_t n, int& value) {
        if (text.size() < at + n) return false;
        value = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (text[i] < '0' || text[i] > '9') return false;
            value = value * 10 + (text[i] - '0');
        }
        return true;
    };
    int year, month, day, hour, minute, second;
    if (!digits(0, 4, year) || text.size() < 19 || text[4] != '-' || !digits(5, 2, month) || text[7] != '-' ||
        !digits(8, 2, day) || (text[10] != 'T' && text[10] != ' ') || !digits(11, 2, hour) || text[13] != ':' ||
        !digits(14, 2, minute) || text[16] != ':' || !digits(17, 2, second))
        return std::nullopt;
    std::size_t at = 19;
    long micros = 0;
    if (at < text.size() && text[at] == '.') {
        std::size_t n = 0;
        for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, ++n)
            if (n < 6) micros = micros * 10 + (text[at] - '0');
        if (n == 0) return std::nullopt;
        for (; n < 6; ++n) micros *= 10;
    }
    int offset_minutes = 0;
    const std::string_view zone = text.substr(at);
    if (zone == "Z") {
    } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
        int h, m;
        if (!digits(at + 1, 2, h) || !digits(at + 4, 2, m) || h > 23 || m > 59) return std::nullopt;
        offset_minutes = (zone[0] == '-' ? -1 : 1) * (h * 60 + m);
    } else if (!zone.empty()) {
        return std::nullopt;
    }
    (void)micros; // seconds are what expiration_time holds
    const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                           std::chrono::day(static_cast<unsigned>(day))};
    if (year < 1 || !date.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
    // In seconds (not system_clock's nanoseconds, which end in 2262): any year Python writes fits.
    const std::int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
    return days * 86400 + std::int64_t{hour} * 3600 + std::int64_t{minute - offset_minutes} * 60 + second;
}

std::optional<std::int64_t> expiration_seconds(const cache_options& o, const item& it) {
    const attribute_value* expiration = it.find(o.expiration_time_field);
    const std::string* digits = expiration ? expiration->if_N() : nullptr;
    if (!digits) return std::nullopt;
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(digits->data(), digits->data() + digits->size(), value);
    if (ec != std::errc() || end != digits->data() + digits->size()) return std::nullopt;
    return value;
}

error_code build_item(const cache_options& o, const std::string& full_key, stored_value& value,
                      std::int64_t timeout_seconds, wall_clock::time_point now, item& out, std::string& why) {
    out = item{};
    std::int64_t expiration = 0;
    if (error_code ec = expiration_for(full_key, timeout_seconds, now, expiration, why)) return ec;
    out.set(o.key_field, attribute_value::S(full_key));
    out.set(created_at_field, attribute_value::S(iso8601(now)));
    if (expiration > 0) out.set(o.expiration_time_field, attribute_value::N(expiration));
    if (value.zstd) out.set(value_encoding_field, attribute_value::S("zstd"));
    const std::size_t size = item_size(out) + std::strlen(response_field) + value.bytes.size();
    if (size <= max_item_bytes) {
        out.set(response_field, attribute_value::B(std::move(value.bytes)));
        return {};
    }
    if (o.codec == value_codec::raw && o.max_value_size > single_item_value_bytes) {
        out.set(chunks_field, attribute_value::N(static_cast<std::int64_t>(chunks_for(value.bytes.size()))));
        out.set(stored_size_field, attribute_value::N(static_cast<std::int64_t>(value.bytes.size())));
        out.set(stored_crc32_field, attribute_value::N(dynamodb::crc32(value.bytes)));
        return {};
    }
    why = "the item for key '" + codec::printable(full_key) + "' would be " + std::to_string(size) + " bytes, " +
          std::to_string(size - max_item_bytes) + " over DynamoDB's limit of " + std::to_string(max_item_bytes) +
          larger_values_hint(o);
    return client_errc::item_too_large;
}

std::string larger_values_hint(const cache_options& o) {
    if (o.codec == value_codec::cachelib)
        return " (the cachelib codec keeps a value in one item, the only layout Python cachelib reads)";
    if (o.max_value_size <= single_item_value_bytes)
        return " (raise cache_options::max_value_size to store larger values across several items)";
    return "";
}

bool is_expired(const cache_options& o, const item& it, wall_clock::time_point now) {
    const attribute_value* expiration = it.find(o.expiration_time_field);
    if (!expiration || !expiration->if_N()) return false;
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
    const auto order = dynamodb::compare_number(*expiration->if_N(), micros, -6);
    return !order || std::is_lteq(*order);
}

} // namespace ddbcache::cache_layout
