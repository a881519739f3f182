// The gateway's OpenAI wire parser (gateway/openai_wire.cc): a client body
// for one of the three APIs, and the same bytes read as an upstream's
// response and as one streamed chunk. The first bytes choose the API, the
// default output ceiling and the upstream model name; the rest is the body.
// Invariants: what parses gives an upstream body that is a JSON object naming
// the upstream model; counts are never negative; the shorthands agree with
// SummarizeResponse.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz/fuzz_support.h"
#include "gateway/openai_wire.h"

namespace allot::fuzz {
namespace {

using gateway::ApiKind;
using nlohmann::json;

void CheckCall(ApiKind kind, int64_t default_max, const std::string& upstream_model,
               const std::string& body) {
  Result<gateway::CallRequest> call = gateway::ParseCallRequest(kind, body, default_max);
  if (!call.ok()) {
    (void)gateway::ErrorParam(call.status());
    (void)gateway::OpenAiErrorBody(call.status().message(), "invalid_request_error",
                                   gateway::ErrorParam(call.status()), "");
    return;
  }
  Expect(call->prompt_tokens >= 0 && call->max_output_tokens >= 0 && call->n >= 1,
         "token counts of a parsed call are in range");
  std::string upstream = gateway::UpstreamBody(*call, upstream_model);
  json parsed = json::parse(upstream, nullptr, /*allow_exceptions=*/false);
  Expect(parsed.is_object(), "the upstream body is a JSON object");
  Expect(parsed.value("model", json()) == json(upstream_model),
         "the upstream body names the upstream model");
}

void CheckResponse(const std::string& body) {
  gateway::ResponseSummary summary = gateway::SummarizeResponse(body);
  Expect(summary.output_text_bytes >= 0, "output text bytes are not negative");
  Expect(gateway::UsageFromBody(body) == summary.usage, "UsageFromBody agrees");
  Expect(gateway::OutputTextBytes(body) == summary.output_text_bytes, "OutputTextBytes agrees");
  gateway::ChunkSummary chunk = gateway::SummarizeChunk(body);
  Expect(chunk.output_text_bytes >= 0, "chunk output text bytes are not negative");
  Expect(!chunk.has_usage || chunk.valid, "a chunk with usage is a JSON object");
}

}  // namespace
}  // namespace allot::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider provider(data, size);
  auto kind = static_cast<allot::gateway::ApiKind>(provider.ConsumeIntegralInRange<int>(0, 2));
  int64_t default_max = provider.ConsumeIntegralInRange<int64_t>(1, int64_t{1} << 20);
  // A model name from a configuration: valid UTF-8 there (the config loader's YAML).
  std::string upstream_model = provider.PickValueInArray({"gpt-4o", "llama-3-70b", "m"});
  std::string body = provider.ConsumeRemainingBytesAsString();
  allot::fuzz::CheckCall(kind, default_max, upstream_model, body);
  allot::fuzz::CheckResponse(body);
  return 0;
}
