#include "naming_rules.hpp"

#include "../codec/printable.hpp"

#include <algorithm>

namespace ddbcache::dynamodb {
namespace {

constexpr std::string_view table_rule =
    "DynamoDB table names are 3 to 255 characters of A-Z, a-z, 0-9, '_', '.' and '-'";

bool allowed_in_table_name(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
}

} // namespace

error_code check_table_name(std::string_view name, std::string& why) {
    // Built only for a refusal: the check runs before every request.
    const auto quoted = [&] { return "table name '" + codec::printable(name) + "'"; };
    if (name.size() < min_table_name || name.size() > max_table_name) {
        why = quoted() + " is " + std::to_string(name.size()) + " characters long; " + std::string(table_rule);
        return client_errc::invalid_name;
    }
    if (auto bad = std::find_if_not(name.begin(), name.end(), allowed_in_table_name); bad != name.end()) {
        why = quoted() + " has '" + codec::printable(std::string_view(&*bad, 1)) + "' at offset " +
              std::to_string(bad - name.begin()) + "; " + std::string(table_rule);
        return client_errc::invalid_name;
    }
    return {};
}

error_code check_key_attribute_name(std::string_view name, std::string_view role, std::string& why) {
    if (!name.empty() && name.size() <= max_key_attribute_name) return {};
    why = std::string(role) + " '" + codec::printable(name) + "' is " + std::to_string(name.size()) +
          " bytes long; DynamoDB key and TTL attribute names are 1 to " + std::to_string(max_key_attribute_name) +
          " bytes";
    return client_errc::invalid_name;
}

} // namespace ddbcache::dynamodb
