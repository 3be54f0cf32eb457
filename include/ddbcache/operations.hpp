// Requests and results of the typed DynamoDB operations (client::async_execute). Field names follow
// the DynamoDB API reference; empty strings and empty optionals are left out of the request.
//
// Each request names its operation (`operation_name`, as in X-Amz-Target) and its result type
// (`result`), and is listed in operation_requests: that is the whole declaration of an operation on
// the public side. The library adds its JSON writer and result reader (src/dynamodb/operations_json.hpp).
#pragma once

#include <ddbcache/attribute_value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace ddbcache {

struct get_item_result;
struct write_item_result;
struct batch_get_item_result;
struct batch_write_item_result;
struct scan_result;
struct table_description;
struct time_to_live_result;

// ExpressionAttributeNames: "#placeholder" -> attribute name.
using expression_names = std::vector<std::pair<std::string, std::string>>;

// ReturnValues. PutItem and DeleteItem accept none and all_old only.
enum class return_values { none, all_old, updated_old, all_new, updated_new };

struct get_item_request {
    static constexpr std::string_view operation_name = "GetItem";
    using result = get_item_result;
    std::string table = {};
    item key = {};
    std::string projection = {};        // ProjectionExpression
    expression_names names = {};
    bool consistent_read = false;
};
struct get_item_result {
    std::optional<item> found = {};     // nullopt: no such item
};

// PutItem, DeleteItem and UpdateItem share their conditional-write parameters.
struct conditional_write {
    std::string condition = {};         // ConditionExpression
    expression_names names = {};
    item values = {};                   // ExpressionAttributeValues (":placeholder" -> value)
    return_values returned = return_values::none;
    // ReturnValuesOnConditionCheckFailure=ALL_OLD: a failed condition brings the existing item.
    bool return_item_on_condition_failure = false;
};

struct put_item_request {
    static constexpr std::string_view operation_name = "PutItem";
    using result = write_item_result;
    std::string table = {};
    item attributes = {};
    conditional_write write = {};
};
struct delete_item_request {
    static constexpr std::string_view operation_name = "DeleteItem";
    using result = write_item_result;
    std::string table = {};
    item key = {};
    conditional_write write = {};
};
struct update_item_request {
    static constexpr std::string_view operation_name = "UpdateItem";
    using result = write_item_result;
    std::string table = {};
    item key = {};
    std::string update = {};            // UpdateExpression
    conditional_write write = {};
};
// The result of PutItem, DeleteItem and UpdateItem. With error conditional_check_failed and
// return_item_on_condition_failure, `attributes` holds the item that failed the condition.
struct write_item_result {
    std::optional<item> attributes = {};
};

struct table_keys {
    std::string table = {};
    std::vector<item> keys = {};
    std::string projection = {};
    expression_names names = {};
    bool consistent_read = false;
};
struct batch_get_item_request {
    static constexpr std::string_view operation_name = "BatchGetItem";
    using result = batch_get_item_result;
    std::vector<table_keys> tables = {}; // at most 100 keys in all
};
struct table_items {
    std::string table = {};
    std::vector<item> items = {};
};
struct batch_get_item_result {
    std::vector<table_items> found = {};
    std::vector<table_keys> unprocessed = {}; // to send again (with backoff)
};

struct write_request {
    enum class kind { put, erase } action = kind::put;
    item attributes = {};               // the item to put, or the key to delete
};
struct table_writes {
    std::string table = {};
    std::vector<write_request> writes = {};
};
struct batch_write_item_request {
    static constexpr std::string_view operation_name = "BatchWriteItem";
    using result = batch_write_item_result;
    std::vector<table_writes> tables = {}; // at most 25 writes in all
};
struct batch_write_item_result {
    std::vector<table_writes> unprocessed = {};
};

struct scan_request {
    static constexpr std::string_view operation_name = "Scan";
    using result = scan_result;
    std::string table = {};
    std::string filter = {};            // FilterExpression
    std::string projection = {};
    expression_names names = {};
    item values = {};
    std::optional<unsigned> segment = {}, total_segments = {};
    std::optional<item> exclusive_start_key = {};
    std::optional<std::uint32_t> limit = {};
    bool consistent_read = false;
};
struct scan_result {
    std::vector<item> items = {};
    std::optional<item> last_evaluated_key = {}; // set while more pages remain
    std::uint64_t scanned_count = 0;
};

struct key_attribute {
    std::string name = {};
    char type = 'S';               // 'S', 'N' or 'B'
};
struct create_table_request {
    static constexpr std::string_view operation_name = "CreateTable";
    using result = table_description;
    std::string table = {};
    key_attribute hash_key = {};
    std::optional<key_attribute> range_key = {};
    // PAY_PER_REQUEST when unset; else PROVISIONED with these read and write capacity units.
    std::optional<std::pair<std::uint64_t, std::uint64_t>> provisioned_throughput;
};

struct describe_table_request {
    static constexpr std::string_view operation_name = "DescribeTable";
    using result = table_description;
    std::string table = {};
};
struct table_description {
    std::string name = {};
    std::string status = {};            // CREATING, ACTIVE, DELETING, UPDATING...
    std::string arn = {};
    std::string hash_key = {};
    std::string range_key = {};         // empty when the table has none
    std::uint64_t item_count = 0;
    std::uint64_t size_bytes = 0;
};

struct update_time_to_live_request {
    static constexpr std::string_view operation_name = "UpdateTimeToLive";
    using result = time_to_live_result;
    std::string table = {};
    std::string attribute = {};
    bool enabled = true;
};
struct time_to_live_result {
    std::string attribute = {};
    bool enabled = false;
};

// Every typed operation, in one list.
using operation_requests =
    std::tuple<get_item_request, put_item_request, delete_item_request, update_item_request, batch_get_item_request,
               batch_write_item_request, scan_request, create_table_request, describe_table_request,
               update_time_to_live_request>;

namespace detail {
template <class Request, class List>
struct is_listed;
template <class Request, class... Requests>
struct is_listed<Request, std::tuple<Requests...>> : std::bool_constant<(std::is_same_v<Request, Requests> || ...)> {};
} // namespace detail

template <class Request>
concept is_operation_request = detail::is_listed<std::decay_t<Request>, operation_requests>::value;

} // namespace ddbcache
