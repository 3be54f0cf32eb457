#include "http_session.hpp"

namespace ddbcache::credentials_sources {
namespace {

http::pool_options one_connection(const http::tls_options& tls, std::optional<http::proxy> via) {
    http::pool_options o;
    o.max_connections = 1;
    o.max_response_body = std::size_t{1} << 20; // credentials answers are a few KB
    o.tls = tls;
    o.via = std::move(via);
    return o;
}

} // namespace

http_session::http_session(boost::asio::any_io_executor executor, http::endpoint ep, const http::tls_options& tls,
                           std::optional<http::proxy> via)
    : pool_(std::move(executor), std::move(ep), one_connection(tls, std::move(via))) {}

boost::asio::awaitable<detail::outcome<http_answer>> http_session::send(std::string_view method, std::string_view target,
                                                                        std::span<const http::header_field> headers,
                                                                        std::string_view body,
                                                                        http::clock::duration timeout, std::string& why) {
    http::response res;
    const http::request req{method, headers, body, target};
    const http::exchange_result r = co_await pool_.exchange(req, res, http::clock::now() + timeout, timeout);
    if (r.ec) {
        why = r.ec.message() + (r.detail ? std::string(": ") + r.detail : "");
        if (r.proxy_status) why += " (HTTP " + std::to_string(r.proxy_status) + " from the proxy)";
        co_return detail::outcome<http_answer>{r.ec, {}};
    }
    co_return detail::outcome<http_answer>{{}, {res.status, std::move(res.body)}};
}

} // namespace ddbcache::credentials_sources
