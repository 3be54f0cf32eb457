// Error codes: the library's own failures (client_errc) and the error types DynamoDB answers with
// (service_errc), each in its own category, plus a diagnostics object for the server's message.
#pragma once

#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>
#include <type_traits>

namespace ddbcache {

using boost::system::error_code;

enum class client_errc {
    bad_response = 1,      // an HTTP or JSON answer that does not parse as DynamoDB's
    checksum_mismatch,     // the body does not match its x-amz-crc32 header
    timeout,               // an attempt or the whole call ran out of time
    pool_exhausted,        // every connection busy and the wait queue full
    pool_wait_timeout,     // no connection became free before the call's deadline
    connection_failed,     // resolve, connect or I/O failed (after retries)
    tls_failure,           // handshake or certificate verification failed
    invalid_endpoint,      // the endpoint URL cannot be used
    plain_http_not_allowed,// http:// to a host that is not loopback, without opting in
    no_region,             // no region in the options, environment or config files
    no_credentials,        // no source gave credentials
    credentials_unavailable, // the chosen source (STS, container, IMDS, process) failed, nothing valid left
    invalid_credentials_file, // a shared credentials or config file that cannot be parsed
    invalid_utf8,          // a string attribute that is not valid UTF-8
    invalid_key,           // an empty key, or one longer than DynamoDB allows
    item_too_large,        // an item over DynamoDB's 400 KB limit
    unsupported_value,     // a stored value the codec cannot represent
    retry_quota_exceeded,  // retries refused because the client-wide retry budget is spent
    client_closed,         // the client was closed while the call was under way
    invalid_argument,      // an argument outside its documented range (a negative or too long timeout, a delta)
    outcome_unknown,       // a write was retried after its answer was lost, and what the table holds now cannot tell whether it landed
    nesting_too_deep,      // an answer nests attribute values deeper than DynamoDB's 32 levels
    invalid_name,          // a table or key attribute name DynamoDB would refuse
    invalid_region,        // a region that is not one DNS label (lowercase letters, digits, hyphens)
    invalid_header_value,  // text bound for a request line or header holds a control character
};

// The DynamoDB error types (`__type` after '#'), and HTTP statuses that come without one.
enum class service_errc {
    unknown = 1,
    conditional_check_failed,
    validation,
    resource_not_found,
    resource_in_use,
    provisioned_throughput_exceeded,
    throttling,
    request_limit_exceeded,
    transaction_in_progress,
    transaction_canceled,
    transaction_conflict,
    item_collection_size_limit_exceeded,
    limit_exceeded,
    internal_server_error,
    service_unavailable,
    access_denied,
    unrecognized_client,
    invalid_signature,
    incomplete_signature,
    missing_authentication_token,
    expired_token,
    serialization,
    http_status, // an error status with no recognisable __type
};

const boost::system::error_category& client_category() noexcept;
const boost::system::error_category& service_category() noexcept;

inline error_code make_error_code(client_errc e) noexcept {
    return {static_cast<int>(e), client_category()};
}
inline error_code make_error_code(service_errc e) noexcept {
    return {static_cast<int>(e), service_category()};
}

// Maps a DynamoDB `__type` ("com.amazonaws.dynamodb.v20120810#ValidationException" or the bare
// name) to its code; unknown names give service_errc::unknown.
service_errc service_errc_from_type(std::string_view aws_type) noexcept;

// What the server (or the library) said about the last failure of an operation.
struct diagnostics {
    std::string aws_type;     // e.g. "ValidationException"; empty for client-side failures
    std::string message;      // the server's message, or the library's explanation
    unsigned http_status = 0; // 0 when no response was received
    unsigned attempts = 0;    // times the request was sent, retries included (a transparent resend on a fresh connection counts)

    void clear() { *this = diagnostics{}; }
};

} // namespace ddbcache

template <>
struct boost::system::is_error_code_enum<ddbcache::client_errc> : std::true_type {};
template <>
struct boost::system::is_error_code_enum<ddbcache::service_errc> : std::true_type {};
