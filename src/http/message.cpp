#include "message.hpp"

namespace ddbcache::http {

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

} // namespace ddbcache::http
