#include "base64.hpp"

#include <openssl/evp.h>

#include <limits>

namespace ddbcache::codec {

void append_base64(std::string_view bytes, std::string& out) {
    if (bytes.empty()) return;
    const std::size_t start = out.size();
    const std::size_t encoded = 4 * ((bytes.size() + 2) / 3);
    out.resize(start + encoded + 1); // EVP_EncodeBlock writes a terminating NUL
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + start),
                    reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(start + encoded);
}

bool decode_base64(std::string_view text, std::string& out) {
    out.clear();
    if (text.empty()) return true;
    // EVP_DecodeBlock tolerates surrounding whitespace and needs whole quanta; be strict instead.
    if (text.size() % 4 != 0 || text.size() > std::numeric_limits<int>::max()) return false;
    const std::size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
    out.resize(text.size() / 4 * 3);
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    // Trimmed whitespace shows up as a shorter result.
    if (n < 0 || static_cast<std::size_t>(n) != out.size()) {
        out.clear();
        return false;
    }
    out.resize(out.size() - padding);
    return true;
}

} // namespace ddbcache::codec
