// A minimal streaming JSON writer for DynamoDB request bodies: escapes what the JSON grammar
// requires, passes valid UTF-8 through, and refuses invalid UTF-8 and attribute values nested
// deeper than DynamoDB's 32 levels (noting the attribute it was in).
#pragma once

#include <ddbcache/attribute_value.hpp>
#include <ddbcache/error.hpp>

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>

namespace ddbcache::dynamodb {

class json_writer {
public:
    explicit json_writer(std::string& out) : out_(out) {}

    void begin_object() { open('{'); }
    void end_object() { close('}'); }
    void begin_array() { open('['); }
    void end_array() { close(']'); }

    // An object member's name; the value is whatever is written next.
    void key(std::string_view name);
    void string(std::string_view text);
    void number(std::uint64_t n);
    void boolean(bool b);
    void null();
    void attribute(const attribute_value& v); // {"S":"..."} and the others
    void item(const ddbcache::item& members);  // {"name":{"S":...},...}

    // Shorthands for members: "name":<value>.
    void member(std::string_view name, std::string_view text) { key(name); string(text); }
    void member_if(std::string_view name, std::string_view text) {
        if (!text.empty()) member(name, text);
    }

    static constexpr unsigned max_attribute_depth = 32; // DynamoDB's limit on nested attribute values

    // invalid_utf8 once a string was not valid UTF-8, nesting_too_deep once an attribute value
    // nested past max_attribute_depth; `failed_key()` is the member it was in.
    error_code error() const noexcept { return error_; }
    const std::string& failed_key() const noexcept { return failed_key_; }

private:
    void open(char c);
    void close(char c);
    void separate();
    void append_escaped(std::string_view text);
    void fail(error_code ec);

    std::string& out_;
    // Bit n: the container at depth n has a member already. Attribute values nest at most 32
    // levels (2 JSON levels each), inside at most 6 levels of request: 128 is enough.
    std::bitset<128> has_members_;
    unsigned depth_ = 0;
    unsigned attribute_depth_ = 0;
    bool after_key_ = false;
    std::string_view last_key_;
    error_code error_;
    std::string failed_key_;
};

} // namespace ddbcache::dynamodb
