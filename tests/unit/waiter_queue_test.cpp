// The FIFO queue of callers behind the admission gate, the pool and the credentials refresh: order,
// bound, deadline, cancellation, wake-ups, and where completions run. Time is never waited for:
// deadlines are either already past or an hour away, and the io_context is polled.
#include "async/waiter_queue.hpp"

#include <ddbcache/error.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace {
namespace asio = boost::asio;
using ddbcache::client_errc;
using ddbcache::error_code;
using ddbcache::detail::waiter_queue;
using ddbcache::detail::waiter_queue_limits;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

const waiter_queue_limits two_at_most{2, client_errc::pool_exhausted, client_errc::pool_wait_timeout};

// A queue and the mutex it lives under, owned together as the pool and the gate own theirs.
template <class... Values>
struct owner {
    owner(asio::io_context& io, waiter_queue_limits limits) : queue(io.get_executor(), mutex, limits) {}
    std::mutex mutex;
    waiter_queue<Values...> queue;
};

struct WaiterQueueTest : ::testing::Test {
    asio::io_context io;
    std::shared_ptr<owner<>> self = std::make_shared<owner<>>(io, two_at_most);

    template <class Handler>
    void push(Handler&& h, clock_type::duration for_at_most = 1h) {
        std::lock_guard guard(self->mutex);
        self->queue.push(clock_type::now() + for_at_most, std::forward<Handler>(h), self);
    }
    void push_recording(std::optional<error_code>& slot, clock_type::duration for_at_most = 1h) {
        push([&slot](error_code ec) { slot = ec; }, for_at_most);
    }
    bool wake_one(error_code ec = {}) {
        std::lock_guard guard(self->mutex);
        return self->queue.wake_one(ec);
    }
    std::size_t waiting() {
        std::lock_guard guard(self->mutex);
        return self->queue.size();
    }
};

TEST_F(WaiterQueueTest, WakesWaitersInTheOrderTheyCame) {
    auto many = std::make_shared<owner<>>(io, waiter_queue_limits{});
    std::vector<int> order;
    for (int i = 0; i < 5; ++i) {
        std::lock_guard guard(many->mutex);
        many->queue.push(clock_type::now() + 1h, [&order, i](error_code ec) {
            EXPECT_FALSE(ec);
            order.push_back(i);
        }, many);
    }
    for (int i = 0; i < 5; ++i) {
        {
            std::lock_guard guard(many->mutex);
            ASSERT_TRUE(many->queue.wake_one({}));
        }
        io.poll();
    }
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST_F(WaiterQueueTest, RefusesACallerBeyondTheBoundWithTheOwnersError) {
    std::optional<error_code> a, b, refused;
    push_recording(a);
    push_recording(b);
    push_recording(refused);
    io.poll();
    ASSERT_TRUE(refused);
    EXPECT_EQ(*refused, client_errc::pool_exhausted);
    EXPECT_FALSE(a);
    EXPECT_FALSE(b);
    EXPECT_EQ(waiting(), 2u);
}

TEST_F(WaiterQueueTest, AWaiterPastItsDeadlineFailsWithTheOwnersErrorAndLeavesTheQueue) {
    std::optional<error_code> late, patient;
    push_recording(late, -1s); // its deadline has passed: the first poll runs its timer
    push_recording(patient);
    io.poll();
    ASSERT_TRUE(late);
    EXPECT_EQ(*late, client_errc::pool_wait_timeout);
    EXPECT_FALSE(patient);
    EXPECT_EQ(waiting(), 1u);

    EXPECT_TRUE(wake_one()) << "the wake-up skips the waiter that gave up";
    io.poll();
    ASSERT_TRUE(patient);
    EXPECT_FALSE(*patient);
}

TEST_F(WaiterQueueTest, CancellingOneWaiterCompletesItAbortedAndLeavesTheOthersWaiting) {
    for (auto type : {asio::cancellation_type::terminal, asio::cancellation_type::partial,
                      asio::cancellation_type::total}) {
        io.restart(); // the previous round ran out of work
        asio::cancellation_signal cancel;
        std::optional<error_code> before, cancelled, after;
        push_recording(before);
        push(asio::bind_cancellation_slot(cancel.slot(), [&](error_code ec) { cancelled = ec; }));
        io.poll();
        cancel.emit(type);
        io.poll();
        ASSERT_TRUE(cancelled);
        EXPECT_EQ(*cancelled, asio::error::operation_aborted);
        EXPECT_FALSE(before);
        push_recording(after); // the cancelled waiter's place in the bound is free again
        io.poll();
        EXPECT_FALSE(after) << "waits, not refused";

        EXPECT_TRUE(wake_one());
        EXPECT_TRUE(wake_one());
        EXPECT_FALSE(wake_one());
        io.poll();
        ASSERT_TRUE(before);
        EXPECT_FALSE(*before);
        ASSERT_TRUE(after);
        EXPECT_FALSE(*after);
    }
}

TEST_F(WaiterQueueTest, WakeAllCompletesEveryWaiterWithTheGivenError) {
    std::optional<error_code> a, b;
    push_recording(a);
    push_recording(b);
    {
        std::lock_guard guard(self->mutex);
        self->queue.wake_all(client_errc::client_closed);
    }
    io.poll();
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    EXPECT_EQ(*a, client_errc::client_closed);
    EXPECT_EQ(*b, client_errc::client_closed);
    EXPECT_EQ(waiting(), 0u);
    EXPECT_FALSE(wake_one());
}

TEST_F(WaiterQueueTest, WakeOneReportsThatNobodyWaitsAndKeepsTheValue) {
    auto pool = std::make_shared<owner<std::unique_ptr<int>>>(io, two_at_most);
    auto value = std::make_unique<int>(7);
    std::lock_guard guard(pool->mutex);
    EXPECT_FALSE(pool->queue.wake_one({}, std::move(value)));
    ASSERT_TRUE(value) << "not handed to anybody, so not taken";
    EXPECT_EQ(*value, 7);
}

TEST_F(WaiterQueueTest, WakeOneHandsItsValueToTheFirstWaiterAndFailuresGetNone) {
    auto pool = std::make_shared<owner<std::unique_ptr<int>>>(io, two_at_most);
    std::optional<int> got;
    std::optional<error_code> timed_out_ec;
    bool timed_out_got_value = true;
    {
        std::lock_guard guard(pool->mutex);
        pool->queue.push(clock_type::now() - 1s, [&](error_code ec, std::unique_ptr<int> v) {
            timed_out_ec = ec;
            timed_out_got_value = v != nullptr;
        }, pool);
        pool->queue.push(clock_type::now() + 1h, [&](error_code ec, std::unique_ptr<int> v) {
            EXPECT_FALSE(ec);
            if (v) got = *v;
        }, pool);
    }
    io.poll();
    ASSERT_TRUE(timed_out_ec);
    EXPECT_EQ(*timed_out_ec, client_errc::pool_wait_timeout);
    EXPECT_FALSE(timed_out_got_value);
    {
        std::lock_guard guard(pool->mutex);
        EXPECT_TRUE(pool->queue.wake_one({}, std::make_unique<int>(42)));
    }
    io.poll();
    EXPECT_EQ(got, 42);
}

TEST_F(WaiterQueueTest, CompletesOnTheWaitersOwnExecutor) {
    asio::io_context elsewhere;
    std::optional<error_code> woken;
    push(asio::bind_executor(elsewhere, [&](error_code ec) { woken = ec; }));
    EXPECT_TRUE(wake_one());
    io.poll();
    EXPECT_FALSE(woken) << "the queue's executor only passes the completion on";
    elsewhere.poll();
    ASSERT_TRUE(woken);
    EXPECT_FALSE(*woken);
}

TEST_F(WaiterQueueTest, NeverCompletesInsideTheWakingCall) {
    std::optional<error_code> woken;
    push_recording(woken);
    EXPECT_TRUE(wake_one());
    EXPECT_FALSE(woken) << "completions are posted, never run under the owner's lock";
    io.poll();
    EXPECT_TRUE(woken);
}

TEST_F(WaiterQueueTest, AnIoContextTornDownWithCallersWaitingFreesThem) {
    auto io2 = std::make_unique<asio::io_context>();
    auto held = std::make_shared<owner<>>(*io2, two_at_most);
    auto payload = std::make_shared<int>(0);
    std::weak_ptr<int> watched = payload;
    {
        std::lock_guard guard(held->mutex);
        held->queue.push(clock_type::now() + 1h, [payload = std::move(payload)](error_code) {}, held);
    }
    io2.reset();
    EXPECT_TRUE(watched.expired()) << "the waiting handler, and what it owns, is freed";
    std::lock_guard guard(held->mutex);
    EXPECT_FALSE(held->queue.wake_one({})) << "nobody is left to wake";
}

} // namespace
