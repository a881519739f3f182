#pragma once

// The fake upstream's request model and replies (internal to
// fake_upstream.cc and fake_upstream_replies.cc): what a request asks for,
// and the bytes of each kind of answer.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "testing/fake_upstream.h"

namespace allot::testing::fake_upstream_internal {

// The fixed "created" of every reply (deterministic output).
inline constexpr int64_t kCreated = 1700000000;

enum class Endpoint { kChat, kCompletions, kEmbeddings };

// What the request's text asks for ([[name=value]] directives); -1 = not given.
struct Directives {
  int64_t delay_ms = -1;
  int64_t chunk_delay_ms = -1;
  int status = 0;
  bool no_usage = false;
  int64_t cut_after = -1;
  int64_t words = -1;
  int64_t cached = -1;
  bool hang = false;
};

struct Call {
  Endpoint endpoint = Endpoint::kChat;
  std::string model_json = "\"\"";  // the request's model, as a JSON string
  bool stream = false;
  bool include_usage = false;
  int choices = 1;
  int64_t max_tokens = -1;
  int64_t prompt_tokens = 0;
  int embeddings = 0;  // inputs to embed
  int dimensions = 0;
  bool base64 = false;  // encoding_format "base64": little-endian float32, base64
  Directives directives;
};

// Everything a reply needs once the request is read.
struct Plan {
  int64_t words = 0;  // per choice
  bool truncated = false;
  int64_t cached = 0;
  bool usage = true;
  std::string id;  // "chatcmpl-N" / "cmpl-N"
};

// The events of a stream, in order (without [DONE]); content events first.
struct StreamEvents {
  std::vector<std::string> chunks;  // SSE chunks, [DONE] and the last-chunk included
  size_t content_chunks = 0;        // the first this many carry generated words
};

// Reads the JSON body into a Call; an error message when it is not a usable request.
std::optional<std::string> ReadCall(std::string_view body_text, Endpoint endpoint,
                                    int default_dimensions, Call& call);
Plan MakePlan(const Call& call, const FakeUpstreamOptions& options, int64_t serial);
// A whole reply (head and body) with an OpenAI error body.
std::string ErrorBody(int status, std::string_view message, std::string_view code);
std::string JsonReply(int status, std::string_view body, bool keep_alive);
std::string CompletionBody(const Call& call, const Plan& plan);
std::string EmbeddingsBody(const Call& call, const Plan& plan);
StreamEvents MakeStream(const Call& call, const Plan& plan);
std::string StreamHead(bool keep_alive);

}  // namespace allot::testing::fake_upstream_internal
