// The cachelib codec and item layout, checked against bytes CPython's pickle module produced
// (written out below) and against Python's repr() and isoformat() rules.
#include "cache/cachelib_codec.hpp"
#include "codec/printable.hpp"
#include "cache/item_layout.hpp"
#include "cache/value_compression.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/system/system_error.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <future>
#include <stdexcept>

namespace ddbcache {
namespace {

// build_item of a plain (uncompressed) value.
error_code build_item(const cache_options& o, const std::string& key, std::string v, std::int64_t timeout,
                      cache_layout::wall_clock::time_point now, item& out, std::string& why) {
    cache_layout::stored_value stored{std::move(v)};
    return cache_layout::build_item(o, key, stored, timeout, now, out, why);
}
using namespace cache_codec;

std::string unhex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    return out;
}

std::string encoded(std::string_view v) {
    std::string out;
    encode_cachelib(v, out);
    return out;
}

// python3 -c "import pickle; print(pickle.dumps(b'abc', 5).hex())" and friends.
TEST(CachelibCodec, BytesArePickledExactlyAsCPythonDoes) {
    EXPECT_EQ(encoded(""), "!" + unhex("80059504000000000000004300942e"));
    EXPECT_EQ(encoded("xxx"), "!" + unhex("80059507000000000000004303787878942e"));
    const std::string x255(255, 'x'), x256(256, 'x'), x65535(65535, 'x'), x65536(65536, 'x');
    EXPECT_EQ(encoded(x255), "!" + unhex("800595030100000000000043ff") + x255 + unhex("942e"));
    EXPECT_EQ(encoded(x256), "!" + unhex("80059507010000000000004200010000") + x256 + unhex("942e"));
    EXPECT_EQ(encoded(x65535), "!" + unhex("800595060001000000000042ffff0000") + x65535 + unhex("942e"));
    EXPECT_EQ(encoded(x65536), "!" + unhex("80054200000100") + x65536 + unhex("942e")); // unframed
}

TEST(CachelibCodec, ReadsBackWhatItWritesForEverySize) {
    for (std::size_t n : {0, 1, 255, 256, 65535, 65536, 300000}) {
        std::string v(n, '\0');
        for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<char>(i * 7);
        decoded d = decode_cachelib(encoded(v));
        ASSERT_EQ(d.what, decoded::kind::value) << n << ": " << d.reason;
        EXPECT_EQ(d.text, v);
    }
}

TEST(CachelibCodec, ReadsThePicklesOfPythonPlainValues) {
    struct vector { const char* pickle_hex; const char* text; };
    const vector vectors[] = {
        {"80059507000000000000008c0368c3a9942e", "h\xc3\xa9"},                  // 'hé'
        {"80054b052e", "5"},                                                    // 5
        {"80059504000000000000004d2c012e", "300"},                              // 300
        {"80059506000000000000004affffffff2e", "-1"},                           // -1
        {"80059508000000000000008a0500000080002e", "2147483648"},               // 2**31
        {"80059508000000000000008a05ffffff7fff2e", "-2147483649"},              // -2**31-1
        {"8005950c000000000000008a090000000000000000012e", "18446744073709551616"}, // 2**64
        {"80059510000000000000008a0d000000000000000000000000f02e", "-1267650600228229401496703205376"}, // -(2**100)
        {"8005950a00000000000000473ff80000000000002e", "1.5"},
        {"8005950a00000000000000474341c37937e080002e", "1e+16"},
        {"8005882e", "True"},
        {"8005892e", "False"},
        {"80049507000000000000004303616263942e", "abc"},                        // protocol 4
        {"8003430361626371002e", "abc"},                                        // protocol 3 (BINPUT)
    };
    for (const vector& v : vectors) {
        decoded d = decode_cachelib("!" + unhex(v.pickle_hex));
        EXPECT_EQ(d.what, decoded::kind::value) << v.pickle_hex << ": " << d.reason;
        EXPECT_EQ(d.text, v.text) << v.pickle_hex;
    }
    EXPECT_EQ(decode_cachelib("!" + unhex("80054e2e")).what, decoded::kind::none); // None
}

TEST(CachelibCodec, DigitsAndLegacyRawValuesReadAsTheyAre) {
    EXPECT_EQ(decode_cachelib("42").text, "42");
    EXPECT_EQ(decode_cachelib("-7").text, "-7");
    EXPECT_EQ(decode_cachelib("plain").text, "plain");
    EXPECT_TRUE(is_integer_text("-7"));
    EXPECT_FALSE(is_integer_text("7a"));
    EXPECT_FALSE(is_integer_text("-"));
}

TEST(CachelibCodec, RefusesOtherTypesAndHostileBytesWithAReason) {
    const char* refused[] = {
        "80057d942e",                             // {} (EMPTY_DICT)
        "8005950b000000000000005d94284b014b02652e", // [1, 2]
        "800595",                                 // truncated frame
        "80059504000000000000004300",            // frame length larger than the data
        "8005430a6162",                           // SHORT_BINBYTES longer than the data
        "800542ffffffff61",                       // BINBYTES claiming 4 GiB
        "80058bffffff7f00",                       // LONG4 claiming 2 GiB
        "80054b05",                               // no STOP
        "80054b052e2e",                           // bytes after STOP
        "80054b054b062e",                         // two values
        "8001",                                   // protocol 1
        "",                                       // nothing at all
        "636f730a73797374656d0a",                 // "cos\nsystem\n" (protocol 0 GLOBAL)
    };
    for (const char* hex : refused) {
        decoded d = decode_cachelib("!" + unhex(hex));
        EXPECT_EQ(d.what, decoded::kind::unsupported) << hex;
        EXPECT_FALSE(d.reason.empty()) << hex;
    }
}

TEST(CachelibCodec, FloatsReadAsPythonsRepr) {
    EXPECT_EQ(python_float_repr(1.5), "1.5");
    EXPECT_EQ(python_float_repr(1.0), "1.0");
    EXPECT_EQ(python_float_repr(-0.0), "-0.0");
    EXPECT_EQ(python_float_repr(0.1), "0.1");
    EXPECT_EQ(python_float_repr(123.0), "123.0");
    EXPECT_EQ(python_float_repr(1e15), "1000000000000000.0");
    EXPECT_EQ(python_float_repr(1e16), "1e+16");
    EXPECT_EQ(python_float_repr(0.0001), "0.0001");
    EXPECT_EQ(python_float_repr(0.00001), "1e-05");
    EXPECT_EQ(python_float_repr(1.2345678901234568e+17), "1.2345678901234568e+17");
    EXPECT_EQ(python_float_repr(1.5e300), "1.5e+300");
    EXPECT_EQ(python_float_repr(-2.5e-7), "-2.5e-07");
    EXPECT_EQ(python_float_repr(INFINITY), "inf");
    EXPECT_EQ(python_float_repr(NAN), "nan");
}

TEST(ItemLayout, CreatedAtIsPythonsIsoformatOfAnAwareUtcTime) {
    using namespace std::chrono;
    const auto t = cache_layout::wall_clock::time_point(seconds(1764065472)) + microseconds(123456);
    EXPECT_EQ(cache_layout::iso8601(t), "2025-11-25T10:11:12.123456+00:00");
    EXPECT_EQ(cache_layout::iso8601(cache_layout::wall_clock::time_point(seconds(1764065472))),
              "2025-11-25T10:11:12+00:00");
}

TEST(ItemLayout, ItemHasCachelibsAttributesAndExpiresOnlyWithATimeout) {
    using namespace std::chrono;
    cache_options o;
    o.key_prefix = "p:";
    const auto now = cache_layout::wall_clock::time_point(seconds(1000)) + milliseconds(700);
    item it;
    std::string why;
    ASSERT_FALSE(build_item(o, "p:k", "v", 300, now, it, why));
    EXPECT_EQ(*it.find("cache_key")->if_S(), "p:k");
    EXPECT_EQ(*it.find("response")->if_B(), "v");
    EXPECT_EQ(*it.find("expiration_time")->if_N(), "1300"); // int((now + 300 s).timestamp())
    EXPECT_EQ(*it.find("created_at")->if_S(), "1970-01-01T00:16:40.700000+00:00");
    ASSERT_FALSE(build_item(o, "p:k", "v", 0, now, it, why));
    EXPECT_EQ(it.find("expiration_time"), nullptr);
    const auto at = [](std::int64_t s) { return cache_layout::wall_clock::time_point(seconds(s)); };
    EXPECT_FALSE(cache_layout::is_expired(o, it, at(1'000'000'000)));
    it.set("expiration_time", attribute_value::N(1300));
    EXPECT_FALSE(cache_layout::is_expired(o, it, at(1299)));
    EXPECT_TRUE(cache_layout::is_expired(o, it, at(1300))); // expiration <= now: expired
}

// Numbers written by other clients: any sign, size, fraction or exponent DynamoDB accepts.
TEST(ItemLayout, ExpirationTimesAreComparedExactlyWhateverTheirForm) {
    using namespace std::chrono;
    cache_options o;
    const auto now = cache_layout::wall_clock::time_point(seconds(1'700'000'000)) + milliseconds(250);
    auto expired = [&](const std::string& n) {
        item it{{"expiration_time", attribute_value::N(n)}};
        return cache_layout::is_expired(o, it, now);
    };
    for (const char* past : {"-99999999999999999999", "-9223372036854775809", "1.5E+9", "1700000000", "1700000000.25",
                             "000001700000000",
                             "0", "-0", "1.7E9", "17000000002E-1", "-1E+125", "1E-130", ".5",
                             "1E0000000001", "1.7E+0000000009"})
        EXPECT_TRUE(expired(past)) << past;
    for (const char* future : {"4102444800.5", "99999999999999999999", "9223372036854775808", "1700000000.2500001",
                               "1700000001", "1.7000000003e+9", "1E+125", "99999999999999999999999999999999999999",
                               "999999999999", "0001700000001"})
        EXPECT_FALSE(expired(future)) << future;
    // Not a number (a misbehaving server): the value's lifetime is unknown, so it is not served.
    for (const char* garbage : {"", "abc", "1e", "--1", "1.5.5", "0x10", " 5"})
        EXPECT_TRUE(expired(garbage)) << '"' << garbage << '"';
}

TEST(ItemLayout, TimeoutsThatAreNegativeOrOverflowAreRefusedNamingTheLimit) {
    cache_options o;
    item it;
    std::string why;
    const auto now = cache_layout::wall_clock::time_point(std::chrono::seconds(1'700'000'000));
    EXPECT_EQ(build_item(o, "k", "v", INT64_MAX, now, it, why), client_errc::invalid_argument);
    EXPECT_NE(why.find("9999-12-31T23:59:59Z"), std::string::npos) << why;
    EXPECT_NE(why.find("at most 251702300799 s from now"), std::string::npos) << why;
    EXPECT_EQ(build_item(o, "k", "v", -5, now, it, why), client_errc::invalid_argument);
    EXPECT_NE(why.find("negative"), std::string::npos) << why;
    ASSERT_FALSE(build_item(o, "k", "v", 251'702'300'799, now, it, why)) << why;
    EXPECT_EQ(*it.find("expiration_time")->if_N(), "253402300799");
}

TEST(ItemLayout, BadKeysAndOversizedItemsAreRefusedWithTheCause) {
    std::string why;
    EXPECT_EQ(cache_layout::check_key("", why), client_errc::invalid_key);
    EXPECT_EQ(cache_layout::check_key(std::string(2049, 'k'), why), client_errc::invalid_key);
    EXPECT_NE(why.find("2049 bytes"), std::string::npos) << why;
    EXPECT_FALSE(cache_layout::check_key(std::string(2048, 'k'), why));
    EXPECT_EQ(cache_layout::check_key("bad\xff", why), client_errc::invalid_utf8);
    EXPECT_NE(why.find("bad\\xff"), std::string::npos) << why;

    cache_options o;
    item it;
    EXPECT_EQ(build_item(o, "k", std::string(409600, 'v'), 300, {}, it, why), client_errc::item_too_large);
    EXPECT_NE(why.find(" over DynamoDB's limit of 409600"), std::string::npos) << why;
    EXPECT_FALSE(build_item(o, "k", std::string(409000, 'v'), 300, {}, it, why)) << why;
}

// The largest value that one item holds with key "k" and no expiration, found by build_item itself.
std::size_t largest_single_item_value(const cache_options& o) {
    std::string why;
    item it;
    std::size_t n = 409'600;
    while (build_item(o, "k", std::string(n, 'v'), 0, {}, it, why) || cache_layout::is_large_head(it)) --n;
    return n;
}

TEST(ItemLayout, OneByteOverWhatOneItemHoldsMakesALargeValuesHeadWhenLargeValuesAreOn) {
    cache_options o;
    o.codec = value_codec::raw;
    o.max_value_size = 10'000'000;
    const std::size_t largest = largest_single_item_value(o);
    EXPECT_GT(largest, 409'500u);
    std::string why;
    item single, head;
    cache_layout::stored_value fits{std::string(largest, 'v')}, over{std::string(largest + 1, 'v')};
    ASSERT_FALSE(cache_layout::build_item(o, "k", fits, 0, {}, single, why)) << why;
    EXPECT_EQ(cache_layout::item_size(single), 409'600u) << "exactly DynamoDB's limit";
    ASSERT_FALSE(cache_layout::build_item(o, "k", over, 0, {}, head, why)) << why;
    ASSERT_TRUE(cache_layout::is_large_head(head));
    EXPECT_EQ(head.find("response"), nullptr);
    EXPECT_EQ(*head.find("chunks")->if_N(), "2");
    EXPECT_EQ(*head.find("stored_size")->if_N(), std::to_string(largest + 1));
    EXPECT_EQ(over.bytes.size(), largest + 1) << "the bytes stay for the chunks";
}

TEST(ItemLayout, ChunkCountsChangeExactlyAtMultiplesOfTheChunkSize) {
    EXPECT_EQ(cache_layout::chunks_for(large_value_chunk_bytes), 1u);
    EXPECT_EQ(cache_layout::chunks_for(large_value_chunk_bytes + 1), 2u);
    EXPECT_EQ(cache_layout::chunks_for(3 * large_value_chunk_bytes), 3u);
    EXPECT_EQ(cache_layout::chunks_for(3 * large_value_chunk_bytes + 1), 4u);
}

TEST(ItemLayout, AChunkOfTheLongestKeysAndNamesFitsOneItem) {
    const std::string prefix(cache_layout::max_key_bytes - cache_layout::max_chunk_key_suffix_bytes, 'p');
    const std::string key = cache_layout::chunk_key(prefix, std::string(32, 'f'), 99'999'999'999'999'999ULL);
    EXPECT_LE(key.size(), cache_layout::max_key_bytes);
    // key attribute and expiration_time names of 255 bytes, and a 20-digit expiration
    EXPECT_LE(255 + key.size() + 8 + large_value_chunk_bytes + 255 + 20, cache_layout::max_item_bytes);
}

TEST(ItemLayout, TheCachelibCodecRefusesAValueOverOneItemSayingWhy) {
    cache_options o;
    o.max_value_size = 10'000'000; // refused when a cache is built; build_item still holds to one item
    item it;
    std::string why;
    EXPECT_EQ(build_item(o, "k", std::string(500'000, 'v'), 0, {}, it, why), client_errc::item_too_large);
    EXPECT_NE(why.find("the cachelib codec keeps a value in one item"), std::string::npos) << why;
}

TEST(ValueCompression, AFrameRoundTripsAndAnIncompressibleValueIsNotCompressed) {
    const std::string text(100'000, 'x');
    const auto frame = value_compression_codec::compress_zstd(text, 3);
    ASSERT_TRUE(frame);
    EXPECT_LT(frame->size(), 1'000u);
    std::string out, why;
    ASSERT_FALSE(value_compression_codec::decompress_zstd(*frame, text.size(), out, why)) << why;
    EXPECT_EQ(out, text);
    EXPECT_FALSE(value_compression_codec::compress_zstd("ab", 3)) << "a frame would be larger";
}

TEST(ValueCompression, HostileFramesFailNamingWhatIsWrong) {
    const std::string text(100'000, 'x');
    const std::string frame = *value_compression_codec::compress_zstd(text, 3);
    std::string out, why;
    EXPECT_EQ(value_compression_codec::decompress_zstd(frame, text.size() - 1, out, why), client_errc::unsupported_value);
    EXPECT_NE(why.find("over the limit of 99999"), std::string::npos) << why;
    EXPECT_EQ(value_compression_codec::decompress_zstd(frame + "x", text.size(), out, why), client_errc::unsupported_value);
    EXPECT_NE(why.find("followed by 1 other bytes"), std::string::npos) << why;
    EXPECT_EQ(value_compression_codec::decompress_zstd(frame.substr(0, frame.size() - 5), text.size(), out, why),
              client_errc::unsupported_value);
    EXPECT_NE(why.find("truncated"), std::string::npos) << why;
    std::string bad_checksum = frame;
    bad_checksum.back() ^= 0x01;
    EXPECT_EQ(value_compression_codec::decompress_zstd(bad_checksum, text.size(), out, why), client_errc::unsupported_value);
    EXPECT_NE(why.find("cannot be decompressed"), std::string::npos) << why;
    EXPECT_EQ(value_compression_codec::decompress_zstd("not a frame", 100, out, why), client_errc::unsupported_value);
    EXPECT_NE(why.find("not a zstd frame"), std::string::npos) << why;
    EXPECT_TRUE(out.empty());
}

TEST(ItemLayout, OptionNamesDynamoDbWouldRefuseAreNamedWithTheOptionAndTheRule) {
    std::string why;
    cache_options o;
    EXPECT_FALSE(cache_layout::check_names(o, why)) << why;
    o.table_name = "t1";
    EXPECT_EQ(cache_layout::check_names(o, why), client_errc::invalid_name);
    EXPECT_EQ(why, "cache_options::table_name: table name 't1' is 2 characters long; DynamoDB table names are 3 to "
                   "255 characters of A-Z, a-z, 0-9, '_', '.' and '-'");
    o = cache_options{};
    o.key_field = "";
    EXPECT_EQ(cache_layout::check_names(o, why), client_errc::invalid_name);
    EXPECT_NE(why.find("cache_options::key_field '' is 0 bytes long"), std::string::npos) << why;
    o = cache_options{};
    o.expiration_time_field = std::string(256, 'e');
    EXPECT_EQ(cache_layout::check_names(o, why), client_errc::invalid_name);
    EXPECT_NE(why.find("cache_options::expiration_time_field 'eee"), std::string::npos) << why;
    EXPECT_NE(why.find("is 256 bytes long; DynamoDB key and TTL attribute names are 1 to 255 bytes"), std::string::npos)
        << why;
}

// Before the client is built: no region, credentials or endpoint are even looked at.
TEST(CacheOptions, ABadTableNameFailsTheCacheConstructionNamingIt) {
    boost::asio::io_context io;
    cache_options o;
    o.table_name = "my table";
    try {
        cache c(io.get_executor(), o);
        ADD_FAILURE() << "a cache was built on table 'my table'";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("cache_options::table_name: table name 'my table' has ' ' at offset 2"),
                  std::string::npos)
            << e.what();
    }
}

// Each out-of-range option throws std::invalid_argument whose message names the field, at
// construction (no I/O: the endpoint is loopback and nothing is started).
void expect_refused(const cache_options& o, const std::string& field) {
    boost::asio::io_context io;
    try {
        cache c(io.get_executor(), o);
        ADD_FAILURE() << "accepted a bad " << field;
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
    EXPECT_EQ(io.poll(), 0u) << "nothing was started";
}

cache_options valid_options() {
    cache_options o;
    o.client.endpoint = "http://127.0.0.1:1";
    o.client.region = "us-east-1";
    o.client.credentials.explicit_credentials = credentials{"AKIDEXAMPLE", "secret", ""};
    return o;
}

TEST(CacheOptions, AnEmptyTableNameIsRefusedNamingTheField) {
    cache_options o = valid_options();
    o.table_name = "";
    expect_refused(o, "cache_options::table_name");
}

TEST(CacheOptions, ClearSegmentsOutsideOneToAMillionAreRefused) {
    cache_options o = valid_options();
    o.clear_segments = 0;
    expect_refused(o, "cache_options::clear_segments is 0");
    o.clear_segments = 1'000'001;
    expect_refused(o, "cache_options::clear_segments is 1000001");
}

TEST(CacheOptions, NearCacheOptionsOutOfRangeAreRefused) {
    cache_options o = valid_options();
    o.near_cache.max_entries = 100; // max_bytes 0: off
    expect_refused(o, "cache_options::near_cache::max_entries is set but max_bytes is 0");
    o.near_cache.max_bytes = 1 << 20;
    o.near_cache.ttl = std::chrono::milliseconds(0);
    expect_refused(o, "cache_options::near_cache: ttl must be more than 0 ms");
    o.near_cache.ttl = std::chrono::milliseconds(1000);
    o.near_cache.negative_ttl = std::chrono::milliseconds(-1);
    expect_refused(o, "negative_ttl not negative");
}

TEST(CacheOptions, ZeroConnectionsAreRefusedNotClamped) {
    cache_options o = valid_options();
    o.client.max_connections = 0;
    expect_refused(o, "client_options::max_connections is 0");
}

TEST(CacheOptions, AZeroTimeoutWhereOneIsNeededIsRefused) {
    for (const char* field : {"connect_timeout", "attempt_timeout", "call_timeout"}) {
        cache_options o = valid_options();
        if (std::string(field) == "connect_timeout") o.client.connect_timeout = {};
        if (std::string(field) == "attempt_timeout") o.client.attempt_timeout = {};
        if (std::string(field) == "call_timeout") o.client.call_timeout = {};
        expect_refused(o, std::string("client_options::") + field + " is 0 ms");
    }
}

TEST(CacheOptions, AMalformedEndpointIsRefusedNamingWhereItCameFrom) {
    cache_options o = valid_options();
    o.client.endpoint = "ftp//not a url";
    expect_refused(o, "client_options::endpoint 'ftp//not a url' is not a valid endpoint URL");
}

TEST(CacheOptions, ANegativeDefaultTimeoutIsRefused) {
    cache_options o = valid_options();
    o.default_timeout = std::chrono::seconds(-1);
    expect_refused(o, "cache_options::default_timeout is -1 s");
}

TEST(CacheOptions, ACacheGivenNoClientIsRefused) {
    try {
        cache c(std::shared_ptr<client>{}, valid_options());
        ADD_FAILURE() << "accepted a null client";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("null client"), std::string::npos) << e.what();
    }
}

// with_diagnostics around tokens other than deferred and use_awaitable: the completion's first
// argument becomes an exception_ptr holding error_with_diagnostics (an empty key fails before any
// request, so no server is needed).
TEST(WithDiagnostics, AFutureThrowsTheErrorWithItsDiagnostics) {
    boost::asio::io_context io;
    cache c(io.get_executor(), valid_options());
    std::future<cache::value> value = c.async_get("", with_diagnostics(boost::asio::use_future));
    io.run();
    try {
        value.get();
        ADD_FAILURE() << "an empty key was accepted";
    } catch (const error_with_diagnostics& e) {
        EXPECT_EQ(e.code(), client_errc::invalid_key);
        EXPECT_EQ(e.get_diagnostics().message, "the key is empty");
        EXPECT_NE(std::string(e.what()).find("the key is empty"), std::string::npos) << e.what();
    }
}

TEST(WithDiagnostics, ACallbackGetsAnExceptionPtrOnItsOwnExecutor) {
    boost::asio::io_context io;
    boost::asio::io_context other; // the callback's associated executor
    cache c(io.get_executor(), valid_options());
    std::exception_ptr failure;
    bool called = false;
    c.async_get("", with_diagnostics(boost::asio::bind_executor(other, [&](std::exception_ptr e, cache::value) {
                    called = true;
                    failure = e;
                })));
    io.run();
    EXPECT_FALSE(called) << "not on the cache's executor";
    other.run();
    ASSERT_TRUE(called);
    try {
        std::rethrow_exception(failure);
    } catch (const error_with_diagnostics& e) {
        EXPECT_EQ(e.code(), client_errc::invalid_key);
        EXPECT_EQ(e.get_diagnostics().message, "the key is empty");
    }
}

TEST(WithDiagnostics, ACallerDiagnosticsObjectIsTheOneFilled) {
    boost::asio::io_context io;
    cache c(io.get_executor(), valid_options());
    diagnostics mine;
    std::future<cache::value> value = c.async_get("", {.diag = &mine}, with_diagnostics(boost::asio::use_future));
    io.run();
    EXPECT_THROW(value.get(), error_with_diagnostics);
    EXPECT_EQ(mine.message, "the key is empty");
}

TEST(Redact, EveryOccurrenceOfTheSecretIsReplacedAndNothingElse) {
    std::string text = "token=abc123; again abc123abc123; abc12 stays";
    codec::redact(text, "abc123");
    EXPECT_EQ(text, "token=[redacted]; again [redacted][redacted]; abc12 stays");
    std::string untouched = "nothing secret";
    codec::redact(untouched, "");
    EXPECT_EQ(untouched, "nothing secret");
}

TEST(Retryable, ThrottlingServerFailuresTimeoutsAndTransportFailuresAreWorthRetrying) {
    for (error_code ec : {make_error_code(service_errc::throttling), make_error_code(service_errc::provisioned_throughput_exceeded),
                          make_error_code(service_errc::request_limit_exceeded), make_error_code(service_errc::internal_server_error),
                          make_error_code(service_errc::service_unavailable), make_error_code(client_errc::timeout),
                          make_error_code(client_errc::pool_wait_timeout), make_error_code(client_errc::pool_exhausted),
                          make_error_code(client_errc::checksum_mismatch), make_error_code(client_errc::bad_response),
                          error_code(boost::asio::error::connection_refused), error_code(boost::asio::error::connection_reset),
                          error_code(boost::asio::error::eof)})
        EXPECT_TRUE(is_retryable(ec)) << ec.message();
}

TEST(Retryable, RefusalsBadInputCancellationAndUnknownOutcomesAreNot) {
    for (error_code ec : {make_error_code(service_errc::validation), make_error_code(service_errc::conditional_check_failed),
                          make_error_code(service_errc::resource_not_found), make_error_code(service_errc::access_denied),
                          make_error_code(client_errc::invalid_key), make_error_code(client_errc::item_too_large),
                          make_error_code(client_errc::no_credentials), make_error_code(client_errc::client_closed),
                          make_error_code(client_errc::outcome_unknown), error_code(boost::asio::error::operation_aborted),
                          error_code(boost::asio::error::host_not_found), make_error_code(client_errc::tls_failure),
                          error_code{}})
        EXPECT_FALSE(is_retryable(ec)) << ec.message();
}

TEST(Retryable, AProxysRefusalIsWorthRetryingOnlyWhenItCouldNotReachTheEndpoint) {
    EXPECT_TRUE(is_retryable(client_errc::proxy_failure, 503));
    EXPECT_TRUE(is_retryable(client_errc::proxy_failure, 502));
    EXPECT_FALSE(is_retryable(client_errc::proxy_failure, 407));
    EXPECT_FALSE(is_retryable(client_errc::proxy_failure, 403));
    EXPECT_FALSE(is_retryable(client_errc::proxy_failure));
}

TEST(Retryable, AnUnrecognisedErrorStatusIsWorthRetryingOnlyWhenItIs5xx) {
    EXPECT_TRUE(is_retryable(service_errc::http_status, 503));
    EXPECT_TRUE(is_retryable(service_errc::unknown, 500));
    EXPECT_FALSE(is_retryable(service_errc::http_status, 400));
    EXPECT_FALSE(is_retryable(service_errc::unknown));
}

} // namespace
} // namespace ddbcache

namespace ddbcache {
namespace {

TEST(CreatedAt, PythonsIsoformatIsReadInEpochSecondsWithItsOffset) {
    EXPECT_EQ(cache_layout::parse_iso8601_seconds("2026-12-01T10:00:00.123456+00:00"), 1796119200);
    EXPECT_EQ(cache_layout::parse_iso8601_seconds("2026-12-01T10:00:00Z"), 1796119200);
    EXPECT_EQ(cache_layout::parse_iso8601_seconds("2026-12-01T10:00:00"), 1796119200) << "naive reads as UTC";
    EXPECT_EQ(cache_layout::parse_iso8601_seconds("2026-12-01T12:30:00+02:30"), 1796119200);
}

TEST(CreatedAt, YearsBeyondNanosecondClocksDoNotWrapAround) {
    EXPECT_EQ(cache_layout::parse_iso8601_seconds("2800-01-01T00:00:00+00:00"), 26192246400);
    EXPECT_EQ(cache_layout::parse_iso8601_seconds("9999-12-31T23:59:59+00:00"), cache_layout::max_expiration_seconds);
}

TEST(CreatedAt, OutOfRangeFieldsAndOffsetsAreNotATime) {
    for (const char* bad : {"0000-01-01T00:00:00", "2026-02-30T00:00:00", "2026-12-01T24:00:00",
                            "2026-12-01T10:00:60", "2026-12-01T10:00:00+99:99", "2026-12-01T10:00:00.", "yesterday"})
        EXPECT_EQ(cache_layout::parse_iso8601_seconds(bad), std::nullopt) << bad;
}

} // namespace
} // namespace ddbcache
