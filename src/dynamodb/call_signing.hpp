// How a DynamoDB call is signed: the one recipe for the headers of a JSON-protocol POST, used by
// the client for every attempt and by the load tool for its pre-signed --replay request.
#pragma once

#include "../http/endpoint.hpp"
#include "../http/message.hpp"

#include <ddbcache/credentials.hpp>

#include <sigv4/sigv4.hpp>

#include <array>
#include <chrono>
#include <span>
#include <string_view>

namespace ddbcache::dynamodb {

// The headers to send with one signed call. Not copyable: the fields point into `auth`'s strings.
struct signed_call {
    sigv4::signed_headers auth;
    std::array<http::header_field, 6> fields;
    std::size_t count = 0;

    signed_call() = default;
    signed_call(const signed_call&) = delete;
    signed_call& operator=(const signed_call&) = delete;

    // Content-Type, X-Amz-Target, X-Amz-Date, Authorization, User-Agent and, with temporary
    // credentials, X-Amz-Security-Token.
    std::span<const http::header_field> headers() const { return {fields.data(), count}; }
};

// Signs a POST of `body` to the endpoint's path with X-Amz-Target `target` (such as
// "DynamoDB_20120810.GetItem"), dated `time`, into `out`. `user_agent` (resolve_user_agent's) is
// sent unsigned, as the AWS SDKs send it. `target` and `user_agent` must outlive `out`'s headers.
void sign_call(sigv4::signer& signer, const http::endpoint& ep, std::string_view region, std::string_view target,
               std::string_view body, const credentials& creds, std::chrono::system_clock::time_point time,
               std::string_view user_agent, signed_call& out);

} // namespace ddbcache::dynamodb
