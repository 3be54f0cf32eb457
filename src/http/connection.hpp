// One keep-alive HTTP/1.1 connection, plain or TLS. Internal to the pool: Beast and OpenSSL stay
// out of every other header.
#pragma once

#include "endpoint.hpp"
#include "message.hpp"
#include "deadline_watchdog.hpp"
#include "proxy.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>

namespace ddbcache::http {

using clock = std::chrono::steady_clock;

class tls_context;

struct exchange_result {
    error_code ec;
    failure_stage stage = failure_stage::none;
    const char* detail = nullptr; // static text that explains ec further (a certificate problem)
    // Times the request was sent: 2 when a reused connection failed and a fresh one was tried.
    // The server may have acted on the first, so callers count both as attempts.
    unsigned sends = 0;
    unsigned proxy_status = 0; // the status of a proxy that refused a CONNECT tunnel (client_errc::proxy_failure)
};

class connection {
public:
    // `tls` is null for plain HTTP. It must outlive the connection.
    connection(boost::asio::any_io_executor executor, tls_context* tls);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    // Resolves, connects and (for TLS) handshakes with SNI and host-name verification. Through
    // `via` (may be null) it connects to the proxy instead, and for TLS first opens a CONNECT
    // tunnel to `ep` (a proxy's refusal is client_errc::proxy_failure, its status in proxy_status).
    // Its failures have stage connect.
    boost::asio::awaitable<exchange_result> open(const endpoint& ep, const proxy* via, clock::time_point deadline);

    // Writes `head` then `body`, reads one response into `out` (body at most `body_limit` bytes).
    // `watchdog` keeps `deadline` (within one of its ticks): past it, the exchange is cut and
    // fails with beast::error::timeout.
    boost::asio::awaitable<exchange_result> exchange(std::string_view head, std::string_view body,
                                                     std::size_t body_limit, response& out,
                                                     clock::time_point deadline, deadline_watchdog& watchdog);

    // Where the pool writes each request's head: reused, so that its capacity stays from one
    // exchange to the next.
    std::string& head_buffer() noexcept { return head_; }

    // True when the TLS handshake resumed an earlier session (false for plain HTTP).
    bool resumed_tls_session() const noexcept;

    // True once an exchange completed cleanly and the server did not ask to close.
    bool reusable() const noexcept { return reusable_; }
    clock::time_point idle_since() const noexcept { return idle_since_; }
    void mark_idle() noexcept { idle_since_ = clock::now(); }

private:
    struct streams;
    std::shared_ptr<streams> streams_; // shared with the watchdog's cuts, which may outlive an exchange
    bool reusable_ = false;
    clock::time_point idle_since_{};
    std::string head_;
};

} // namespace ddbcache::http
