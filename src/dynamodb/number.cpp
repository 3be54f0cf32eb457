#include "number.hpp"

#include <algorithm>
#include <string>

namespace ddbcache::dynamodb {
namespace {

// A decimal as sign × 0.digits × 10^point: digits without leading or trailing zeros (empty for
// zero), so that two decimals compare by sign, then point, then digits.
struct decimal {
    bool negative = false;
    std::string digits;
    long long point = 0;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::optional<decimal> parse(std::string_view s) {
    decimal d;
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) d.negative = s[i++] == '-';
    std::string all; // integer and fraction digits, in order
    std::size_t integer_digits = 0, fraction_digits = 0;
    while (i < s.size() && is_digit(s[i])) all.push_back(s[i++]), ++integer_digits;
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && is_digit(s[i])) all.push_back(s[i++]), ++fraction_digits;
    }
    if (integer_digits + fraction_digits == 0) return std::nullopt;
    long long exponent = 0;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        bool negative_exponent = false;
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) negative_exponent = s[i++] == '-';
        const std::size_t first = i;
        while (i < s.size() && s[i] == '0') ++i; // leading zeros say nothing of the size
        // Only the exponent's value matters; past 9 digits it is far outside any usable number.
        for (int digits = 0; i < s.size() && is_digit(s[i]); ++i, ++digits)
            exponent = digits < 9 ? exponent * 10 + (s[i] - '0') : 1'000'000'000;
        if (i == first) return std::nullopt;
        if (negative_exponent) exponent = -exponent;
    }
    if (i != s.size()) return std::nullopt;
    const std::size_t lead = std::min(all.find_first_not_of('0'), all.size());
    d.point = static_cast<long long>(integer_digits) - static_cast<long long>(lead) + exponent;
    d.digits = all.substr(lead);
    d.digits.erase(d.digits.find_last_not_of('0') + 1);
    if (d.digits.empty()) d.negative = false; // -0 is 0
    return d;
}

decimal from_integer(std::int64_t mantissa, int exponent10) {
    decimal d;
    d.negative = mantissa < 0;
    // The magnitude as unsigned, so that INT64_MIN has one.
    std::uint64_t magnitude = d.negative ? 0 - static_cast<std::uint64_t>(mantissa) : static_cast<std::uint64_t>(mantissa);
    d.digits = std::to_string(magnitude);
    if (magnitude == 0) return decimal{};
    d.point = static_cast<long long>(d.digits.size()) + exponent10;
    d.digits.erase(d.digits.find_last_not_of('0') + 1);
    return d;
}

std::strong_ordering compare_magnitude(const decimal& a, const decimal& b) {
    if (a.digits.empty() || b.digits.empty()) return !a.digits.empty() <=> !b.digits.empty();
    if (a.point != b.point) return a.point <=> b.point;
    const int c = a.digits.compare(b.digits); // no trailing zeros: a longer equal prefix is larger
    return c < 0 ? std::strong_ordering::less : c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal;
}

// The common case (an expiration time in whole seconds against a time in microseconds) without
// building decimals: up to 12 digits, scaled by at most 10^6, fits in 64 bits exactly.
std::optional<std::strong_ordering> compare_whole_number(std::string_view text, std::int64_t mantissa, int exponent10) {
    if (text.empty() || text.size() > 12 || exponent10 > 0 || exponent10 < -6 ||
        !std::all_of(text.begin(), text.end(), is_digit))
        return std::nullopt;
    std::int64_t whole = 0;
    for (const char c : text) whole = whole * 10 + (c - '0');
    for (int i = 0; i < -exponent10; ++i) whole *= 10;
    return whole <=> mantissa;
}

} // namespace

std::optional<std::strong_ordering> compare_number(std::string_view text, std::int64_t mantissa, int exponent10) {
    if (const auto fast = compare_whole_number(text, mantissa, exponent10)) return fast;
    const std::optional<decimal> a = parse(text);
    if (!a) return std::nullopt;
    const decimal b = from_integer(mantissa, exponent10);
    const int sign_a = a->digits.empty() ? 0 : a->negative ? -1 : 1;
    const int sign_b = b.digits.empty() ? 0 : b.negative ? -1 : 1;
    if (sign_a != sign_b) return sign_a <=> sign_b;
    const std::strong_ordering m = compare_magnitude(*a, b);
    if (sign_a >= 0) return m;
    return std::is_lt(m) ? std::strong_ordering::greater : std::is_gt(m) ? std::strong_ordering::less : m;
}

} // namespace ddbcache::dynamodb
