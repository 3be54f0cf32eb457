#include "command_line.hpp"

#include <ddbcache/version.hpp>

#include <boost/system/system_error.hpp>

#include <charconv>
#include <cmath>

namespace ddbcache::tools {

std::int64_t parse_integer(std::string_view text, std::string_view what) {
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end != text.data() + text.size())
        throw usage_error(std::string(what) + " must be an integer, not \"" + std::string(text) + "\"");
    return n;
}

std::chrono::milliseconds parse_seconds(std::string_view text, std::string_view what) {
    constexpr double year = 365.0 * 24 * 3600; // the longest lock ttl, and far from overflowing
    double seconds = -1;
    // fixed: no exponent or hex; "inf" and "nan" parse, and fail the range check
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds, std::chars_format::fixed);
    if (ec != std::errc{} || end != text.data() + text.size() || !(seconds >= 0 && seconds <= year))
        throw usage_error(std::string(what) + " must be seconds from 0 to 31536000 (such as 2 or 0.5), not \"" +
                          std::string(text) + "\"");
    return std::chrono::milliseconds(std::llround(seconds * 1000));
}

std::string version_line(std::string_view tool) { return std::string(tool) + " " + std::string(version) + "\n"; }

void throw_failure(std::string_view operation, const error_code& ec, const diagnostics& diag) {
    throw boost::system::system_error(ec, std::string(operation) + ": " +
                                              (diag.message.empty() ? ec.message() : diag.message));
}

std::string failure_line(const std::exception& e) {
    std::string line = e.what();
    if (const auto* system = dynamic_cast<const boost::system::system_error*>(&e)) {
        const std::string suffix = std::string(": ") + system->code().what();
        if (line.ends_with(suffix)) line.resize(line.size() - suffix.size());
    }
    for (char& c : line)
        if (c == '\n' || c == '\r') c = ' ';
    return line;
}

} // namespace ddbcache::tools
