#include "endpoint.hpp"

#include "../codec/printable.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <charconv>

namespace ddbcache::http {

bool endpoint::is_loopback() const {
    if (host == "localhost") return true;
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(host, ec);
    return !ec && address.is_loopback();
}

bool is_valid_region(std::string_view region) {
    if (region.empty() || region.size() > 63 || region.front() == '-' || region.back() == '-') return false;
    for (char c : region)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    return true;
}

std::string region_refusal(std::string_view region) {
    return "invalid AWS region '" + codec::printable(region) +
           "': a region is lowercase letters, digits and hyphens (like us-east-1), at most 63 of them";
}

std::string url_in_messages(std::string_view url) {
    const std::size_t at = url.rfind('@');
    if (at == std::string_view::npos) return codec::printable(url);
    const std::size_t scheme_end = url.find("://");
    const std::size_t keep = scheme_end == std::string_view::npos || scheme_end > at ? 0 : scheme_end + 3;
    return codec::printable(url.substr(0, keep)) + "****@" + codec::printable(url.substr(at + 1));
}

namespace {

// A registered name's characters (RFC 3986 unreserved), or an IP literal's.
bool is_plain_host(const boost::urls::url_view& url, const std::string& host) {
    if (url.host_type() == boost::urls::host_type::ipv4 || url.host_type() == boost::urls::host_type::ipv6) return true;
    constexpr std::size_t max_dns_name = 253; // RFC 1035's limit, written without the final dot
    return !host.empty() && host.size() <= max_dns_name && std::all_of(host.begin(), host.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
               c == '_' || c == '~';
    });
}

} // namespace

bool has_sound_authority(const boost::urls::url_view& url) {
    const std::string_view path = url.encoded_path();
    if (!path.empty() && path.front() != '/') return false;
    if (!url.has_port()) return true;
    const std::string_view digits = url.port();
    unsigned port = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    return error == std::errc{} && end == digits.data() + digits.size() && port >= 1 && port <= 65535;
}

endpoint parse_endpoint(std::string_view url, error_code& ec) {
    ec = {};
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed || parsed->has_userinfo() || parsed->has_query() || parsed->has_fragment() ||
        parsed->encoded_host().empty() || !has_sound_authority(*parsed)) {
        ec = client_errc::invalid_endpoint;
        return {};
    }
    endpoint ep;
    const std::string scheme = parsed->scheme();
    if (scheme == "https") ep.tls = true;
    else if (scheme == "http") ep.tls = false;
    else {
        ec = client_errc::invalid_endpoint;
        return {};
    }
    ep.host = parsed->host_address();
    if (!is_plain_host(*parsed, ep.host)) {
        ec = client_errc::invalid_endpoint;
        return {};
    }
    const std::uint16_t default_port = ep.tls ? 443 : 80;
    ep.port = parsed->has_port() ? parsed->port_number() : default_port; // 1 to 65535: has_sound_authority
    ep.host_header = parsed->encoded_host();
    if (ep.port != default_port) ep.host_header += ":" + std::to_string(ep.port);
    ep.target = parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
    return ep;
}

} // namespace ddbcache::http
