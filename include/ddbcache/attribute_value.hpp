// DynamoDB attribute values (S, N, B, BOOL, NULL, L, M) and items (attribute name -> value).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ddbcache {

struct attribute_value;
struct attribute;

// An item, or the value of an M attribute: attributes in insertion order, names unique.
// Items hold a handful of attributes, so a vector searched linearly beats any map.
class item {
public:
    item() = default;
    item(std::initializer_list<attribute> attributes);
    // Defaulted below, where `attribute` is complete: clang instantiates them where declared.
    item(const item&);
    item(item&&) noexcept;
    item& operator=(const item&);
    item& operator=(item&&) noexcept;
    ~item();

    // Adds the attribute, or replaces the value of the one with this name.
    item& set(std::string name, attribute_value value);
    const attribute_value* find(std::string_view name) const noexcept;

    std::size_t size() const noexcept;
    void reserve(std::size_t n);
    bool empty() const noexcept;
    std::vector<attribute>::const_iterator begin() const noexcept;
    std::vector<attribute>::const_iterator end() const noexcept;

    friend bool operator==(const item&, const item&);

private:
    std::vector<attribute> attributes_;
};

struct attribute_value {
    struct null_type {
        friend bool operator==(null_type, null_type) = default;
    };
    struct string_type { std::string text; friend bool operator==(const string_type&, const string_type&) = default; };
    struct number_type { std::string digits; friend bool operator==(const number_type&, const number_type&) = default; };
    struct binary_type { std::string bytes; friend bool operator==(const binary_type&, const binary_type&) = default; };
    using list_type = std::vector<attribute_value>;

    std::variant<null_type, bool, string_type, number_type, binary_type, list_type, item> value;

    static attribute_value S(std::string text) { return {string_type{std::move(text)}}; }
    static attribute_value N(std::string digits) { return {number_type{std::move(digits)}}; }
    static attribute_value N(std::int64_t number) { return N(std::to_string(number)); }
    static attribute_value B(std::string bytes) { return {binary_type{std::move(bytes)}}; }
    static attribute_value BOOL(bool b) { return {b}; }
    static attribute_value NUL() { return {null_type{}}; }
    static attribute_value L(list_type values) { return {std::move(values)}; }
    static attribute_value M(item members) { return {std::move(members)}; }

    // The content when the value has that type, else nullptr.
    const std::string* if_S() const noexcept { return text_of<string_type>(); }
    const std::string* if_N() const noexcept { return text_of<number_type>(); }
    const std::string* if_B() const noexcept { return text_of<binary_type>(); }
    const bool* if_BOOL() const noexcept { return std::get_if<bool>(&value); }
    bool is_NULL() const noexcept { return std::holds_alternative<null_type>(value); }
    const list_type* if_L() const noexcept { return std::get_if<list_type>(&value); }
    const item* if_M() const noexcept { return std::get_if<item>(&value); }

    friend bool operator==(const attribute_value&, const attribute_value&) = default;

private:
    template <class T>
    const std::string* text_of() const noexcept {
        const T* v = std::get_if<T>(&value);
        if (!v) return nullptr;
        if constexpr (std::is_same_v<T, string_type>) return &v->text;
        else if constexpr (std::is_same_v<T, number_type>) return &v->digits;
        else return &v->bytes;
    }
};

struct attribute {
    std::string name;
    attribute_value value;
    friend bool operator==(const attribute&, const attribute&) = default;
};

inline item::item(const item&) = default;
inline item::item(item&&) noexcept = default;
inline item& item::operator=(const item&) = default;
inline item& item::operator=(item&&) noexcept = default;
inline item::~item() = default;
inline std::size_t item::size() const noexcept { return attributes_.size(); }
inline void item::reserve(std::size_t n) { attributes_.reserve(n); }
inline bool item::empty() const noexcept { return attributes_.empty(); }
inline std::vector<attribute>::const_iterator item::begin() const noexcept { return attributes_.begin(); }
inline std::vector<attribute>::const_iterator item::end() const noexcept { return attributes_.end(); }

inline item::item(std::initializer_list<attribute> attributes) {
    for (const attribute& a : attributes) set(a.name, a.value);
}

inline item& item::set(std::string name, attribute_value value) {
    for (attribute& a : attributes_) {
        if (a.name == name) {
            a.value = std::move(value);
            return *this;
        }
    }
    attributes_.push_back({std::move(name), std::move(value)});
    return *this;
}

inline const attribute_value* item::find(std::string_view name) const noexcept {
    for (const attribute& a : attributes_)
        if (a.name == name) return &a.value;
    return nullptr;
}

inline bool operator==(const item& a, const item& b) {
    if (a.size() != b.size()) return false;
    for (const attribute& x : a.attributes_) {
        const attribute_value* y = b.find(x.name);
        if (!y || !(*y == x.value)) return false;
    }
    return true;
}

} // namespace ddbcache
