#include "answer_parsing.hpp"

#include "../codec/printable.hpp"

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <sstream>

namespace ddbcache::credentials_sources {
namespace {

// Reads `width` digits at `pos` (advancing it); -1 when they are not all digits.
int digits(std::string_view text, std::size_t& pos, std::size_t width) {
    int value = 0;
    if (pos + width > text.size()) return -1;
    const auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + width, value);
    if (ec != std::errc() || end != text.data() + pos + width) return -1;
    pos += width;
    return value;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
    if (pos >= text.size() || text[pos] != c) return false;
    ++pos;
    return true;
}

fetched credentials_or_missing(std::string_view source, credentials c,
                               std::optional<wall_clock::time_point> expiration, bool has_expiration_text) {
    if (c.access_key_id.empty() || c.secret_access_key.empty())
        return fetch_failure(std::string(source), "the answer has no AccessKeyId or SecretAccessKey");
    if (has_expiration_text && !expiration)
        return fetch_failure(std::string(source), "the answer's Expiration is not an ISO 8601 time");
    return {{}, {}, std::move(c), expiration};
}

// How deep the elements of `xml` nest, as far as its tags tell; PropertyTree's parser recurses once
// per level, so a hostile answer nested without bound would overflow the stack.
std::size_t element_depth(std::string_view xml) {
    std::size_t depth = 0, deepest = 0;
    for (std::size_t at = xml.find('<'); at != std::string_view::npos; at = xml.find('<', at + 1)) {
        const char next = at + 1 < xml.size() ? xml[at + 1] : '\0';
        if (next == '/') {
            depth -= depth > 0;
        } else if (next == '!' || next == '?') {
            // A comment, CDATA, declaration or processing instruction: skip to its end.
            const std::string_view end = xml.substr(at, 4) == "<!--" ? "-->" : xml.substr(at, 9) == "<![CDATA[" ? "]]>" : ">";
            at = xml.find(end, at + 1);
            if (at == std::string_view::npos) break;
        } else {
            char quote = 0; // '>' and '/' inside a quoted attribute value do not count
            std::size_t close = at + 1;
            for (; close < xml.size() && (quote != 0 || xml[close] != '>'); ++close) {
                const char c = xml[close];
                if (quote == 0 && (c == '"' || c == '\'')) quote = c;
                else if (c == quote) quote = 0;
            }
            if (close >= xml.size()) break;
            if (xml[close - 1] != '/') deepest = std::max(deepest, ++depth);
            at = close;
        }
    }
    return deepest;
}

} // namespace

std::optional<wall_clock::time_point> parse_iso8601(std::string_view text) {
    std::size_t pos = 0;
    const int year = digits(text, pos, 4);
    if (year < 0 || !expect(text, pos, '-')) return std::nullopt;
    const int month = digits(text, pos, 2);
    if (month < 0 || !expect(text, pos, '-')) return std::nullopt;
    const int day = digits(text, pos, 2);
    if (day < 0 || !(expect(text, pos, 'T') || expect(text, pos, 't') || expect(text, pos, ' '))) return std::nullopt;
    const int hour = digits(text, pos, 2);
    if (hour < 0 || !expect(text, pos, ':')) return std::nullopt;
    const int minute = digits(text, pos, 2);
    if (minute < 0 || !expect(text, pos, ':')) return std::nullopt;
    const int second = digits(text, pos, 2);
    if (second < 0) return std::nullopt;
    if (expect(text, pos, '.'))
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos; // sub-second: dropped
    std::chrono::minutes offset{0};
    if (!(expect(text, pos, 'Z') || expect(text, pos, 'z'))) {
        if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-')) return std::nullopt;
        const int sign = text[pos++] == '-' ? -1 : 1;
        const int oh = digits(text, pos, 2);
        if (oh < 0 || !expect(text, pos, ':')) return std::nullopt;
        const int om = digits(text, pos, 2);
        if (om < 0) return std::nullopt;
        offset = std::chrono::minutes(sign * (oh * 60 + om));
    }
    const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(unsigned(month)),
                                           std::chrono::day(unsigned(day))};
    if (pos != text.size() || !date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
    // system_clock counts nanoseconds in 64 bits (years 1678 to 2262): stay well inside.
    if (year < 1970 || year > 2200) return std::nullopt;
    return std::chrono::sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
           std::chrono::seconds(second) - offset;
}

fetched parse_json_credentials(std::string_view source, std::string_view body, bool needs_version) {
    const std::string name(source);
    simdjson::dom::parser parser;
    simdjson::dom::object root;
    if (parser.parse(body.data(), body.size()).get_object().get(root))
        return fetch_failure(name, "the answer is not a JSON object");
    auto text = [&](const char* key) {
        std::string_view v;
        return root[key].get_string().get(v) ? std::string() : std::string(v);
    };
    if (const std::string code = text("Code"); !code.empty() && code != "Success")
        return fetch_failure(name, "the answer's Code is " + codec::printable(code) + ": " + codec::printable(text("Message")));
    if (int64_t version = 0; !root["Version"].get_int64().get(version)) {
        if (version != 1) return fetch_failure(name, "unsupported Version " + std::to_string(version) + " (only 1 is known)");
    } else if (needs_version) {
        return fetch_failure(name, "the answer has no \"Version\": 1 (the only version of the format)");
    }
    std::string token = text("Token");
    if (token.empty()) token = text("SessionToken");
    const std::string expiration = text("Expiration");
    return credentials_or_missing(source, credentials{text("AccessKeyId"), text("SecretAccessKey"), std::move(token)},
                                  parse_iso8601(expiration), !expiration.empty());
}

fetched parse_sts_credentials(std::string_view source, std::string_view body) {
    namespace pt = boost::property_tree;
    const std::string name(source);
    pt::ptree tree;
    constexpr std::size_t max_element_depth = 32; // STS's answers nest 4 levels
    if (element_depth(body) > max_element_depth)
        return fetch_failure(name, "the answer's XML nests deeper than " + std::to_string(max_element_depth) + " levels");
    try {
        std::istringstream in{std::string(body)};
        pt::read_xml(in, tree);
    } catch (const pt::ptree_error&) {
        return fetch_failure(name, "the answer is not XML");
    }
    if (auto error = tree.get_child_optional("ErrorResponse.Error"))
        return fetch_failure(name, codec::printable(error->get("Code", "(no code)")) + ": " +
                                       codec::printable(error->get("Message", "(no message)")));
    auto c = tree.get_child_optional("AssumeRoleWithWebIdentityResponse.AssumeRoleWithWebIdentityResult.Credentials");
    if (!c) return fetch_failure(name, "the answer has no AssumeRoleWithWebIdentityResult/Credentials");
    const std::string expiration = c->get("Expiration", "");
    return credentials_or_missing(source,
                                  credentials{c->get("AccessKeyId", ""), c->get("SecretAccessKey", ""),
                                              c->get("SessionToken", "")},
                                  parse_iso8601(expiration), !expiration.empty());
}

} // namespace ddbcache::credentials_sources
