// Signing cost, warm signing-key cache: what every DynamoDB call pays.
#include <sigv4/sigv4.hpp>

#include <benchmark/benchmark.h>

#include <array>

namespace {

const std::string get_item_body =
    R"({"TableName":"python-cache","Key":{"cache_key":{"S":"user:12345:profile"}},)"
    R"("ProjectionExpression":"#k, #r, #e","ExpressionAttributeNames":{"#k":"cache_key",)"
    R"("#r":"response","#e":"expiration_time"},"ConsistentRead":false})";

void BM_SignGetItem(benchmark::State& state) {
    sigv4::signer signer;
    const sigv4::credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
    const std::array<sigv4::header, 3> headers{{{"Host", "dynamodb.eu-west-1.amazonaws.com"},
                                                {"Content-Type", "application/x-amz-json-1.0"},
                                                {"X-Amz-Target", "DynamoDB_20120810.GetItem"}}};
    const sigv4::request req{"POST", "/", "", headers, get_item_body, ""};
    sigv4::signed_headers out;
    for (auto _ : state) {
        signer.sign(req, creds, {"eu-west-1", "dynamodb", std::chrono::system_clock::now()}, out);
        benchmark::DoNotOptimize(out.authorization.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * get_item_body.size()));
}
BENCHMARK(BM_SignGetItem);

// A PutItem of a 100-byte value as the cache writes it (the body is hashed whole).
void BM_SignPutItem(benchmark::State& state) {
    sigv4::signer signer;
    const sigv4::credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
    const std::array<sigv4::header, 3> headers{{{"Host", "dynamodb.eu-west-1.amazonaws.com"},
                                                {"Content-Type", "application/x-amz-json-1.0"},
                                                {"X-Amz-Target", "DynamoDB_20120810.PutItem"}}};
    const std::string body = R"({"TableName":"python-cache","Item":{"cache_key":{"S":"user:12345:profile"},)"
                             R"("created_at":{"S":"2026-11-25T04:00:00.123456+00:00"},"response":{"B":")" +
                             std::string(164, 'A') + R"("},"expiration_time":{"N":"1795578056"}}})";
    const sigv4::request req{"POST", "/", "", headers, body, ""};
    sigv4::signed_headers out;
    for (auto _ : state) {
        signer.sign(req, creds, {"eu-west-1", "dynamodb", std::chrono::system_clock::now()}, out);
        benchmark::DoNotOptimize(out.authorization.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_SignPutItem);

void BM_DeriveSigningKey(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(sigv4::derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20261124",
                                                           "eu-west-1", "dynamodb"));
}
BENCHMARK(BM_DeriveSigningKey);

} // namespace

BENCHMARK_MAIN();
