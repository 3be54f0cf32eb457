// cache_stats as prometheus-cpp's metric families, the collector that takes them at scrape time,
// and the text format by prometheus-cpp's own serializer.
#include <ddbcache/prometheus.hpp>

#include <prometheus/client_metric.h>
#include <prometheus/metric_type.h>
#include <prometheus/text_serializer.h>

#include <functional>
#include <numeric>
#include <optional>
#include <utility>

namespace ddbcache {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using label_list = std::vector<ClientMetric::Label>;

// The histograms' bounds: powers of two of nanoseconds, where log_linear_histogram::count_below is
// exact, from 2^10 ns (1.024 µs) to 2^34 ns (17.2 s).
constexpr unsigned first_bound_exponent = 10;
constexpr unsigned last_bound_exponent = 34;
constexpr double nanoseconds_per_second = 1e9;

ClientMetric::Histogram in_seconds(const latency_histogram& h) {
    ClientMetric::Histogram out;
    out.sample_count = h.count();
    double sum = 0; // nanoseconds, each sample taken at its bucket's middle
    for (std::size_t i = 0; i < latency_histogram::bucket_count; ++i)
        if (const std::uint64_t n = h.count_in(i))
            sum += static_cast<double>(n) * static_cast<double>(latency_histogram::middle_of(i));
    out.sample_sum = sum / nanoseconds_per_second;
    for (unsigned e = first_bound_exponent; e <= last_bound_exponent; ++e) {
        const std::uint64_t bound = std::uint64_t{1} << e;
        out.bucket.push_back({h.count_below(bound), static_cast<double>(bound) / nanoseconds_per_second});
    }
    return out; // the serializer adds le="+Inf" from sample_count
}

// One snapshot's families, each series starting with the labels common to all of them.
class family_list {
public:
    family_list(std::string_view table, const prometheus::Labels& extra) {
        common_.push_back({"table", std::string(table)});
        for (const auto& [name, value] : extra) common_.push_back({name, value});
    }

    // A family of one series.
    void counter(std::string name, std::string help, double value) {
        MetricFamily f = family(std::move(name), std::move(help), MetricType::Counter);
        series(f).counter.value = value;
        families_.push_back(std::move(f));
    }
    void gauge(std::string name, std::string help, double value) {
        MetricFamily f = family(std::move(name), std::move(help), MetricType::Gauge);
        series(f).gauge.value = value;
        families_.push_back(std::move(f));
    }

    static MetricFamily family(std::string name, std::string help, MetricType type) {
        return MetricFamily{std::move(name), std::move(help), type, {}};
    }
    // A new series of `f`, with the common labels and then `labels`.
    ClientMetric& series(MetricFamily& f, const label_list& labels = {}) const {
        ClientMetric& m = f.metric.emplace_back();
        m.label = common_;
        m.label.insert(m.label.end(), labels.begin(), labels.end());
        return m;
    }
    void add(MetricFamily f) { families_.push_back(std::move(f)); }
    std::vector<MetricFamily> take() && { return std::move(families_); }

private:
    label_list common_;
    std::vector<MetricFamily> families_;
};

double as_value(std::uint64_t n) { return static_cast<double>(n); }

void add_cache_operations(family_list& out, const cache_stats& s) {
    MetricFamily total = family_list::family(
        "ddbcache_operations_total",
        "Cache operations completed, by operation and outcome (hit, miss, stored, not_stored, error_*)",
        MetricType::Counter);
    MetricFamily duration = family_list::family("ddbcache_operation_duration_seconds",
                                                "Cache operations' durations, from start to completion",
                                                MetricType::Histogram);
    for (std::size_t i = 0; i < cache_operation_count; ++i) {
        const auto op = static_cast<cache_operation>(i);
        const cache_operation_stats& o = s[op];
        if (std::accumulate(o.outcomes.begin(), o.outcomes.end(), std::uint64_t{0}) == 0 && o.latency.count() == 0)
            continue; // never used: no series yet
        const std::string name(to_string(op));
        for (std::size_t j = 0; j < operation_outcome_count; ++j) {
            const auto outcome = static_cast<operation_outcome>(j);
            out.series(total, {{"operation", name}, {"outcome", std::string(to_string(outcome))}}).counter.value =
                as_value(o[outcome]);
        }
        out.series(duration, {{"operation", name}}).histogram = in_seconds(o.latency);
    }
    out.add(std::move(total));
    out.add(std::move(duration));
}

void add_near_cache(family_list& out, const cache_stats& s) {
    const near_cache_stats& n = s.near_cache;
    out.counter("ddbcache_near_cache_hits_total", "Lookups the near cache answered", as_value(n.hits));
    out.counter("ddbcache_near_cache_misses_total", "Near-cache lookups that went on to DynamoDB", as_value(n.misses));
    out.counter("ddbcache_near_cache_evictions_total", "Near-cache entries dropped to stay within max_bytes or max_entries",
                as_value(n.evictions));
    out.counter("ddbcache_near_cache_invalidations_total", "Near-cache entries dropped by this process's own writes",
                as_value(n.invalidations));
    out.gauge("ddbcache_near_cache_entries", "Entries in the near cache", as_value(n.entries));
    out.gauge("ddbcache_near_cache_bytes", "Bytes the near cache holds: keys, values and bookkeeping", as_value(n.bytes));
    out.counter("ddbcache_stale_served_total", "get_or_set values served stale (fail-safe)", as_value(s.stale_served));
    out.counter("ddbcache_lease_waits_total", "get_or_set flights (one per key at once) that waited for another process's lease",
                as_value(s.lease_waits));
}

void add_dynamodb_operations(family_list& out, const client_stats& s) {
    using field = double (*)(const dynamodb_operation_stats&);
    struct counter_family {
        const char* name;
        const char* help;
        field value;
    };
    static constexpr counter_family counters[] = {
        {"ddbcache_dynamodb_calls_total", "DynamoDB calls completed, failed or not",
         [](const dynamodb_operation_stats& o) { return as_value(o.calls); }},
        {"ddbcache_dynamodb_failures_total", "DynamoDB calls that failed after their retries",
         [](const dynamodb_operation_stats& o) { return as_value(o.failures); }},
        {"ddbcache_dynamodb_attempts_total", "DynamoDB requests sent for the calls (retries = attempts - calls)",
         [](const dynamodb_operation_stats& o) { return as_value(o.attempts); }},
        {"ddbcache_dynamodb_throttles_total", "DynamoDB attempts answered with a throttling error",
         [](const dynamodb_operation_stats& o) { return as_value(o.throttles); }},
        {"ddbcache_dynamodb_consumed_capacity_units_total",
         "Capacity units DynamoDB reported (client_options::return_consumed_capacity)",
         [](const dynamodb_operation_stats& o) { return o.consumed_capacity_units; }},
    };
    std::vector<MetricFamily> families;
    for (const counter_family& c : counters) families.push_back(family_list::family(c.name, c.help, MetricType::Counter));
    MetricFamily duration = family_list::family("ddbcache_dynamodb_call_duration_seconds",
                                                "DynamoDB calls' durations, retries included", MetricType::Histogram);
    for (std::size_t i = 0; i < dynamodb_operation_count; ++i) {
        const auto op = static_cast<dynamodb_operation>(i);
        const dynamodb_operation_stats& o = s[op];
        if (o.calls == 0 && o.attempts == 0) continue; // never called: no series yet
        const label_list labels{{"operation", std::string(to_string(op))}};
        for (std::size_t k = 0; k < std::size(counters); ++k)
            out.series(families[k], labels).counter.value = counters[k].value(o);
        out.series(duration, labels).histogram = in_seconds(o.latency);
    }
    for (MetricFamily& f : families) out.add(std::move(f));
    out.add(std::move(duration));
}

void add_connections(family_list& out, const connection_stats& c) {
    out.gauge("ddbcache_connections_open", "Connections to DynamoDB open or opening", as_value(c.open));
    out.gauge("ddbcache_connections_idle", "Connections to DynamoDB open and idle", as_value(c.idle));
    out.gauge("ddbcache_calls_waiting_for_connection", "DynamoDB calls waiting for a connection", as_value(c.waiting));
    out.counter("ddbcache_connections_opened_total", "Connections to DynamoDB opened", as_value(c.opened_total));
    out.counter("ddbcache_connections_tls_resumed_total", "Connections that resumed an earlier TLS session",
                as_value(c.tls_resumed_total));
    out.counter("ddbcache_http_requests_total", "HTTP requests sent to DynamoDB, retries and resends included",
                as_value(c.requests_total));
}

class cache_collector final : public prometheus::Collectable {
public:
    cache_collector(std::function<std::optional<cache_stats>()> source, std::string table, prometheus_options options)
        : source_(std::move(source)), table_(std::move(table)), options_(std::move(options)) {}

    std::vector<MetricFamily> Collect() const override {
        const std::optional<cache_stats> stats = source_();
        if (!stats) return {}; // the cache is gone
        return prometheus_families(*stats, table_, options_);
    }

private:
    std::function<std::optional<cache_stats>()> source_;
    std::string table_;
    prometheus_options options_;
};

} // namespace

std::vector<MetricFamily> prometheus_families(const cache_stats& stats, std::string_view table,
                                              const prometheus_options& options) {
    family_list out(table, options.labels);
    add_cache_operations(out, stats);
    add_near_cache(out, stats);
    if (options.client_metrics) {
        add_dynamodb_operations(out, stats.dynamodb);
        add_connections(out, stats.dynamodb.connections);
    }
    return std::move(out).take();
}

std::shared_ptr<prometheus::Collectable> make_prometheus_collector(const cache& c, prometheus_options options) {
    return std::make_shared<cache_collector>(c.stats_source(), c.options().table_name, std::move(options));
}

std::string prometheus_text(const cache& c, const prometheus_options& options) {
    return prometheus::TextSerializer().Serialize(prometheus_families(c.stats(), c.options().table_name, options));
}

} // namespace ddbcache
