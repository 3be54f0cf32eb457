// HTTP proxies, as curl and botocore configure them: a proxy URL, and the NO_PROXY list of hosts
// reached directly. Knows nothing of DynamoDB or of the environment: the client resolves
// the settings and hands the pool the route for its endpoint.
#pragma once

#include "endpoint.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace ddbcache::http {

// A proxy to send requests through. HTTPS endpoints are reached through a CONNECT tunnel, opened
// once per pooled connection; plain-HTTP endpoints get requests in absolute form
// ("POST http://host:port/ HTTP/1.1"), as RFC 9112 section 3.2.2 asks of a client talking to a proxy.
struct proxy {
    endpoint via;               // the proxy itself: http://host:port (port 80 when not given)
    std::string authorization;  // the Proxy-Authorization value ("Basic ..."), empty without user info. Secret.
    std::string display;        // the URL with its user info masked ("http://****@host:port"), for messages and `ddbcache config`
    std::string source;         // where it was configured (HTTPS_PROXY, client_options::proxy, ...)
};

// Parses a proxy URL: "http://[user[:password]@]host[:port][/]", or "host[:port]" (taken as
// http://, as curl does). User and password are percent-decoded and sent as Basic credentials
// (RFC 7617). Fails with client_errc::invalid_configuration for other schemes (a proxy reached
// over TLS, https://, is not supported), a path, query or fragment, or no host; `why` then names
// `source` and the URL with its user info masked.
std::optional<proxy> parse_proxy_url(std::string_view url, std::string source, error_code& ec, std::string& why);

// The proxies a process is configured with, one per endpoint scheme, and the hosts that bypass them.
struct proxy_settings {
    std::optional<proxy> for_https, for_http;
    std::string no_proxy;        // NO_PROXY's list (see no_proxy_matches)
    std::string no_proxy_source; // the variable it came from

    // The proxy for `target`, or nullopt to connect directly.
    std::optional<proxy> route(const endpoint& target) const;
};

// Why a proxy refused a CONNECT tunnel, or a plain-HTTP request with 407, by its status: static
// text for exchange_result::detail.
const char* proxy_refusal(unsigned status);

// Whether NO_PROXY's list sends `host` around the proxy, as curl reads it: entries separated by
// commas (and spaces); "*" matches every host; a name matches itself and its subdomains (a
// leading dot is ignored, and case does not matter); an IP address matches itself; an
// address/prefix (CIDR) matches the addresses in it. `host` is an endpoint's, without brackets.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host);

} // namespace ddbcache::http
