// zstd compression of stored values (RFC 8878 frames, with their content checksum). The only
// file that includes zstd.h.
#pragma once

#include <ddbcache/error.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace ddbcache::value_compression_codec {

// The marker a compressed item carries in its value_encoding attribute.
inline constexpr std::string_view zstd_marker = "zstd";

// One zstd frame of `value` at `level` (clamped to zstd's range), or nullopt when it would not be
// smaller than `value`: such a value is stored as it is.
std::optional<std::string> compress_zstd(std::string_view value, int level);

// Decompresses one whole frame of at most `limit` bytes into `out`. A frame that is corrupt,
// truncated, followed by other bytes, fails its checksum, or declares or holds more than `limit`
// bytes fails with unsupported_value, `why` saying which.
error_code decompress_zstd(std::string_view frame, std::size_t limit, std::string& out, std::string& why);

} // namespace ddbcache::value_compression_codec
