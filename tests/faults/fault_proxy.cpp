#include "fault_proxy.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ddbcache::test {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

const char* fault_name(fault f) {
    static constexpr std::array<const char*, static_cast<int>(fault::count_)> names{
        "none", "throughput_exceeded", "throttling", "validation", "internal_error", "unavailable",
        "close_before_answer", "drop_after_forward", "half_answer_reset", "delay", "corrupt_crc",
        "flip_body_byte", "short_body"};
    return names[static_cast<int>(f)];
}

struct fault_proxy::state : std::enable_shared_from_this<state> {
    asio::io_context io;
    tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
    tcp::endpoint upstream;
    std::chrono::milliseconds delay;
    std::mutex plan_mutex;
    plan choose;
    std::array<std::atomic<std::uint64_t>, static_cast<int>(fault::count_)> counts{};
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> releases{0}; // release_delayed() calls
    std::thread thread;

    fault decide(proxied_request& r) {
        plan current;
        {
            std::lock_guard guard(plan_mutex);
            current = choose;
        }
        const fault f = current ? current(r) : fault::none;
        counts[static_cast<int>(f)].fetch_add(1);
        return f;
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(tuple_awaitable);
            if (ec) co_return;
            asio::co_spawn(io, serve(std::move(socket)), asio::detached);
        }
    }

    // An error answer of DynamoDB's shape, never forwarded.
    static http::response<http::string_body> error_answer(http::status status, const char* type) {
        http::response<http::string_body> res{status, 11};
        res.set(http::field::content_type, "application/x-amz-json-1.0");
        res.body() = type ? std::string(R"({"__type":"com.amazonaws.dynamodb.v20120810#)") + type +
                                R"(","message":"injected by the fault proxy"})"
                          : std::string("Service Unavailable");
        res.prepare_payload();
        return res;
    }

    static void reset(tcp::socket& s) {
        boost::system::error_code ignored;
        s.set_option(asio::socket_base::linger(true, 0), ignored);
        s.close(ignored);
    }

    asio::awaitable<void> serve(tcp::socket downstream) {
        boost::beast::flat_buffer down_buffer, up_buffer;
        tcp::socket up(io);
        for (;;) {
            http::request<http::string_body> req;
            auto [read_ec, n] = co_await http::async_read(downstream, down_buffer, req, tuple_awaitable);
            if (read_ec) co_return;
            proxied_request seen{requests.fetch_add(1), std::string(req[ "X-Amz-Target"]), req.body()};
            if (auto dot = seen.operation.find('.'); dot != std::string::npos) seen.operation.erase(0, dot + 1);
            const fault f = decide(seen);
            // Read now: a release_delayed() while the request is upstream must still release it.
            const std::uint64_t release = releases.load();
            std::optional<http::response<http::string_body>> canned;
            switch (f) {
            case fault::throughput_exceeded: canned = error_answer(http::status::bad_request, "ProvisionedThroughputExceededException"); break;
            case fault::throttling: canned = error_answer(http::status::bad_request, "ThrottlingException"); break;
            case fault::validation: canned = error_answer(http::status::bad_request, "ValidationException"); break;
            case fault::internal_error: canned = error_answer(http::status::internal_server_error, "InternalServerError"); break;
            case fault::unavailable: canned = error_answer(http::status::service_unavailable, nullptr); break;
            case fault::close_before_answer: co_return; // the request never reaches the table
            default: break;
            }
            if (canned) {
                canned->keep_alive(req.keep_alive());
                auto [write_ec, written] = co_await http::async_write(downstream, *canned, tuple_awaitable);
                if (write_ec) co_return;
                continue;
            }
            // Forward, on a kept upstream connection.
            if (!up.is_open()) {
                auto [connect_ec] = co_await up.async_connect(upstream, tuple_awaitable);
                if (connect_ec) co_return;
            }
            req.keep_alive(true);
            auto [up_write_ec, up_written] = co_await http::async_write(up, req, tuple_awaitable);
            if (up_write_ec) co_return;
            http::response<http::string_body> res;
            auto [up_read_ec, up_read] = co_await http::async_read(up, up_buffer, res, tuple_awaitable);
            if (up_read_ec) co_return;
            if (!res.keep_alive()) up.close();
            res.keep_alive(req.keep_alive());
            if (!co_await answer(downstream, res, f, release)) co_return;
        }
    }

    // Sends the upstream answer as the fault requires; false when the connection is done.
    asio::awaitable<bool> answer(tcp::socket& downstream, http::response<http::string_body>& res, fault f,
                                 std::uint64_t release) {
        switch (f) {
        case fault::drop_after_forward: co_return false;
        case fault::delay: {
            const auto start = std::chrono::steady_clock::now();
            asio::steady_timer pause(io);
            while (releases.load() == release &&
                   (delay == until_released || std::chrono::steady_clock::now() - start < delay)) {
                pause.expires_after(std::chrono::milliseconds(5));
                co_await pause.async_wait(tuple_awaitable);
            }
            break;
        }
        case fault::corrupt_crc: res.set("x-amz-crc32", "12345"); break;
        case fault::flip_body_byte:
            if (!res.body().empty()) res.body()[res.body().size() / 2] ^= 0x01;
            break;
        default: break;
        }
        res.prepare_payload();
        if (f == fault::half_answer_reset || f == fault::short_body) {
            std::ostringstream text; // serialised whole, then sent in part
            text << res;
            const std::string whole = text.str();
            const std::size_t header_end = whole.find("\r\n\r\n") + 4;
            const std::size_t cut = f == fault::half_answer_reset ? whole.size() / 2
                                                                  : header_end + (whole.size() - header_end) / 2;
            co_await asio::async_write(downstream, asio::buffer(whole.data(), cut), tuple_awaitable);
            if (f == fault::half_answer_reset) reset(downstream);
            co_return false;
        }
        auto [ec, n] = co_await http::async_write(downstream, res, tuple_awaitable);
        co_return !ec && res.keep_alive();
    }
};

fault_proxy::fault_proxy(const std::string& upstream_url, plan choose, std::chrono::milliseconds delay)
    : state_(std::make_shared<state>()) {
    const std::string prefix = "http://";
    const auto colon = upstream_url.rfind(':');
    if (upstream_url.rfind(prefix, 0) != 0 || colon == std::string::npos || colon < prefix.size())
        throw std::invalid_argument("fault_proxy: upstream must be http://HOST:PORT, not " + upstream_url);
    state_->upstream = {asio::ip::make_address(upstream_url.substr(prefix.size(), colon - prefix.size())),
                        static_cast<unsigned short>(std::stoi(upstream_url.substr(colon + 1)))};
    state_->delay = delay;
    state_->choose = std::move(choose);
    asio::co_spawn(state_->io, state_->accept_loop(), asio::detached);
    state_->thread = std::thread([s = state_] { s->io.run(); });
}

fault_proxy::~fault_proxy() {
    state_->io.stop();
    state_->thread.join();
}

std::string fault_proxy::url() const {
    return "http://127.0.0.1:" + std::to_string(state_->acceptor.local_endpoint().port());
}

void fault_proxy::set_plan(plan choose) {
    std::lock_guard guard(state_->plan_mutex);
    state_->choose = std::move(choose);
}

void fault_proxy::release_delayed() { state_->releases.fetch_add(1); }

std::uint64_t fault_proxy::injected(fault f) const { return state_->counts[static_cast<int>(f)].load(); }
std::uint64_t fault_proxy::requests() const { return state_->requests.load(); }

std::uint64_t fault_proxy::injected_total() const {
    std::uint64_t total = 0;
    for (int i = 1; i < static_cast<int>(fault::count_); ++i) total += state_->counts[i].load();
    return total;
}

} // namespace ddbcache::test
