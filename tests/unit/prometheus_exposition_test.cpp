// ddbcache::prometheus: a cache_stats snapshot as prometheus-cpp's metric families (names, labels,
// the histograms' cumulative buckets in seconds), the collector's lifetime, and the text format.
#include <ddbcache/prometheus.hpp>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <chrono>

namespace ddbcache {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

const MetricFamily& family(const std::vector<MetricFamily>& families, std::string_view name) {
    const auto f = std::find_if(families.begin(), families.end(), [&](const MetricFamily& m) { return m.name == name; });
    if (f == families.end()) throw std::runtime_error("no family " + std::string(name));
    return *f;
}

std::string label(const ClientMetric& m, std::string_view name) {
    for (const auto& l : m.label)
        if (l.name == name) return l.value;
    return "(none)";
}

const ClientMetric& series(const MetricFamily& f, std::string_view label_name, std::string_view value) {
    for (const ClientMetric& m : f.metric)
        if (label(m, label_name) == value) return m;
    throw std::runtime_error("no series " + std::string(label_name) + "=" + std::string(value) + " in " + f.name);
}

cache_stats some_stats() {
    cache_stats s;
    auto& get = s.operations[static_cast<std::size_t>(cache_operation::get)];
    get.outcomes[static_cast<std::size_t>(operation_outcome::hit)] = 3;
    get.outcomes[static_cast<std::size_t>(operation_outcome::miss)] = 2;
    for (std::uint64_t ns : {500u, 1'023u, 1'024u, 3'000u, 2'000'000u}) get.latency.record(ns);
    s.near_cache.hits = 7;
    s.near_cache.bytes = 4096;
    s.dynamodb.operations[static_cast<std::size_t>(dynamodb_operation::get_item)].calls = 2;
    s.dynamodb.operations[static_cast<std::size_t>(dynamodb_operation::get_item)].attempts = 3;
    s.dynamodb.connections.open = 1;
    return s;
}

TEST(PrometheusExposition, OperationsAreCountedByOperationAndOutcomeWithTheTable) {
    const auto families = prometheus_families(some_stats(), "my-table");
    const MetricFamily& total = family(families, "ddbcache_operations_total");
    EXPECT_EQ(total.type, MetricType::Counter);
    ASSERT_EQ(total.metric.size(), operation_outcome_count); // get only: the others were never used
    for (const ClientMetric& m : total.metric) {
        EXPECT_EQ(label(m, "table"), "my-table");
        EXPECT_EQ(label(m, "operation"), "get");
    }
    EXPECT_EQ(series(total, "outcome", "hit").counter.value, 3);
    EXPECT_EQ(series(total, "outcome", "miss").counter.value, 2);
    EXPECT_EQ(series(total, "outcome", "error_throttled").counter.value, 0);
}

TEST(PrometheusExposition, DurationsAreCumulativeBucketsAtPowersOfTwoOfNanosecondsInSeconds) {
    const auto families = prometheus_families(some_stats(), "t");
    const MetricFamily& duration = family(families, "ddbcache_operation_duration_seconds");
    EXPECT_EQ(duration.type, MetricType::Histogram);
    const ClientMetric::Histogram& h = series(duration, "operation", "get").histogram;
    EXPECT_EQ(h.sample_count, 5u);
    ASSERT_EQ(h.bucket.size(), 25u);
    EXPECT_DOUBLE_EQ(h.bucket.front().upper_bound, 1024e-9);
    EXPECT_DOUBLE_EQ(h.bucket.back().upper_bound, 17179869184e-9);
    EXPECT_EQ(h.bucket[0].cumulative_count, 2u); // below 1024 ns: 500 and 1023
    EXPECT_EQ(h.bucket[1].cumulative_count, 3u); // below 2048 ns: and 1024
    EXPECT_EQ(h.bucket[2].cumulative_count, 4u); // below 4096 ns: and 3000
    EXPECT_EQ(h.bucket[11].cumulative_count, 5u); // below 2^21 ns: and 2 ms
    EXPECT_NEAR(h.sample_sum, 2'005'547e-9, 2'005'547e-9 * 0.07);
}

TEST(PrometheusExposition, TheClientsMetricsAreLabelledByDynamoDbOperationAndCanBeLeftOut) {
    const auto families = prometheus_families(some_stats(), "t", {.labels = {{"cache", "sessions"}}});
    const ClientMetric& calls = series(family(families, "ddbcache_dynamodb_calls_total"), "operation", "GetItem");
    EXPECT_EQ(calls.counter.value, 2);
    EXPECT_EQ(label(calls, "cache"), "sessions");
    EXPECT_EQ(family(families, "ddbcache_dynamodb_attempts_total").metric.size(), 1u);
    EXPECT_EQ(family(families, "ddbcache_connections_open").metric.at(0).gauge.value, 1);
    EXPECT_EQ(family(families, "ddbcache_near_cache_hits_total").metric.at(0).counter.value, 7);
    EXPECT_EQ(family(families, "ddbcache_near_cache_bytes").metric.at(0).gauge.value, 4096);

    const auto without = prometheus_families(some_stats(), "t", {.client_metrics = false});
    EXPECT_TRUE(std::none_of(without.begin(), without.end(), [](const MetricFamily& f) {
        return f.name.starts_with("ddbcache_dynamodb_") || f.name.starts_with("ddbcache_connections_");
    }));
}

TEST(PrometheusExposition, TheTextFormatHasEveryBucketAndInf) {
    const std::string text = prometheus::TextSerializer().Serialize(prometheus_families(some_stats(), "t"));
    EXPECT_NE(text.find("# TYPE ddbcache_operations_total counter"), std::string::npos) << text;
    EXPECT_NE(text.find(R"(ddbcache_operations_total{table="t",operation="get",outcome="hit"} 3)"), std::string::npos)
        << text;
    EXPECT_NE(text.find(R"(ddbcache_operation_duration_seconds_bucket{table="t",operation="get",le="+Inf"} 5)"),
              std::string::npos)
        << text;
}

TEST(PrometheusExposition, TheCollectorFollowsAMovedCacheAndReportsNothingOnceItIsGone) {
    boost::asio::io_context io;
    cache_options options;
    options.table_name = "collected";
    options.client.endpoint = "http://127.0.0.1:9"; // never contacted
    options.client.region = "us-east-1";
    options.client.credentials.explicit_credentials = credentials{"AKIDLOCALTEST", "local-test-secret", ""};
    auto c = std::make_unique<cache>(io.get_executor(), options);
    const auto collector = make_prometheus_collector(*c);
    cache moved = std::move(*c);
    c.reset();
    const auto families = collector->Collect();
    ASSERT_FALSE(families.empty());
    EXPECT_EQ(label(family(families, "ddbcache_near_cache_hits_total").metric.at(0), "table"), "collected");
    EXPECT_NE(prometheus_text(moved).find("ddbcache_http_requests_total{table=\"collected\"} 0"), std::string::npos);
    { cache gone = std::move(moved); }
    EXPECT_TRUE(collector->Collect().empty());
}

} // namespace
} // namespace ddbcache
