#pragma once

#include <ddbcache/error.hpp>

#include <string>
#include <string_view>

namespace ddbcache::dynamodb {

// The error a non-2xx answer carries: DynamoDB's {"__type": "...#Name", "message": "..."} (some
// servers spell it "Message"), or, when the body is not that, the bare HTTP status.
struct service_error {
    error_code code;
    std::string aws_type; // without the "com.amazonaws...#" prefix
    std::string message;
};

service_error parse_error_response(unsigned http_status, std::string_view body);

} // namespace ddbcache::dynamodb
