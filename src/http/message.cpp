#include "message.hpp"

#include <array>

namespace ddbcache::http {
namespace {

constexpr std::array<std::string_view, 7> day_names{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> month_names{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// The position of `name` in `names`, or -1.
template <std::size_t N>
int index_of(const std::array<std::string_view, N>& names, std::string_view name) {
    for (std::size_t i = 0; i < N; ++i)
        if (names[i] == name) return static_cast<int>(i);
    return -1;
}

// The decimal number written with exactly `text.size()` digits, or -1.
int fixed_digits(std::string_view text) {
    int n = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return -1;
        n = n * 10 + (c - '0');
    }
    return n;
}

} // namespace

bool fits_header_value(std::string_view text) noexcept {
    for (unsigned char c : text)
        if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
    return true;
}

std::string_view response::header(std::string_view name) const {
    std::string_view rest = header_block;
    while (!rest.empty()) {
        const std::size_t eol = rest.find('\n');
        const std::string_view line = rest.substr(0, eol);
        if (line.size() > name.size() && line[name.size()] == ':' && line.starts_with(name))
            return line.substr(name.size() + 1);
        if (eol == std::string_view::npos) break;
        rest.remove_prefix(eol + 1);
    }
    return {};
}


std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view t) {
    using namespace std::chrono;
    // Every field at a fixed place: "Sun, 06 Nov 1994 08:49:37 GMT".
    if (t.size() != 29 || t.substr(3, 2) != ", " || t[7] != ' ' || t[11] != ' ' || t[16] != ' ' || t[19] != ':' ||
        t[22] != ':' || t.substr(25) != " GMT")
        return std::nullopt;
    const int weekday = index_of(day_names, t.substr(0, 3)), month = index_of(month_names, t.substr(8, 3));
    const int day = fixed_digits(t.substr(5, 2)), year = fixed_digits(t.substr(12, 4));
    const int hour = fixed_digits(t.substr(17, 2)), minute = fixed_digits(t.substr(20, 2));
    const int second = fixed_digits(t.substr(23, 2));
    // Years outside 1970-2200 are refused: the conversion below would overflow past 2262.
    if (weekday < 0 || month < 0 || day < 0 || year < 1970 || year > 2200 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
        second < 0 || second > 60) // 60: a leap second
        return std::nullopt;
    const year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month + 1)},
                              std::chrono::day{static_cast<unsigned>(day)}};
    if (!date.ok()) return std::nullopt;
    const sys_days days{date};
    if (std::chrono::weekday{days}.c_encoding() != static_cast<unsigned>(weekday)) return std::nullopt;
    return time_point_cast<system_clock::duration>(days + hours{hour} + minutes{minute} + seconds{second});
}

} // namespace ddbcache::http
