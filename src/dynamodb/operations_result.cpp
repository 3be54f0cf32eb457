// Results of the typed operations, parsed with simdjson's on-demand API.
#include "../codec/base64.hpp"
#include "operations_json.hpp"

#include <simdjson.h>

namespace ddbcache::dynamodb {
namespace {
namespace od = simdjson::ondemand;

// Any failure below ends as client_errc::bad_response (or nesting_too_deep); simdjson's codes
// stay internal.
using status = bool; // true: parsed

// DynamoDB nests attribute values at most 32 levels deep; deeper answers (from a misbehaving
// endpoint) would otherwise recurse until the stack overflows.
constexpr int max_attribute_depth = 32;
thread_local bool too_deep = false; // set by read_attribute, reported by read_members

od::parser& thread_parser() {
    thread_local od::parser parser;
    return parser;
}

status read_string(od::value v, std::string& out) {
    std::string_view s;
    if (v.get_string().get(s)) return false;
    out.assign(s);
    return true;
}

// Calls on_member(name, value) for each member of the object `v`; false as soon as one fails.
template <class F>
status for_each_member(od::value v, F&& on_member) {
    od::object obj;
    if (v.get_object().get(obj)) return false;
    for (auto result : obj) {
        od::field field;
        std::string_view name;
        if (std::move(result).get(field) || field.unescaped_key().get(name) || !on_member(name, field.value()))
            return false;
    }
    return true;
}

status read_item(od::value v, item& out, int depth = 0);

// {"S": "..."}, {"N": "..."}, {"B": "<base64>"}, {"BOOL": b}, {"NULL": true}, {"L": [...]},
// {"M": {...}}. Sets (SS, NS, BS) read as lists of their element type.
status read_attribute(od::value v, attribute_value& out, int depth) {
    if (depth >= max_attribute_depth) {
        too_deep = true;
        return false;
    }
    od::object obj;
    if (v.get_object().get(obj)) return false;
    bool seen = false;
    for (auto result : obj) {
        od::field field;
        std::string_view type;
        if (seen || std::move(result).get(field) || field.unescaped_key().get(type)) return false;
        seen = true;
        od::value inner = field.value();
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
            od::array arr;
            if (inner.get_array().get(arr)) return false;
            attribute_value::list_type list;
            for (auto element : arr) {
                od::value e;
                if (std::move(element).get(e)) return false;
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

status read_item(od::value v, item& out, int depth) {
    out.reserve(8); // a cache item has 4 attributes: one allocation rather than three
    return for_each_member(v, [&](std::string_view name, od::value inner) {
        attribute_value value;
        if (!read_attribute(inner, value, depth)) return false;
        out.set(std::string(name), std::move(value));
        return true;
    });
}

status read_items(od::value v, std::vector<item>& out) {
    od::array arr;
    if (v.get_array().get(arr)) return false;
    for (auto element : arr) {
        od::value e;
        if (std::move(element).get(e) || !read_item(e, out.emplace_back())) return false;
    }
    return true;
}

// Adds the CapacityUnits of a ConsumedCapacity: one object, or an array of them (one per table).
status read_consumed_capacity(od::value v, double& units) {
    const auto add_one = [&](od::value one) {
        return for_each_member(one, [&](std::string_view name, od::value inner) {
            if (name != "CapacityUnits") return true;
            double n = 0;
            if (inner.get_double().get(n)) return false;
            units += n;
            return true;
        });
    };
    od::json_type type;
    if (v.type().get(type)) return false;
    if (type != od::json_type::array) return add_one(v);
    od::array arr;
    if (v.get_array().get(arr)) return false;
    for (auto element : arr) {
        od::value e;
        if (std::move(element).get(e) || !add_one(e)) return false;
    }
    return true;
}

// Calls on_member(name, value) for each member of the body's top-level object but
// ConsumedCapacity, which every answer may carry and which goes to `consumed` (when given).
template <class F>
error_code read_members(std::string& body, double* consumed, F&& on_member) {
    if (body.capacity() < body.size() + simdjson::SIMDJSON_PADDING)
        body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    od::document doc;
    od::value root;
    too_deep = false;
    double units = 0;
    const auto on_any_member = [&](std::string_view name, od::value v) {
        return name == "ConsumedCapacity" ? read_consumed_capacity(v, units) : on_member(name, v);
    };
    if (thread_parser().iterate(body.data(), body.size(), body.capacity()).get(doc) || doc.get_value().get(root) ||
        !for_each_member(root, on_any_member))
        return too_deep ? client_errc::nesting_too_deep : client_errc::bad_response;
    if (consumed) *consumed = units;
    return {};
}

status read_names(od::value v, expression_names& out) {
    return for_each_member(v, [&](std::string_view placeholder, od::value inner) {
        std::string name;
        if (!read_string(inner, name)) return false;
        out.emplace_back(std::string(placeholder), std::move(name));
        return true;
    });
}

status read_keys_and_attributes(od::value v, table_keys& out) {
    return for_each_member(v, [&](std::string_view name, od::value inner) {
        if (name == "Keys") return read_items(inner, out.keys);
        if (name == "ProjectionExpression") return read_string(inner, out.projection);
        if (name == "ExpressionAttributeNames") return read_names(inner, out.names);
        if (name == "ConsistentRead") return !inner.get_bool().get(out.consistent_read);
        return true;
    });
}

// {"table": X, ...} with on_table(name, X) for each.
template <class F>
status read_per_table(od::value v, F&& on_table) {
    return for_each_member(v, [&](std::string_view table, od::value inner) { return on_table(std::string(table), inner); });
}

status read_write_requests(od::value v, std::vector<write_request>& out) {
    od::array arr;
    if (v.get_array().get(arr)) return false;
    for (auto element : arr) {
        od::value request;
        if (std::move(element).get(request)) return false;
        // {"PutRequest":{"Item":{...}}} or {"DeleteRequest":{"Key":{...}}}
        const bool ok = for_each_member(request, [&](std::string_view kind, od::value body) {
            if (kind != "PutRequest" && kind != "DeleteRequest") return false;
            write_request& w = out.emplace_back();
            w.action = kind == "PutRequest" ? write_request::kind::put : write_request::kind::erase;
            return for_each_member(body, [&](std::string_view, od::value it) { return read_item(it, w.attributes); });
        });
        if (!ok) return false;
    }
    return true;
}

status read_key_schema(od::value v, table_description& out) {
    od::array arr;
    if (v.get_array().get(arr)) return false;
    for (auto element : arr) {
        std::string_view attribute, role;
        od::object key;
        if (element.get_object().get(key) || key["AttributeName"].get_string().get(attribute) ||
            key["KeyType"].get_string().get(role))
            return false;
        (role == "HASH" ? out.hash_key : out.range_key).assign(attribute);
    }
    return true;
}

status read_table_description(od::value v, table_description& out) {
    return for_each_member(v, [&](std::string_view name, od::value inner) {
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
    return read_members(body, consumed, [&](std::string_view name, od::value v) {
        if (name != "Item") return true;
        return read_item(v, out.found.emplace());
    });
}

error_code read_result(std::string& body, write_item_result& out, double* consumed) {
    return read_members(body, consumed, [&](std::string_view name, od::value v) {
        if (name != "Attributes" && name != "Item") return true;
        return read_item(v, out.attributes.emplace());
    });
}

error_code read_result(std::string& body, batch_get_item_result& out, double* consumed) {
    return read_members(body, consumed, [&](std::string_view name, od::value v) {
        if (name == "Responses")
            return read_per_table(v, [&](std::string table, od::value items) {
                table_items& t = out.found.emplace_back();
                t.table = std::move(table);
                return read_items(items, t.items);
            });
        if (name == "UnprocessedKeys")
            return read_per_table(v, [&](std::string table, od::value keys) {
                table_keys& t = out.unprocessed.emplace_back();
                t.table = std::move(table);
                return read_keys_and_attributes(keys, t);
            });
        return true;
    });
}

error_code read_result(std::string& body, batch_write_item_result& out, double* consumed) {
    return read_members(body, consumed, [&](std::string_view name, od::value v) {
        if (name != "UnprocessedItems") return true;
        return read_per_table(v, [&](std::string table, od::value writes) {
            table_writes& t = out.unprocessed.emplace_back();
            t.table = std::move(table);
            return read_write_requests(writes, t.writes);
        });
    });
}

error_code read_result(std::string& body, scan_result& out, double* consumed) {
    return read_members(body, consumed, [&](std::string_view name, od::value v) {
        if (name == "Items") return read_items(v, out.items);
        if (name == "LastEvaluatedKey") return read_item(v, out.last_evaluated_key.emplace());
        if (name == "ScannedCount") return !v.get_uint64().get(out.scanned_count);
        return true;
    });
}

error_code read_result(std::string& body, table_description& out, double* consumed) {
    return read_members(body, consumed, [&](std::string_view name, od::value v) {
        if (name != "Table" && name != "TableDescription") return true;
        return read_table_description(v, out);
    });
}

error_code read_result(std::string& body, time_to_live_result& out, double* consumed) {
    return read_members(body, consumed, [&](std::string_view name, od::value v) {
        if (name != "TimeToLiveSpecification") return true;
        od::object spec;
        std::string_view attribute;
        if (v.get_object().get(spec) || spec["AttributeName"].get_string().get(attribute) ||
            spec["Enabled"].get_bool().get(out.enabled))
            return false;
        out.attribute.assign(attribute);
        return true;
    });
}

} // namespace ddbcache::dynamodb
