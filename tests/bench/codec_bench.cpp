// The per-request CPU of the pure parts: building a PutItem body, parsing a GetItem answer, the
// cachelib (pickle) codec, base64 and CRC32, for 100 B, 10 KB and 350 KB values. Each reports
// bytes/s and `allocs_per_op`: heap allocations per iteration (global operator new is counted).
#include "cache/cachelib_codec.hpp"
#include "cache/value_compression.hpp"
#include "codec/base64.hpp"
#include "dynamodb/crc32.hpp"
#include "dynamodb/operations_json.hpp"

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<std::uint64_t> allocations{0};
} // namespace

void* operator new(std::size_t size) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {
using namespace ddbcache;

// Reports allocations per iteration of the loop that ran since `before`.
void report_allocations(benchmark::State& state, std::uint64_t before) {
    state.counters["allocs_per_op"] = benchmark::Counter(
        static_cast<double>(allocations.load() - before) / static_cast<double>(state.iterations()));
}

std::string value_of_size(std::int64_t size) {
    std::string v;
    for (std::int64_t i = 0; i < size; ++i) v.push_back(static_cast<char>('a' + i % 26));
    return v;
}

put_item_request put_request(const std::string& encoded_value) {
    put_item_request put;
    put.table = "python-cache";
    put.attributes.set("cache_key", attribute_value::S("user:12345:profile"));
    put.attributes.set("created_at", attribute_value::S("2026-11-25T04:00:00.123456+00:00"));
    put.attributes.set("response", attribute_value::B(encoded_value));
    put.attributes.set("expiration_time", attribute_value::N("1795578056"));
    return put;
}

void BM_BuildPutItemBody(benchmark::State& state) {
    std::string encoded;
    cache_codec::encode_cachelib(value_of_size(state.range(0)), encoded);
    const put_item_request put = put_request(encoded);
    std::string body, why;
    const auto before = allocations.load();
    for (auto _ : state) {
        body.clear();
        benchmark::DoNotOptimize(dynamodb::write_json(put, body, why));
    }
    report_allocations(state, before);
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(BM_BuildPutItemBody)->Arg(100)->Arg(10 * 1024)->Arg(350 * 1024);

// A GetItem answer as DynamoDB sends it, for a value of `size` bytes.
std::string get_item_answer(std::int64_t size) {
    std::string encoded, b64;
    cache_codec::encode_cachelib(value_of_size(size), encoded);
    codec::append_base64(encoded, b64);
    return R"({"Item":{"created_at":{"S":"2026-11-25T04:00:00.123456+00:00"},"response":{"B":")" + b64 +
           R"("},"cache_key":{"S":"user:12345:profile"},"expiration_time":{"N":"1795578056"}}})";
}

void BM_ParseGetItemAnswer(benchmark::State& state) {
    const std::string answer = get_item_answer(state.range(0));
    std::string body;
    body.reserve(answer.size() + 64); // simdjson's padding, as the client leaves it
    const auto before = allocations.load();
    for (auto _ : state) {
        body.assign(answer);
        get_item_result result;
        benchmark::DoNotOptimize(dynamodb::read_result(body, result));
        benchmark::DoNotOptimize(result.found);
    }
    report_allocations(state, before);
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(answer.size()));
}
BENCHMARK(BM_ParseGetItemAnswer)->Arg(100)->Arg(10 * 1024)->Arg(350 * 1024);

void BM_EncodeCachelib(benchmark::State& state) {
    const std::string value = value_of_size(state.range(0));
    std::string out;
    const auto before = allocations.load();
    for (auto _ : state) {
        out.clear();
        cache_codec::encode_cachelib(value, out);
        benchmark::DoNotOptimize(out.data());
    }
    report_allocations(state, before);
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_EncodeCachelib)->Arg(100)->Arg(10 * 1024)->Arg(350 * 1024);

void BM_DecodeCachelib(benchmark::State& state) {
    std::string stored;
    cache_codec::encode_cachelib(value_of_size(state.range(0)), stored);
    const auto before = allocations.load();
    for (auto _ : state) benchmark::DoNotOptimize(cache_codec::decode_cachelib(stored));
    report_allocations(state, before);
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_DecodeCachelib)->Arg(100)->Arg(10 * 1024)->Arg(350 * 1024);

void BM_Base64Encode(benchmark::State& state) {
    const std::string value = value_of_size(state.range(0));
    std::string out;
    for (auto _ : state) {
        out.clear();
        codec::append_base64(value, out);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Base64Encode)->Arg(100)->Arg(10 * 1024)->Arg(350 * 1024);

void BM_Base64Decode(benchmark::State& state) {
    std::string text, out;
    codec::append_base64(value_of_size(state.range(0)), text);
    for (auto _ : state) benchmark::DoNotOptimize(codec::decode_base64(text, out));
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Base64Decode)->Arg(100)->Arg(10 * 1024)->Arg(350 * 1024);

void BM_Crc32(benchmark::State& state) {
    const std::string data = value_of_size(state.range(0));
    for (auto _ : state) benchmark::DoNotOptimize(dynamodb::crc32(data));
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32)->Arg(100)->Arg(10 * 1024)->Arg(350 * 1024)->Arg(1 << 20);

// 1 MiB of what caches hold: JSON answers (records of ids, names, numbers and flags), where
// compression pays; and 1 MiB of random bytes (images, already compressed data), where it cannot.
std::string mib_of(bool json) {
    std::string out;
    std::uint64_t x = 0x2545f4914f6cdd1dULL;
    auto next = [&x] { return x ^= x << 13, x ^= x >> 7, x ^= x << 17; };
    const char* names[] = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"};
    while (out.size() < (1u << 20)) {
        if (!json) {
            out.push_back(static_cast<char>(next()));
            continue;
        }
        out += R"({"id":)" + std::to_string(next() % 1'000'000) + R"(,"name":")" + names[next() % 8] +
               R"(","score":)" + std::to_string(next() % 10'000) + "." + std::to_string(next() % 100) +
               R"(,"active":)" + (next() % 2 ? "true" : "false") + "},";
    }
    out.resize(1u << 20);
    return out;
}

// CPU per MiB at each level; `ratio` = original / compressed bytes.
void BM_ZstdCompressMiB(benchmark::State& state) {
    const std::string data = mib_of(state.range(1) != 0);
    std::size_t compressed = data.size();
    for (auto _ : state) {
        auto frame = value_compression_codec::compress_zstd(data, static_cast<int>(state.range(0)));
        compressed = frame ? frame->size() : data.size();
        benchmark::DoNotOptimize(frame);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(data.size()));
    state.counters["ratio"] = static_cast<double>(data.size()) / static_cast<double>(compressed);
}
BENCHMARK(BM_ZstdCompressMiB)->ArgNames({"level", "json"})->Args({1, 1})->Args({3, 1})->Args({9, 1})->Args({3, 0});

void BM_ZstdDecompressMiB(benchmark::State& state) {
    const std::string data = mib_of(true);
    const std::string frame = *value_compression_codec::compress_zstd(data, static_cast<int>(state.range(0)));
    std::string out, why;
    for (auto _ : state) benchmark::DoNotOptimize(value_compression_codec::decompress_zstd(frame, data.size(), out, why));
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(data.size()));
}
BENCHMARK(BM_ZstdDecompressMiB)->ArgName("level")->Arg(3);

} // namespace

BENCHMARK_MAIN();
