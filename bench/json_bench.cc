// Which JSON library for the wire: a ~300-byte lease request, parsed into a
// DOM, one field read, and serialised back (a request round trip).
//
//   json_bench
#include <benchmark/benchmark.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <nlohmann/json.hpp>
#include <string>

namespace {

const std::string kRequest = R"({"tenant":"acme/research/agent-17","class":"interactive",)"
                             R"("member":{"gpu":500,"gpu_memory":20480,"cpu":4000,)"
                             R"("memory":32768},"members":1,"gpu_models":["H100-80GB",)"
                             R"("A100-80GB"],"pool":"","node_selector":{"zone":"a"},)"
                             R"("estimate_seconds":3600,"ttl_seconds":120,"labels":)"
                             R"({"project":"eval","session":"s-9f2c"},"idempotency_key":)"
                             R"("agent-17/step-42"})";

void BM_RapidJsonRoundTrip(benchmark::State& state) {
  for (auto _ : state) {
    rapidjson::Document document;
    document.Parse(kRequest.c_str(), kRequest.size());
    int64_t gpu = document["member"]["gpu"].GetInt64();
    benchmark::DoNotOptimize(gpu);
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    document.Accept(writer);
    benchmark::DoNotOptimize(buffer.GetString());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kRequest.size()));
}
BENCHMARK(BM_RapidJsonRoundTrip);

void BM_NlohmannJsonRoundTrip(benchmark::State& state) {
  for (auto _ : state) {
    nlohmann::json document = nlohmann::json::parse(kRequest);
    int64_t gpu = document["member"]["gpu"].get<int64_t>();
    benchmark::DoNotOptimize(gpu);
    std::string text = document.dump();
    benchmark::DoNotOptimize(text.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kRequest.size()));
}
BENCHMARK(BM_NlohmannJsonRoundTrip);

}  // namespace

BENCHMARK_MAIN();
