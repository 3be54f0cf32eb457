// Request bodies of the typed operations.
#include "../codec/printable.hpp"
#include "json_writer.hpp"
#include "naming_rules.hpp"
#include "operations_json.hpp"

namespace ddbcache::dynamodb {
namespace {

const char* return_values_name(return_values r) {
    switch (r) {
    case return_values::all_old: return "ALL_OLD";
    case return_values::updated_old: return "UPDATED_OLD";
    case return_values::all_new: return "ALL_NEW";
    case return_values::updated_new: return "UPDATED_NEW";
    case return_values::none: break;
    }
    return "NONE";
}

void write_names(json_writer& w, const expression_names& names) {
    if (names.empty()) return;
    w.key("ExpressionAttributeNames");
    w.begin_object();
    for (const auto& [placeholder, name] : names) w.member(placeholder, name);
    w.end_object();
}

void write_values(json_writer& w, const item& values) {
    if (values.empty()) return;
    w.key("ExpressionAttributeValues");
    w.item(values);
}

void write_conditional(json_writer& w, const conditional_write& c) {
    w.member_if("ConditionExpression", c.condition);
    write_names(w, c.names);
    write_values(w, c.values);
    if (c.returned != return_values::none) w.member("ReturnValues", return_values_name(c.returned));
    if (c.return_item_on_condition_failure) w.member("ReturnValuesOnConditionCheckFailure", "ALL_OLD");
}

void write_keys_and_attributes(json_writer& w, const table_keys& t) {
    w.begin_object();
    w.key("Keys");
    w.begin_array();
    for (const item& key : t.keys) w.item(key);
    w.end_array();
    w.member_if("ProjectionExpression", t.projection);
    write_names(w, t.names);
    if (t.consistent_read) {
        w.key("ConsistentRead");
        w.boolean(true);
    }
    w.end_object();
}

// Runs `write` on a fresh body; turns the writer's UTF-8 failure into an explanation.
template <class F>
error_code write_body(std::string& body, std::string& why, F&& write) {
    body.clear();
    json_writer w(body);
    w.begin_object();
    write(w);
    w.end_object();
    if (w.error() == client_errc::nesting_too_deep)
        why = "attribute '" + codec::printable(w.failed_key()) + "' nests values deeper than DynamoDB's " +
              std::to_string(json_writer::max_attribute_depth) + " levels";
    else if (w.error())
        why = "a string in attribute '" + codec::printable(w.failed_key()) + "' is not valid UTF-8";
    return w.error();
}

} // namespace

void add_return_consumed_capacity(std::string& body) {
    // write_body's object always has a member (TableName or RequestItems): one more after a comma.
    body.pop_back(); // its closing brace
    body += R"(,"ReturnConsumedCapacity":"TOTAL"})";
}

error_code write_json(const get_item_request& r, std::string& body, std::string& why) {
    if (error_code ec = check_table_name(r.table, why)) return ec;
    return write_body(body, why, [&](json_writer& w) {
        w.member("TableName", r.table);
        w.key("Key");
        w.item(r.key);
        w.member_if("ProjectionExpression", r.projection);
        write_names(w, r.names);
        if (r.consistent_read) {
            w.key("ConsistentRead");
            w.boolean(true);
        }
    });
}

error_code write_json(const put_item_request& r, std::string& body, std::string& why) {
    if (error_code ec = check_table_name(r.table, why)) return ec;
    return write_body(body, why, [&](json_writer& w) {
        w.member("TableName", r.table);
        w.key("Item");
        w.item(r.attributes);
        write_conditional(w, r.write);
    });
}

error_code write_json(const delete_item_request& r, std::string& body, std::string& why) {
    if (error_code ec = check_table_name(r.table, why)) return ec;
    return write_body(body, why, [&](json_writer& w) {
        w.member("TableName", r.table);
        w.key("Key");
        w.item(r.key);
        write_conditional(w, r.write);
    });
}

error_code write_json(const update_item_request& r, std::string& body, std::string& why) {
    if (error_code ec = check_table_name(r.table, why)) return ec;
    return write_body(body, why, [&](json_writer& w) {
        w.member("TableName", r.table);
        w.key("Key");
        w.item(r.key);
        w.member_if("UpdateExpression", r.update);
        write_conditional(w, r.write);
    });
}

error_code write_json(const batch_get_item_request& r, std::string& body, std::string& why) {
    for (const table_keys& t : r.tables)
        if (error_code ec = check_table_name(t.table, why)) return ec;
    return write_body(body, why, [&](json_writer& w) {
        w.key("RequestItems");
        w.begin_object();
        for (const table_keys& t : r.tables) {
            w.key(t.table);
            write_keys_and_attributes(w, t);
        }
        w.end_object();
    });
}

error_code write_json(const batch_write_item_request& r, std::string& body, std::string& why) {
    for (const table_writes& t : r.tables)
        if (error_code ec = check_table_name(t.table, why)) return ec;
    return write_body(body, why, [&](json_writer& w) {
        w.key("RequestItems");
        w.begin_object();
        for (const table_writes& t : r.tables) {
            w.key(t.table);
            w.begin_array();
            for (const write_request& one : t.writes) {
                const bool put = one.action == write_request::kind::put;
                w.begin_object();
                w.key(put ? "PutRequest" : "DeleteRequest");
                w.begin_object();
                w.key(put ? "Item" : "Key");
                w.item(one.attributes);
                w.end_object();
                w.end_object();
            }
            w.end_array();
        }
        w.end_object();
    });
}

error_code write_json(const scan_request& r, std::string& body, std::string& why) {
    if (error_code ec = check_table_name(r.table, why)) return ec;
    return write_body(body, why, [&](json_writer& w) {
        w.member("TableName", r.table);
        w.member_if("FilterExpression", r.filter);
        w.member_if("ProjectionExpression", r.projection);
        write_names(w, r.names);
        write_values(w, r.values);
        if (r.segment) {
            w.key("Segment");
            w.number(*r.segment);
        }
        if (r.total_segments) {
            w.key("TotalSegments");
            w.number(*r.total_segments);
        }
        if (r.exclusive_start_key) {
            w.key("ExclusiveStartKey");
            w.item(*r.exclusive_start_key);
        }
        if (r.limit) {
            w.key("Limit");
            w.number(*r.limit);
        }
        if (r.consistent_read) {
            w.key("ConsistentRead");
            w.boolean(true);
        }
    });
}

error_code write_json(const create_table_request& r, std::string& body, std::string& why) {
    if (error_code ec = check_table_name(r.table, why)) return ec;
    if (error_code ec = check_key_attribute_name(r.hash_key.name, "hash key", why)) return ec;
    if (r.range_key)
        if (error_code ec = check_key_attribute_name(r.range_key->name, "range key", why)) return ec;
    return write_body(body, why, [&](json_writer& w) {
        w.member("TableName", r.table);
        auto for_each_key = [&](auto&& f) {
            f(r.hash_key, "HASH");
            if (r.range_key) f(*r.range_key, "RANGE");
        };
        w.key("AttributeDefinitions");
        w.begin_array();
        for_each_key([&](const key_attribute& k, const char*) {
            w.begin_object();
            w.member("AttributeName", k.name);
            w.member("AttributeType", std::string_view(&k.type, 1));
            w.end_object();
        });
        w.end_array();
        w.key("KeySchema");
        w.begin_array();
        for_each_key([&](const key_attribute& k, const char* role) {
            w.begin_object();
            w.member("AttributeName", k.name);
            w.member("KeyType", role);
            w.end_object();
        });
        w.end_array();
        if (r.provisioned_throughput) {
            w.member("BillingMode", "PROVISIONED");
            w.key("ProvisionedThroughput");
            w.begin_object();
            w.key("ReadCapacityUnits");
            w.number(r.provisioned_throughput->first);
            w.key("WriteCapacityUnits");
            w.number(r.provisioned_throughput->second);
            w.end_object();
        } else {
            w.member("BillingMode", "PAY_PER_REQUEST");
        }
    });
}

error_code write_json(const describe_table_request& r, std::string& body, std::string& why) {
    if (error_code ec = check_table_name(r.table, why)) return ec;
    return write_body(body, why, [&](json_writer& w) { w.member("TableName", r.table); });
}

error_code write_json(const update_time_to_live_request& r, std::string& body, std::string& why) {
    if (error_code ec = check_table_name(r.table, why)) return ec;
    if (error_code ec = check_key_attribute_name(r.attribute, "TTL attribute", why)) return ec;
    return write_body(body, why, [&](json_writer& w) {
        w.member("TableName", r.table);
        w.key("TimeToLiveSpecification");
        w.begin_object();
        w.member("AttributeName", r.attribute);
        w.key("Enabled");
        w.boolean(r.enabled);
        w.end_object();
    });
}

} // namespace ddbcache::dynamodb
