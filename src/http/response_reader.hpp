// The parser of one HTTP response, straight into an http::response (its own header, so that the
// HTTP fuzzer can feed it bytes without a socket).
#pragma once

#include "message.hpp"

#include <boost/beast/http/basic_parser.hpp>

namespace ddbcache::http {

// Reads a response straight into `response`: each header appended to its one string, the body
// into its string with the requested spare capacity reserved up front. No allocation per header,
// no copy of the body (Beast's response_parser would make both).
class response_reader final : public boost::beast::http::basic_parser<false> {
public:
    explicit response_reader(response& out) : out_(out) {
        out_.status = 0; // an attempt that fails before its status line must not show an earlier one's
        out_.header_block.clear();
        out_.header_block.reserve(512); // DynamoDB's few headers, in one allocation
        out_.body.clear();
    }

private:
    using string_view = boost::beast::string_view;
    void on_request_impl(boost::beast::http::verb, string_view, string_view, int, boost::system::error_code&) override {}
    void on_response_impl(int code, string_view, int, boost::system::error_code&) override { out_.status = static_cast<unsigned>(code); }
    void on_field_impl(boost::beast::http::field, string_view name, string_view value, boost::system::error_code&) override {
        for (char c : name) out_.header_block.push_back(static_cast<char>((c >= 'A' && c <= 'Z') ? c + 32 : c));
        out_.header_block.push_back(':');
        out_.header_block.append(value.data(), value.size());
        out_.header_block.push_back('\n');
    }
    void on_header_impl(boost::system::error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>& length, boost::system::error_code&) override {
        if (length) out_.body.reserve(static_cast<std::size_t>(*length) + out_.spare_capacity);
    }
    std::size_t on_body_impl(string_view piece, boost::system::error_code&) override {
        out_.body.append(piece.data(), piece.size());
        return piece.size();
    }
    void on_chunk_header_impl(std::uint64_t, string_view, boost::system::error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, string_view piece, boost::system::error_code& ec) override {
        return on_body_impl(piece, ec);
    }
    void on_finish_impl(boost::system::error_code&) override {}

    response& out_;
};
} // namespace ddbcache::http
