// A low-level asynchronous DynamoDB client: signed JSON API calls over pooled keep-alive
// connections, with retries, checksums, timeouts and per-operation cancellation. Knows nothing
// about caching.
//
// Thread safety: one client may be shared by any number of coroutines, on an io_context run by
// several threads. Lifetime: operations in flight keep the client's internals alive, so the
// client object may be destroyed while they run (they then fail with client_errc::client_closed
// if they still need a connection).
#pragma once

#include <ddbcache/credentials.hpp>
#include <ddbcache/error.hpp>
#include <ddbcache/operations.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace ddbcache {

namespace detail {
struct client_access; // the library's own layers reach the client's internals through it
} // namespace detail

struct retry_options {
    unsigned max_attempts = 4;                            // first try included
    std::chrono::milliseconds base_delay{25};             // full-jitter backoff: rand(0, base * 2^n)
    std::chrono::milliseconds max_delay{2000};            // cap of one backoff
    unsigned quota = 500;                                 // client-wide retry budget (tokens)
};

struct client_options {
    // "https://host[:port][/path]" or "http://..."; empty: AWS_ENDPOINT_URL_DYNAMODB, then
    // AWS_ENDPOINT_URL, then https://dynamodb.<region>.amazonaws.com.
    std::string endpoint;
    // Empty: AWS_REGION, then AWS_DEFAULT_REGION, then `region` in the config file's profile.
    std::string region;
    credentials_options credentials;

    std::size_t max_connections = 64;   // open connections to the endpoint at most
    std::size_t max_waiters = 4096;     // calls waiting for a connection at most; more fail at once
    std::chrono::milliseconds idle_timeout{30'000};    // idle connections are closed after this
    std::chrono::milliseconds connect_timeout{2'000};  // resolve + connect + TLS handshake
    std::chrono::milliseconds attempt_timeout{3'000};  // one exchange, once a connection is held
    std::chrono::milliseconds call_timeout{10'000};    // the whole call, retries and waits included
    retry_options retry;

    std::string ca_file; // trust this PEM bundle instead of the system store
    std::string ca_dir;  // trust this hashed directory instead of the system store
    // Plain http:// is accepted for loopback hosts only, unless this is set.
    bool allow_plain_http_to_remote_hosts = false;
};

// A snapshot of the connection pool, for monitoring.
struct connection_stats {
    std::size_t open = 0;         // connections open or opening
    std::size_t idle = 0;         // of which idle
    std::size_t waiting = 0;      // calls waiting for a connection
    std::size_t opened_total = 0; // connections opened since the client was created
    std::size_t tls_resumed_total = 0; // of which resumed an earlier TLS session (no full handshake)
};

// A successful call's answer.
struct response {
    // The JSON body. Its capacity leaves simdjson's padding after the end, so it can be parsed in
    // place: simdjson::padded_string_view(body.data(), body.size(), body.capacity()).
    std::string body;
    unsigned attempts = 0;
};

class client {
public:
    // Resolves endpoint, region and credentials. Throws boost::system::system_error when one is
    // missing or invalid; the exception's message names the cause (never a secret).
    client(boost::asio::any_io_executor executor, client_options options = {});
    ~client();
    client(client&&) noexcept;
    client& operator=(client&&) noexcept;

    // One DynamoDB operation ("GetItem", ...) with its JSON request body. Completes with the JSON
    // answer, or with an error: a service_errc for DynamoDB's error types (the response then holds
    // the error body), a client_errc for the library's own failures. `diag`, when given, receives
    // the AWS type and message and the number of attempts; it must stay alive until completion.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_call(std::string operation, std::string body, diagnostics* diag = nullptr,
                    CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken, void(error_code, response)>(
            [this](auto handler, std::string op, std::string b, diagnostics* d) {
                call_erased(std::move(op), std::move(b), d, std::move(handler));
            },
            token, std::move(operation), std::move(body), diag);
    }


    // Typed operations. Each writes its request (refusing, before sending anything, a table name
    // that is not 3 to 255 of [A-Za-z0-9_.-] or a key or TTL attribute name that is not 1 to 255
    // bytes with client_errc::invalid_name, and invalid UTF-8 with client_errc::invalid_utf8; the
    // diagnostics message names the value and the rule), calls as async_call does, and parses the
    // answer. Results are default-constructed on error, except write_item_result (see operations.hpp).
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_get_item(get_item_request r, diagnostics* diag = nullptr, CompletionToken&& token = {}) {
        return initiate<get_item_result>(std::move(r), diag, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_put_item(put_item_request r, diagnostics* diag = nullptr, CompletionToken&& token = {}) {
        return initiate<write_item_result>(std::move(r), diag, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_delete_item(delete_item_request r, diagnostics* diag = nullptr, CompletionToken&& token = {}) {
        return initiate<write_item_result>(std::move(r), diag, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_update_item(update_item_request r, diagnostics* diag = nullptr, CompletionToken&& token = {}) {
        return initiate<write_item_result>(std::move(r), diag, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_batch_get_item(batch_get_item_request r, diagnostics* diag = nullptr, CompletionToken&& token = {}) {
        return initiate<batch_get_item_result>(std::move(r), diag, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_batch_write_item(batch_write_item_request r, diagnostics* diag = nullptr,
                                CompletionToken&& token = {}) {
        return initiate<batch_write_item_result>(std::move(r), diag, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_scan(scan_request r, diagnostics* diag = nullptr, CompletionToken&& token = {}) {
        return initiate<scan_result>(std::move(r), diag, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_create_table(create_table_request r, diagnostics* diag = nullptr, CompletionToken&& token = {}) {
        return initiate<table_description>(std::move(r), diag, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_describe_table(describe_table_request r, diagnostics* diag = nullptr, CompletionToken&& token = {}) {
        return initiate<table_description>(std::move(r), diag, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_update_time_to_live(update_time_to_live_request r, diagnostics* diag = nullptr,
                                   CompletionToken&& token = {}) {
        return initiate<time_to_live_result>(std::move(r), diag, std::forward<CompletionToken>(token));
    }

    boost::asio::any_io_executor get_executor() const noexcept;
    const std::string& region() const noexcept;
    const std::string& endpoint() const noexcept;

    connection_stats stats() const;

    // DynamoDB's time: this host's system_clock plus clock_skew(). Requests are signed with it,
    // and the cache dates its entries and checks their expiry with it, so that a host whose clock
    // is wrong neither fails its calls nor shortens or lengthens cache lifetimes.
    std::chrono::system_clock::time_point now() const noexcept;
    // DynamoDB's clock minus this host's, learned from the Date header of its answers: zero until
    // one is more than a second off (beyond what its travel time explains). When an attempt fails with a clock-skew error
    // (InvalidSignatureException "Signature expired: ...", RequestTimeTooSkewed, ...) and its Date
    // moves the skew, the call is re-signed and sent again at once (one more attempt, no backoff).
    // Kept for later calls. Thread safety: read and written atomically; any thread may call it.
    std::chrono::milliseconds clock_skew() const noexcept;

    // Closes idle connections; calls waiting for a connection fail with client_errc::client_closed.
    void close();

    struct impl;

private:
    friend struct detail::client_access;

    template <class Result>
    using handler_for = boost::asio::any_completion_handler<void(error_code, Result)>;

    template <class Result, class Request, class CompletionToken>
    auto initiate(Request request, diagnostics* diag, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, void(error_code, Result)>(
            [this](auto handler, Request r, diagnostics* d) {
                execute_erased(std::move(r), d, handler_for<Result>(std::move(handler)));
            },
            token, std::move(request), diag);
    }

    void execute_erased(get_item_request, diagnostics*, handler_for<get_item_result>);
    void execute_erased(put_item_request, diagnostics*, handler_for<write_item_result>);
    void execute_erased(delete_item_request, diagnostics*, handler_for<write_item_result>);
    void execute_erased(update_item_request, diagnostics*, handler_for<write_item_result>);
    void execute_erased(batch_get_item_request, diagnostics*, handler_for<batch_get_item_result>);
    void execute_erased(batch_write_item_request, diagnostics*, handler_for<batch_write_item_result>);
    void execute_erased(scan_request, diagnostics*, handler_for<scan_result>);
    void execute_erased(create_table_request, diagnostics*, handler_for<table_description>);
    void execute_erased(describe_table_request, diagnostics*, handler_for<table_description>);
    void execute_erased(update_time_to_live_request, diagnostics*, handler_for<time_to_live_result>);

    void call_erased(std::string operation, std::string body, diagnostics* diag,
                     boost::asio::any_completion_handler<void(error_code, response)> handler);
    std::shared_ptr<impl> impl_;
};

} // namespace ddbcache
