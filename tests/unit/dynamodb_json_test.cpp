// DynamoDB JSON: the writer's escaping and UTF-8 checks, base64, request bodies, result parsing.
#include "codec/base64.hpp"
#include "dynamodb/json_writer.hpp"
#include "dynamodb/operations_json.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

namespace ddbcache {
namespace {
using dynamodb::json_writer;

std::string json_string(std::string_view text, error_code* ec = nullptr) {
    std::string out;
    json_writer w(out);
    w.string(text);
    if (ec) *ec = w.error();
    return out;
}

// What a conforming parser reads back from the writer's output.
std::string parsed_back(const std::string& json) {
    simdjson::dom::parser parser;
    std::string_view s;
    EXPECT_EQ(parser.parse(json).get(s), simdjson::SUCCESS) << json;
    return std::string(s);
}

TEST(JsonWriter, EscapesQuotesBackslashesAndEveryControlCharacter) {
    EXPECT_EQ(json_string("a\"b\\c"), R"("a\"b\\c")");
    EXPECT_EQ(json_string("\n\r\t\b\f"), R"("\n\r\t\b\f")");
    EXPECT_EQ(json_string(std::string_view("\0\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
    std::string all_controls;
    for (int c = 0; c < 0x20; ++c) all_controls.push_back(static_cast<char>(c));
    const std::string json = json_string(all_controls);
    for (char c : json) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << "raw control character in " << json;
    EXPECT_EQ(parsed_back(json), all_controls);
}

TEST(JsonWriter, PassesValidUtf8AndDelThrough) {
    const std::string text = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x7f /<>";
    error_code ec;
    EXPECT_EQ(json_string(text, &ec), "\"" + text + "\"");
    EXPECT_FALSE(ec);
    EXPECT_EQ(parsed_back(json_string(text)), text);
}

TEST(JsonWriter, RefusesInvalidUtf8) {
    for (std::string_view bad : {"\xff", "\x80", "\xc3", "\xc0\xaf" /* overlong '/' */, "\xed\xa0\x80" /* surrogate */,
                                 "\xf4\x90\x80\x80" /* past U+10FFFF */, "ok\xe2\x82"}) {
        error_code ec;
        json_string(bad, &ec);
        EXPECT_EQ(ec, client_errc::invalid_utf8) << "accepted " << bad.size() << " bytes";
    }
}

TEST(JsonWriter, NamesTheAttributeThatHoldsInvalidUtf8) {
    put_item_request r{"tbl", item{{"k", attribute_value::S("fine")}, {"bad", attribute_value::S("x\xff")}}, {}};
    std::string body, why;
    EXPECT_EQ(dynamodb::write_json(r, body, why), client_errc::invalid_utf8);
    EXPECT_EQ(why, "a string in attribute 'bad' is not valid UTF-8");
}

TEST(JsonWriter, BinaryValuesAreNotUtf8Checked) {
    put_item_request r{"tbl", item{{"b", attribute_value::B(std::string("\xff\x00\x80", 3))}}, {}};
    std::string body, why;
    EXPECT_FALSE(dynamodb::write_json(r, body, why));
    EXPECT_EQ(body, R"({"TableName":"tbl","Item":{"b":{"B":"/wCA"}}})");
}

TEST(Base64, EncodesTheRfc4648Vectors) {
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"}};
    for (auto [plain, encoded] : vectors) {
        std::string out;
        codec::append_base64(plain, out);
        EXPECT_EQ(out, encoded);
        std::string back;
        EXPECT_TRUE(codec::decode_base64(encoded, back));
        EXPECT_EQ(back, plain);
    }
}

TEST(Base64, RoundTripsEveryByteValue) {
    std::string bytes;
    for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
    std::string encoded, decoded;
    codec::append_base64(bytes, encoded);
    ASSERT_TRUE(codec::decode_base64(encoded, decoded));
    EXPECT_EQ(decoded, bytes);
}

TEST(Base64, RejectsMalformedText) {
    std::string out;
    for (std::string_view bad : {"Zg=", "Zm9v!A==", " Zm9v", "Zm9v\n", "Zm9vYg=\n", "@@@@"})
        EXPECT_FALSE(codec::decode_base64(bad, out)) << bad;
}

TEST(RequestJson, PutItemWithConditionNamesValuesAndReturnValues) {
    put_item_request r;
    r.table = "cache";
    r.attributes.set("cache_key", attribute_value::S("k\"1"));
    r.attributes.set("expiration_time", attribute_value::N(1700000000));
    r.write.condition = "attribute_not_exists(#k) OR #e <= :now";
    r.write.names = {{"#k", "cache_key"}, {"#e", "expiration_time"}};
    r.write.values.set(":now", attribute_value::N(42));
    r.write.returned = return_values::all_old;
    r.write.return_item_on_condition_failure = true;
    std::string body, why;
    ASSERT_FALSE(dynamodb::write_json(r, body, why));
    EXPECT_EQ(body,
              R"({"TableName":"cache","Item":{"cache_key":{"S":"k\"1"},"expiration_time":{"N":"1700000000"}},)"
              R"("ConditionExpression":"attribute_not_exists(#k) OR #e <= :now",)"
              R"("ExpressionAttributeNames":{"#k":"cache_key","#e":"expiration_time"},)"
              R"("ExpressionAttributeValues":{":now":{"N":"42"}},"ReturnValues":"ALL_OLD",)"
              R"("ReturnValuesOnConditionCheckFailure":"ALL_OLD"})");
}

// 32 levels of maps are past 64 JSON levels: the body must still be valid JSON (the members after
// the item separated right), and a 33rd level is refused before sending, naming the attribute.
TEST(RequestJson, ValuesNestedToDynamoDBsLimitAreWrittenAndDeeperOnesRefused) {
    auto nested = [](int levels) {
        attribute_value v = attribute_value::S("bottom");
        for (int i = 1; i < levels; ++i) v = attribute_value::M(item{{"a", std::move(v)}});
        return v;
    };
    put_item_request r{"cache", item{{"deep", nested(32)}, {"k", attribute_value::S("v")}}};
    r.write.condition = "attribute_not_exists(k)";
    std::string body, why;
    ASSERT_FALSE(dynamodb::write_json(r, body, why)) << why;
    simdjson::dom::parser parser;
    EXPECT_EQ(parser.parse(body).error(), simdjson::SUCCESS) << body;
    EXPECT_TRUE(body.ends_with(R"x(}},"k":{"S":"v"}},"ConditionExpression":"attribute_not_exists(k)"})x")) << body;

    put_item_request too_deep{"cache", item{{"deep", nested(33)}}};
    EXPECT_EQ(dynamodb::write_json(too_deep, body, why), client_errc::nesting_too_deep);
    EXPECT_EQ(why, "attribute 'a' nests values deeper than DynamoDB's 32 levels");
}

TEST(RequestJson, ScanWithSegmentsAndStartKey) {
    scan_request r;
    r.table = "tbl";
    r.projection = "#k";
    r.names = {{"#k", "key"}};
    r.segment = 1;
    r.total_segments = 4;
    r.exclusive_start_key = item{{"key", attribute_value::S("a")}};
    r.limit = 10;
    std::string body, why;
    ASSERT_FALSE(dynamodb::write_json(r, body, why));
    EXPECT_EQ(body, R"({"TableName":"tbl","ProjectionExpression":"#k","ExpressionAttributeNames":{"#k":"key"},)"
                    R"("Segment":1,"TotalSegments":4,"ExclusiveStartKey":{"key":{"S":"a"}},"Limit":10})");
}

TEST(RequestJson, BatchWriteAndCreateTable) {
    batch_write_item_request w{{{"tbl",
                                 {{write_request::kind::put, item{{"k", attribute_value::S("a")}}},
                                  {write_request::kind::erase, item{{"k", attribute_value::S("b")}}}}}}};
    std::string body, why;
    ASSERT_FALSE(dynamodb::write_json(w, body, why));
    EXPECT_EQ(body, R"({"RequestItems":{"tbl":[{"PutRequest":{"Item":{"k":{"S":"a"}}}},)"
                    R"({"DeleteRequest":{"Key":{"k":{"S":"b"}}}}]}})");
    create_table_request c{"tbl", {"cache_key", 'S'}, std::nullopt, std::nullopt};
    ASSERT_FALSE(dynamodb::write_json(c, body, why));
    EXPECT_EQ(body, R"({"TableName":"tbl","AttributeDefinitions":[{"AttributeName":"cache_key","AttributeType":"S"}],)"
                    R"("KeySchema":[{"AttributeName":"cache_key","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"})");
}

TEST(RequestJson, ReturnConsumedCapacityIsOneMoreMemberOfTheRequest) {
    get_item_request r{"tbl", item{{"k", attribute_value::S("a")}}};
    std::string body, why;
    ASSERT_FALSE(dynamodb::write_json(r, body, why));
    dynamodb::add_return_consumed_capacity(body);
    EXPECT_EQ(body, R"({"TableName":"tbl","Key":{"k":{"S":"a"}},"ReturnConsumedCapacity":"TOTAL"})");
}

item every_type() {
    item nested{{"inner", attribute_value::S("x")}, {"n", attribute_value::N("-1.5e3")}};
    return item{{"s", attribute_value::S("tab\there \xe2\x82\xac \"q\"")},
                {"n", attribute_value::N("12345678901234567890")},
                {"b", attribute_value::B(std::string("\0\xff\x10", 3))},
                {"empty_b", attribute_value::B("")},
                {"t", attribute_value::BOOL(true)},
                {"f", attribute_value::BOOL(false)},
                {"null", attribute_value::NUL()},
                {"l", attribute_value::L({attribute_value::S("a"), attribute_value::N(1), attribute_value::M(nested)})},
                {"m", attribute_value::M(nested)}};
}

TEST(ResultJson, AnItemOfEveryTypeRoundTrips) {
    std::string body;
    json_writer w(body);
    w.begin_object();
    w.key("Item");
    w.item(every_type());
    w.end_object();
    get_item_result r;
    ASSERT_FALSE(dynamodb::read_result(body, r)) << body;
    ASSERT_TRUE(r.found);
    EXPECT_EQ(*r.found, every_type());
    EXPECT_EQ(*r.found->find("b")->if_B(), std::string("\0\xff\x10", 3));
}

TEST(ResultJson, NoItemMeansNotFound) {
    std::string body = "{}";
    get_item_result r;
    ASSERT_FALSE(dynamodb::read_result(body, r));
    EXPECT_FALSE(r.found);
}

TEST(ResultJson, ConditionFailureBodyCarriesTheExistingItem) {
    std::string body = R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",)"
                       R"("message":"The conditional request failed","Item":{"k":{"S":"v"}}})";
    write_item_result r;
    ASSERT_FALSE(dynamodb::read_result(body, r));
    ASSERT_TRUE(r.attributes);
    EXPECT_EQ(*r.attributes->find("k")->if_S(), "v");
}

TEST(ResultJson, BatchGetWithUnprocessedKeys) {
    std::string body = R"({"Responses":{"t":[{"k":{"S":"a"}},{"k":{"S":"b"}}]},)"
                       R"("UnprocessedKeys":{"t":{"Keys":[{"k":{"S":"c"}}],"ProjectionExpression":"#k",)"
                       R"("ExpressionAttributeNames":{"#k":"k"},"ConsistentRead":true}}})";
    batch_get_item_result r;
    ASSERT_FALSE(dynamodb::read_result(body, r));
    ASSERT_EQ(r.found.size(), 1u);
    EXPECT_EQ(r.found[0].table, "t");
    EXPECT_EQ(r.found[0].items.size(), 2u);
    ASSERT_EQ(r.unprocessed.size(), 1u);
    EXPECT_EQ(r.unprocessed[0].keys, (std::vector<item>{item{{"k", attribute_value::S("c")}}}));
    EXPECT_EQ(r.unprocessed[0].projection, "#k");
    EXPECT_EQ(r.unprocessed[0].names, (expression_names{{"#k", "k"}}));
    EXPECT_TRUE(r.unprocessed[0].consistent_read);
}

TEST(ResultJson, BatchWriteUnprocessedItems) {
    std::string body = R"({"UnprocessedItems":{"t":[{"PutRequest":{"Item":{"k":{"S":"a"}}}},)"
                       R"({"DeleteRequest":{"Key":{"k":{"S":"b"}}}}]}})";
    batch_write_item_result r;
    ASSERT_FALSE(dynamodb::read_result(body, r));
    ASSERT_EQ(r.unprocessed.size(), 1u);
    ASSERT_EQ(r.unprocessed[0].writes.size(), 2u);
    EXPECT_EQ(r.unprocessed[0].writes[0].action, write_request::kind::put);
    EXPECT_EQ(r.unprocessed[0].writes[1].action, write_request::kind::erase);
    EXPECT_EQ(*r.unprocessed[0].writes[1].attributes.find("k")->if_S(), "b");
}

TEST(ResultJson, ScanPageAndSetsReadAsLists) {
    std::string body = R"({"Items":[{"k":{"S":"a"},"ss":{"SS":["x","y"]},"ns":{"NS":["1"]},"bs":{"BS":["Zg=="]}}],)"
                       R"("Count":1,"ScannedCount":3,"LastEvaluatedKey":{"k":{"S":"a"}}})";
    scan_result r;
    ASSERT_FALSE(dynamodb::read_result(body, r));
    ASSERT_EQ(r.items.size(), 1u);
    EXPECT_EQ(r.scanned_count, 3u);
    ASSERT_TRUE(r.last_evaluated_key);
    EXPECT_EQ(*r.items[0].find("ss"), attribute_value::L({attribute_value::S("x"), attribute_value::S("y")}));
    EXPECT_EQ(*r.items[0].find("ns"), attribute_value::L({attribute_value::N("1")}));
    EXPECT_EQ(*r.items[0].find("bs"), attribute_value::L({attribute_value::B("f")}));
}

TEST(ResultJson, TableDescriptionAndTimeToLive) {
    std::string body = R"({"Table":{"TableName":"t","TableStatus":"ACTIVE","ItemCount":7,"TableSizeBytes":99,)"
                       R"("KeySchema":[{"AttributeName":"h","KeyType":"HASH"},{"AttributeName":"r","KeyType":"RANGE"}],)"
                       R"("TableArn":"arn:aws:dynamodb:ddblocal:000000000000:table/t"}})";
    table_description d;
    ASSERT_FALSE(dynamodb::read_result(body, d));
    EXPECT_EQ(d.name, "t");
    EXPECT_EQ(d.status, "ACTIVE");
    EXPECT_EQ(d.item_count, 7u);
    EXPECT_EQ(d.size_bytes, 99u);
    EXPECT_EQ(d.hash_key, "h");
    EXPECT_EQ(d.range_key, "r");
    std::string ttl_body = R"({"TimeToLiveSpecification":{"AttributeName":"expiration_time","Enabled":true}})";
    time_to_live_result ttl;
    ASSERT_FALSE(dynamodb::read_result(ttl_body, ttl));
    EXPECT_EQ(ttl.attribute, "expiration_time");
    EXPECT_TRUE(ttl.enabled);
}

TEST(ResultJson, MalformedBodiesAreBadResponses) {
    for (std::string body : {std::string("not json"), std::string("[]"), std::string(R"({"Item":{"k":{"X":"?"}}})"),
                             std::string(R"({"Item":{"k":{"B":"not base64!"}}})"),
                             std::string(R"({"Item":{"k":{"S":"a","N":"1"}}})"), std::string(R"({"Item":{"k":)"),
                             std::string(R"({"Item":{"k":{"S":1}}})")}) {
        get_item_result r;
        EXPECT_EQ(dynamodb::read_result(body, r), client_errc::bad_response) << body;
    }
}

// DynamoDB nests attribute values at most 32 levels deep: that many parse, one more is refused (in
// maps and in lists alike) rather than recursing without a bound.
TEST(ResultJson, AttributesNestedPastDynamoDBsThirtyTwoLevelsAreRefused) {
    auto nested = [](int levels, bool lists) {
        std::string v = R"({"S":"bottom"})";
        for (int i = 1; i < levels; ++i) v = lists ? R"({"L":[)" + v + "]}" : R"({"M":{"a":)" + v + "}}";
        return R"({"Item":{"k":)" + v + "}}";
    };
    for (bool lists : {false, true}) {
        std::string ok = nested(32, lists), deep = nested(33, lists), very_deep = nested(20'000, lists);
        get_item_result r;
        EXPECT_FALSE(dynamodb::read_result(ok, r)) << "lists: " << lists;
        EXPECT_EQ(dynamodb::read_result(deep, r), client_errc::nesting_too_deep) << "lists: " << lists;
        EXPECT_EQ(dynamodb::read_result(very_deep, r), client_errc::nesting_too_deep) << "lists: " << lists;
    }
}

TEST(ResultJson, ConsumedCapacityOfOneTableIsItsCapacityUnits) {
    std::string body = R"({"ConsumedCapacity":{"TableName":"t","CapacityUnits":0.5},"Item":{"k":{"S":"v"}}})";
    get_item_result r;
    double units = -1;
    ASSERT_FALSE(dynamodb::read_result(body, r, &units));
    EXPECT_EQ(units, 0.5);
    ASSERT_TRUE(r.found);
    EXPECT_EQ(*r.found->find("k")->if_S(), "v");
}

TEST(ResultJson, ConsumedCapacityOfABatchIsTheSumOverItsTables) {
    std::string body = R"({"Responses":{},"ConsumedCapacity":[{"TableName":"a","CapacityUnits":1},)"
                       R"({"TableName":"b","CapacityUnits":2.5,"Table":{"CapacityUnits":2.5}}]})";
    batch_get_item_result r;
    double units = -1;
    ASSERT_FALSE(dynamodb::read_result(body, r, &units));
    EXPECT_EQ(units, 3.5);
}

TEST(ResultJson, AnAnswerWithoutConsumedCapacityConsumedZeroUnits) {
    std::string body = "{}";
    write_item_result r;
    double units = -1;
    ASSERT_FALSE(dynamodb::read_result(body, r, &units));
    EXPECT_EQ(units, 0.0);
}

TEST(ResultJson, ConsumedCapacityWithoutANumberIsABadResponse) {
    std::string body = R"({"ConsumedCapacity":{"CapacityUnits":"1"}})";
    write_item_result r;
    double units = 0;
    EXPECT_EQ(dynamodb::read_result(body, r, &units), client_errc::bad_response);
}

} // namespace
} // namespace ddbcache
