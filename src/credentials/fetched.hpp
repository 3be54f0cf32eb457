// What a credentials source gives back: the credentials and when they expire, or why it failed.
#pragma once

#include "../http/message.hpp"

#include <ddbcache/credentials.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace ddbcache::credentials_sources {

using wall_clock = std::chrono::system_clock;

struct fetched {
    error_code ec;       // credentials_unavailable (or operation_aborted) when the source failed
    std::string message; // names the source and the cause; never a secret
    credentials value;
    std::optional<wall_clock::time_point> expiration; // none: valid until the process ends
};

inline fetched fetch_failure(const std::string& source, const std::string& cause) {
    return {client_errc::credentials_unavailable, source + ": " + cause, {}, std::nullopt};
}

// The field that could not go into a header as it is (it holds a control character), or null. The
// access key goes into Authorization and the session token into X-Amz-Security-Token.
inline const char* unsafe_credentials_field(const credentials& c) {
    if (!http::fits_header_value(c.access_key_id)) return "AccessKeyId";
    if (!http::fits_header_value(c.session_token)) return "SessionToken";
    return nullptr;
}

// Asks the source once. Called again for every refresh.
using fetcher = std::function<boost::asio::awaitable<fetched>()>;

} // namespace ddbcache::credentials_sources
