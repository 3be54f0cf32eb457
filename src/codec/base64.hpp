// Standard base64 (RFC 4648, with padding) through OpenSSL's EVP block coder.
#pragma once

#include <string>
#include <string_view>

namespace ddbcache::codec {

// Appends the encoding of `bytes` to `out`.
void append_base64(std::string_view bytes, std::string& out);

// Decodes `text` into `out` (replacing it). False when `text` is not canonical padded base64.
bool decode_base64(std::string_view text, std::string& out);

} // namespace ddbcache::codec
