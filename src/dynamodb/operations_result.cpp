// Results of the typed operations, parsed with simdjson's DOM API: its parser picks the best kernel
// for the CPU at run time (icelake, haswell, ...), where On Demand in simdjson 3.0 is compiled for the
// build's baseline only (its fallback kernel on plain x86-64).
#include "../codec/base64.hpp"
#include "operations_json.hpp"

#include <simdjson.h>

#include <optional>

namespace ddbcache::dynamodb {
namespace {
namespace dom = simdjson::dom;

// Any failure below ends as client_errc::bad_response (or nesting_too_deep); simdjson's codes
// stay internal.
using status = bool; // true: parsed

// DynamoDB nests attribute values at most 32 levels deep; deeper answers (from a misbehaving
// endpoint) would otherwise recurse until the stack overflows.
constexpr int max_attribute_depth = 32;
thread_local bool too_deep = false; // set by read_attribute, reported by read_members

// A DOM parser keeps about ten times the largest document it has parsed. Answers up to 64 KiB (every
// GetItem of a small value) reuse the thread's parser; a larger one (a 16 MB BatchGetItem) gets its
// own, freed after it.
constexpr std::size_t reused_parser_capacity = std::size_t{64} * 1024;

dom::parser& thread_parser() {
    thread_local dom::parser parser(reused_parser_capacity);
    return parser;
}

status read_string(dom::element v, std::string& out) {
    std::string_view s;
    if (v.get_string().get(s)) return false;
    out.assign(s);
    return true;
}

// Calls on_member(name, value) for each member of the object `v`; false as soon as one fails.
template <class F>
status for_each_member(dom::element v, F&& on_member) {
    dom::object obj;
    if (v.get_object().get(obj)) return false;
    for (const dom::key_value_pair& field : obj)
        if (!on_member(field.key, field.value)) return false;
    return true;
}

status read_item(dom::element v, item& out, int depth = 0);

// {"S": "..."}, {"N": "..."}, {"B": "<base64>"}, {"BOOL": b}, {"NULL": true}, {"L": [...]},
// {"M": {...}}. Sets (SS, NS, BS) read as lists of their element type.
status read_attribute(dom::element v, attribute_value& out, int depth) {
    if (depth >= max_attribute_depth) {
        too_deep = true;
        return false;
    }
    dom::object obj;
    if (v.get_object().get(obj)) return false;
    bool seen = false;
    for (const dom::key_value_pair& field : obj) {
        const std::string_view type = field.key;
        if (seen) return false;
        seen = true;
        const dom::element inner = field.value;
        if (type == "S" || type == "N") {
            std::string text;
            if (!read_string(inner, text)) return false;
            out = type == "S" ? attribute_value::S(std::move(text)) : attribute_value::N(std::move(text));
        } else if (type == "B") {
            std::string_view text;
            std::string bytes;
            if (inner.get_string().get(text) || !codec::decode_base64(text, bytes)) return false;
            out = attribute_value::B(std::move(bytes));
        } else if (type == "BOOL" || type == "NULL") {
            bool b = false;
            if (inner.get_bool().get(b)) return false;
            out = type == "BOOL" ? attribute_value::BOOL(b) : attribute_value::NUL();
        } else if (type == "M") {
            item members;
            if (!read_item(inner, members, depth + 1)) return false;
            out = attribute_value::M(std::move(members));
        } else if (type == "L" || type == "SS" || type == "NS" || type == "BS") {
            dom::array arr;
            if (inner.get_array().get(arr)) return false;
            attribute_value::list_type list;
            for (const dom::element e : arr) {
                attribute_value& slot = list.emplace_back();
                if (type == "L") {
                    if (!read_attribute(e, slot, depth + 1)) return false;
                    continue;
                }
                std::string text;
                if (!read_string(e, text)) return false;
                if (type == "SS") slot = attribute_value::S(std::move(text));
                else if (type == "NS") slot = attribute_value::N(std::move(text));
                else if (std::string bytes; codec::decode_base64(text, bytes)) slot = attribute_value::B(std::move(bytes));
                else return false;
            }
            out = attribute_value::L(std::move(list));
        } else {
            return false;
        }
    }
    return seen;
}

status read_item(dom::element v, item& out, int depth) {
    out.reserve(8); // a cache item has 4 attributes: one allocation rather than three
    return for_each_member(v, [&](std::string_view name, dom::element inner) {
        attribute_value value;
        if (!read_attribute(inner, value, depth)) return false;
        out.set(std::string(name), std::move(value));
        return true;
    });
}

status read_items(dom::element v, std::vector<item>& out) {
    dom::array arr;
    if (v.get_array().get(arr)) return false;
    for (const dom::element e : arr)
        if (!read_item(e, out.emplace_back())) return false;
    return true;
}

// Adds the CapacityUnits of a ConsumedCapacity: one object, or an array of them (one per table).
status read_consumed_capacity(dom::element v, double& units) {
    const auto add_one = [&](dom::element one) {
        return for_each_member(one, [&](std::string_view name, dom::element inner) {
            if (name != "CapacityUnits") return true;
            double n = 0;
            if (inner.get_double().get(n)) return false;
            units += n;
            return true;
        });
    };
    dom::array arr;
    if (v.get_array().get(arr)) return add_one(v);
    for (const dom::element e : arr)
        if (!add_one(e)) return false;
    return true;
}

// Calls on_member(name, value) for each member of the body's top-level object but
// ConsumedCapacity, which every answer may carry and which goes to `consumed` (when given).
template <class F>
error_code read_members(std::string& body, double* consumed, F&& on_member) {
    if (body.capacity() < body.size() + simdjson::SIMDJSON_PADDING)
        body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    dom::element root;
    too_deep = false;
    double units = 0;
    const auto on_any_member = [&](std::string_view name, dom::element v) {
        return name == "ConsumedCapacity" ? read_consumed_capacity(v, units) : on_member(name, v);
    };
    // The parser's own depth limit (1024) comes long after DynamoDB's 32 levels: the same error.
    std::optional<dom::parser> own;
    dom::parser& parser = body.size() <= reused_parser_capacity ? thread_parser() : own.emplace(body.size());
    if (const auto parsed = parser.parse(body.data(), body.size(), false).get(root))
        return parsed == simdjson::DEPTH_ERROR ? client_errc::nesting_too_deep : client_errc::bad_response;
    if (!for_each_member(root, on_any_member))
        return too_deep ? client_errc::nesting_too_deep : client_errc::bad_response;
    if (consumed) *consumed = units;
    return {};
}

status read_names(dom::element v, expression_names& out) {
    return for_each_member(v, [&](std::string_view placeholder, dom::element inner) {
        std::string name;
        if (!read_string(inner, name)) return false;
        out.emplace_back(std::string(placeholder), std::move(name));
        return true;
    });
}

status read_keys_and_attributes(dom::element v, table_keys& out) {
    return for_each_member(v, [&](std::string_view name, dom::element inner) {
        if (name == "Keys") return read_items(inner, out.keys);
        if (name == "ProjectionExpression") return read_string(inner, out.projection);
        if (name == "ExpressionAttributeNames") return read_names(inner, out.names);
        if (name == "ConsistentRead") return !inner.get_bool().get(out.consistent_read);
        return true;
    });
}

// {"table": X, ...} with on_table(name, X) for each.
template <class F>
status read_per_table(dom::element v, F&& on_table) {
    return for_each_member(v, [&](std::string_view table, dom::element inner) { return on_table(std::string(table), inner); });
}

status read_write_requests(dom::element v, std::vector<write_request>& out) {
    dom::array arr;
    if (v.get_array().get(arr)) return false;
    for (const dom::element request : arr) {
        // {"PutRequest":{"Item":{...}}} or {"DeleteRequest":{"Key":{...}}}
        const bool ok = for_each_member(request, [&](std::string_view kind, dom::element body) {
            if (kind != "PutRequest" && kind != "DeleteRequest") return false;
            write_request& w = out.emplace_back();
            w.action = kind == "PutRequest" ? write_request::kind::put : write_request::kind::erase;
            return for_each_member(body, [&](std::string_view, dom::element it) { return read_item(it, w.attributes); });
        });
        if (!ok) return false;
    }
    return true;
}

status read_key_schema(dom::element v, table_description& out) {
    dom::array arr;
    if (v.get_array().get(arr)) return false;
    for (const dom::element element : arr) {
        std::string_view attribute, role;
        dom::object key;
        if (element.get_object().get(key) || key["AttributeName"].get_string().get(attribute) ||
            key["KeyType"].get_string().get(role))
            return false;
        (role == "HASH" ? out.hash_key : out.range_key).assign(attribute);
    }
    return true;
}

status read_table_description(dom::element v, table_description& out) {
    return for_each_member(v, [&](std::string_view name, dom::element inner) {
        if (name == "TableName") return read_string(inner, out.name);
        if (name == "TableStatus") return read_string(inner, out.status);
        if (name == "TableArn") return read_string(inner, out.arn);
        if (name == "ItemCount") return !inner.get_uint64().get(out.item_count);
        if (name == "TableSizeBytes") return !inner.get_uint64().get(out.size_bytes);
        if (name == "KeySchema") return read_key_schema(inner, out);
        return true;
    });
}

} // namespace

error_code read_result(std::string& body, get_item_result& out, double* consumed) {
    return read_members(body, consumed, [&](std::string_view name, dom::element v) {
        if (name != "Item") return true;
        return read_item(v, out.found.emplace());
    });
}

error_code read_result(std::string& body, write_item_result& out, double* consumed) {
    return read_members(body, consumed, [&](std::string_view name, dom::element v) {
        if (name != "Attributes" && name != "Item") return true;
        return read_item(v, out.attributes.emplace());
    });
}

error_code read_result(std::string& body, batch_get_item_result& out, double* consumed) {
    return read_members(body, consumed, [&](std::string_view name, dom::element v) {
        if (name == "Responses")
            return read_per_table(v, [&](std::string table, dom::element items) {
                table_items& t = out.found.emplace_back();
                t.table = std::move(table);
                return read_items(items, t.items);
            });
        if (name == "UnprocessedKeys")
            return read_per_table(v, [&](std::string table, dom::element keys) {
                table_keys& t = out.unprocessed.emplace_back();
                t.table = std::move(table);
                return read_keys_and_attributes(keys, t);
            });
        return true;
    });
}

error_code read_result(std::string& body, batch_write_item_result& out, double* consumed) {
    return read_members(body, consumed, [&](std::string_view name, dom::element v) {
        if (name != "UnprocessedItems") return true;
        return read_per_table(v, [&](std::string table, dom::element writes) {
            table_writes& t = out.unprocessed.emplace_back();
            t.table = std::move(table);
            return read_write_requests(writes, t.writes);
        });
    });
}

error_code read_result(std::string& body, scan_result& out, double* consumed) {
    return read_members(body, consumed, [&](std::string_view name, dom::element v) {
        if (name == "Items") return read_items(v, out.items);
        if (name == "LastEvaluatedKey") return read_item(v, out.last_evaluated_key.emplace());
        if (name == "ScannedCount") return !v.get_uint64().get(out.scanned_count);
        return true;
    });
}

error_code read_result(std::string& body, table_description& out, double* consumed) {
    return read_members(body, consumed, [&](std::string_view name, dom::element v) {
        if (name != "Table" && name != "TableDescription") return true;
        return read_table_description(v, out);
    });
}

error_code read_result(std::string& body, time_to_live_result& out, double* consumed) {
    return read_members(body, consumed, [&](std::string_view name, dom::element v) {
        if (name != "TimeToLiveSpecification") return true;
        dom::object spec;
        std::string_view attribute;
        if (v.get_object().get(spec) || spec["AttributeName"].get_string().get(attribute) ||
            spec["Enabled"].get_bool().get(out.enabled))
            return false;
        out.attribute.assign(attribute);
        return true;
    });
}

} // namespace ddbcache::dynamodb
