#pragma once

#include <cstdint>
#include <string_view>

namespace ddbcache::dynamodb {

// CRC-32 (IEEE, as zlib computes it): the checksum DynamoDB sends in x-amz-crc32.
std::uint32_t crc32(std::string_view data) noexcept;

// True when `header` (decimal digits) is the CRC-32 of `body`. An absent header passes.
bool crc32_matches(std::string_view header, std::string_view body) noexcept;

} // namespace ddbcache::dynamodb
