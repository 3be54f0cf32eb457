#include "printable.hpp"

namespace ddbcache::codec {

std::string printable(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : text.substr(0, 100)) {
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out.push_back(static_cast<char>(c));
        } else {
            out += "\\x";
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xf]);
        }
    }
    if (text.size() > 100) out += "...";
    return out;
}

void redact(std::string& text, std::string_view secret) {
    if (secret.empty()) return;
    constexpr std::string_view mark = "[redacted]";
    for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + mark.size()))
        text.replace(at, secret.size(), mark);
}

} // namespace ddbcache::codec
