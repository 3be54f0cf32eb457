// The JSON of the typed operations: request bodies (json_writer) and results (simdjson on-demand).
#pragma once

#include <ddbcache/error.hpp>
#include <ddbcache/operations.hpp>

#include <string>

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

// Each parses a response body (padded in place when its capacity allows). A body that is not the
// expected JSON gives client_errc::bad_response. write_item_result also reads the "Item" of a
// ConditionalCheckFailedException body.
error_code read_result(std::string& body, get_item_result&);
error_code read_result(std::string& body, write_item_result&);
error_code read_result(std::string& body, batch_get_item_result&);
error_code read_result(std::string& body, batch_write_item_result&);
error_code read_result(std::string& body, scan_result&);
error_code read_result(std::string& body, table_description&);
error_code read_result(std::string& body, time_to_live_result&);

} // namespace ddbcache::dynamodb
