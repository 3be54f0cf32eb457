// A loopback HTTP/1.1 server for tests whose answers a function decides: it records every request
// and can delay its answer. Runs on the test's io_context; keep it alive while that runs.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ddbcache::test {

// A Date header's value for `t` (RFC 7231 IMF-fixdate), as a server writes it.
inline std::string http_date(std::chrono::system_clock::time_point t) {
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[40];
    std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[utc.tm_wday], utc.tm_mday,
                  months[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
    return text;
}

// The time an X-Amz-Date header names ("20261130T165000Z"); the epoch when it does not parse.
inline std::chrono::system_clock::time_point amz_date_time(const std::string& amz_date) {
    std::tm utc{};
    if (std::sscanf(amz_date.c_str(), "%4d%2d%2dT%2d%2d%2dZ", &utc.tm_year, &utc.tm_mon, &utc.tm_mday, &utc.tm_hour,
                    &utc.tm_min, &utc.tm_sec) != 6)
        return {};
    utc.tm_year -= 1900;
    utc.tm_mon -= 1;
    return std::chrono::system_clock::from_time_t(timegm(&utc));
}

struct seen_request {
    std::string method, target, body;
    std::map<std::string, std::string> headers; // lower-case names
    std::string header(const std::string& lower_case_name) const {
        auto it = headers.find(lower_case_name);
        return it == headers.end() ? std::string() : it->second;
    }
};

struct scripted_reply {
    unsigned status = 200;
    std::string body;
    std::chrono::milliseconds delay{0};
    std::vector<std::pair<std::string, std::string>> headers = {}; // sent as they are (a Date, ...)
};

class scripted_http_server {
public:
    using script = std::function<scripted_reply(const seen_request&)>;

    scripted_http_server(boost::asio::io_context& io, script answer)
        : answer_(std::move(answer)), acceptor_(io, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
        boost::asio::co_spawn(io, accept_loop(), boost::asio::detached);
    }

    std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
    const std::vector<seen_request>& requests() const { return requests_; }
    std::size_t count(const std::string& target) const {
        std::size_t n = 0;
        for (const auto& r : requests_) n += r.target == target;
        return n;
    }

private:
    boost::asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
            if (ec) co_return;
            boost::asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), boost::asio::detached);
        }
    }

    boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket) {
        namespace http = boost::beast::http;
        boost::beast::flat_buffer buffer;
        for (;;) {
            http::request<http::string_body> req;
            auto [ec, n] = co_await http::async_read(socket, buffer, req, boost::asio::as_tuple(boost::asio::use_awaitable));
            if (ec) co_return;
            seen_request seen{std::string(req.method_string()), std::string(req.target()), req.body(), {}};
            for (const auto& field : req) {
                std::string name(field.name_string());
                for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                seen.headers[name] = std::string(field.value());
            }
            requests_.push_back(seen);
            const scripted_reply reply = answer_(seen);
            if (reply.delay.count() > 0) {
                boost::asio::steady_timer pause(socket.get_executor(), reply.delay);
                co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
            }
            http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
            for (const auto& [name, value] : reply.headers) res.set(name, value);
            res.body() = reply.body;
            res.keep_alive(req.keep_alive());
            res.prepare_payload();
            auto [write_ec, written] = co_await http::async_write(socket, res, boost::asio::as_tuple(boost::asio::use_awaitable));
            if (write_ec || !req.keep_alive()) co_return;
        }
    }

    script answer_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::vector<seen_request> requests_;
};

} // namespace ddbcache::test
