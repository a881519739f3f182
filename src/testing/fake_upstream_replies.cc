// The fake upstream's replies: request reading, directives, and the bodies
// and streams it answers with (fake_upstream.h documents the behaviour).
#include "testing/fake_upstream_replies.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/beast/http/status.hpp>
#include <cctype>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

namespace allot::testing::fake_upstream_internal {

using Json = nlohmann::json;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr std::array<std::string_view, 26> kWords = {
    "alpha",   "bravo", "charlie", "delta",  "echo",     "foxtrot", "golf",   "hotel",  "india",
    "juliett", "kilo",  "lima",    "mike",   "november", "oscar",   "papa",   "quebec", "romeo",
    "sierra",  "tango", "uniform", "victor", "whiskey",  "xray",    "yankee", "zulu"};

// ------------------------------------------------------------ request model

int64_t CountWords(std::string_view text) {
  int64_t words = 0;
  bool in_word = false;
  for (char c : text) {
    bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

// Reads every "[[name]]" / "[[name=N]]" in `text`; unknown ones are ignored.
void ScanDirectives(std::string_view text, Directives& out) {
  size_t at = 0;
  while ((at = text.find("[[", at)) != std::string_view::npos) {
    size_t end = text.find("]]", at + 2);
    if (end == std::string_view::npos) return;
    std::string_view inside = text.substr(at + 2, end - at - 2);
    at = end + 2;
    std::string_view name = inside;
    std::optional<int64_t> value;
    if (size_t eq = inside.find('='); eq != std::string_view::npos) {
      name = inside.substr(0, eq);
      value = ParseInt(inside.substr(eq + 1));
      if (!value) continue;
    }
    if (name == "no_usage") {
      out.no_usage = true;
    } else if (name == "hang") {
      out.hang = true;
    } else if (!value) {
      continue;
    } else if (name == "delay_ms") {
      out.delay_ms = *value;
    } else if (name == "chunk_delay_ms") {
      out.chunk_delay_ms = *value;
    } else if (name == "status") {
      if (*value >= 400 && *value <= 599) out.status = static_cast<int>(*value);
    } else if (name == "cut_after") {
      out.cut_after = *value;
    } else if (name == "words") {
      out.words = std::min<int64_t>(*value, 1'000'000);
    } else if (name == "cached") {
      out.cached = *value;
    }
  }
}

// One piece of request text: counted and scanned.
void TakeText(std::string_view text, Call& call) {
  call.prompt_tokens += CountWords(text);
  if (text.find("[[") != std::string_view::npos) ScanDirectives(text, call.directives);
}

// A prompt or embeddings input: a string, token ids, or an array of either. Returns the number
// of inputs (an array of strings or of id arrays is one input per element).
int TakePromptLike(const Json& value, Call& call) {
  if (value.is_string()) {
    TakeText(value.get_ref<const std::string&>(), call);
    return 1;
  }
  if (!value.is_array()) return 0;
  if (!value.empty() && value.front().is_number()) {
    call.prompt_tokens += static_cast<int64_t>(value.size());
    return 1;
  }
  int inputs = 0;
  for (const Json& item : value) {
    if (item.is_string()) {
      TakeText(item.get_ref<const std::string&>(), call);
      ++inputs;
    } else if (item.is_array()) {
      call.prompt_tokens += static_cast<int64_t>(item.size());
      ++inputs;
    }
  }
  return inputs;
}

int64_t IntField(const Json& body, const char* name, int64_t fallback) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_number_integer()) return fallback;
  return it->get<int64_t>();
}

}  // namespace

// Reads the JSON body into a Call; an error message when it is not a usable request.
std::optional<std::string> ReadCall(std::string_view body_text, Endpoint endpoint,
                                    int default_dimensions, Call& call) {
  call.endpoint = endpoint;
  Json body = Json::parse(body_text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) return "We could not parse the JSON body.";
  if (auto it = body.find("model"); it != body.end() && it->is_string()) {
    call.model_json = it->dump();
  } else {
    return "you must provide a model parameter";
  }
  if (auto it = body.find("stream"); it != body.end() && it->is_boolean()) {
    call.stream = it->get<bool>() && endpoint != Endpoint::kEmbeddings;
  }
  if (auto it = body.find("stream_options"); it != body.end() && it->is_object()) {
    auto usage = it->find("include_usage");
    call.include_usage = usage != it->end() && usage->is_boolean() && usage->get<bool>();
  }
  call.choices = static_cast<int>(std::clamp<int64_t>(IntField(body, "n", 1), 1, 128));
  call.max_tokens = IntField(body, "max_completion_tokens", IntField(body, "max_tokens", -1));
  switch (endpoint) {
    case Endpoint::kChat: {
      auto messages = body.find("messages");
      if (messages == body.end() || !messages->is_array()) {
        return "'messages' is a required property";
      }
      for (const Json& message : *messages) {
        ++call.prompt_tokens;
        if (!message.is_object()) continue;
        auto content = message.find("content");
        if (content == message.end()) continue;
        if (content->is_string()) {
          TakeText(content->get_ref<const std::string&>(), call);
        } else if (content->is_array()) {
          for (const Json& part : *content) {
            auto text = part.is_object() ? part.find("text") : part.end();
            if (part.is_object() && text != part.end() && text->is_string()) {
              TakeText(text->get_ref<const std::string&>(), call);
            }
          }
        }
      }
      break;
    }
    case Endpoint::kCompletions: {
      auto prompt = body.find("prompt");
      if (prompt == body.end()) return "'prompt' is a required property";
      TakePromptLike(*prompt, call);
      break;
    }
    case Endpoint::kEmbeddings: {
      auto input = body.find("input");
      if (input == body.end()) return "'input' is a required property";
      call.embeddings = TakePromptLike(*input, call);
      if (call.embeddings == 0) return "'input' must be a string or an array";
      call.dimensions = static_cast<int>(
          std::clamp<int64_t>(IntField(body, "dimensions", default_dimensions), 1, 65536));
      auto format = body.find("encoding_format");
      call.base64 = format != body.end() && format->is_string() && *format == "base64";
      break;
    }
  }
  return std::nullopt;
}

namespace {

// ------------------------------------------------------------ reply text

std::string_view ErrorType(int status) {
  switch (status) {
    case 401:
    case 400:
    case 404:
    case 405:
    case 413:
    case 422:
      return "invalid_request_error";
    case 403:
      return "permission_error";
    case 429:
      return "requests";
    default:
      return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

}  // namespace

std::string ErrorBody(int status, std::string_view message, std::string_view code) {
  Json error = {{"error",
                 {{"message", std::string(message)},
                  {"type", std::string(ErrorType(status))},
                  {"param", nullptr},
                  {"code", code.empty() ? Json(nullptr) : Json(std::string(code))}}}};
  return error.dump();
}

namespace {

std::string ReasonLine(int status) {
  beast::string_view reason = http::obsolete_reason(static_cast<http::status>(status));
  return fmt::format("HTTP/1.1 {} {}\r\n", status, std::string_view(reason.data(), reason.size()));
}

}  // namespace

// The head and body of a JSON reply, in one string.
std::string JsonReply(int status, std::string_view body, bool keep_alive) {
  std::string out = ReasonLine(status);
  fmt::format_to(std::back_inserter(out),
                 "Content-Type: application/json\r\nContent-Length: {}\r\n", body.size());
  if (status == 429) out += "Retry-After: 1\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  out += body;
  return out;
}

namespace {

std::string GeneratedText(int64_t words) {
  std::string text;
  for (int64_t i = 0; i < words; ++i) {
    if (i > 0) text += ' ';
    text += kWords[static_cast<size_t>(i) % kWords.size()];
  }
  return text;
}

std::string UsageJson(const Call& call, int64_t completion_tokens, int64_t cached) {
  std::string usage;
  if (call.endpoint == Endpoint::kEmbeddings) {
    return fmt::format(R"({{"prompt_tokens":{},"total_tokens":{}}})", call.prompt_tokens,
                       call.prompt_tokens);
  }
  fmt::format_to(std::back_inserter(usage),
                 R"({{"prompt_tokens":{},"completion_tokens":{},"total_tokens":{})",
                 call.prompt_tokens, completion_tokens, call.prompt_tokens + completion_tokens);
  if (call.endpoint == Endpoint::kChat || cached > 0) {
    fmt::format_to(std::back_inserter(usage), R"(,"prompt_tokens_details":{{"cached_tokens":{}}})",
                   cached);
  }
  usage += '}';
  return usage;
}

}  // namespace

Plan MakePlan(const Call& call, const FakeUpstreamOptions& options, int64_t serial) {
  Plan plan;
  plan.words = call.directives.words >= 0 ? call.directives.words : options.words;
  if (call.max_tokens >= 0 && plan.words > call.max_tokens) {
    plan.words = call.max_tokens;
    plan.truncated = true;
  }
  plan.cached = std::clamp<int64_t>(call.directives.cached, 0, call.prompt_tokens);
  plan.usage = !call.directives.no_usage;
  plan.id = fmt::format("{}-{}", call.endpoint == Endpoint::kChat ? "chatcmpl" : "cmpl", serial);
  return plan;
}

std::string CompletionBody(const Call& call, const Plan& plan) {
  std::string text = GeneratedText(plan.words);
  std::string_view finish = plan.truncated ? "length" : "stop";
  std::string body;
  body.reserve(256 + (text.size() + 120) * static_cast<size_t>(call.choices));
  bool chat = call.endpoint == Endpoint::kChat;
  fmt::format_to(std::back_inserter(body),
                 R"({{"id":"{}","object":"{}","created":{},"model":{},"choices":[)", plan.id,
                 chat ? "chat.completion" : "text_completion", kCreated, call.model_json);
  for (int i = 0; i < call.choices; ++i) {
    if (i > 0) body += ',';
    if (chat) {
      fmt::format_to(
          std::back_inserter(body),
          R"({{"index":{},"message":{{"role":"assistant","content":"{}"}},"logprobs":null,"finish_reason":"{}"}})",
          i, text, finish);
    } else {
      fmt::format_to(std::back_inserter(body),
                     R"({{"text":"{}","index":{},"logprobs":null,"finish_reason":"{}"}})", text, i,
                     finish);
    }
  }
  body += ']';
  if (plan.usage) {
    body += R"(,"usage":)";
    body += UsageJson(call, plan.words * call.choices, plan.cached);
  }
  body += '}';
  return body;
}

namespace {

// Standard base64 (with padding) of `bytes`.
std::string Base64(std::string_view bytes) {
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t group = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size())
      group |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) group |= static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(group >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[group & 63] : '=';
  }
  return out;
}

}  // namespace

std::string EmbeddingsBody(const Call& call, const Plan& plan) {
  std::string body = R"({"object":"list","data":[)";
  for (int i = 0; i < call.embeddings; ++i) {
    if (i > 0) body += ',';
    fmt::format_to(std::back_inserter(body), R"({{"object":"embedding","index":{},"embedding":)",
                   i);
    // Deterministic values in [-0.5, 0.5), exact in float32 and at 3 decimals.
    auto value = [&](int d) { return ((i * 37 + d * 11) % 1000) / 1000.0 - 0.5; };
    if (call.base64) {
      // As OpenAI sends them with encoding_format "base64": float32 little-endian.
      std::string raw;
      for (int d = 0; d < call.dimensions; ++d) {
        float f = static_cast<float>(value(d));
        uint32_t bits = 0;
        std::memcpy(&bits, &f, sizeof bits);
        for (int k = 0; k < 4; ++k) raw += static_cast<char>((bits >> (8 * k)) & 0xff);
      }
      body += '"' + Base64(raw) + "\"}";
      continue;
    }
    body += '[';
    for (int d = 0; d < call.dimensions; ++d) {
      if (d > 0) body += ',';
      fmt::format_to(std::back_inserter(body), "{:.3f}", value(d));
    }
    body += "]}";
  }
  fmt::format_to(std::back_inserter(body), R"(],"model":{})", call.model_json);
  if (plan.usage) {
    body += R"(,"usage":)";
    body += UsageJson(call, 0, 0);
  }
  body += '}';
  return body;
}

namespace {

// One SSE event as one HTTP chunk: "<hex size>\r\ndata: <json>\n\n\r\n".
std::string SseChunk(std::string_view data) {
  size_t size = data.size() + 8;  // "data: " + "\n\n"
  return fmt::format("{:x}\r\ndata: {}\n\n\r\n", size, data);
}

}  // namespace

StreamEvents MakeStream(const Call& call, const Plan& plan) {
  StreamEvents events;
  bool chat = call.endpoint == Endpoint::kChat;
  std::string prefix =
      fmt::format(R"({{"id":"{}","object":"{}","created":{},"model":{},)", plan.id,
                  chat ? "chat.completion.chunk" : "text_completion", kCreated, call.model_json);
  std::string_view usage_null = call.include_usage && plan.usage ? R"(,"usage":null)" : "";
  auto choice = [&](int index, std::string_view word, bool first, std::string_view finish) {
    std::string finish_json = finish.empty() ? "null" : fmt::format("\"{}\"", finish);
    if (!chat) {
      return fmt::format(R"({{"text":"{}","index":{},"logprobs":null,"finish_reason":{}}})", word,
                         index, finish_json);
    }
    std::string delta;
    if (first) {
      delta = fmt::format(R"({{"role":"assistant","content":"{}"}})", word);
    } else if (!finish.empty()) {
      delta = "{}";
    } else {
      delta = fmt::format(R"({{"content":"{}"}})", word);
    }
    return fmt::format(R"({{"index":{},"delta":{},"logprobs":null,"finish_reason":{}}})", index,
                       delta, finish_json);
  };
  auto event = [&](const std::string& choices) {
    events.chunks.push_back(
        SseChunk(prefix + R"("choices":[)" + choices + "]" + std::string(usage_null) + "}"));
  };
  for (int64_t w = 0; w < plan.words; ++w) {
    std::string word(kWords[static_cast<size_t>(w) % kWords.size()]);
    if (w > 0) word = " " + word;
    for (int c = 0; c < call.choices; ++c) event(choice(c, word, w == 0, ""));
  }
  events.content_chunks = events.chunks.size();
  if (plan.words == 0 && chat) {
    for (int c = 0; c < call.choices; ++c) event(choice(c, "", true, ""));
  }
  std::string_view finish = plan.truncated ? "length" : "stop";
  for (int c = 0; c < call.choices; ++c) event(choice(c, "", false, finish));
  if (call.include_usage && plan.usage) {
    events.chunks.push_back(SseChunk(prefix + R"("choices":[],"usage":)" +
                                     UsageJson(call, plan.words * call.choices, plan.cached) +
                                     "}"));
  }
  events.chunks.push_back(SseChunk("[DONE]"));
  events.chunks.push_back("0\r\n\r\n");
  return events;
}

std::string StreamHead(bool keep_alive) {
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
      "Transfer-Encoding: chunked\r\n";
  if (!keep_alive) head += "Connection: close\r\n";
  head += "\r\n";
  return head;
}

}  // namespace allot::testing::fake_upstream_internal
