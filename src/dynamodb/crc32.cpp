#include "crc32.hpp"

#include <zlib.h>

#include <charconv>

namespace ddbcache::dynamodb {

std::uint32_t crc32(std::string_view data) noexcept {
    uLong crc = ::crc32(0L, Z_NULL, 0);
    // zlib takes at most uInt bytes per call.
    while (!data.empty()) {
        const auto chunk = static_cast<uInt>(std::min<std::size_t>(data.size(), 1u << 30));
        crc = ::crc32(crc, reinterpret_cast<const Bytef*>(data.data()), chunk);
        data.remove_prefix(chunk);
    }
    return static_cast<std::uint32_t>(crc);
}

bool crc32_matches(std::string_view header, std::string_view body) noexcept {
    if (header.empty()) return true;
    std::uint32_t expected = 0;
    const auto [end, err] = std::from_chars(header.data(), header.data() + header.size(), expected);
    if (err != std::errc{} || end != header.data() + header.size()) return false;
    return expected == crc32(body);
}

} // namespace ddbcache::dynamodb
