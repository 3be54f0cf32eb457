// SHA-256 (OpenSSL's) and HMAC-SHA-256 (RFC 2104 over it), on the stack: the hot path neither
// fetches algorithms nor allocates.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sigv4::detail {

using digest = std::array<std::uint8_t, 32>;

digest sha256(std::string_view data);
digest hmac_sha256(std::span<const std::uint8_t> key, std::string_view data);

// Appends the lower-case hex form of `bytes` to `out`.
void append_hex(std::string& out, std::span<const std::uint8_t> bytes);

} // namespace sigv4::detail
