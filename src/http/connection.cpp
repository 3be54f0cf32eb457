#include "connection.hpp"

#include "response_reader.hpp"
#include "tls_context.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <atomic>
#include <optional>

namespace ddbcache::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// An io_context constructed with concurrency hint 1 (asio::io_context io(1)), or with an unsafe
// hint, promises that one thread runs it: its handlers never run at once, so a connection needs
// no strand, and its executor stays small enough for any_io_executor to hold without allocating.
bool runs_on_one_thread(const asio::any_io_executor& executor) {
    const auto* io = executor.target<asio::io_context::executor_type>();
    if (!io) return false; // another kind of executor: no promise known
    const int hint = asio::use_service<asio::detail::io_context_impl>(io->context()).concurrency_hint();
    return hint == 1 || !BOOST_ASIO_CONCURRENCY_HINT_IS_LOCKING(SCHEDULER, hint);
}

std::optional<asio::strand<asio::any_io_executor>> strand_unless_one_thread(const asio::any_io_executor& executor) {
    if (runs_on_one_thread(executor)) return std::nullopt;
    return asio::make_strand(executor);
}

// Beast bounds a response's header (header_limit) and body (body_limit), but not a chunk-size
// line with its extensions, nor the trailer: it keeps reading until their line ends. Bounding
// the bytes read ahead of the parser bounds every part: the header must fit (8 KiB), and body
// bytes are handed on as they arrive, so a healthy answer never needs more.
constexpr std::size_t max_unparsed_bytes = std::size_t{64} * 1024;
// What one read asks the socket for. Beast reads as much as the buffer's spare capacity (at least
// 512 bytes), and a flat_buffer only grows when asked for more: without this, a 1 MB answer took
// about 2,600 reads of 512 bytes.
constexpr std::size_t read_buffer_bytes = std::size_t{16} * 1024;
constexpr std::uint32_t max_header_bytes = 8 * 1024;

// Why a read failed, for the errors that mean "the answer is malformed or too large".
const char* read_failure_detail(error_code ec) {
    if (ec == beast::http::error::buffer_overflow)
        return "a line of the response (a chunk size with its extensions, or the trailer) is longer than 64 KiB";
    if (ec == beast::http::error::header_limit) return "the response's status line and headers exceed 8 KiB";
    if (ec == beast::http::error::body_limit) return "the response's body exceeds its limit";
    return nullptr;
}

// "host:port" for a CONNECT request line and its Host header (RFC 9110 section 9.3.6).
std::string authority_of(const endpoint& ep) {
    const bool ipv6 = ep.host.find(':') != std::string::npos;
    return (ipv6 ? "[" + ep.host + "]" : ep.host) + ":" + std::to_string(ep.port);
}

error_code classify_tls_error(error_code ec) {
    if (ec == beast::error::timeout || ec == asio::error::operation_aborted) return ec;
    return client_errc::tls_failure;
}

} // namespace

// The stream's operations, the watchdog's cut and the end of a watch must never run at once: on an
// io_context run by several threads they share a strand; on one run by one thread (see
// runs_on_one_thread), its plain executor.
struct connection::streams {
    // Handlers are bound to the strand's own type, not to the any_io_executor holding it: copies
    // of that one share a count ordered by a fence, which ThreadSanitizer cannot follow.
    std::optional<asio::strand<asio::any_io_executor>> strand; // absent when one thread runs the io_context
    asio::any_io_executor serial;                                // the strand, or the io_context's executor
    tls_context* tls;
    std::optional<beast::tcp_stream> plain;
    std::optional<tls_stream> secure;
    beast::flat_buffer buffer;
    // The exchange under way, twice its number, plus one once the watchdog cut it. Changed on the
    // serial executor only, so that a cut meant for one exchange never lands on the next.
    std::atomic<std::uint64_t> watch_state{0};

    streams(const asio::any_io_executor& executor, tls_context* context)
        : strand(strand_unless_one_thread(executor)),
          serial(strand ? asio::any_io_executor(*strand) : executor),
          tls(context),
          buffer(max_unparsed_bytes) {}

    // op(token), with a token that resumes the coroutine on the serial executor.
    template <class Op>
    auto serially(Op&& op) {
        return strand ? op(asio::bind_executor(*strand, use_tuple)) : op(asio::bind_executor(serial, use_tuple));
    }

    template <class Handler>
    void post_serially(Handler&& handler) {
        if (strand) asio::post(*strand, std::forward<Handler>(handler));
        else asio::post(serial, std::forward<Handler>(handler));
    }

    beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

    template <class F>
    auto visit(F&& f) {
        return secure ? f(*secure) : f(*plain);
    }
};

connection::connection(asio::any_io_executor executor, tls_context* tls)
    : streams_(std::make_shared<streams>(executor, tls)) {
    streams_->buffer.reserve(read_buffer_bytes);
    if (tls) streams_->secure.emplace(streams_->serial, tls->native());
    else streams_->plain.emplace(streams_->serial);
}

connection::~connection() {
    // Without this, OpenSSL treats a connection closed without close_notify as a broken one and
    // forbids resuming its session. Failures that do taint a session (fatal alerts) were already
    // recorded by OpenSSL when they happened.
    if (streams_->secure) SSL_set_shutdown(streams_->secure->native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
}

asio::awaitable<exchange_result> connection::open(const endpoint& ep, const proxy* via, clock::time_point deadline) {
    streams& s = *streams_;
    auto failed = [](error_code ec, const char* detail = nullptr) {
        return exchange_result{ec, failure_stage::connect, detail};
    };
    const endpoint& first_hop = via ? via->via : ep;
    tcp::resolver resolver(s.serial);
    const std::string port = std::to_string(first_hop.port);
    auto [resolve_ec, resolved] = co_await s.serially(
        [&](auto token) { return resolver.async_resolve(first_hop.host, port, std::move(token)); });
    if (resolve_ec) co_return failed(resolve_ec);

    s.tcp().expires_at(deadline);
    const tcp::resolver::results_type& results = resolved; // a lambda may not capture a structured binding
    auto [connect_ec, connected] =
        co_await s.serially([&](auto token) { return s.tcp().async_connect(results, std::move(token)); });
    if (connect_ec) co_return failed(connect_ec);
    s.tcp().socket().set_option(tcp::no_delay(true));

    if (via && s.secure) {
        const std::string authority = authority_of(ep);
        std::string connect = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n";
        if (!via->authorization.empty()) connect += "Proxy-Authorization: " + via->authorization + "\r\n";
        connect += "\r\n";
        s.tcp().expires_at(deadline);
        auto [write_ec, written] = co_await s.serially(
            [&](auto token) { return asio::async_write(s.tcp(), asio::buffer(connect), std::move(token)); });
        if (write_ec) co_return failed(write_ec);
        beast::http::response_parser<beast::http::empty_body> parser;
        parser.header_limit(max_header_bytes);
        parser.skip(true); // a 2xx answer to CONNECT has no body: the tunnel follows
        s.tcp().expires_at(deadline);
        auto [read_ec, read] = co_await s.serially(
            [&](auto token) { return beast::http::async_read(s.tcp(), s.buffer, parser, std::move(token)); });
        if (read_ec) co_return failed(read_ec, read_failure_detail(read_ec));
        const unsigned status = parser.get().result_int();
        if (status < 200 || status > 299) {
            exchange_result refused = failed(client_errc::proxy_failure, proxy_refusal(status));
            refused.proxy_status = status;
            co_return refused;
        }
        // The server speaks only after our ClientHello: bytes here came from the proxy.
        if (s.buffer.size() != 0) co_return failed(client_errc::proxy_failure, "the proxy sent bytes after its CONNECT answer");
    }

    if (s.secure) {
        if (!s.tls->prepare(s.secure->native_handle(), ep.host)) co_return failed(client_errc::tls_failure);
        s.tcp().expires_at(deadline);
        auto [handshake_ec] = co_await s.serially(
            [&](auto token) { return s.secure->async_handshake(asio::ssl::stream_base::client, std::move(token)); });
        if (handshake_ec)
            co_return failed(classify_tls_error(handshake_ec),
                             tls_context::verify_failure(s.secure->native_handle()));
    }
    s.tcp().expires_never(); // from here on, the pool's watchdog keeps the deadlines
    // Plain HTTP writes each request with one non-blocking send when it fits (see exchange).
    if (!s.secure) {
        error_code ec;
        s.tcp().socket().non_blocking(true, ec);
        if (ec) co_return failed(ec);
    }
    co_return exchange_result{};
}

bool connection::resumed_tls_session() const noexcept {
    return streams_->secure && SSL_session_reused(streams_->secure->native_handle()) == 1;
}

asio::awaitable<exchange_result> connection::exchange(std::string_view head, std::string_view body,
                                                      std::size_t body_limit, response& out,
                                                      clock::time_point deadline, deadline_watchdog& watchdog) {
    streams& s = *streams_;
    reusable_ = false; // until this exchange completes cleanly

    // On the serial executor from here: the watchdog's cut runs there too, between our operations.
    co_await s.serially([](auto token) { return asio::dispatch(std::move(token)); });
    const std::uint64_t watching = s.watch_state.load(std::memory_order_relaxed) + 2;
    s.watch_state.store(watching, std::memory_order_relaxed);
    const auto cut = [](std::shared_ptr<void> target, std::uint64_t token) {
        auto cut_streams = std::static_pointer_cast<streams>(std::move(target));
        cut_streams->post_serially([cut_streams, token] {
            std::uint64_t expected = token;
            if (!cut_streams->watch_state.compare_exchange_strong(expected, token + 1, std::memory_order_relaxed))
                return; // that exchange is over
            error_code ignored;
            cut_streams->tcp().socket().cancel(ignored);
        });
    };
    const std::uint64_t watch_id = watchdog.watch(deadline, {streams_, watching, cut});
    // Whatever follows, the watch ends on the serial executor: a late cut then finds another number.
    struct end_watch {
        streams& s;
        deadline_watchdog& watchdog;
        std::uint64_t id, watching;
        bool cut() const { return s.watch_state.load(std::memory_order_relaxed) == watching + 1; }
        ~end_watch() {
            watchdog.unwatch(id);
            s.watch_state.store(watching + 2, std::memory_order_relaxed);
        }
    } watch{s, watchdog, watch_id, watching};
    const auto timed_out = [&](error_code ec) { return ec == asio::error::operation_aborted && watch.cut(); };

    // Plain HTTP writes the request with one non-blocking send, which a request smaller than the
    // socket's send buffer always fits: no operation through the reactor, no resumption. What is
    // left (or all of it, over TLS) goes asynchronously.
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(body)};
    error_code write_ec;
    const std::size_t sent_now = s.secure ? 0 : s.tcp().socket().write_some(buffers, write_ec);
    if (write_ec == asio::error::would_block || write_ec == asio::error::try_again) write_ec = {};
    if (!write_ec && sent_now < head.size() + body.size()) {
        // A cut that found no operation under way (between two) cancelled nothing: it is checked
        // before each operation, or that operation would wait without a deadline.
        if (watch.cut()) {
            write_ec = asio::error::operation_aborted;
        } else {
            beast::buffers_suffix<std::array<asio::const_buffer, 2>> rest(buffers);
            rest.consume(sent_now);
            std::tie(write_ec, std::ignore) =
                co_await s.serially([&](auto token) {
                    return s.visit([&](auto& stream) { return asio::async_write(stream, rest, std::move(token)); });
                });
        }
    }
    if (timed_out(write_ec)) write_ec = beast::error::timeout;
    if (write_ec) co_return exchange_result{write_ec, failure_stage::send};

    // The response, read as beast::http::async_read reads it (the same errors: end_of_stream before
    // any byte, buffer_overflow past max_unparsed_bytes) without its layers of composed operations.
    response_reader reader(out);
    reader.header_limit(max_header_bytes);
    reader.body_limit(body_limit);
    reader.eager(true); // each put parses all it is given, the body included
    error_code read_ec;
    while (!read_ec) {
        if (s.buffer.size() != 0) {
            const std::size_t used = reader.put(s.buffer.data(), read_ec);
            s.buffer.consume(used);
            if (read_ec == beast::http::error::need_more) read_ec = {};
            if (read_ec || reader.is_done()) break;
            if (used != 0) continue;
        }
        const std::size_t room = beast::read_size(s.buffer, max_unparsed_bytes);
        if (room == 0) {
            read_ec = beast::http::error::buffer_overflow;
            break;
        }
        if (watch.cut()) { // see the write's check above
            read_ec = asio::error::operation_aborted;
            break;
        }
        const auto space = s.buffer.prepare(room);
        // Over plain HTTP, the socket's own read: Beast's tcp_stream would wrap it in one more
        // composed operation, for timeouts the watchdog keeps instead.
        std::size_t n = 0;
        if (s.secure)
            std::tie(read_ec, n) =
                co_await s.serially([&](auto token) { return s.secure->async_read_some(space, std::move(token)); });
        else
            std::tie(read_ec, n) = co_await s.serially(
                [&](auto token) { return s.tcp().socket().async_read_some(space, std::move(token)); });
        if (read_ec == asio::error::eof) {
            if (!reader.got_some()) {
                read_ec = beast::http::error::end_of_stream;
                break;
            }
            read_ec = {};
            reader.put_eof(read_ec); // a body that ends with the connection
            break;
        }
        if (!read_ec) s.buffer.commit(n);
    }
    if (timed_out(read_ec)) read_ec = beast::error::timeout;
    if (read_ec) {
        const auto stage = reader.got_some() ? failure_stage::receive_after_response
                                             : failure_stage::receive_before_response;
        co_return exchange_result{read_ec, stage, read_failure_detail(read_ec)};
    }
    // Leftover bytes would belong to no request of ours: such a connection is not reused.
    reusable_ = reader.keep_alive() && s.buffer.size() == 0;
    co_return exchange_result{};
}

} // namespace ddbcache::http
