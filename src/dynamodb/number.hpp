// DynamoDB's number type (N): a decimal string of up to 38 significant digits, with an optional
// sign, fraction and exponent ("-12.5", "1.5E+9", "4102444800"). Compared exactly, never through a
// 64-bit integer or a double, since any client may have written it.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ddbcache::dynamodb {

// Compares the number `text` with mantissa × 10^exponent10, exactly. nullopt when `text` is not a
// number in DynamoDB's syntax ([-+]digits[.digits][(e|E)[-+]digits], or .digits).
std::optional<std::strong_ordering> compare_number(std::string_view text, std::int64_t mantissa, int exponent10 = 0);

} // namespace ddbcache::dynamodb
