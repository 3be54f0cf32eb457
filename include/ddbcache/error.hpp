// Error codes: the library's own failures (client_errc) and the error types DynamoDB answers with
// (service_errc), each in its own category, plus a diagnostics object for the server's message.
#pragma once

#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>
#include <type_traits>

namespace ddbcache {

using boost::system::error_code;

// Values are fixed: they may be logged or stored. Gaps are codes that were never produced.
enum class client_errc {
    bad_response = 1,          // an HTTP or JSON answer that does not parse as DynamoDB's
    checksum_mismatch = 2,     // the body does not match its x-amz-crc32 header
    timeout = 3,               // an attempt or the whole call ran out of time
    pool_exhausted = 4,        // every connection busy and the wait queue full
    pool_wait_timeout = 5,     // no connection became free before the call's deadline
    // 6 was connection_failed: transport failures arrive as Asio's own codes
    // (boost::asio::error::connection_refused, host_not_found...), which is_retryable() knows.
    tls_failure = 7,           // handshake or certificate verification failed
    invalid_endpoint = 8,      // an endpoint URL (a credentials source's) cannot be used
    plain_http_not_allowed = 9,// http:// to a host that is not loopback, without opting in
    no_region = 10,            // no region in the options, environment or config files
    no_credentials = 11,       // no source gave credentials
    credentials_unavailable = 12, // the chosen source (STS, container, IMDS, process) failed, nothing valid left
    invalid_credentials_file = 13, // a shared credentials or config file that cannot be parsed
    invalid_utf8 = 14,         // a string attribute that is not valid UTF-8
    invalid_key = 15,          // an empty key, or one longer than DynamoDB allows
    item_too_large = 16,       // an item over DynamoDB's 400 KB limit
    unsupported_value = 17,    // a stored value the codec cannot represent
    // 18 was retry_quota_exceeded: a call refused a retry by the spent quota fails with the last
    // attempt's own error, its diagnostics message saying "(retry quota exhausted)", as the SDKs do.
    client_closed = 19,        // the client was closed while the call was under way
    invalid_argument = 20,     // an argument outside its documented range (a negative or too long timeout, a delta)
    outcome_unknown = 21,      // a write was retried after its answer was lost, and what the table holds now cannot tell whether it landed
    nesting_too_deep = 22,     // an answer nests attribute values deeper than DynamoDB's 32 levels
    invalid_name = 23,         // a table or key attribute name DynamoDB would refuse
    invalid_region = 24,       // a region that is not one DNS label (lowercase letters, digits, hyphens)
    invalid_header_value = 25, // text bound for a request line or header holds a control character
    lock_not_acquired = 26,    // another owner held the lock for all of the wait
    compute_failed = 27,       // get_or_set's compute threw an exception that is not a system_error
    invalid_configuration = 28, // an AWS setting (variable or profile key) with a value that cannot be used, or refused by DynamoDB's endpoint rules
    proxy_failure = 29,        // the HTTP proxy refused the CONNECT tunnel (its status in diagnostics::http_status; 5xx is retried) or broke its protocol
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

// Whether a failed call is worth trying again later, for callers' own retry policies: throttling
// (ProvisionedThroughputExceeded, Throttling, RequestLimitExceeded, TransactionInProgress), a
// server-side failure (InternalServerError, ServiceUnavailable, an HTTP 5xx status), a timeout
// (client_errc::timeout, pool_wait_timeout, pool_exhausted), a proxy that could not reach
// DynamoDB (proxy_failure with a 5xx http_status), a damaged answer (bad_response,
// checksum_mismatch) or a transport failure (Asio's connection_refused, connection_reset,
// connection_aborted, eof, broken_pipe, timed_out, network_unreachable, network_down, network_reset,
// host_unreachable, host_not_found_try_again, try_again; a cut HTTP answer). False for everything
// else: a refused request, bad input, missing credentials, TLS failures, host_not_found, a
// cancelled call (operation_aborted), client_closed, outcome_unknown. The client has already retried the first
// kinds as client_options::retry allows; this says whether a later attempt may succeed.
// `http_status` (diagnostics::http_status) decides service_errc::http_status and unknown: 5xx is
// worth retrying, 4xx is not.
bool is_retryable(error_code ec, unsigned http_status = 0) noexcept;

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
