#include "json_writer.hpp"

#include "../codec/base64.hpp"

#include <simdjson.h>

namespace ddbcache::dynamodb {

void json_writer::separate() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (depth_ == 0) return;
    const std::size_t bit = (depth_ - 1) % has_members_.size();
    if (has_members_[bit]) out_.push_back(',');
    has_members_[bit] = true;
}

void json_writer::open(char c) {
    separate();
    out_.push_back(c);
    ++depth_;
    has_members_[(depth_ - 1) % has_members_.size()] = false;
}

void json_writer::fail(error_code ec) {
    if (error_) return; // the first failure is the one to report
    error_ = ec;
    failed_key_ = last_key_;
}

void json_writer::close(char c) {
    out_.push_back(c);
    --depth_;
}

void json_writer::key(std::string_view name) {
    last_key_ = name;
    string(name);
    out_.push_back(':');
    after_key_ = true;
}

void json_writer::number(std::uint64_t n) {
    separate();
    out_ += std::to_string(n);
}

void json_writer::boolean(bool b) {
    separate();
    out_ += b ? "true" : "false";
}

void json_writer::null() {
    separate();
    out_ += "null";
}

void json_writer::string(std::string_view text) {
    separate();
    if (!simdjson::validate_utf8(text.data(), text.size())) fail(client_errc::invalid_utf8);
    out_.push_back('"');
    append_escaped(text);
    out_.push_back('"');
}

void json_writer::append_escaped(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::size_t clean_from = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out_.append(text.substr(clean_from, i - clean_from));
        clean_from = i + 1;
        switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        case '\b': out_ += "\\b"; break;
        case '\f': out_ += "\\f"; break;
        default:
            out_ += "\\u00";
            out_.push_back(hex[c >> 4]);
            out_.push_back(hex[c & 0xf]);
        }
    }
    out_.append(text.substr(clean_from));
}

void json_writer::attribute(const attribute_value& v) {
    if (attribute_depth_ >= max_attribute_depth) {
        fail(client_errc::nesting_too_deep);
        null(); // the body is discarded: stop descending
        return;
    }
    ++attribute_depth_;
    begin_object();
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, attribute_value::null_type>) {
                key("NULL");
                boolean(true);
            } else if constexpr (std::is_same_v<T, bool>) {
                key("BOOL");
                boolean(x);
            } else if constexpr (std::is_same_v<T, attribute_value::string_type>) {
                const std::string_view name = last_key_; // the attribute's, for a UTF-8 error
                key("S");
                last_key_ = name;
                string(x.text);
            } else if constexpr (std::is_same_v<T, attribute_value::number_type>) {
                key("N");
                string(x.digits);
            } else if constexpr (std::is_same_v<T, attribute_value::binary_type>) {
                key("B");
                separate();
                out_.push_back('"');
                codec::append_base64(x.bytes, out_);
                out_.push_back('"');
            } else if constexpr (std::is_same_v<T, attribute_value::list_type>) {
                key("L");
                begin_array();
                for (const attribute_value& e : x) attribute(e);
                end_array();
            } else {
                key("M");
                item(x);
            }
        },
        v.value);
    end_object();
    --attribute_depth_;
}

void json_writer::item(const ddbcache::item& members) {
    begin_object();
    for (const auto& [name, value] : members) {
        key(name);
        attribute(value);
    }
    end_object();
}

} // namespace ddbcache::dynamodb
