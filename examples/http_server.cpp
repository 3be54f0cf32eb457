// An asynchronous HTTP server (Boost.Beast) that caches an expensive computation in DynamoDB with
// ddbcache, the cache-aside way (async_get_or_set): GET /primes/N answers how many primes are
// below N. The first request for an N computes it (on a separate thread pool, so the I/O threads
// stay free); later ones, from this process or any other sharing the table, are served from the
// cache. Concurrent requests for one N share one computation, and across processes a lease lets
// one compute while the others wait for its value. The X-Cache header says which ("hit" or "miss").
// GET and PUT /values/KEY are the cache itself over HTTP (async_get, async_set). GET /metrics
// answers the cache's metrics in Prometheus's text format (built with the optional
// ddbcache::prometheus target; else 404).
//
//   ddbcache-http-server [--near-cache] [PORT [ENDPOINT]]   (--help says more)
//
// co_await throughout, many connections in flight, an io_context run by several threads.
#include <ddbcache/cache.hpp>
#ifdef DDBCACHE_EXAMPLE_PROMETHEUS
#include <ddbcache/prometheus.hpp>
#endif

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <charconv>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto as_result = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t largest_n = 100'000'000; // bounds the sieve's memory (100 MB)

constexpr std::string_view usage =
    "usage: ddbcache-http-server [--near-cache] [PORT [ENDPOINT]]\n"
    "  GET /primes/N  how many primes are below N (N up to 100000000), cached in DynamoDB\n"
    "                 (table ddbcache-http-server, created if missing); X-Cache: hit or miss\n"
    "  GET /values/KEY   the value stored under KEY (404 when there is none)\n"
    "  PUT /values/KEY   stores the request's body under KEY (for 5 minutes)\n"
    "  GET /metrics   the cache's metrics in Prometheus's text format (when built with prometheus-cpp)\n"
    "  --near-cache   also keep values in this process's memory (64 MiB), each served from there\n"
    "                 for at most 1 s before DynamoDB is asked again\n"
    "  PORT           to listen on, on 127.0.0.1 (default 8080; 0 picks a free one)\n"
    "  ENDPOINT       DynamoDB's URL, e.g. http://127.0.0.1:8000 for DynamoDB Local (default: AWS's,\n"
    "                 in AWS_REGION; credentials from the AWS SDKs' usual sources)\n";

struct command_line {
    bool near_cache = false;
    unsigned short port = 8080;
    std::string endpoint; // empty: AWS's
};

// The command line, or nullopt when it is not one usage describes.
std::optional<command_line> parse(int argc, char** argv) {
    command_line c;
    int i = 1;
    if (i < argc && std::string_view(argv[i]) == "--near-cache") {
        c.near_cache = true;
        ++i;
    }
    if (i < argc) {
        const std::string_view p = argv[i++];
        const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), c.port);
        if (ec != std::errc{} || end != p.data() + p.size()) return std::nullopt;
    }
    if (i < argc) c.endpoint = argv[i++];
    if (i < argc) return std::nullopt;
    return c;
}

// The expensive part: a sieve of Eratosthenes.
std::uint64_t count_primes_below(std::uint64_t n) {
    if (n < 3) return 0;
    std::vector<bool> composite(n, false);
    std::uint64_t count = 0;
    for (std::uint64_t i = 2; i < n; ++i) {
        if (composite[i]) continue;
        ++count;
        for (std::uint64_t j = i * i; j < n; j += i) composite[j] = true;
    }
    return count;
}

struct server_state {
    ddbcache::cache& cache;
    asio::thread_pool& compute_pool;
};

http::response<http::string_body> reply(const http::request<http::string_body>& request, http::status status,
                                        std::string body, std::string_view cache_result = {},
                                        std::string_view content_type = "text/plain") {
    http::response<http::string_body> response(status, request.version());
    response.set(http::field::content_type, content_type);
    if (!cache_result.empty()) response.set("X-Cache", cache_result);
    response.keep_alive(request.keep_alive());
    response.body() = std::move(body);
    response.prepare_payload();
    return response;
}

// The origin the cache stands in front of, off the I/O threads: the sieve blocks for as long as
// it takes.
asio::awaitable<std::string> origin(asio::thread_pool& compute_pool, std::uint64_t n) {
    co_return std::to_string(co_await asio::co_spawn(
        compute_pool, [n]() -> asio::awaitable<std::uint64_t> { co_return count_primes_below(n); }, asio::use_awaitable));
}

// The cached value for N, or the computed one (stored for next time).
asio::awaitable<http::response<http::string_body>> primes(server_state& s, const http::request<http::string_body>& request,
                                                          std::uint64_t n) {
    const std::string key = "primes:" + std::to_string(n);
    auto compute = [&pool = s.compute_pool, n] { return origin(pool, n); };
    ddbcache::diagnostics diag;
    auto [ec, found] = co_await s.cache.async_get_or_set(key, compute, {.lease = true, .diag = &diag}, as_result);
    if (ec) { // DynamoDB failed: a cache that cannot answer is not a reason to fail the request
        std::clog << "cache failed, computing instead: " << diag.message << "\n";
        const std::string value = co_await compute();
        co_return reply(request, http::status::ok, value + "\n", "miss");
    }
    // compute always answers a value, so a stored one is there too
    const bool hit = found.source == ddbcache::value_source::hit;
    co_return reply(request, http::status::ok, *found.value + "\n", hit ? "hit" : "miss");
}

// What the cache did since the server started, for Prometheus to scrape.
http::response<http::string_body> metrics([[maybe_unused]] server_state& s, const http::request<http::string_body>& request) {
#ifdef DDBCACHE_EXAMPLE_PROMETHEUS
    return reply(request, http::status::ok, ddbcache::prometheus_text(s.cache), {}, "text/plain; version=0.0.4");
#else
    return reply(request, http::status::not_found,
                 "no /metrics: this server was built without prometheus-cpp (Debian's prometheus-cpp-dev)\n");
#endif
}

// The cache itself: GET reads KEY, PUT stores the body under it. A bad key (empty, too long, not
// UTF-8) is the client's mistake; DynamoDB failing is ours.
asio::awaitable<http::response<http::string_body>> value(server_state& s, const http::request<http::string_body>& request,
                                                         std::string key) {
    ddbcache::diagnostics diag;
    const auto failed = [&](ddbcache::error_code ec) {
        const bool theirs = ec == ddbcache::client_errc::invalid_key || ec == ddbcache::client_errc::invalid_utf8 ||
                            ec == ddbcache::client_errc::item_too_large;
        return reply(request, theirs ? http::status::bad_request : http::status::service_unavailable,
                     diag.message + "\n");
    };
    if (request.method() == http::verb::put) {
        auto [ec, stored] = co_await s.cache.async_set(std::move(key), request.body(), {.diag = &diag}, as_result);
        co_return ec ? failed(ec) : reply(request, http::status::no_content, "");
    }
    auto [ec, found] = co_await s.cache.async_get(std::move(key), {.diag = &diag}, as_result);
    if (ec) co_return failed(ec);
    if (!found) co_return reply(request, http::status::not_found, "no value\n");
    co_return reply(request, http::status::ok, std::move(*found));
}

asio::awaitable<http::response<http::string_body>> answer(server_state& s, const http::request<http::string_body>& request) {
    constexpr std::string_view prefix = "/primes/", values = "/values/";
    const std::string_view target = request.target();
    std::uint64_t n = 0;
    if (request.method() == http::verb::get && target == "/metrics") co_return metrics(s, request);
    if ((request.method() == http::verb::get || request.method() == http::verb::put) && target.starts_with(values))
        co_return co_await value(s, request, std::string(target.substr(values.size())));
    if (request.method() != http::verb::get || !target.starts_with(prefix))
        co_return reply(request, http::status::not_found, "try GET /primes/N, GET or PUT /values/KEY, or GET /metrics\n");
    const std::string_view digits = target.substr(prefix.size());
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc{} || end != digits.data() + digits.size() || n > largest_n)
        co_return reply(request, http::status::bad_request, "N must be an integer from 0 to 100000000\n");
    co_return co_await primes(s, request, n);
}

// One connection: requests answered in turn until the client closes or stops keeping alive.
asio::awaitable<void> serve(server_state& s, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    // Beast's limits bound a request's header and body, not a chunk extension or the trailer:
    // bounding the unparsed bytes bounds those too (a request's header fits in 8 KiB).
    beast::flat_buffer buffer(64 * 1024);
    for (;;) {
        http::request<http::string_body> request;
        stream.expires_after(30s);
        auto [read_ec, read_bytes] = co_await http::async_read(stream, buffer, request, as_result);
        if (read_ec) break; // closed, timed out or malformed: drop the connection
        http::response<http::string_body> response = co_await answer(s, request);
        const bool keep_alive = response.keep_alive();
        auto [write_ec, written] = co_await http::async_write(stream, response, as_result);
        if (write_ec || !keep_alive) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> accept_loop(server_state& s, asio::io_context& io, tcp::acceptor& acceptor) {
    for (;;) {
        // Each connection on a strand of its own: its reads, writes and timer never run at once,
        // while different connections run on all the io_context's threads.
        auto connection_strand = asio::make_strand(io);
        auto [ec, socket] = co_await acceptor.async_accept(connection_strand, as_result);
        if (ec == asio::error::operation_aborted) co_return; // shutting down
        if (ec) continue;
        asio::co_spawn(connection_strand, serve(s, std::move(socket)), asio::detached);
    }
}

} // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::string_view(argv[1]) == "--help") {
        std::cout << usage;
        return 0;
    }
    const std::optional<command_line> args = parse(argc, argv);
    if (!args) {
        std::cerr << usage;
        return 2;
    }
    try {
        const unsigned threads = std::max(2u, std::thread::hardware_concurrency());
        asio::io_context io(static_cast<int>(threads));
        asio::thread_pool compute_pool(2);

        ddbcache::cache_options options;
        options.table_name = "ddbcache-http-server";
        options.client.endpoint = args->endpoint;
        if (args->near_cache) options.near_cache = {.max_bytes = std::size_t{64} << 20, .ttl = 1s};
        ddbcache::cache cache(io.get_executor(), options); // shared by every connection, every thread
        server_state state{cache, compute_pool};

        // The acceptor and the signal handler share a strand: closing it never races an accept.
        auto acceptor_strand = asio::make_strand(io);
        tcp::acceptor acceptor(acceptor_strand, {asio::ip::make_address("127.0.0.1"), args->port});
        std::cout << "listening on http://127.0.0.1:" << acceptor.local_endpoint().port() << std::endl;
        asio::co_spawn(acceptor_strand, accept_loop(state, io, acceptor), asio::detached);

        // Ctrl-C or SIGTERM: stop accepting, close the cache's connections, stop.
        asio::signal_set signals(acceptor_strand, SIGINT, SIGTERM);
        signals.async_wait([&](beast::error_code, int) {
            acceptor.close();
            cache.dynamodb().close();
            io.stop();
        });

        std::vector<std::thread> pool;
        for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
        io.run();
        for (auto& t : pool) t.join();
        compute_pool.join();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "ddbcache-http-server: " << e.what() << "\n";
        return 2;
    }
}
