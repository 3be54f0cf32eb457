// A bounded pool of keep-alive connections to one endpoint. Knows nothing of DynamoDB.
//
// Connections are reused most-recently-used first, opened on demand up to max_connections, and
// closed when idle too long, when the server asks, and whenever an exchange did not complete
// cleanly (a cancelled or timed-out request never leaves its answer for another caller). One
// timer keeps the deadlines of every exchange (deadline_watchdog.hpp), not one per read and write. When all
// are busy, callers wait in FIFO order, up to max_waiters. Safe to share between coroutines on
// an io_context run by several threads: the pool's state is behind a mutex, held only briefly.
#pragma once

#include "connection.hpp"
#include "tls_context.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace ddbcache::http {

struct pool_options {
    std::size_t max_connections = 64;
    std::size_t max_waiters = 4096;
    clock::duration idle_timeout = std::chrono::seconds(30);
    clock::duration connect_timeout = std::chrono::seconds(5);
    std::size_t max_response_body = std::size_t{32} << 20; // 32 MiB
    // How often the deadline watchdog looks at exchanges under way: deadlines are kept within this.
    clock::duration deadline_tick = std::chrono::milliseconds(10);
    tls_options tls;
    std::optional<proxy> via; // the proxy to the endpoint, when not direct (see proxy.hpp)
};

struct pool_stats {
    std::size_t open = 0;    // connections open or opening
    std::size_t idle = 0;    // of which idle
    std::size_t waiting = 0; // callers waiting for a connection
    std::size_t opened_total = 0;
    std::size_t tls_resumed_total = 0; // of which resumed an earlier TLS session
    std::size_t requests_total = 0;    // requests sent, each resend counted
};

class connection_pool {
public:
    // Fails with client_errc::tls_failure when the CA files cannot be loaded.
    connection_pool(boost::asio::any_io_executor executor, endpoint ep, pool_options options);
    ~connection_pool(); // closes idle connections and fails the waiters

    connection_pool(const connection_pool&) = delete;
    connection_pool& operator=(const connection_pool&) = delete;

    // One request/response exchange on a pooled connection. Waiting for a connection ends at
    // `give_up_at`; once one is held, connecting and exchanging get `exchange_timeout` more (never
    // past `give_up_at`), so that a wait in the queue is not counted against the server. A reused
    // connection that turns out to have been closed by the server is replaced once, transparently.
    // `stage` tells how far a failed exchange got.
    boost::asio::awaitable<exchange_result> exchange(const request& req, response& out, clock::time_point give_up_at,
                                                     clock::duration exchange_timeout);

    // Closes idle connections and fails current and future waiters with client_errc::client_closed.
    void close();

    pool_stats stats() const;
    const endpoint& target() const noexcept;
    const pool_options& options() const noexcept;

    struct state; // defined in the .cpp; public only so that its helpers there can name it

private:
    std::shared_ptr<state> state_;
};

} // namespace ddbcache::http
