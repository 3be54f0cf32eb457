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

// What a test's exchange saw of the watchdog.
struct exchange_seen {
    int cuts = 0;
    clock::time_point cut_at{};
};

// A cut request that counts its cuts in `seen`.
deadline_watchdog::cut_request counting(const std::shared_ptr<exchange_seen>& seen) {
    return {seen, 0, [](std::shared_ptr<void> target, std::uint64_t) {
                auto s = std::static_pointer_cast<exchange_seen>(target);
                s->cut_at = clock::now();
                ++s->cuts;
            }};
}

TEST(DeadlineWatchdog, CutsAnExchangeOnlyOnceItsDeadlineHasPassed) {
    boost::asio::io_context io;
    auto watchdog = std::make_shared<deadline_watchdog>(io.get_executor(), 1ms);
    const auto deadline = clock::now() + 20ms;
    auto seen = std::make_shared<exchange_seen>();
    watchdog->watch(deadline, counting(seen));
    io.run_for(10s); // returns once the watchdog stops: after the cut, nothing is watched
    EXPECT_EQ(seen->cuts, 1);
    EXPECT_GE(seen->cut_at, deadline) << "never early";
    EXPECT_TRUE(io.stopped()) << "the watchdog stops ticking when nothing is watched";
}

TEST(DeadlineWatchdog, AnExchangeUnwatchedBeforeItsDeadlineIsNeverCut) {
    boost::asio::io_context io;
    auto watchdog = std::make_shared<deadline_watchdog>(io.get_executor(), 1ms);
    auto seen = std::make_shared<exchange_seen>();
    const auto id = watchdog->watch(clock::now() + 1h, counting(seen));
    io.run_for(5ms);
    watchdog->unwatch(id);
    io.restart();
    io.run_for(10s);
    EXPECT_EQ(seen->cuts, 0);
    EXPECT_TRUE(io.stopped());
}

TEST(DeadlineWatchdog, OnlyTheExchangesPastTheirDeadlineAreCut) {
    boost::asio::io_context io;
    auto watchdog = std::make_shared<deadline_watchdog>(io.get_executor(), 1ms);
    auto early = std::make_shared<exchange_seen>(), late = std::make_shared<exchange_seen>();
    watchdog->watch(clock::now(), counting(early));
    const auto late_id = watchdog->watch(clock::now() + 1h, counting(late));
    while (early->cuts == 0) io.run_one_for(10s);
    EXPECT_EQ(late->cuts, 0);
    watchdog->unwatch(late_id);
    io.run_for(10s);
    EXPECT_EQ(early->cuts, 1);
    EXPECT_EQ(late->cuts, 0);
}

TEST(DeadlineWatchdog, AStoppedWatchdogCutsNothingAndLetsTheIoContextEnd) {
    boost::asio::io_context io;
    auto watchdog = std::make_shared<deadline_watchdog>(io.get_executor(), 1ms);
    auto seen = std::make_shared<exchange_seen>();
    watchdog->watch(clock::now(), counting(seen));
    watchdog->stop();
    io.run_for(10s);
    EXPECT_EQ(seen->cuts, 0);
    EXPECT_TRUE(io.stopped());
}

int cuts_of_any_target = 0;

TEST(DeadlineWatchdog, AnExchangeWhoseConnectionIsGoneIsNotCut) {
    boost::asio::io_context io;
    auto watchdog = std::make_shared<deadline_watchdog>(io.get_executor(), 1ms);
    auto connection = std::make_shared<int>(0);
    watchdog->watch(clock::now(), {connection, 0, [](std::shared_ptr<void>, std::uint64_t) { ++cuts_of_any_target; }});
    connection.reset(); // destroyed with its exchange still watched
    io.run_for(10s);
    EXPECT_EQ(cuts_of_any_target, 0);
    EXPECT_TRUE(io.stopped()) << "the dead entry is dropped and the watchdog stops";
}

} // namespace
} // namespace ddbcache::http
