// DynamoDB's limits that callers plan around (the API reference of each operation).
#pragma once

#include <cstddef>

namespace ddbcache::dynamodb::limits {

inline constexpr std::size_t batch_get_item_keys = 100;       // BatchGetItem: keys per request
inline constexpr std::size_t batch_write_item_requests = 25;  // BatchWriteItem: puts and deletes per request
inline constexpr unsigned scan_total_segments = 1'000'000;    // Scan: TotalSegments at most

} // namespace ddbcache::dynamodb::limits
