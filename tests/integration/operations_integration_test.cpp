// Every typed DynamoDB operation against both local servers.
#include "local_servers.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <set>

namespace ddbcache::test {
namespace {
namespace asio = boost::asio;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

item key_of(const std::string& k) { return item{{"pk", attribute_value::S(k)}}; }

// Requests are built before the co_await, never as braced temporaries inside it: GCC 12 destroys
// such temporaries twice (a compiler bug; see the README).
class Operations : public testing::TestWithParam<std::string> {
protected:
    // Runs body(client, table) on a fresh table with string hash key "pk".
    template <class Body>
    void with_table(Body body) {
        const std::string table = unique_table_name("ops");
        run_on_io([&]() -> asio::awaitable<void> {
            client c(co_await asio::this_coro::executor, local_client_options(GetParam()));
            const table_description created = co_await create_active_table(c, table);
            EXPECT_EQ(created.name, table);
            EXPECT_EQ(created.hash_key, "pk");
            co_await body(c, table);
        }());
    }
    bool is_dynalite() const { return GetParam() == "dynalite"; }
};

item every_type(const std::string& key) {
    item nested{{"inner", attribute_value::S("x")}, {"n", attribute_value::N("-1.5")}};
    item it = key_of(key);
    it.set("s", attribute_value::S("quote\" backslash\\ newline\n control\x01 euro\xe2\x82\xac"));
    it.set("n", attribute_value::N("12345678901234567890"));
    it.set("b", attribute_value::B(std::string("\0\xff\x80 binary", 10)));
    it.set("t", attribute_value::BOOL(true));
    it.set("null", attribute_value::NUL());
    it.set("l", attribute_value::L({attribute_value::S("a"), attribute_value::N(1), attribute_value::M(nested)}));
    it.set("m", attribute_value::M(nested));
    return it;
}

TEST_P(Operations, PutThenGetRoundTripsEveryAttributeType) {
    with_table([](client& c, std::string table) -> asio::awaitable<void> {
        put_item_request put_all{table, every_type("k1"), {}};
        auto [put_ec, put] = co_await c.async_execute(put_all, tuple_awaitable);
        CO_ASSERT(!(put_ec), << put_ec.message())
        EXPECT_FALSE(put.attributes);
        get_item_request get_consistent{table, key_of("k1"), "", {}, true};
        auto [get_ec, got] = co_await c.async_execute(get_consistent, tuple_awaitable);
        CO_ASSERT(!(get_ec), << get_ec.message())
        CO_ASSERT(got.found)
        EXPECT_EQ(*got.found, every_type("k1"));
        get_item_request get_absent{table, key_of("absent")};
        auto [miss_ec, miss] = co_await c.async_execute(get_absent, tuple_awaitable);
        EXPECT_FALSE(miss_ec);
        EXPECT_FALSE(miss.found);
    });
}

TEST_P(Operations, GetWithProjectionReturnsOnlyTheNamedAttributes) {
    with_table([](client& c, std::string table) -> asio::awaitable<void> {
        put_item_request put_all{table, every_type("k1"), {}};
        co_await c.async_execute(put_all, tuple_awaitable);
        get_item_request get{table, key_of("k1"), "#n, #t"};
        get.names = {{"#n", "n"}, {"#t", "t"}};
        auto [ec, got] = co_await c.async_execute(get, tuple_awaitable);
        CO_ASSERT(!(ec), << ec.message())
        CO_ASSERT(got.found)
        item expected;
        expected.set("n", attribute_value::N("12345678901234567890")).set("t", attribute_value::BOOL(true));
        EXPECT_EQ(*got.found, expected);
    });
}

TEST_P(Operations, ConditionalPutFailsWhenTheItemExistsAndReturnsOldValues) {
    const bool dynalite = is_dynalite();
    with_table([dynalite](client& c, std::string table) -> asio::awaitable<void> {
        put_item_request put{table, key_of("k"), {}};
        put.attributes.set("v", attribute_value::S("first"));
        put.write.condition = "attribute_not_exists(#pk)";
        put.write.names = {{"#pk", "pk"}};
        auto [ec1, r1] = co_await c.async_execute(put, tuple_awaitable);
        EXPECT_FALSE(ec1) << ec1.message();

        put.attributes.set("v", attribute_value::S("second"));
        put.write.return_item_on_condition_failure = !dynalite; // dynalite predates this parameter
        diagnostics diag;
        auto [ec2, r2] = co_await c.async_execute(put, {.diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec2, service_errc::conditional_check_failed) << ec2.message();
        EXPECT_EQ(diag.aws_type, "ConditionalCheckFailedException");
        EXPECT_EQ(diag.attempts, 1u);
        if (!dynalite) {
            CO_ASSERT(r2.attributes, << "the failed condition's item was not returned")
            EXPECT_EQ(*r2.attributes->find("v")->if_S(), "first");
        }

        // Unconditional overwrite with ReturnValues=ALL_OLD gives the previous item.
        put.write = {};
        put.write.returned = return_values::all_old;
        auto [ec3, r3] = co_await c.async_execute(put, tuple_awaitable);
        CO_ASSERT(!(ec3), << ec3.message())
        CO_ASSERT(r3.attributes)
        EXPECT_EQ(*r3.attributes->find("v")->if_S(), "first");
    });
}

TEST_P(Operations, ConditionalDeleteTellsWhetherTheItemExisted) {
    with_table([](client& c, std::string table) -> asio::awaitable<void> {
        put_item_request put_key{table, key_of("k"), {}};
        co_await c.async_execute(put_key, tuple_awaitable);
        delete_item_request del{table, key_of("k"), {}};
        del.write.condition = "attribute_exists(#pk)";
        del.write.names = {{"#pk", "pk"}};
        del.write.returned = return_values::all_old;
        auto [ec1, r1] = co_await c.async_execute(del, tuple_awaitable);
        EXPECT_FALSE(ec1) << ec1.message();
        EXPECT_TRUE(r1.attributes);
        auto [ec2, r2] = co_await c.async_execute(del, tuple_awaitable);
        EXPECT_EQ(ec2, service_errc::conditional_check_failed) << ec2.message();
    });
}

TEST_P(Operations, UpdateItemAddsAtomicallyAndReturnsTheNewValue) {
    with_table([](client& c, std::string table) -> asio::awaitable<void> {
        update_item_request up{table, key_of("counter"), "ADD #n :d", {}};
        up.write.names = {{"#n", "n"}};
        up.write.values.set(":d", attribute_value::N(5));
        up.write.returned = return_values::updated_new;
        for (int i = 0; i < 3; ++i) co_await c.async_execute(up, tuple_awaitable);
        auto [ec, r] = co_await c.async_execute(up, tuple_awaitable);
        CO_ASSERT(!(ec), << ec.message())
        CO_ASSERT(r.attributes)
        EXPECT_EQ(*r.attributes->find("n")->if_N(), "20");
    });
}

TEST_P(Operations, BatchWriteThenBatchGetFindsWhatWasWritten) {
    with_table([](client& c, std::string table) -> asio::awaitable<void> {
        batch_write_item_request w{{{table, {}}}};
        for (int i = 0; i < 25; ++i) {
            item it = key_of("b" + std::to_string(i));
            it.set("i", attribute_value::N(i));
            w.tables[0].writes.push_back({write_request::kind::put, it});
        }
        for (int round = 0; round < 10 && !w.tables.empty(); ++round) {
            auto [ec, r] = co_await c.async_execute(w, tuple_awaitable);
            CO_ASSERT(!(ec), << ec.message())
            w.tables = r.unprocessed;
        }
        EXPECT_TRUE(w.tables.empty());

        batch_get_item_request g{{{table, {}, "#pk, #i", {{"#pk", "pk"}, {"#i", "i"}}, true}}};
        for (int i = 20; i < 30; ++i) g.tables[0].keys.push_back(key_of("b" + std::to_string(i)));
        std::set<std::string> found;
        for (int round = 0; round < 10 && !g.tables.empty(); ++round) {
            auto [ec, r] = co_await c.async_execute(g, tuple_awaitable);
            CO_ASSERT(!(ec), << ec.message())
            for (const table_items& t : r.found) {
                EXPECT_EQ(t.table, table);
                for (const item& it : t.items) found.insert(*it.find("pk")->if_S() + "=" + *it.find("i")->if_N());
            }
            g.tables = r.unprocessed;
        }
        EXPECT_EQ(found, (std::set<std::string>{"b20=20", "b21=21", "b22=22", "b23=23", "b24=24"}));

        // Deletes through BatchWriteItem.
        batch_write_item_request d{{{table, {{write_request::kind::erase, key_of("b0")}}}}};
        auto [del_ec, del] = co_await c.async_execute(d, tuple_awaitable);
        EXPECT_FALSE(del_ec) << del_ec.message();
        get_item_request get_deleted{table, key_of("b0")};
        auto [get_ec, got] = co_await c.async_execute(get_deleted, tuple_awaitable);
        EXPECT_FALSE(got.found);
    });
}

TEST_P(Operations, ParallelScanSegmentsWithPaginationSeeEveryItemOnce) {
    with_table([](client& c, std::string table) -> asio::awaitable<void> {
        std::set<std::string> written;
        for (int batch = 0; batch < 2; ++batch) {
            batch_write_item_request w{{{table, {}}}};
            for (int i = 0; i < 20; ++i) {
                const std::string k = "s" + std::to_string(batch * 20 + i);
                written.insert(k);
                w.tables[0].writes.push_back({write_request::kind::put, key_of(k)});
            }
            auto [ec, r] = co_await c.async_execute(w, tuple_awaitable);
            CO_ASSERT(!(ec), << ec.message())
            CO_ASSERT(r.unprocessed.empty())
        }
        std::multiset<std::string> seen;
        int pages = 0;
        for (unsigned segment = 0; segment < 3; ++segment) {
            scan_request s{table};
            s.projection = "#pk";
            s.names = {{"#pk", "pk"}};
            s.filter = "begins_with(#pk, :s)";
            s.values.set(":s", attribute_value::S("s"));
            s.segment = segment;
            s.total_segments = 3;
            s.limit = 7;
            do {
                auto [ec, page] = co_await c.async_execute(s, tuple_awaitable);
                CO_ASSERT(!(ec), << ec.message())
                ++pages;
                for (const item& it : page.items) {
                    EXPECT_EQ(it.size(), 1u); // projected to the key
                    seen.insert(*it.find("pk")->if_S());
                }
                s.exclusive_start_key = page.last_evaluated_key;
            } while (s.exclusive_start_key);
        }
        EXPECT_EQ(seen, std::multiset<std::string>(written.begin(), written.end()));
        EXPECT_GE(pages, 6); // 40 items, 7 a page
    });
}

TEST_P(Operations, UpdateTimeToLiveEnablesTtlOrNamesWhyNot) {
    const bool dynalite = is_dynalite();
    with_table([dynalite](client& c, std::string table) -> asio::awaitable<void> {
        diagnostics diag;
        update_time_to_live_request enable_ttl{table, "expiration_time", true};
        auto [ec, ttl] = co_await c.async_execute(enable_ttl, {.diag = &diag}, tuple_awaitable);
        if (dynalite) {
            // dynalite has no UpdateTimeToLive: the failure must say so, not pass silently.
            EXPECT_TRUE(ec);
            EXPECT_FALSE(diag.aws_type.empty()) << diag.message;
        } else {
            CO_ASSERT(!(ec), << diag.message)
            EXPECT_EQ(ttl.attribute, "expiration_time");
            EXPECT_TRUE(ttl.enabled);
        }
    });
}

TEST_P(Operations, InvalidUtf8IsRefusedBeforeSendingAndNothingIsStored) {
    with_table([](client& c, std::string table) -> asio::awaitable<void> {
        item it = key_of("k");
        it.set("v", attribute_value::S("bad \xc3\x28 bytes"));
        diagnostics diag;
        put_item_request put_bad{table, it, {}};
        auto [ec, r] = co_await c.async_execute(put_bad, {.diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec, client_errc::invalid_utf8);
        EXPECT_EQ(diag.attempts, 0u);
        EXPECT_NE(diag.message.find("attribute 'v'"), std::string::npos) << diag.message;
        get_item_request get_after{table, key_of("k"), "", {}, true};
        auto [get_ec, got] = co_await c.async_execute(get_after, tuple_awaitable);
        EXPECT_FALSE(get_ec);
        EXPECT_FALSE(got.found);
    });
}

INSTANTIATE_TEST_SUITE_P(LocalServers, Operations, testing::ValuesIn(server_names), server_param_name);

} // namespace
} // namespace ddbcache::test
