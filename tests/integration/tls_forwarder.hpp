// A loopback TLS front for a plain-HTTP local server: terminates TLS with a given certificate and
// copies bytes both ways. Runs on a thread of its own; counts handshakes and resumed sessions.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/url/parse.hpp>

#include <array>
#include <atomic>
#include <string>
#include <thread>

namespace ddbcache::test {

// The address and port of a loopback server's "http://127.0.0.1:PORT" URL: a tls_forwarder's backend.
inline boost::asio::ip::tcp::endpoint loopback_endpoint_of(const std::string& url_text) {
    auto url = boost::urls::parse_uri(url_text).value(); // a view into url_text
    return {boost::asio::ip::make_address(url.host()), static_cast<unsigned short>(url.port_number())};
}

class tls_forwarder {
public:
    using tcp = boost::asio::ip::tcp;

    tls_forwarder(const std::string& cert_pem, const std::string& key_pem, tcp::endpoint backend)
        : backend_(backend), acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
        tls_.use_certificate_chain_file(cert_pem);
        tls_.use_private_key_file(key_pem, boost::asio::ssl::context::pem);
        boost::asio::co_spawn(io_, accept_loop(), boost::asio::detached);
        thread_ = std::thread([this] { io_.run(); });
    }
    ~tls_forwarder() {
        io_.stop();
        thread_.join();
    }

    unsigned short port() const { return acceptor_.local_endpoint().port(); }
    int handshakes() const { return handshakes_; }
    int resumed() const { return resumed_; }

private:
    using tls_stream = boost::asio::ssl::stream<tcp::socket>;

    boost::asio::awaitable<void> accept_loop() {
        for (;;) {
            tcp::socket socket = co_await acceptor_.async_accept(boost::asio::use_awaitable);
            boost::asio::co_spawn(io_, serve(std::move(socket)), boost::asio::detached);
        }
    }

    boost::asio::awaitable<void> serve(tcp::socket socket) {
        using namespace boost::asio::experimental::awaitable_operators;
        tls_stream client(std::move(socket), tls_);
        co_await client.async_handshake(tls_stream::server, boost::asio::use_awaitable);
        ++handshakes_;
        if (SSL_session_reused(client.native_handle())) ++resumed_;
        tcp::socket server(io_);
        co_await server.async_connect(backend_, boost::asio::use_awaitable);
        co_await (pump(client, server) || pump(server, client));
    }

    template <class From, class To>
    static boost::asio::awaitable<void> pump(From& from, To& to) {
        std::array<char, 16384> buffer;
        for (;;) {
            std::size_t n = co_await from.async_read_some(boost::asio::buffer(buffer), boost::asio::use_awaitable);
            co_await boost::asio::async_write(to, boost::asio::buffer(buffer, n), boost::asio::use_awaitable);
        }
    }

    boost::asio::io_context io_;
    boost::asio::ssl::context tls_{boost::asio::ssl::context::tls_server};
    tcp::endpoint backend_;
    tcp::acceptor acceptor_;
    std::atomic<int> handshakes_{0}, resumed_{0};
    std::thread thread_;
};

} // namespace ddbcache::test
