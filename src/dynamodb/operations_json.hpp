// The JSON of the typed operations: request bodies (json_writer) and results (simdjson's DOM).
#pragma once

#include <ddbcache/error.hpp>
#include <ddbcache/operations.hpp>

#include <string>
#include <type_traits>

namespace ddbcache::dynamodb {

// Each writes the request body into `body`. On error (a table or key attribute name DynamoDB
// would refuse, invalid UTF-8), `why` names the value and the rule, or the attribute.
error_code write_json(const get_item_request&, std::string& body, std::string& why);
error_code write_json(const put_item_request&, std::string& body, std::string& why);
error_code write_json(const delete_item_request&, std::string& body, std::string& why);
error_code write_json(const update_item_request&, std::string& body, std::string& why);
error_code write_json(const batch_get_item_request&, std::string& body, std::string& why);
error_code write_json(const batch_write_item_request&, std::string& body, std::string& why);
error_code write_json(const scan_request&, std::string& body, std::string& why);
error_code write_json(const create_table_request&, std::string& body, std::string& why);
error_code write_json(const describe_table_request&, std::string& body, std::string& why);
error_code write_json(const update_time_to_live_request&, std::string& body, std::string& why);

// The requests DynamoDB accepts ReturnConsumedCapacity for (Query too, which has no typed request).
template <class Request>
inline constexpr bool accepts_return_consumed_capacity =
    std::is_same_v<Request, get_item_request> || std::is_same_v<Request, put_item_request> ||
    std::is_same_v<Request, delete_item_request> || std::is_same_v<Request, update_item_request> ||
    std::is_same_v<Request, batch_get_item_request> || std::is_same_v<Request, batch_write_item_request> ||
    std::is_same_v<Request, scan_request>;

// Adds "ReturnConsumedCapacity":"TOTAL" to a body write_json wrote (client_options::return_consumed_capacity).
void add_return_consumed_capacity(std::string& body);

// Each parses a response body (padded in place when its capacity allows). A body that is not the
// expected JSON gives client_errc::bad_response. write_item_result also reads the "Item" of a
// ConditionalCheckFailedException body. `consumed_capacity_units`, when given, receives the sum of
// the answer's ConsumedCapacity CapacityUnits (one object, or one per table for batches; 0 without).
error_code read_result(std::string& body, get_item_result&, double* consumed_capacity_units = nullptr);
error_code read_result(std::string& body, write_item_result&, double* consumed_capacity_units = nullptr);
error_code read_result(std::string& body, batch_get_item_result&, double* consumed_capacity_units = nullptr);
error_code read_result(std::string& body, batch_write_item_result&, double* consumed_capacity_units = nullptr);
error_code read_result(std::string& body, scan_result&, double* consumed_capacity_units = nullptr);
error_code read_result(std::string& body, table_description&, double* consumed_capacity_units = nullptr);
error_code read_result(std::string& body, time_to_live_result&, double* consumed_capacity_units = nullptr);

} // namespace ddbcache::dynamodb
