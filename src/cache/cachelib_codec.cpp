#include "cachelib_codec.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace ddbcache::cache_codec {
namespace {

// Pickle opcodes (Lib/pickle.py).
enum : unsigned char {
    PROTO = 0x80, FRAME = 0x95, STOP = '.', MEMOIZE = 0x94, BINPUT = 'q', LONG_BINPUT = 'r',
    SHORT_BINBYTES = 'C', BINBYTES = 'B', BINBYTES8 = 0x8e,
    SHORT_BINUNICODE = 0x8c, BINUNICODE = 'X', BINUNICODE8 = 0x8d,
    BININT1 = 'K', BININT2 = 'M', BININT = 'J', LONG1 = 0x8a, LONG4 = 0x8b, BINFLOAT = 'G',
    NEWTRUE = 0x88, NEWFALSE = 0x89, NONE = 'N',
};

// Python ints longer than this many bytes are refused (they would be thousands of digits).
constexpr std::size_t max_long_bytes = 1024;

void put_le(std::string& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A cursor over untrusted bytes: every read checks what is left.
class reader {
public:
    explicit reader(std::string_view data) : data_(data) {}
    bool at_end() const noexcept { return pos_ == data_.size(); }
    std::size_t left() const noexcept { return data_.size() - pos_; }
    bool byte(unsigned char& b) {
        if (left() < 1) return false;
        b = static_cast<unsigned char>(data_[pos_++]);
        return true;
    }
    bool le(std::uint64_t& v, int bytes) {
        if (left() < static_cast<std::size_t>(bytes)) return false;
        v = 0;
        for (int i = 0; i < bytes; ++i) v |= std::uint64_t{static_cast<unsigned char>(data_[pos_ + i])} << (8 * i);
        pos_ += bytes;
        return true;
    }
    bool take(std::uint64_t n, std::string_view& out) {
        if (n > left()) return false;
        out = data_.substr(pos_, n);
        pos_ += n;
        return true;
    }

private:
    std::string_view data_;
    std::size_t pos_ = 0;
};

// Decimal text of a little-endian two's-complement integer (LONG1/LONG4 payloads).
std::string long_to_decimal(std::string_view le_bytes) {
    if (le_bytes.empty()) return "0";
    std::vector<std::uint8_t> magnitude(le_bytes.begin(), le_bytes.end());
    const bool negative = magnitude.back() & 0x80;
    if (negative) { // two's complement: invert and add one
        unsigned carry = 1;
        for (auto& b : magnitude) {
            const unsigned v = static_cast<std::uint8_t>(~b) + carry;
            b = static_cast<std::uint8_t>(v);
            carry = v >> 8;
        }
    }
    std::string digits;
    while (std::any_of(magnitude.begin(), magnitude.end(), [](auto b) { return b != 0; })) {
        unsigned remainder = 0; // divide the big-endian view by 10
        for (auto it = magnitude.rbegin(); it != magnitude.rend(); ++it) {
            const unsigned v = (remainder << 8) | *it;
            *it = static_cast<std::uint8_t>(v / 10);
            remainder = v % 10;
        }
        digits.push_back(static_cast<char>('0' + remainder));
    }
    if (digits.empty()) digits = "0";
    if (negative) digits.push_back('-');
    std::reverse(digits.begin(), digits.end());
    return digits;
}

decoded unsupported(std::string reason) { return {decoded::kind::unsupported, {}, std::move(reason)}; }
decoded value_of(std::string text) { return {decoded::kind::value, std::move(text), {}}; }

// The single value a pickle of a plain object holds; `r` is just past PROTO (and FRAME).
decoded read_value(reader& r, unsigned char op) {
    std::uint64_t n = 0;
    std::string_view payload;
    auto sized = [&](int length_bytes) { return r.le(n, length_bytes) && r.take(n, payload); };
    switch (op) {
    case SHORT_BINBYTES: case SHORT_BINUNICODE:
        if (!sized(1)) break;
        return value_of(std::string(payload));
    case BINBYTES: case BINUNICODE:
        if (!sized(4)) break;
        return value_of(std::string(payload));
    case BINBYTES8: case BINUNICODE8:
        if (!sized(8)) break;
        return value_of(std::string(payload));
    case BININT1:
        if (!r.le(n, 1)) break;
        return value_of(std::to_string(n));
    case BININT2:
        if (!r.le(n, 2)) break;
        return value_of(std::to_string(n));
    case BININT:
        if (!r.le(n, 4)) break;
        return value_of(std::to_string(static_cast<std::int32_t>(static_cast<std::uint32_t>(n))));
    case LONG1: case LONG4:
        if (!r.le(n, op == LONG1 ? 1 : 4)) break;
        if (n > max_long_bytes) return unsupported("an int of " + std::to_string(n) + " bytes");
        if (!r.take(n, payload)) break;
        return value_of(long_to_decimal(payload));
    case BINFLOAT: {
        if (!r.take(8, payload)) break;
        std::uint64_t bits = 0;
        for (unsigned char c : payload) bits = (bits << 8) | c; // big-endian
        return value_of(python_float_repr(std::bit_cast<double>(bits)));
    }
    case NEWTRUE: return value_of("True");
    case NEWFALSE: return value_of("False");
    case NONE: return {decoded::kind::none, {}, {}};
    default: {
        static constexpr char hex[] = "0123456789abcdef";
        return unsupported(std::string("a pickle of a type ddbcache does not read (opcode 0x") + hex[op >> 4] +
                           hex[op & 0xf] + ")");
    }
    }
    return unsupported("a truncated pickle");
}

decoded decode_pickle(std::string_view pickle) {
    reader r(pickle);
    unsigned char op = 0, protocol = 0;
    if (!r.byte(op) || op != PROTO || !r.byte(protocol) || protocol < 2 || protocol > 5)
        return unsupported("a pickle that is not protocol 2 to 5");
    if (!r.byte(op)) return unsupported("a truncated pickle");
    if (op == FRAME) {
        std::uint64_t frame = 0;
        if (!r.le(frame, 8) || frame != r.left()) return unsupported("a pickle with a bad frame length");
        if (!r.byte(op)) return unsupported("a truncated pickle");
    }
    decoded value = read_value(r, op);
    if (value.what == decoded::kind::unsupported) return value;
    if (!r.byte(op)) return unsupported("a truncated pickle");
    std::uint64_t memo = 0;
    if ((op == MEMOIZE || (op == BINPUT && r.le(memo, 1)) || (op == LONG_BINPUT && r.le(memo, 4))) && !r.byte(op))
        return unsupported("a truncated pickle");
    if (op != STOP || !r.at_end()) return unsupported("a pickle holding more than one plain value");
    return value;
}

} // namespace

void encode_cachelib(std::string_view value, std::string& out) {
    const std::size_t n = value.size();
    out.reserve(out.size() + n + 20);
    out.push_back('!');
    out.push_back(static_cast<char>(PROTO));
    out.push_back(5);
    // CPython frames payloads under 64 KiB and writes larger bytes objects outside any frame.
    if (n < 256) {
        out.push_back(static_cast<char>(FRAME));
        put_le(out, n + 4, 8);
        out.push_back(SHORT_BINBYTES);
        put_le(out, n, 1);
    } else if (n < 65536) {
        out.push_back(static_cast<char>(FRAME));
        put_le(out, n + 7, 8);
        out.push_back(BINBYTES);
        put_le(out, n, 4);
    } else {
        out.push_back(BINBYTES);
        put_le(out, n, 4);
    }
    out.append(value);
    out.push_back(static_cast<char>(MEMOIZE));
    out.push_back(STOP);
}

std::string encode_none() { return std::string("!\x80\x05N.", 5); }

std::string encode_integer(long long n) { return std::to_string(n); }

bool is_integer_text(std::string_view text) noexcept {
    if (!text.empty() && text.front() == '-') text.remove_prefix(1);
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

decoded decode_cachelib(std::string_view stored) {
    if (!stored.empty() && stored.front() == '!') return decode_pickle(stored.substr(1));
    // Digits are an int to cachelib; anything else it returns as it is (values from before 0.8).
    return value_of(std::string(stored));
}

std::string python_float_repr(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
    // Shortest round-trip digits, as "d.ddde±x", then laid out by repr()'s rule: positional for
    // exponents -4..15, else scientific with a signed exponent of at least two digits.
    char buffer[64];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
    std::string_view sci(buffer, static_cast<std::size_t>(end - buffer));
    const bool negative = sci.front() == '-';
    if (negative) sci.remove_prefix(1);
    const std::size_t e_pos = sci.find('e');
    std::string digits;
    for (char c : sci.substr(0, e_pos))
        if (c != '.') digits.push_back(c);
    int exponent = 0;
    std::from_chars(sci.data() + e_pos + 1 + (sci[e_pos + 1] == '+'), sci.data() + sci.size(), exponent);

    std::string out = negative ? "-" : "";
    if (exponent >= -4 && exponent < 16) {
        if (exponent < 0) {
            out += "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
        } else if (digits.size() <= static_cast<std::size_t>(exponent) + 1) {
            out += digits + std::string(static_cast<std::size_t>(exponent) + 1 - digits.size(), '0') + ".0";
        } else {
            out += digits.substr(0, static_cast<std::size_t>(exponent) + 1) + "." +
                   digits.substr(static_cast<std::size_t>(exponent) + 1);
        }
        return out;
    }
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    const int magnitude = exponent < 0 ? -exponent : exponent;
    out += exponent < 0 ? "e-" : "e+";
    if (magnitude < 10) out += '0';
    out += std::to_string(magnitude);
    return out;
}

} // namespace ddbcache::cache_codec
