#include "testing/fake_upstream.h"

// <utility> before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including it.
#include <utility>
//
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

// GCC 12 reports -Wmismatched-new-delete on every coroutine frame here: Asio 1.74 allocates
// awaitable frames with its recycling allocator (a class operator new that calls
// ::operator new for a larger block) and frees them with the matching class operator delete,
// which GCC does not see through once inlined. A false positive; off for this file only.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace allot::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// The fixed "created" of every reply (deterministic output).
constexpr int64_t kCreated = 1700000000;
constexpr size_t kBodyLimit = 16 << 20;
constexpr size_t kHeaderLimit = 64 << 10;
// Bytes a watched connection may send (pipelined requests) while its reply waits.
constexpr size_t kWatchLimit = 1 << 20;

constexpr std::array<std::string_view, 26> kWords = {
    "alpha",   "bravo", "charlie", "delta",  "echo",     "foxtrot", "golf",   "hotel",  "india",
    "juliett", "kilo",  "lima",    "mike",   "november", "oscar",   "papa",   "quebec", "romeo",
    "sierra",  "tango", "uniform", "victor", "whiskey",  "xray",    "yankee", "zulu"};

// ------------------------------------------------------------ request model

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

std::string ErrorBody(int status, std::string_view message, std::string_view code) {
  Json error = {{"error",
                 {{"message", std::string(message)},
                  {"type", std::string(ErrorType(status))},
                  {"param", nullptr},
                  {"code", code.empty() ? Json(nullptr) : Json(std::string(code))}}}};
  return error.dump();
}

std::string ReasonLine(int status) {
  beast::string_view reason = http::obsolete_reason(static_cast<http::status>(status));
  return fmt::format("HTTP/1.1 {} {}\r\n", status, std::string_view(reason.data(), reason.size()));
}

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

// Everything a reply needs once the request is read.
struct Plan {
  int64_t words = 0;  // per choice
  bool truncated = false;
  int64_t cached = 0;
  bool usage = true;
  std::string id;  // "chatcmpl-N" / "cmpl-N"
};

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

// One SSE event as one HTTP chunk: "<hex size>\r\ndata: <json>\n\n\r\n".
std::string SseChunk(std::string_view data) {
  size_t size = data.size() + 8;  // "data: " + "\n\n"
  return fmt::format("{:x}\r\ndata: {}\n\n\r\n", size, data);
}

// The events of a stream, in order (without [DONE]); content events first.
struct StreamEvents {
  std::vector<std::string> chunks;  // SSE chunks, [DONE] and the last-chunk included
  size_t content_chunks = 0;        // the first this many carry generated words
};

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

}  // namespace

// ------------------------------------------------------------ the server

struct FakeUpstream::Impl {
  explicit Impl(FakeUpstreamOptions o) : options(std::move(o)) {}
  ~Impl() {
    io.stop();
    if (thread.joinable()) thread.join();
    // Members go in reverse order: the acceptor, then the io_context, whose destruction
    // destroys the suspended connection coroutines (they still touch the counters above).
  }

  FakeUpstreamOptions options;
  int port = 0;
  std::string models_body;

  std::atomic<int64_t> requests{0};
  std::atomic<int64_t> in_flight{0};
  std::atomic<int64_t> max_in_flight{0};
  std::atomic<int64_t> client_disconnects{0};
  std::atomic<int64_t> connections{0};
  int64_t serial = 0;  // io thread only

  mutable std::mutex last_mutex;
  std::string last_body;
  std::string last_target;
  std::string last_headers;  // "Name: value\r\n" per field, as received

  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;

  awaitable<void> Accept();
  awaitable<void> Serve(tcp::socket socket);
};

namespace {

// A connection: the socket, the read buffer, and the watch that notices a client going away
// while its reply waits.
struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}

  tcp::socket socket;
  beast::flat_buffer buffer;
  asio::steady_timer timer;  // sleeps, and the wake-up when the watch completes
  bool watching = false;     // a watch read is outstanding
  bool stop_watching = false;
  bool peer_gone = false;
  std::array<char, 4096> side{};
  std::string early;  // bytes the watch read (a pipelined request), fed to the next parse

  // Starts a read that completes when the client sends more (kept, read again) or goes away.
  void Watch() {
    if (watching || peer_gone) return;
    watching = true;
    socket.async_read_some(asio::buffer(side), [this](beast::error_code ec, size_t n) {
      watching = false;
      if (!ec) {
        early.append(side.data(), n);
        if (!stop_watching && early.size() < kWatchLimit) Watch();
      } else if (ec != asio::error::operation_aborted) {
        peer_gone = true;
      }
      timer.cancel();
    });
  }

  // Sleeps `d` (µs) while watching; false when the client went away meanwhile.
  awaitable<bool> Sleep(Duration d) {
    Watch();
    auto deadline = Clock::now() + std::chrono::microseconds(d);
    timer.expires_at(deadline);
    while (!peer_gone && Clock::now() < deadline) {
      beast::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return !peer_gone;
  }

  // Waits until the client goes away (true) or sends too much meanwhile (false).
  awaitable<void> WaitForPeerGone() {
    Watch();
    while (!peer_gone && watching) {
      timer.expires_at(Clock::time_point::max());
      beast::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  // Ends the watch before the next read: cancels it, waits for its handler, and moves what it
  // read into the parse buffer.
  awaitable<void> EndWatch() {
    if (watching) {
      stop_watching = true;
      beast::error_code ignored;
      socket.cancel(ignored);
      while (watching) {
        timer.expires_at(Clock::time_point::max());
        beast::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      stop_watching = false;
    }
    if (!early.empty()) {
      auto space = buffer.prepare(early.size());
      asio::buffer_copy(space, asio::buffer(early));
      buffer.commit(early.size());
      early.clear();
    }
  }

  // Writes `bytes`; false (the client went away) when it fails.
  awaitable<bool> Write(std::string_view bytes) {
    beast::error_code ec;
    co_await asio::async_write(socket, asio::buffer(bytes.data(), bytes.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
  }

  void Close() {
    beast::error_code ignored;
    socket.close(ignored);
  }
};

// Keeps in_flight right whichever way a reply ends (the coroutine may be destroyed suspended).
struct InFlight {
  explicit InFlight(FakeUpstream::Impl& impl) : impl(impl) {
    int64_t now = ++impl.in_flight;
    if (now > impl.max_in_flight.load()) impl.max_in_flight.store(now);
  }
  ~InFlight() { --impl.in_flight; }
  FakeUpstream::Impl& impl;
};

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

awaitable<void> FakeUpstream::Impl::Accept() {
  asio::steady_timer backoff(io);
  while (true) {
    beast::error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {  // e.g. out of descriptors: try again shortly
      backoff.expires_after(std::chrono::milliseconds(10));
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    ++connections;
    asio::co_spawn(io, Serve(std::move(socket)), [](std::exception_ptr error) {
      if (!error) return;
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "fake upstream: connection failed: %s\n", e.what());
      } catch (...) {
        std::fprintf(stderr, "fake upstream: connection failed\n");
      }
    });
  }
}

awaitable<void> FakeUpstream::Impl::Serve(tcp::socket socket) {
  Connection c(std::move(socket));
  while (true) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kBodyLimit);
    parser.header_limit(kHeaderLimit);
    beast::error_code ec;
    co_await http::async_read(c.socket, c.buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec != http::error::end_of_stream && ec != asio::error::eof &&
          ec != asio::error::connection_reset && ec != asio::error::operation_aborted) {
        std::string reply =
            JsonReply(ec == http::error::body_limit ? 413 : 400,
                      ErrorBody(400, "malformed HTTP request: " + ec.message(), ""), false);
        co_await c.Write(reply);
      }
      break;
    }
    http::request<http::string_body>& request = parser.get();
    ++requests;
    InFlight in_flight_guard(*this);
    int64_t id = ++serial;
    std::string_view target(request.target().data(), request.target().size());
    std::string_view path = target.substr(0, target.find('?'));
    {
      std::lock_guard lock(last_mutex);
      last_body = request.body();
      last_target = std::string(target);
      last_headers.clear();
      for (const auto& field : request) {
        last_headers.append(field.name_string().data(), field.name_string().size());
        last_headers += ": ";
        last_headers.append(field.value().data(), field.value().size());
        last_headers += "\r\n";
      }
    }
    bool keep_alive = request.keep_alive();

    // Route and read the request.
    int status = 200;
    std::string error_message;
    std::string error_code;
    Call call;
    bool is_models = false;
    Duration delay = options.delay;
    std::optional<Endpoint> endpoint;
    if (path == "/v1/chat/completions") {
      endpoint = Endpoint::kChat;
    } else if (path == "/v1/completions") {
      endpoint = Endpoint::kCompletions;
    } else if (path == "/v1/embeddings") {
      endpoint = Endpoint::kEmbeddings;
    }
    auto authorization = request.find(http::field::authorization);
    std::string_view given_key;
    if (authorization != request.end()) {
      given_key = std::string_view(authorization->value().data(), authorization->value().size());
    }
    if (!options.api_key.empty() && given_key != "Bearer " + options.api_key) {
      status = 401;
      error_message = "Incorrect API key provided.";
      error_code = "invalid_api_key";
    } else if (path == "/v1/models") {
      if (request.method() == http::verb::get) {
        is_models = true;
      } else {
        status = 405;
        error_message = "Method not allowed.";
      }
    } else if (!endpoint) {
      status = 404;
      error_message = fmt::format(
          "Invalid URL ({} {})",
          std::string_view(request.method_string().data(), request.method_string().size()), path);
      error_code = "unknown_url";
    } else if (request.method() != http::verb::post) {
      status = 405;
      error_message = "Method not allowed.";
    } else if (auto problem =
                   ReadCall(request.body(), *endpoint, options.embedding_dimensions, call)) {
      status = 400;
      error_message = *problem;
    } else {
      const Directives& d = call.directives;
      if (d.delay_ms >= 0) delay = d.delay_ms * 1000;
      if (d.status != 0) {
        status = d.status;
        error_message = fmt::format("fake upstream: status {} as directed", status);
        error_code = status == 429 ? "rate_limit_exceeded" : "";
      }
    }

    if (call.directives.hang) {
      co_await c.WaitForPeerGone();
      if (c.peer_gone) ++client_disconnects;
      break;
    }
    if (delay > 0 && !co_await c.Sleep(delay)) {
      ++client_disconnects;
      break;
    }

    bool keep_connection = keep_alive;
    if (status != 200) {
      if (!co_await c.Write(
              JsonReply(status, ErrorBody(status, error_message, error_code), keep_alive))) {
        ++client_disconnects;
        break;
      }
    } else if (is_models) {
      if (!co_await c.Write(JsonReply(200, models_body, keep_alive))) {
        ++client_disconnects;
        break;
      }
    } else if (!call.stream) {
      Plan plan = MakePlan(call, options, id);
      std::string body = call.endpoint == Endpoint::kEmbeddings ? EmbeddingsBody(call, plan)
                                                                : CompletionBody(call, plan);
      std::string reply = JsonReply(200, body, keep_alive);
      if (call.directives.cut_after >= 0) {
        // The head promises the whole body; half of it comes, then the connection closes.
        reply.resize(reply.size() - body.size() + body.size() / 2);
        keep_connection = false;
      }
      if (!co_await c.Write(reply)) {
        ++client_disconnects;
        break;
      }
    } else {
      Plan plan = MakePlan(call, options, id);
      StreamEvents events = MakeStream(call, plan);
      Duration chunk_delay = call.directives.chunk_delay_ms >= 0
                                 ? call.directives.chunk_delay_ms * 1000
                                 : options.chunk_delay;
      size_t limit = events.chunks.size();
      if (call.directives.cut_after >= 0) {
        limit = std::min(events.content_chunks, static_cast<size_t>(call.directives.cut_after));
        keep_connection = false;
      }
      bool gone = !co_await c.Write(StreamHead(keep_connection));
      for (size_t i = 0; i < limit && !gone; ++i) {
        // The delay goes between events; the final zero-length chunk follows [DONE] at once.
        if (i > 0 && chunk_delay > 0 && i + 1 < events.chunks.size()) {
          gone = !co_await c.Sleep(chunk_delay);
        }
        if (!gone) gone = !co_await c.Write(events.chunks[i]);
      }
      if (gone) {
        ++client_disconnects;
        break;
      }
    }
    co_await c.EndWatch();
    if (c.peer_gone) break;
    if (!keep_connection) break;
  }
  // Close without waiting for the client; a watch still outstanding is cancelled first (its
  // handler refers to this frame).
  c.stop_watching = true;
  c.Close();
  while (c.watching) {
    c.timer.expires_at(Clock::time_point::max());
    beast::error_code ec;
    co_await c.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

// ------------------------------------------------------------ FakeUpstream

std::unique_ptr<FakeUpstream> FakeUpstream::Start(FakeUpstreamOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  const std::string& listen = impl->options.listen;
  size_t colon = listen.rfind(':');
  auto fail = [&](const std::string& why) {
    std::fprintf(stderr, "fake upstream: cannot listen on '%s': %s\n", listen.c_str(), why.c_str());
    return nullptr;
  };
  if (colon == std::string::npos) return fail("expected host:port");
  std::string host = listen.substr(0, colon);
  std::string port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  beast::error_code ec;
  tcp::resolver resolver(impl->io);
  auto endpoints = resolver.resolve(host, port, asio::ip::resolver_base::numeric_service, ec);
  if (ec || endpoints.empty()) return fail(ec ? ec.message() : "no address");
  tcp::endpoint endpoint = endpoints.begin()->endpoint();
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ec.message());
  impl->port = impl->acceptor.local_endpoint(ec).port();
  if (ec) return fail(ec.message());

  Json models = {{"object", "list"}, {"data", Json::array()}};
  for (const std::string& model : impl->options.models) {
    models["data"].push_back(
        {{"id", model}, {"object", "model"}, {"created", kCreated}, {"owned_by", "allot-fake"}});
  }
  impl->models_body = models.dump();

  Impl* raw = impl.get();
  asio::co_spawn(raw->io, raw->Accept(), asio::detached);
  raw->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<FakeUpstream>(new FakeUpstream(std::move(impl)));
}

FakeUpstream::FakeUpstream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FakeUpstream::~FakeUpstream() = default;

int FakeUpstream::port() const { return impl_->port; }
std::string FakeUpstream::base_url() const {
  return fmt::format("http://127.0.0.1:{}/v1", impl_->port);
}
int64_t FakeUpstream::requests() const { return impl_->requests.load(); }
int64_t FakeUpstream::in_flight() const { return impl_->in_flight.load(); }
int64_t FakeUpstream::max_in_flight() const { return impl_->max_in_flight.load(); }
int64_t FakeUpstream::client_disconnects() const { return impl_->client_disconnects.load(); }
int64_t FakeUpstream::connections() const { return impl_->connections.load(); }
void FakeUpstream::ResetCounters() {
  impl_->requests.store(0);
  impl_->client_disconnects.store(0);
  impl_->max_in_flight.store(impl_->in_flight.load());
}

std::string FakeUpstream::last_body() const {
  std::lock_guard lock(impl_->last_mutex);
  return impl_->last_body;
}
std::string FakeUpstream::last_target() const {
  std::lock_guard lock(impl_->last_mutex);
  return impl_->last_target;
}
std::string FakeUpstream::last_authorization() const { return last_header("authorization"); }
std::string FakeUpstream::last_header(std::string_view name) const {
  std::string lower = Lower(name);
  std::lock_guard lock(impl_->last_mutex);
  std::string_view rest = impl_->last_headers;
  while (!rest.empty()) {
    size_t end = rest.find("\r\n");
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 2);
    size_t colon = line.find(": ");
    if (colon != std::string_view::npos && Lower(line.substr(0, colon)) == lower) {
      return std::string(line.substr(colon + 2));
    }
  }
  return "";
}

}  // namespace allot::testing
