// Splits a fuzzer's bytes into the pieces a target needs, without ever reading past the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ddbcache::fuzz {

class input {
public:
    input(const std::uint8_t* data, std::size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}

    // One byte (0 when none are left).
    std::uint8_t byte() {
        if (rest_.empty()) return 0;
        const auto b = static_cast<std::uint8_t>(rest_.front());
        rest_.remove_prefix(1);
        return b;
    }
    // The text up to the next `separator` (consumed), or everything left.
    std::string_view until(char separator) {
        const auto at = rest_.find(separator);
        const std::string_view piece = rest_.substr(0, at);
        rest_.remove_prefix(at == std::string_view::npos ? rest_.size() : at + 1);
        return piece;
    }
    std::string_view rest() const { return rest_; }

private:
    std::string_view rest_;
};

} // namespace ddbcache::fuzz
