// The cache through the fault-injecting proxy, against both local servers: each fault class
// alone (retried when retryable and transient, a clear error when not), and writes whose answer
// is lost after they reached the table (add and inc must recognise their own write).
#include "fault_proxy.hpp"
#include "local_servers.hpp"

#include <ddbcache/cache.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <mutex>

namespace ddbcache::test {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

// Injects `f` into the first `times` requests of `operation` after it is armed, then none.
fault_proxy::plan first_of(const std::string& operation, fault f, int times = 1) {
    auto left = std::make_shared<std::atomic<int>>(times);
    return [=](const proxied_request& r) {
        if (r.operation != operation) return fault::none;
        return left->fetch_sub(1) > 0 ? f : fault::none;
    };
}

class Faults : public testing::TestWithParam<std::string> {
protected:
    // A delayed answer comes only when released: every delayed attempt times out, and no other
    // attempt does, however busy the machine (the attempt timeout is far from any real answer).
    fault_proxy proxy{endpoint_of(GetParam()), {}, fault_proxy::until_released};
    std::string table = unique_table_name("faults");

    cache_options options() const {
        cache_options o;
        o.table_name = table;
        o.client = local_client_options(GetParam());
        o.client.endpoint = proxy.url();
        o.client.attempt_timeout = 5s;
        o.client.call_timeout = 120s;
        o.client.retry.base_delay = 5ms;
        o.client.retry.quota = 1'000'000; // these tests are about faults, not the retry budget
        return o;
    }
    template <class Body>
    void with_cache(Body body, int threads = 1) {
        run_on_io([&]() -> asio::awaitable<void> {
            cache c(co_await asio::this_coro::executor, options());
            EXPECT_TRUE(co_await c.async_set("k", "the value", asio::use_awaitable)); // creates the table
            co_await body(c);
        }(), threads);
    }
};

TEST_P(Faults, EachRetryableFaultAloneIsRetriedAndTheReadSucceeds) {
    const fault retryable[] = {fault::throughput_exceeded, fault::throttling, fault::internal_error, fault::unavailable,
                               fault::close_before_answer, fault::drop_after_forward, fault::half_answer_reset,
                               fault::delay, fault::corrupt_crc, fault::flip_body_byte, fault::short_body};
    with_cache([&](cache& c) -> asio::awaitable<void> {
        for (fault f : retryable) {
            proxy.set_plan(first_of("GetItem", f));
            diagnostics diag;
            auto [ec, v] = co_await c.async_get("k", {.diag = &diag}, tuple_awaitable);
            EXPECT_FALSE(ec) << fault_name(f) << ": " << diag.message;
            EXPECT_EQ(v, "the value") << fault_name(f);
            EXPECT_EQ(proxy.injected(f), 1u) << fault_name(f);
            // A connection closed before any answer may be replaced inside the pool at once.
            if (f != fault::close_before_answer && f != fault::drop_after_forward) {
                EXPECT_EQ(diag.attempts, 2u) << fault_name(f);
            }
        }
    });
}

// Beast's timeout handler and the aborted read must not race on a multi-threaded io_context: a
// timed-out attempt is a timeout (retried), never "operation aborted" (final).
TEST_P(Faults, AttemptTimeoutsOnTwoThreadsAreRetriedNotReportedAsCancelled) {
    constexpr int delayed = 64, calls = 512; // busy threads widen the race's window
    with_cache([&](cache& c) -> asio::awaitable<void> {
        proxy.set_plan(first_of("GetItem", fault::delay, delayed));
        std::atomic<int> done{0}, succeeded{0};
        std::mutex mutex;
        std::string first_failure;
        for (int i = 0; i < calls; ++i)
            asio::co_spawn(co_await asio::this_coro::executor, [&]() -> asio::awaitable<void> {
                diagnostics diag;
                auto [ec, v] = co_await c.async_get("k", {.diag = &diag}, tuple_awaitable);
                if (!ec && v == "the value") ++succeeded;
                else if (std::lock_guard guard(mutex); first_failure.empty()) first_failure = diag.message;
                ++done;
            }, asio::detached);
        asio::steady_timer poll(co_await asio::this_coro::executor);
        while (done < calls) {
            poll.expires_after(20ms);
            co_await poll.async_wait(asio::use_awaitable);
        }
        EXPECT_EQ(succeeded, calls) << first_failure;
        EXPECT_EQ(proxy.injected(fault::delay), static_cast<std::uint64_t>(delayed));
    }, 2);
}

TEST_P(Faults, APersistentRetryableFaultFailsNamingTheCauseAndTheAttempts) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        proxy.set_plan([](const proxied_request&) { return fault::throttling; });
        const auto before = proxy.requests();
        diagnostics diag;
        auto [ec, v] = co_await c.async_get("k", {.diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec, service_errc::throttling);
        EXPECT_EQ(diag.attempts, 4u);
        EXPECT_NE(diag.message.find("GetItem failed after 4 attempts: ThrottlingException: injected by the fault proxy"),
                  std::string::npos) << diag.message;
        EXPECT_EQ(proxy.requests() - before, 4u);
    });
}

TEST_P(Faults, ANonRetryableErrorIsNotRetried) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        proxy.set_plan([](const proxied_request&) { return fault::validation; });
        const auto before = proxy.requests();
        diagnostics diag;
        auto [ec, ok] = co_await c.async_set("k", "other", {.diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec, service_errc::validation);
        EXPECT_EQ(diag.attempts, 1u);
        EXPECT_EQ(proxy.requests() - before, 1u);
        proxy.set_plan({});
        EXPECT_EQ(co_await c.async_get("k", asio::use_awaitable), "the value") << "nothing was stored";
    });
}

TEST_P(Faults, AnAddWhoseAnswerIsLostRecognisesItsOwnWrite) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        for (fault f : {fault::drop_after_forward, fault::half_answer_reset, fault::delay, fault::corrupt_crc}) {
            const std::string key = std::string("added-") + fault_name(f);
            proxy.set_plan(first_of("PutItem", f));
            diagnostics diag;
            auto [ec, added] = co_await c.async_add(key, "mine", {.diag = &diag}, tuple_awaitable);
            EXPECT_FALSE(ec) << fault_name(f) << ": " << diag.message;
            EXPECT_TRUE(added) << fault_name(f) << ": the item that exists is the one this add wrote";
            EXPECT_EQ(proxy.injected(f), 1u) << fault_name(f);
            proxy.set_plan({});
            EXPECT_EQ(co_await c.async_get(key, asio::use_awaitable), "mine");
            EXPECT_FALSE(co_await c.async_add(key, "again", asio::use_awaitable)) << "a second add still sees it";
        }
    });
}

// The retry's "condition failed" answer carries the existing item; DynamoDB Local sends no checksum
// on error answers, so a flipped byte there must not make add disown its own write.
TEST_P(Faults, AnAddRecognisesItsOwnWriteWhenTheFailureAnswerIsCorrupted) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        auto puts = std::make_shared<std::atomic<int>>(0);
        proxy.set_plan([puts](const proxied_request& r) {
            if (r.operation != "PutItem") return fault::none;
            switch (puts->fetch_add(1)) {
            case 0: return fault::drop_after_forward; // stored, answer lost
            case 1: return fault::flip_body_byte;     // "condition failed" with the item, corrupted
            default: return fault::none;
            }
        });
        diagnostics diag;
        auto [ec, added] = co_await c.async_add("corrupted-answer", "mine", {.diag = &diag}, tuple_awaitable);
        EXPECT_FALSE(ec) << diag.message;
        EXPECT_TRUE(added) << "the item that exists is the one this add wrote";
        EXPECT_EQ(proxy.injected(fault::flip_body_byte), 1u);
        proxy.set_plan({});
        EXPECT_EQ(co_await c.async_get("corrupted-answer", asio::use_awaitable), "mine");
    });
}

TEST_P(Faults, AnIncrementWhoseAnswerIsLostIsAppliedOnce) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        EXPECT_EQ(co_await c.async_inc("counter", {.delta = 10}, asio::use_awaitable), 10);
        for (fault f : {fault::drop_after_forward, fault::half_answer_reset, fault::delay}) {
            proxy.set_plan(first_of("PutItem", f));
            diagnostics diag;
            auto [ec, now] = co_await c.async_inc("counter", {.delta = 5, .diag = &diag}, tuple_awaitable);
            EXPECT_FALSE(ec) << fault_name(f) << ": " << diag.message;
            EXPECT_EQ(proxy.injected(f), 1u) << fault_name(f);
            proxy.set_plan({});
            EXPECT_EQ(co_await c.async_get("counter", asio::use_awaitable), std::to_string(now)) << fault_name(f);
        }
        EXPECT_EQ(co_await c.async_get("counter", asio::use_awaitable), "25") << "10 + 3 x 5, each delta once";
    });
}

// The README promises that false only ever means what the table says: a delete whose first
// attempt removed the item, and whose answer was lost, is never reported as "absent".
TEST_P(Faults, AnEraseWhoseAnswerIsLostIsNeverReportedAsAbsent) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        for (fault f : {fault::drop_after_forward, fault::half_answer_reset, fault::delay}) {
            EXPECT_TRUE(co_await c.async_set("s1", "one", asio::use_awaitable));
            proxy.set_plan(first_of("DeleteItem", f));
            diagnostics diag;
            auto [ec, erased] = co_await c.async_erase("s1", {.diag = &diag}, tuple_awaitable);
            EXPECT_EQ(ec, client_errc::outcome_unknown) << fault_name(f) << ": " << diag.message;
            EXPECT_NE(diag.message.find("DeleteItem of key 's1' was sent 2 times"), std::string::npos) << diag.message;
            EXPECT_EQ(proxy.injected(f), 1u) << fault_name(f);
            proxy.set_plan({});
            EXPECT_FALSE(co_await c.async_has("s1", asio::use_awaitable)) << fault_name(f);
        }
    });
}

TEST_P(Faults, AnEraseManyWhoseAnswerIsLostIsNeverReportedAsAbsent) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        EXPECT_TRUE(co_await c.async_set("s1", "one", asio::use_awaitable));
        proxy.set_plan(first_of("DeleteItem", fault::drop_after_forward));
        diagnostics diag;
        auto [ec, erased] = co_await c.async_erase_many(cache::keys(1, "s1"), {.diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec, client_errc::outcome_unknown) << diag.message;
        EXPECT_TRUE(erased.empty());
        proxy.set_plan({});
        EXPECT_FALSE(co_await c.async_has("s1", asio::use_awaitable));
    });
}

INSTANTIATE_TEST_SUITE_P(LocalServers, Faults, testing::ValuesIn(server_names), server_param_name);

} // namespace
} // namespace ddbcache::test
