// The pool's deadline watchdog: one timer for every exchange's deadline.
#include "http/deadline_watchdog.hpp"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

namespace ddbcache::http {
namespace {
using namespace std::chrono_literals;
using clock = deadline_watchdog::clock;

TEST(DeadlineWatchdog, CutsAnExchangeOnlyOnceItsDeadlineHasPassed) {
    boost::asio::io_context io;
    auto watchdog = std::make_shared<deadline_watchdog>(io.get_executor(), 1ms);
    const auto deadline = clock::now() + 20ms;
    clock::time_point cut_at{};
    int cuts = 0;
    watchdog->watch(deadline, [&] {
        cut_at = clock::now();
        ++cuts;
    });
    io.run_for(10s); // returns once the watchdog stops: after the cut, nothing is watched
    EXPECT_EQ(cuts, 1);
    EXPECT_GE(cut_at, deadline) << "never early";
    EXPECT_TRUE(io.stopped()) << "the watchdog stops ticking when nothing is watched";
}

TEST(DeadlineWatchdog, AnExchangeUnwatchedBeforeItsDeadlineIsNeverCut) {
    boost::asio::io_context io;
    auto watchdog = std::make_shared<deadline_watchdog>(io.get_executor(), 1ms);
    int cuts = 0;
    const auto id = watchdog->watch(clock::now() + 1h, [&] { ++cuts; });
    io.run_for(5ms);
    watchdog->unwatch(id);
    io.restart();
    io.run_for(10s);
    EXPECT_EQ(cuts, 0);
    EXPECT_TRUE(io.stopped());
}

TEST(DeadlineWatchdog, OnlyTheExchangesPastTheirDeadlineAreCut) {
    boost::asio::io_context io;
    auto watchdog = std::make_shared<deadline_watchdog>(io.get_executor(), 1ms);
    int early = 0, late = 0;
    watchdog->watch(clock::now(), [&] { ++early; });
    const auto late_id = watchdog->watch(clock::now() + 1h, [&] { ++late; });
    while (early == 0) io.run_one_for(10s);
    EXPECT_EQ(late, 0);
    watchdog->unwatch(late_id);
    io.run_for(10s);
    EXPECT_EQ(early, 1);
    EXPECT_EQ(late, 0);
}

TEST(DeadlineWatchdog, AStoppedWatchdogCutsNothingAndLetsTheIoContextEnd) {
    boost::asio::io_context io;
    auto watchdog = std::make_shared<deadline_watchdog>(io.get_executor(), 1ms);
    int cuts = 0;
    watchdog->watch(clock::now(), [&] { ++cuts; });
    watchdog->stop();
    io.run_for(10s);
    EXPECT_EQ(cuts, 0);
    EXPECT_TRUE(io.stopped());
}

} // namespace
} // namespace ddbcache::http
