// Prometheus exposition of cache::stats(): the optional target ddbcache::prometheus, built when
// prometheus-cpp is found (Debian's prometheus-cpp-dev), in prometheus-cpp's own types (a
// Collectable for its Registry or Exposer) and its text format (version 0.0.4).
//
// The metrics, each series labelled `table` (then prometheus_options::labels):
//   ddbcache_operations_total{operation,outcome}            counter (outcome: hit, miss, stored, not_stored, error_*)
//   ddbcache_operation_duration_seconds{operation}          histogram
//   ddbcache_near_cache_{hits,misses,evictions,invalidations}_total   counters
//   ddbcache_near_cache_entries, ddbcache_near_cache_bytes  gauges
//   ddbcache_stale_served_total, ddbcache_lease_waits_total counters
// and the client's (prometheus_options::client_metrics):
//   ddbcache_dynamodb_{calls,failures,attempts,throttles}_total{operation}   counters (operation: GetItem...)
//   ddbcache_dynamodb_consumed_capacity_units_total{operation}               counter
//   ddbcache_dynamodb_call_duration_seconds{operation}                       histogram
//   ddbcache_connections_open, ddbcache_connections_idle, ddbcache_calls_waiting_for_connection   gauges
//   ddbcache_connections_opened_total, ddbcache_connections_tls_resumed_total, ddbcache_http_requests_total
// An operation's series appear once it has been used (all its outcomes then, zeros included) and
// never go away, so the output is stable between scrapes. The histograms' buckets are the powers of
// two of nanoseconds from 2^10 (1.024 µs) to 2^34 (17.2 s), where the library's log-linear
// histogram counts exactly; a bucket `le` counts the durations below its bound, and _sum is
// estimated from the log-linear buckets' middles (within about 6 %).
#pragma once

#include <ddbcache/cache.hpp>
#include <ddbcache/stats.hpp>

#include <prometheus/collectable.h>
#include <prometheus/labels.h>
#include <prometheus/metric_family.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ddbcache {

struct prometheus_options {
    // Added to every series after `table`: to tell apart caches sharing a table (other prefixes),
    // e.g. {{"cache", "sessions"}}.
    prometheus::Labels labels{};
    // The client's metrics (ddbcache_dynamodb_*, the connections, ddbcache_http_requests_total).
    // Caches sharing one client all see that client's counts: keep this on for one of them only, or
    // sums over the caches count each call more than once.
    bool client_metrics = true;
};

// The metric families of one snapshot (for a collector of your own, or a test).
std::vector<prometheus::MetricFamily> prometheus_families(const cache_stats& stats, std::string_view table,
                                                          const prometheus_options& options = {});

// A Collectable that takes c.stats() at each scrape, for prometheus::Exposer::RegisterCollectable
// (prometheus-cpp-pull) or Gateway::RegisterCollectable (push). Both hold it by weak_ptr: keep the
// returned pointer for as long as the cache should be reported.
//
// Lifetime: the collector follows the cache's state, not the cache object (cache::stats_source): a
// moved cache goes on being reported, and the collector never keeps a destroyed cache's state (its
// connections) alive; once the cache and its operations are gone, it reports nothing. Thread safety:
// Collect() may run on any thread (the Exposer's), at once with the cache's operations.
std::shared_ptr<prometheus::Collectable> make_prometheus_collector(const cache& c, prometheus_options options = {});

// c's metrics now, in Prometheus's text format 0.0.4 (prometheus-cpp's TextSerializer), for an
// HTTP server of your own to answer GET /metrics with Content-Type "text/plain; version=0.0.4".
std::string prometheus_text(const cache& c, const prometheus_options& options = {});

} // namespace ddbcache
