// DynamoDB's rules for table and key attribute names, checked before a request is sent: a bad
// name is refused naming the value and the rule, instead of coming back as a ValidationException.
#pragma once

#include <ddbcache/error.hpp>

#include <string>
#include <string_view>

namespace ddbcache::dynamodb {

inline constexpr std::size_t min_table_name = 3;
inline constexpr std::size_t max_table_name = 255;
// Attribute names may be up to 64 KB, but those of a key (and the TTL attribute) up to 255 bytes.
inline constexpr std::size_t max_key_attribute_name = 255;

// 3 to 255 characters of A-Z, a-z, 0-9, '_', '.' and '-'. Fails with client_errc::invalid_name
// and sets `why`.
error_code check_table_name(std::string_view name, std::string& why);

// 1 to 255 bytes. `role` says what the name is for ("key_field", "the hash key").
error_code check_key_attribute_name(std::string_view name, std::string_view role, std::string& why);

} // namespace ddbcache::dynamodb
