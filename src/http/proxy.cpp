#include "proxy.hpp"

#include "message.hpp"

#include "../codec/base64.hpp"
#include "../codec/printable.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace ddbcache::http {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

// Whether `address` is the IP address `entry`, or within the network "address/prefix" `entry`.
bool address_matches(std::string_view entry, const boost::asio::ip::address& address) {
    boost::system::error_code ec;
    const std::size_t slash = entry.find('/');
    const auto network = boost::asio::ip::make_address(entry.substr(0, slash), ec);
    if (ec || network.is_v4() != address.is_v4()) return false;
    if (slash == std::string_view::npos) return network == address;
    unsigned prefix = 0;
    const std::string_view bits = entry.substr(slash + 1);
    const auto [end, error] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    const unsigned max_prefix = address.is_v4() ? 32 : 128;
    if (error != std::errc{} || end != bits.data() + bits.size() || prefix > max_prefix) return false;
    const auto bytes_of = [](const boost::asio::ip::address& a) {
        std::array<unsigned char, 16> b{};
        if (a.is_v4()) {
            const auto v4 = a.to_v4().to_bytes();
            std::copy(v4.begin(), v4.end(), b.begin());
        } else {
            b = a.to_v6().to_bytes();
        }
        return b;
    };
    const auto a = bytes_of(address), n = bytes_of(network);
    for (unsigned i = 0; i < prefix; ++i) {
        const unsigned mask = 0x80u >> (i % 8);
        if ((a[i / 8] & mask) != (n[i / 8] & mask)) return false;
    }
    return true;
}

} // namespace

std::optional<proxy> parse_proxy_url(std::string_view url, std::string source, error_code& ec, std::string& why) {
    ec = {};
    const auto refuse = [&](const std::string& reason) {
        ec = client_errc::invalid_configuration;
        why = "the proxy '" + url_in_messages(url) + "' from " + source + " cannot be used: " + reason;
        return std::nullopt;
    };
    const std::string text = url.find("://") == std::string_view::npos ? "http://" + std::string(url) : std::string(url);
    const auto parsed = boost::urls::parse_absolute_uri(text);
    if (!parsed || parsed->encoded_host().empty()) return refuse("it is not a URL like http://[user:password@]host[:port]");
    if (parsed->scheme_id() != boost::urls::scheme::http)
        return refuse("only http:// proxies are supported (HTTPS endpoints are still reached over TLS, through a CONNECT tunnel)");
    if (!has_sound_authority(*parsed))
        return refuse("its port is not 1 to 65535, or something follows its host (a '/' or '@' in a password must be written %2F or %40)");
    if ((!parsed->encoded_path().empty() && parsed->encoded_path() != "/") || parsed->has_query() || parsed->has_fragment())
        return refuse("a proxy URL has no path, query or fragment");

    proxy p;
    error_code parse_ec;
    p.via = parse_endpoint("http://" + std::string(parsed->encoded_host_and_port()), parse_ec);
    if (parse_ec) return refuse("its host and port do not parse");
    p.display = "http://";
    if (parsed->has_userinfo()) {
        p.display += "****@"; // a user name can be a token too
        const std::string credentials = parsed->user() + ":" + parsed->password();
        if (!fits_header_value(credentials)) return refuse("its user or password holds a control character");
        p.authorization = "Basic ";
        codec::append_base64(credentials, p.authorization);
    }
    p.display += parsed->encoded_host_and_port();
    p.source = std::move(source);
    return p;
}

const char* proxy_refusal(unsigned status) {
    switch (status) {
    case 401: // what tinyproxy answers to wrong credentials
    case 407: return "the proxy refused its credentials or asks for some: give or check user:password@ in the proxy URL";
    case 403: return "the proxy forbids a tunnel to this host and port";
    case 502:
    case 503:
    case 504: return "the proxy could not reach the endpoint";
    default: return "the proxy refused the request";
    }
}

std::optional<proxy> proxy_settings::route(const endpoint& target) const {
    const std::optional<proxy>& configured = target.tls ? for_https : for_http;
    if (!configured || no_proxy_matches(no_proxy, target.host)) return std::nullopt;
    return configured;
}

bool no_proxy_matches(std::string_view no_proxy, std::string_view host) {
    boost::system::error_code not_an_address;
    const auto address = boost::asio::ip::make_address(host, not_an_address);
    const bool host_is_address = !not_an_address;
    while (!no_proxy.empty()) {
        const std::size_t end = no_proxy.find_first_of(", ");
        std::string_view entry = no_proxy.substr(0, end);
        no_proxy.remove_prefix(end == std::string_view::npos ? no_proxy.size() : end + 1);
        if (entry.empty()) continue;
        if (entry == "*") return true;
        if (const std::size_t close = entry.find(']'); entry.front() == '[' && close != std::string_view::npos) {
            // "[::1]" or "[fd00::]/8": an IPv6 address as URLs write it.
            const std::string unbracketed = std::string(entry.substr(1, close - 1)) + std::string(entry.substr(close + 1));
            if (host_is_address && address_matches(unbracketed, address)) return true;
            continue;
        }
        // An address matches itself or its networks only, never a name's suffix.
        if (host_is_address) {
            if (address_matches(entry, address)) return true;
            continue;
        }
        if (entry.front() == '.') entry.remove_prefix(1);
        if (entry.empty()) continue;
        if (iequals(host, entry)) return true;
        if (host.size() > entry.size() && host[host.size() - entry.size() - 1] == '.' &&
            iequals(host.substr(host.size() - entry.size()), entry))
            return true;
    }
    return false;
}

} // namespace ddbcache::http
