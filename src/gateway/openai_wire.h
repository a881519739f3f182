#pragma once

// The OpenAI wire format as the gateway needs it: parsing and validating a
// client's request body, the body sent upstream, the usage and the generated
// text of a response, and the error and model-list bodies the gateway writes.
// Pure functions: no I/O, no clock.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "metering/usage_record.h"

namespace allot::gateway {

// The OpenAI APIs the gateway serves.
enum class ApiKind : uint8_t {
  kChat,         // POST /v1/chat/completions
  kCompletions,  // POST /v1/completions
  kEmbeddings,   // POST /v1/embeddings
};

// The API's path relative to a base URL that ends in /v1: "/chat/completions",
// "/completions", "/embeddings".
std::string_view ApiPath(ApiKind kind);

// A validated client call.
struct CallRequest {
  ApiKind kind = ApiKind::kChat;
  std::string model;  // as the client named it
  bool stream = false;
  // The client asked for stream_options.include_usage (the upstream is always
  // asked for it on a stream; the gateway may drop the usage chunk otherwise).
  bool include_usage = false;
  // Estimated prompt tokens (see EstimateTokens for the formula).
  int64_t prompt_tokens = 0;
  // Per choice: max_completion_tokens, else max_tokens, else the default
  // passed to ParseCallRequest; 0 for embeddings.
  int64_t max_output_tokens = 0;
  bool max_tokens_given = false;
  // Choices generated. The client's n (1..128); for /v1/completions, times
  // best_of when larger and times the number of prompts of a batched prompt.
  // The output ceiling of the call is n * max_output_tokens. 1 for embeddings.
  int64_t n = 1;
  std::string user;     // the OpenAI "user" field, when given
  nlohmann::json body;  // the parsed body, kept to rewrite for the upstream
};

// Parses and validates a client body for `kind`. Errors are InvalidArgument
// whose message begins with the parameter path, OpenAI style: "messages:
// required", "model: must be a string", "max_tokens: must be an integer from
// 1 to 4294967296", "messages[2].content: must be a string or an array of
// content parts", "body: malformed JSON", "body: must be a JSON object".
// Fields the gateway does not interpret (temperature, tools, response_format,
// ...) are accepted untouched. `null` counts as absent for optional fields.
Result<CallRequest> ParseCallRequest(ApiKind kind, std::string_view body,
                                     int64_t default_max_output_tokens);

// The parameter an error names, for the OpenAI error's "param": the text before
// the first ':' of the message when it is a parameter path ("messages[2].content");
// empty when there is none or it names the whole body ("body: malformed JSON").
std::string ErrorParam(const Status& status);

// Token estimate of a text: ceil(bytes / 4) (about 4 bytes per token for
// English text and code). Deterministic. Used for prompts and, when an
// upstream reports no usage, for generated text.
//
// The prompt estimate of a call (CallRequest::prompt_tokens) applies it to
// every string the model reads:
//  - chat: sum over messages of (EstimateTokens(bytes of the message's text:
//    string content, text and refusal parts, name, tool call names and
//    arguments, function_call) + 4 + 765 per non-text content part (image,
//    audio, file)), + 3, + EstimateTokens(compact JSON of tools, functions
//    and response_format);
//  - completions: sum over prompts of EstimateTokens(prompt) (a token-id array
//    counts its length), + EstimateTokens(suffix);
//  - embeddings: sum over inputs the same way.
int64_t EstimateTokens(std::string_view text);
inline constexpr int64_t kTokensPerMessage = 4;
inline constexpr int64_t kTokensPerChat = 3;
inline constexpr int64_t kTokensPerMediaPart = 765;

// The body sent upstream: the client's body with "model" replaced by
// `upstream_model` and, for a stream, stream_options.include_usage = true
// (other stream_options fields kept). Compact JSON.
std::string UpstreamBody(const CallRequest& call, std::string_view upstream_model);

// Token usage an upstream reported.
struct ParsedUsage {
  bool present = false;
  TokenCounts tokens;

  friend bool operator==(const ParsedUsage&, const ParsedUsage&) = default;
};

// Reads an OpenAI "usage" value: {prompt_tokens, completion_tokens,
// prompt_tokens_details: {cached_tokens}} (embeddings: prompt_tokens and
// total_tokens only; a missing completion_tokens or cached_tokens counts 0).
// present=false when it is not an object, prompt_tokens is missing, or a count
// is not an integer from 0 to kMaxTokensPerCall, or cached > prompt.
ParsedUsage UsageFromJson(const nlohmann::json& usage);

// What a non-streamed response body reports, read in one pass without parsing
// the parts the gateway does not need (an embedding's vectors are only skipped).
struct ResponseSummary {
  // The top-level "usage"; absent when missing, null or malformed, or when the
  // body is not one whole JSON object (say, cut short).
  ParsedUsage usage;
  // Bytes (UTF-8, unescaped) of generated text: choices[].message.content,
  // .refusal, .reasoning_content, .reasoning, tool call / function_call names
  // and arguments, and choices[].text; for a body cut short, up to the cut.
  // For the estimate when usage is absent.
  int64_t output_text_bytes = 0;
  bool error = false;  // a top-level "error" object
};
ResponseSummary SummarizeResponse(std::string_view json_body);
// Shorthands for SummarizeResponse(json_body).usage / .output_text_bytes.
ParsedUsage UsageFromBody(std::string_view json_body);
int64_t OutputTextBytes(std::string_view json_body);

// What one streamed chunk (the JSON of one SSE data event) reports.
struct ChunkSummary {
  bool valid = false;      // a JSON object
  bool has_usage = false;  // a non-null top-level "usage" (usage says whether it is well formed)
  ParsedUsage usage;
  // Bytes of generated text in choices[].delta (the fields SummarizeResponse
  // reads in message) and choices[].text.
  int64_t output_text_bytes = 0;
  // Generated content: text above, or a non-empty tool_calls array.
  bool content = false;
  bool error = false;  // a top-level "error" object
};
ChunkSummary SummarizeChunk(std::string_view json);

// An OpenAI error body: {"error":{"message":...,"type":...,"param":...,"code":...}}
// with param and code null when empty.
std::string OpenAiErrorBody(std::string_view message, std::string_view type, std::string_view param,
                            std::string_view code);

// The body of GET /v1/models: {"object":"list","data":[{"id":...,"object":"model",
// "created":0,"owned_by":...},...]}, in the order given.
std::string ModelListBody(const std::vector<std::pair<std::string, std::string>>& id_and_owner);

}  // namespace allot::gateway
