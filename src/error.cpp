#include <ddbcache/error.hpp>

#include <array>
#include <utility>

namespace ddbcache {
namespace {

class client_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "ddbcache.client"; }
    std::string message(int ev) const override {
        switch (static_cast<client_errc>(ev)) {
        case client_errc::bad_response: return "the server's answer is not a valid DynamoDB response";
        case client_errc::checksum_mismatch: return "the response body does not match its x-amz-crc32 checksum";
        case client_errc::timeout: return "the operation timed out";
        case client_errc::pool_exhausted: return "all connections are busy and the wait queue is full";
        case client_errc::pool_wait_timeout: return "no connection became free before the deadline";
        case client_errc::tls_failure: return "TLS handshake or certificate verification failed";
        case client_errc::invalid_endpoint: return "the endpoint URL is not a valid http(s) URL";
        case client_errc::plain_http_not_allowed:
            return "plain http:// is only allowed to loopback hosts unless explicitly enabled";
        case client_errc::no_region: return "no AWS region configured";
        case client_errc::no_credentials: return "no AWS credentials found";
        case client_errc::credentials_unavailable: return "the credentials source failed and no valid credentials are left";
        case client_errc::invalid_credentials_file: return "an AWS credentials or config file cannot be parsed";
        case client_errc::invalid_utf8: return "a string is not valid UTF-8";
        case client_errc::invalid_key: return "the key is empty or too long";
        case client_errc::item_too_large: return "the item exceeds DynamoDB's 400 KB limit";
        case client_errc::unsupported_value: return "the stored value has a type the codec does not support";
        case client_errc::client_closed: return "the client was closed";
        case client_errc::invalid_argument: return "an argument is outside its allowed range";
        case client_errc::outcome_unknown: return "the write's answer was lost; whether it landed is unknown";
        case client_errc::nesting_too_deep: return "the answer nests attribute values deeper than 32 levels";
        case client_errc::invalid_name: return "a table or key attribute name breaks DynamoDB's naming rules";
        case client_errc::invalid_region: return "the AWS region is not a valid region name";
        case client_errc::invalid_header_value:
            return "a request line or header would hold a control character (CR, LF or another)";
        case client_errc::lock_not_acquired: return "the lock was held by another owner for all of the wait";
        case client_errc::compute_failed: return "the value's computation failed";
        case client_errc::invalid_configuration: return "an AWS configuration setting cannot be used";
        case client_errc::proxy_failure: return "the HTTP proxy refused or broke the CONNECT tunnel";
        }
        return "unknown ddbcache client error";
    }
};

constexpr std::array<std::pair<std::string_view, service_errc>, 21> service_types{{
    {"ConditionalCheckFailedException", service_errc::conditional_check_failed},
    {"ValidationException", service_errc::validation},
    {"ResourceNotFoundException", service_errc::resource_not_found},
    {"ResourceInUseException", service_errc::resource_in_use},
    {"ProvisionedThroughputExceededException", service_errc::provisioned_throughput_exceeded},
    {"ThrottlingException", service_errc::throttling},
    {"RequestLimitExceeded", service_errc::request_limit_exceeded},
    {"TransactionInProgressException", service_errc::transaction_in_progress},
    {"TransactionCanceledException", service_errc::transaction_canceled},
    {"TransactionConflictException", service_errc::transaction_conflict},
    {"ItemCollectionSizeLimitExceededException", service_errc::item_collection_size_limit_exceeded},
    {"LimitExceededException", service_errc::limit_exceeded},
    {"InternalServerError", service_errc::internal_server_error},
    {"ServiceUnavailable", service_errc::service_unavailable},
    {"AccessDeniedException", service_errc::access_denied},
    {"UnrecognizedClientException", service_errc::unrecognized_client},
    {"InvalidSignatureException", service_errc::invalid_signature},
    {"IncompleteSignatureException", service_errc::incomplete_signature},
    {"MissingAuthenticationTokenException", service_errc::missing_authentication_token},
    {"ExpiredTokenException", service_errc::expired_token},
    {"SerializationException", service_errc::serialization},
}};

class service_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "ddbcache.dynamodb"; }
    std::string message(int ev) const override {
        const auto code = static_cast<service_errc>(ev);
        if (code == service_errc::unknown) return "DynamoDB error of an unknown type";
        if (code == service_errc::http_status) return "HTTP error status without a DynamoDB error type";
        for (const auto& [name, value] : service_types)
            if (value == code) return std::string(name);
        return "unknown DynamoDB error";
    }
};

} // namespace

const boost::system::error_category& client_category() noexcept {
    static const client_category_impl instance;
    return instance;
}

const boost::system::error_category& service_category() noexcept {
    static const service_category_impl instance;
    return instance;
}

service_errc service_errc_from_type(std::string_view aws_type) noexcept {
    if (const auto hash = aws_type.rfind('#'); hash != std::string_view::npos)
        aws_type.remove_prefix(hash + 1);
    for (const auto& [name, value] : service_types)
        if (name == aws_type) return value;
    return service_errc::unknown;
}

} // namespace ddbcache
