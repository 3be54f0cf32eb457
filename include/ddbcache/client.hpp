// A low-level asynchronous DynamoDB client: signed JSON API calls over pooled keep-alive
// connections, with retries, checksums, timeouts and per-operation cancellation. Knows nothing
// about caching.
//
// Thread safety: one client may be shared by any number of coroutines and caches, on an io_context
// run by several threads; every member function may be called from any thread. Its connections
// then serialize their work on strands. An io_context constructed with concurrency hint 1
// (asio::io_context io(1)) promises Asio that one thread runs it: the connections then skip their
// strands, which saves about half the allocations of a call. Keep that promise. Lifetime:
// operations in flight (and deferred operations not yet started) keep the client's internals
// alive, so the client object may be destroyed before they complete; destroying it closes the pool,
// and calls still waiting for a connection then fail with client_errc::client_closed.
// Completions run on the completion handler's associated executor (for a coroutine, its own), else
// on the client's executor; never inside the initiating call.
#pragma once

#include <ddbcache/credentials.hpp>
#include <ddbcache/error.hpp>
#include <ddbcache/logger.hpp>
#include <ddbcache/operations.hpp>
#include <ddbcache/stats.hpp>
#include <ddbcache/with_diagnostics.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

namespace ddbcache {

namespace detail {
struct client_access; // the library's own layers reach the client's internals through it
} // namespace detail

// The AWS SDKs' retry modes ("Retry behavior" in the AWS SDKs and Tools Reference Guide).
enum class retry_mode {
    standard, // retries with full-jitter backoff under the client-wide retry quota
    // Standard, plus the SDKs' client-side rate limiter: after a throttling answer, every attempt of
    // the client (first tries too) waits for a token of a bucket whose fill rate drops to 0.7 times
    // the measured send rate, at least 0.5 per second, and grows back along a CUBIC curve while
    // answers are not throttled. A call whose token would come after its call_timeout fails at
    // once with client_errc::timeout. For a client that alone uses its table's capacity.
    adaptive,
    legacy, // accepted, so that a configuration shared with other SDKs works; behaves as standard
};

struct retry_options {
    // Attempts of one call, the first included (at least 1). Unset: AWS_MAX_ATTEMPTS, then
    // `max_attempts` in the config file's profile, then default_max_attempts.
    std::optional<unsigned> max_attempts;
    std::chrono::milliseconds base_delay{25};             // full-jitter backoff: rand(0, base * 2^n)
    std::chrono::milliseconds max_delay{2000};            // cap of one backoff
    unsigned quota = 500;                                 // client-wide retry budget (tokens)
    // Unset: AWS_RETRY_MODE, then `retry_mode` in the config file's profile, then standard.
    std::optional<retry_mode> mode;

    static constexpr unsigned default_max_attempts = 4;
};

struct client_options {
    // "https://host[:port][/path]" or "http://..."; it always wins. Empty: unless
    // AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or `ignore_configured_endpoint_urls` in the config
    // file's profile) is true, AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, `endpoint_url` under
    // `dynamodb =` in the profile's [services NAME] section, the profile's `endpoint_url`; then
    // DynamoDB's endpoint rules for the region: https://dynamodb.<region>.<partition's DNS suffix>
    // (amazonaws.com, amazonaws.com.cn, c2s.ic.gov, ...), its FIPS or dual-stack host, or
    // http://localhost:8000 for the region "local" (signed for us-east-1).
    std::string endpoint;
    // Empty: AWS_REGION, then AWS_DEFAULT_REGION, then `region` in the config file's profile.
    std::string region;
    // FIPS and dual-stack endpoints, from DynamoDB's rule set. Unset: AWS_USE_FIPS_ENDPOINT /
    // AWS_USE_DUALSTACK_ENDPOINT, then `use_fips_endpoint` / `use_dualstack_endpoint` in the
    // config file's profile ("true" or "false"), then false. The constructor throws
    // (client_errc::invalid_configuration) where the rule set refuses: either one with a
    // configured endpoint or with the region "local", and either one in a partition without it.
    std::optional<bool> use_fips_endpoint;
    std::optional<bool> use_dualstack_endpoint;
    credentials_options credentials;

    std::size_t max_connections = 64;   // open connections to the endpoint at most (at least 1)
    std::size_t max_waiters = 4096;     // calls waiting for a connection at most; more fail at once
    std::chrono::milliseconds idle_timeout{30'000};    // idle connections are closed after this
    std::chrono::milliseconds connect_timeout{2'000};  // resolve + connect + TLS handshake
    std::chrono::milliseconds attempt_timeout{3'000};  // one exchange, once a connection is held
    std::chrono::milliseconds call_timeout{10'000};    // the whole call, retries and waits included
    retry_options retry;

    // Trust this PEM bundle, or this hashed directory, instead of the system store. Both empty:
    // AWS_CA_BUNDLE, then `ca_bundle` in the config file's profile, then the system store. Used for
    // DynamoDB and the credentials endpoints (STS, the container agent). A bundle that cannot be
    // loaded makes the constructor throw, naming the file and where it was set.
    std::string ca_file;
    std::string ca_dir;
    // The HTTP proxy for DynamoDB and STS: "http://[user:password@]host[:port]" (port 80 when not
    // given). Unset: by the endpoint's scheme, https_proxy then HTTPS_PROXY, or http_proxy then
    // HTTP_PROXY, unless no_proxy/NO_PROXY lists the host (see the README's Configuration table). An empty string: no proxy, whatever the environment says; a URL set
    // here serves every host. HTTPS goes through one CONNECT tunnel per pooled connection, reused
    // with it; plain HTTP sends absolute-form requests. User and password are percent-decoded and
    // sent as Proxy-Authorization (Basic); they never appear in logs, errors or configuration().
    // IMDS and the container agent are always reached directly. A URL that cannot be used (not
    // http://, a path, no host) makes the constructor throw client_errc::invalid_configuration; a
    // proxy refusing a tunnel fails the attempt with client_errc::proxy_failure, its status in
    // diagnostics::http_status (a 5xx is retried).
    std::optional<std::string> proxy;
    // Plain http:// is accepted for loopback hosts only, unless this is set.
    bool allow_plain_http_to_remote_hosts = false;

    // Ask DynamoDB what each typed request (async_execute, and the cache's requests) consumed:
    // GetItem, PutItem, UpdateItem, DeleteItem, BatchGetItem, BatchWriteItem and Scan then send
    // "ReturnConsumedCapacity":"TOTAL", and the CapacityUnits of the answers add up in
    // stats()[op].consumed_capacity_units: what a cache on DynamoDB costs. DynamoDB charges nothing
    // for it; answers grow by about 50 bytes and the table name. Not counted: writes refused by their condition
    // (DynamoDB charges them, but its error answer reports no capacity), and raw async_call
    // calls (their bodies are sent as given, their answers not read). Off by default.
    bool return_consumed_capacity = false;

    // The application ID sent in every request's User-Agent ("ddbcache/0.1.0 app/ID"), which AWS
    // shows the account's owner. Empty: AWS_SDK_UA_APP_ID, then `sdk_ua_app_id` in the config
    // file's profile, then none. At most 50 bytes (the constructor throws otherwise); bytes other
    // than letters, digits and !#$%&'*+-.^_`|~ are sent as '-', as the AWS SDKs do.
    std::string app_id;

    // Where the client and the caches built on it log (retries, clock skew, table bootstrap).
    // Nothing by default.
    logger log;

    // DynamoDB's time, for programs and tests that decide time instead of sleeping: when set, the
    // client signs by it, the cache dates entries and checks their expiry by it, credentials
    // expire by it, and no clock skew is learned. It is called from any thread running the
    // io_context. Empty: this host's system_clock, corrected by the skew learned from DynamoDB's
    // answers (see client::now()).
    std::function<std::chrono::system_clock::time_point()> clock;
};

// What a client resolved from its options, the environment and the shared files, in the orders
// client_options documents: what `ddbcache config` prints. Holds no secret.
struct client_configuration {
    std::string endpoint, endpoint_source; // the URL, and the option, variable, profile key or rule set it came from
    std::string region, region_source; // the option ("client_options::region"), the variable, or "region in profile 'dev' of PATH"
    std::string credentials_source; // "environment variables", "profile 'dev' in /home/u/.aws/credentials", ...; never a key
    retry_mode mode = retry_mode::standard;
    std::string retry_mode_source; // as region_source, or "default"
    unsigned max_attempts = 0;
    std::string max_attempts_source; // as region_source, or "default"
    std::string ca_bundle, ca_bundle_source; // both empty: the system store
    std::string proxy;        // the URL with its user info masked ("http://****@host:port"); empty: direct
    std::string proxy_source; // where it was set, or why the endpoint bypasses it (NO_PROXY); empty: none configured
    std::string user_agent;
};

// Options of one call. `diag`, when set, receives the AWS error type and message, the HTTP status
// and the attempts of the call's last failure (it is cleared on success); it must stay alive until
// the call completes. Without it, the default token still puts them in its exception.
struct call_options {
    diagnostics* diag = nullptr;
};

namespace detail {
// A completion token, not an options struct: without it, a non-const options variable would bind
// to the token-only overload's forwarding reference.
template <class Token, class Options>
concept token_other_than = !std::is_same_v<std::remove_cvref_t<Token>, Options>;
} // namespace detail

// A successful call's answer.
struct response {
    // The JSON body. Its capacity leaves simdjson's padding after the end, so it can be parsed in
    // place: simdjson::padded_string_view(body.data(), body.size(), body.capacity()).
    std::string body;
    unsigned attempts = 0;
};

class client {
public:
    // Resolves endpoint, region, retry settings and credentials. No I/O but reading the
    // environment and the shared AWS files (README "Configuration"). Throws
    // std::invalid_argument naming the field when an option is out of range (a zero
    // max_connections, a zero timeout, a malformed endpoint URL, an app_id over 50 bytes), and
    // boost::system::system_error when the environment lacks what is needed or sets it wrong
    // (no_region, no_credentials, invalid_credentials_file, plain_http_not_allowed,
    // invalid_argument for an application ID over 50 bytes; a CA bundle that does not load, with
    // the file, where it was set and why; invalid_configuration for an endpoint, FIPS, dual-stack
    // or retry setting that cannot be used, and for a profile named by credentials.profile or
    // AWS_PROFILE that neither shared file has, as botocore's ProfileNotFound); the message names
    // the cause, never a secret.
    client(boost::asio::any_io_executor executor, client_options options = {});
    ~client();
    client(client&&) noexcept;
    client& operator=(client&&) noexcept;

    // One DynamoDB operation ("GetItem", ...) with its JSON request body. Completes with the JSON
    // answer, or with an error: a service_errc for DynamoDB's error types (the response then holds
    // the error body), a client_errc for the library's own failures (timeout, pool_exhausted,
    // pool_wait_timeout, checksum_mismatch, bad_response, credentials_unavailable, client_closed,
    // invalid_header_value for an operation name that is not letters and digits), Asio's codes
    // for transport failures after retries, operation_aborted when cancelled.
    // Cancellation: any type; an attempt under way is abandoned (its connection closed), and the
    // request may or may not have reached DynamoDB.
    template <detail::token_other_than<call_options> CompletionToken = default_token>
    auto async_call(std::string operation, std::string body, CompletionToken&& token = {}) {
        return async_call(std::move(operation), std::move(body), call_options{}, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_call(std::string operation, std::string body, const call_options& options, CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken, void(error_code, response)>(
            [self = impl_](auto handler, diagnostics* d, std::string op, std::string b) {
                call_erased(self, std::move(op), std::move(b), d, std::move(handler));
            },
            token, options.diag, std::move(operation), std::move(body));
    }

    // A typed operation: `request` is one of operations.hpp's requests (get_item_request,
    // put_item_request, ..., update_time_to_live_request), which names the operation and its
    // result type (Request::result). Writes the request's JSON, refusing before sending anything a
    // table name that is not 3 to 255 of [A-Za-z0-9_.-] or a key or TTL attribute name that is not 1
    // to 255 bytes (client_errc::invalid_name), and invalid UTF-8 (client_errc::invalid_utf8);
    // the diagnostics message names the value and the rule. Then calls as async_call does, and
    // parses the answer (client_errc::bad_response, nesting_too_deep when it is not DynamoDB's).
    // The result is default-constructed on error, except write_item_result (see operations.hpp).
    // Cancellation: as async_call; a cancelled write may have been applied.
    template <class Request, detail::token_other_than<call_options> CompletionToken = default_token>
        requires is_operation_request<Request>
    auto async_execute(Request request, CompletionToken&& token = {}) {
        return async_execute(std::move(request), call_options{}, std::forward<CompletionToken>(token));
    }
    template <class Request, class CompletionToken = default_token>
        requires is_operation_request<Request>
    auto async_execute(Request request, const call_options& options, CompletionToken&& token = {}) {
        using result = typename Request::result;
        return boost::asio::async_initiate<CompletionToken, void(error_code, result)>(
            [self = impl_](auto handler, diagnostics* d, Request r) {
                execute_erased<Request>(self, std::move(r), d, handler_for<result>(std::move(handler)));
            },
            token, options.diag, std::move(request));
    }

    boost::asio::any_io_executor get_executor() const noexcept;
    const std::string& region() const noexcept;
    // The URL calls go to, as resolved when the client was made.
    const std::string& endpoint() const noexcept;
    // The options as resolved: retry.max_attempts and retry.mode are always set.
    const client_options& options() const noexcept;
    // Where calls go, how they are signed, retried, trusted and proxied, and where each setting
    // came from; resolved when the client was made, no I/O. Thread safety: any thread.
    client_configuration configuration() const;

    // What the client did since it was created: its connections, and per DynamoDB operation the
    // calls, failures, attempts, throttled attempts, consumed capacity (with
    // client_options::return_consumed_capacity) and call latency (retries and waits included, in
    // nanoseconds within 12.5 %). A call is counted when it completes, refused inputs included;
    // async_call's operation names other than stats.hpp's count as dynamodb_operation::other.
    // Thread safety: any thread, while calls run (see stats.hpp). Cost: a copy of some 30 KB.
    client_stats stats() const;

    // DynamoDB's time: options().clock when set, else this host's system_clock plus clock_skew().
    // Requests are signed with it,
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

    // Defined in the library for every request of operations.hpp's operation_requests.
    template <class Request>
    static void execute_erased(std::shared_ptr<impl> self, Request request, diagnostics* diag,
                               handler_for<typename Request::result> handler);
    static void call_erased(std::shared_ptr<impl> self, std::string operation, std::string body, diagnostics* diag,
                            handler_for<response> handler);

    std::shared_ptr<impl> impl_;
};

} // namespace ddbcache
