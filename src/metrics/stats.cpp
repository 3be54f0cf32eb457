// The names of stats.hpp's enumerations, as metrics labels use them.
#include <ddbcache/stats.hpp>

namespace ddbcache {

std::string_view to_string(dynamodb_operation op) noexcept {
    static constexpr std::string_view names[] = {
        "GetItem", "PutItem", "UpdateItem", "DeleteItem", "BatchGetItem", "BatchWriteItem", "Scan", "Query",
        "DescribeTable", "CreateTable", "UpdateTimeToLive", "other",
    };
    static_assert(std::size(names) == dynamodb_operation_count);
    const auto i = static_cast<std::size_t>(op);
    return i < dynamodb_operation_count ? names[i] : "other";
}

std::string_view to_string(cache_operation op) noexcept {
    static constexpr std::string_view names[] = {
        "get", "has", "set", "add", "erase", "inc", "dec", "get_many", "get_dict", "set_many", "erase_many", "clear",
        "touch", "get_or_set", "lock",
    };
    static_assert(std::size(names) == cache_operation_count);
    const auto i = static_cast<std::size_t>(op);
    return i < cache_operation_count ? names[i] : "unknown";
}

std::string_view to_string(operation_outcome o) noexcept {
    static constexpr std::string_view names[] = {
        "hit", "miss", "stored", "not_stored", "error_invalid_input", "error_throttled", "error_timeout",
        "error_unavailable", "error_service", "error_cancelled",
    };
    static_assert(std::size(names) == operation_outcome_count);
    const auto i = static_cast<std::size_t>(o);
    return i < operation_outcome_count ? names[i] : "unknown";
}

} // namespace ddbcache
