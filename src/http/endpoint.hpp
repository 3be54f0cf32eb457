// Where requests go: scheme, host, port and path prefix, parsed once from a URL.
#pragma once

#include <ddbcache/error.hpp>

#include <boost/url/url_view.hpp>

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

// An AWS region as it goes into host names (dynamodb.<region>.amazonaws.com): one DNS label of
// lowercase letters, digits and hyphens, 1 to 63 long, not starting or ending with a hyphen. Every
// partition's regions fit (us-east-1, cn-north-1, us-gov-west-1), and so do the custom names
// local servers take ("local", "eu-test-1").
bool is_valid_region(std::string_view region);

// Why `region` is refused, naming it (made printable); for errors raised before any request.
std::string region_refusal(std::string_view region);

// What Boost.URL 1.81 lets through and 1.82 refuses: a port over 65535 (it wraps: 83540 becomes
// 18004), and text glued to an IPv4 host ("http://127.0.0.1x:80" parses as host 127.0.0.1 and path
// "x:80"). True when the port, if any, is 1 to 65535 and the path is empty or starts with '/'.
bool has_sound_authority(const boost::urls::url_view& url);

// Parses "https://host[:port][/path]" or "http://...". Fails with client_errc::invalid_endpoint for
// anything else (other schemes, user info, a query or fragment, a missing host, a host that is
// neither an IP address nor a name of at most 253 letters, digits, '-', '.', '_' and '~' once
// percent-decoded: it goes into CONNECT lines and Host headers as it is; see has_sound_authority).
endpoint parse_endpoint(std::string_view url, error_code& ec);

// `url` fit for an error message: printable, and anything before its last '@' (user info, which
// may hold a password) masked as "****@".
std::string url_in_messages(std::string_view url);

} // namespace ddbcache::http
