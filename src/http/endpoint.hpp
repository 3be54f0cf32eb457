// Where requests go: scheme, host, port and path prefix, parsed once from a URL.
#pragma once

#include <ddbcache/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace ddbcache::http {

struct endpoint {
    bool tls = true;
    std::string host;        // without brackets for IPv6
    std::uint16_t port = 443;
    std::string host_header; // Host as sent and signed: host, plus ":port" when not the default
    std::string target = "/"; // the request target (path) requests are sent to

    bool is_loopback() const;
};

// Parses "https://host[:port][/path]" or "http://...". Fails with client_errc::invalid_endpoint for
// anything else (other schemes, user info, a query or fragment, a missing host).
endpoint parse_endpoint(std::string_view url, error_code& ec);

} // namespace ddbcache::http
