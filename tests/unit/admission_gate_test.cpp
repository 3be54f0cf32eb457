// The gate that bounds how many cache operations run at once: order, bounds, deadline, cancellation.
#include "async/admission_gate.hpp"

#include <ddbcache/error.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace {
namespace asio = boost::asio;
using ddbcache::client_errc;
using ddbcache::error_code;
using ddbcache::detail::admission_gate;
using namespace std::chrono_literals;

constexpr auto far_away = 1h;

struct GateTest : ::testing::Test {
    asio::io_context io;
    std::shared_ptr<admission_gate> gate = std::make_shared<admission_gate>(io.get_executor(), 2, 2);

    // Starts a wait that records its outcome in `slot`.
    void wait(std::optional<error_code>& slot, std::chrono::steady_clock::duration for_at_most = far_away) {
        gate->async_enter(admission_gate::clock::now() + for_at_most, [&slot](error_code ec) { slot = ec; });
    }
};

TEST_F(GateTest, EntersAtOnceUpToTheLimitThenMakesCallersWait) {
    EXPECT_TRUE(gate->try_enter());
    EXPECT_TRUE(gate->try_enter());
    EXPECT_FALSE(gate->try_enter());
    gate->leave();
    EXPECT_TRUE(gate->try_enter());
}

TEST_F(GateTest, WaitersEnterInOrderAsPlacesAreLeft) {
    ASSERT_TRUE(gate->try_enter());
    ASSERT_TRUE(gate->try_enter());
    std::optional<error_code> first, second;
    wait(first);
    wait(second);
    io.poll();
    EXPECT_FALSE(first);
    EXPECT_FALSE(second);

    gate->leave();
    io.poll();
    ASSERT_TRUE(first);
    EXPECT_FALSE(*first);
    EXPECT_FALSE(second) << "one place left, one waiter in";

    EXPECT_FALSE(gate->try_enter()) << "a newcomer must not overtake a waiter";
    gate->leave();
    io.poll();
    ASSERT_TRUE(second);
    EXPECT_FALSE(*second);
}

TEST_F(GateTest, RefusesWaitersBeyondTheBoundAtOnce) {
    ASSERT_TRUE(gate->try_enter());
    ASSERT_TRUE(gate->try_enter());
    std::optional<error_code> a, b, c;
    wait(a);
    wait(b);
    wait(c);
    io.poll();
    ASSERT_TRUE(c);
    EXPECT_EQ(*c, client_errc::pool_exhausted);
    EXPECT_FALSE(a);
    EXPECT_FALSE(b);
}

TEST_F(GateTest, AWaiterPastItsDeadlineFailsAndFreesItsPlaceInTheQueue) {
    ASSERT_TRUE(gate->try_enter());
    ASSERT_TRUE(gate->try_enter());
    std::optional<error_code> hurried, patient;
    wait(hurried, 20ms);
    wait(patient);
    io.run_for(200ms);
    ASSERT_TRUE(hurried);
    EXPECT_EQ(*hurried, client_errc::pool_wait_timeout);
    EXPECT_FALSE(patient);

    gate->leave(); // skips the waiter that gave up
    io.poll();
    ASSERT_TRUE(patient);
    EXPECT_FALSE(*patient);
}

TEST_F(GateTest, ACancelledWaiterCompletesAbortedAndTheNextOneGetsThePlace) {
    ASSERT_TRUE(gate->try_enter());
    ASSERT_TRUE(gate->try_enter());
    asio::cancellation_signal cancel;
    std::optional<error_code> cancelled, next;
    gate->async_enter(admission_gate::clock::now() + far_away,
                      asio::bind_cancellation_slot(cancel.slot(), [&](error_code ec) { cancelled = ec; }));
    wait(next);
    io.poll();
    cancel.emit(asio::cancellation_type::terminal);
    io.poll();
    ASSERT_TRUE(cancelled);
    EXPECT_EQ(*cancelled, asio::error::operation_aborted);

    gate->leave();
    io.poll();
    ASSERT_TRUE(next);
    EXPECT_FALSE(*next);
    // Both places are taken again (one by `next`): nothing leaked a place or counted one twice.
    EXPECT_FALSE(gate->try_enter());
    gate->leave();
    EXPECT_TRUE(gate->try_enter());
}

TEST_F(GateTest, EveryOneOfManyWaitersEntersExactlyOnce) {
    auto wide = std::make_shared<admission_gate>(io.get_executor(), 3, 1000);
    int entered = 0;
    for (int i = 0; i < 500; ++i) {
        wide->async_enter(admission_gate::clock::now() + far_away, [&, wide](error_code ec) {
            ASSERT_FALSE(ec);
            ++entered;
            asio::post(io, [wide] { wide->leave(); });
        });
    }
    io.run();
    EXPECT_EQ(entered, 500);
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(wide->try_enter()) << "every place was given back";
    EXPECT_FALSE(wide->try_enter());
}

} // namespace
