#include "command_line.hpp"

#include <boost/system/system_error.hpp>

#include <charconv>

namespace ddbcache::tools {

std::int64_t parse_integer(std::string_view text, std::string_view what) {
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end != text.data() + text.size())
        throw usage_error(std::string(what) + " must be an integer, not \"" + std::string(text) + "\"");
    return n;
}

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
