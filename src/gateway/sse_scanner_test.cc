#include "gateway/sse_scanner.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace allot::gateway {
namespace {

// A stream as OpenAI sends it with stream_options.include_usage: a role chunk,
// content chunks, a finish chunk, a usage chunk with empty choices, [DONE].
std::string Chunk(std::string_view delta, std::string_view finish = "null") {
  return std::string(R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,)") +
         R"("model":"m","choices":[{"index":0,"delta":)" + std::string(delta) +
         R"(,"logprobs":null,"finish_reason":)" + std::string(finish) + "}]}\n\n";
}

std::string RealisticStream() {
  std::string s;
  s += Chunk(R"({"role":"assistant","content":"","refusal":null})");
  s += ": keep-alive\n\n";
  s += Chunk(R"({"content":"Hello"})");
  s += Chunk(R"({"content":", w\u00f6rld"})");
  s += Chunk(R"({"content":"!\n"})");
  s += Chunk("{}", R"("stop")");
  s += R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m",)"
       R"("choices":[],"usage":{"prompt_tokens":21,"completion_tokens":4,"total_tokens":25,)"
       R"("prompt_tokens_details":{"cached_tokens":16}}})"
       "\n\n";
  s += "data: [DONE]\n\n";
  return s;
}
constexpr int64_t kRealisticTextBytes = 5 + 8 + 2;  // "Hello", ", wörld" (ö is 2 bytes), "!\n"
const TokenCounts kRealisticUsage{.input = 21, .cached_input = 16, .output = 4};

// What a scanner saw, for comparing runs.
struct Seen {
  bool first_content = false;
  ParsedUsage usage;
  int64_t text_bytes = 0;
  bool done = false;
  bool error = false;
  int64_t events = 0;
  int64_t malformed = 0;
  int flips = 0;  // Feed/Finish calls that returned true

  friend bool operator==(const Seen&, const Seen&) = default;
};

void PrintTo(const Seen& s, std::ostream* os) {
  *os << "{first_content=" << s.first_content << " usage.present=" << s.usage.present
      << " in=" << s.usage.tokens.input << " cached=" << s.usage.tokens.cached_input
      << " out=" << s.usage.tokens.output << " text=" << s.text_bytes << " done=" << s.done
      << " error=" << s.error << " events=" << s.events << " malformed=" << s.malformed
      << " flips=" << s.flips << "}";
}

Seen Collect(const SseScanner& scanner, int flips) {
  return Seen{.first_content = scanner.first_content_seen(),
              .usage = scanner.usage(),
              .text_bytes = scanner.output_text_bytes(),
              .done = scanner.done(),
              .error = scanner.error_seen(),
              .events = scanner.events(),
              .malformed = scanner.malformed_events(),
              .flips = flips};
}

// Feeds `pieces` one by one (each copied into its own buffer that dies after
// the call, as a network read buffer is reused) and finishes.
Seen Scan(const std::vector<std::string>& pieces, bool finish = true) {
  SseScanner scanner;
  int flips = 0;
  for (const std::string& piece : pieces) {
    std::string buffer = piece;
    if (scanner.Feed(buffer)) ++flips;
    buffer.assign(buffer.size(), '#');  // the reused buffer is overwritten
  }
  if (finish && scanner.Finish()) ++flips;
  return Collect(scanner, flips);
}

Seen ScanWhole(const std::string& stream) { return Scan({stream}); }

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

TEST(SseScannerTest, RealisticStream) {
  Seen seen = ScanWhole(RealisticStream());
  EXPECT_TRUE(seen.first_content);
  EXPECT_TRUE(seen.usage.present);
  EXPECT_EQ(seen.usage.tokens, kRealisticUsage);
  EXPECT_EQ(seen.text_bytes, kRealisticTextBytes);
  EXPECT_TRUE(seen.done);
  EXPECT_FALSE(seen.error);
  EXPECT_EQ(seen.events, 7);
  EXPECT_EQ(seen.malformed, 0);
  EXPECT_EQ(seen.flips, 1);
}

TEST(SseScannerTest, FeedReturnsTrueWhenTheFirstContentArrives) {
  SseScanner scanner;
  EXPECT_FALSE(scanner.Feed(Chunk(R"({"role":"assistant","content":""})")));
  EXPECT_FALSE(scanner.first_content_seen());
  std::string word = Chunk(R"({"content":"Hi"})");
  // Not yet: the event is complete only at its blank line.
  EXPECT_FALSE(scanner.Feed(word.substr(0, word.size() - 1)));
  EXPECT_FALSE(scanner.first_content_seen());
  EXPECT_TRUE(scanner.Feed(word.substr(word.size() - 1)));
  EXPECT_TRUE(scanner.first_content_seen());
  EXPECT_FALSE(scanner.Feed(Chunk(R"({"content":" there"})")));
  EXPECT_EQ(scanner.output_text_bytes(), 8);
}

TEST(SseScannerTest, EverySplitGivesTheSameResult) {
  for (std::string_view eol : {"\n", "\r\n", "\r"}) {
    std::string stream = Replace(RealisticStream(), "\n\n", "\x01");
    stream = Replace(stream, "\n", "\x02");  // none in this stream outside the blank lines
    stream = Replace(stream, "\x01", std::string(eol) + std::string(eol));
    stream = Replace(stream, "\x02", eol);
    Seen whole = ScanWhole(stream);
    EXPECT_TRUE(whole.done);
    EXPECT_EQ(whole.usage.tokens, kRealisticUsage);
    EXPECT_EQ(whole.text_bytes, kRealisticTextBytes);
    EXPECT_EQ(whole.events, 7);
    // Two pieces, split at every offset.
    for (size_t cut = 0; cut <= stream.size(); ++cut) {
      ASSERT_EQ(Scan({stream.substr(0, cut), stream.substr(cut)}), whole)
          << "cut at " << cut << " eol " << eol.size();
    }
    // One byte at a time.
    std::vector<std::string> bytes;
    for (char ch : stream) bytes.emplace_back(1, ch);
    EXPECT_EQ(Scan(bytes), whole);
    // Random splits into many pieces (empty ones included).
    std::mt19937 rng(7);
    for (int round = 0; round < 300; ++round) {
      std::vector<std::string> pieces;
      size_t at = 0;
      while (at < stream.size()) {
        size_t len = std::uniform_int_distribution<size_t>(0, 40)(rng);
        pieces.push_back(stream.substr(at, len));
        at += len;
      }
      ASSERT_EQ(Scan(pieces), whole) << "round " << round;
    }
  }
}

TEST(SseScannerTest, MixedLineEndsAndSplitCrLf) {
  std::string stream = Chunk(R"({"content":"ab"})");
  stream = Replace(stream, "\n\n", "\r\n\r\n");
  // "\r" at the end of one piece and "\n" at the start of the next is one line end.
  size_t cr = stream.find('\r');
  Seen seen = Scan({stream.substr(0, cr + 1), stream.substr(cr + 1, 1), stream.substr(cr + 2),
                    "data: [DONE]\r", "\n\r\n"});
  EXPECT_TRUE(seen.first_content);
  EXPECT_EQ(seen.text_bytes, 2);
  EXPECT_TRUE(seen.done);
  EXPECT_EQ(seen.events, 2);
  // "\r" then "\r" is two line ends (a blank line), not one.
  Seen cr_only = Scan({"data: [DONE]\r", "\r"}, /*finish=*/false);
  EXPECT_TRUE(cr_only.done);
}

TEST(SseScannerTest, CommentsAndOtherFieldsAreIgnored) {
  std::string stream =
      ": keep-alive\n\n:\n"
      "id: 7\nretry: 1000\nevent: message\n" +
      Chunk(R"({"content":"abc"})") + ": ping\n" + "data:[DONE]\n\n";
  Seen seen = ScanWhole(stream);
  EXPECT_TRUE(seen.first_content);
  EXPECT_EQ(seen.text_bytes, 3);
  EXPECT_TRUE(seen.done);  // "data:" without a space works too
  EXPECT_EQ(seen.events, 2);
  EXPECT_FALSE(seen.error);
}

TEST(SseScannerTest, MultiLineDataIsJoinedWithNewlines) {
  std::string stream =
      "data: {\"choices\":[{\"delta\":\n"
      "data: {\"content\":\"two lines\"}}],\n"
      "data: \"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n"
      "\n"
      "data: [DONE]\n\n";
  Seen seen = ScanWhole(stream);
  EXPECT_TRUE(seen.first_content);
  EXPECT_EQ(seen.text_bytes, 9);
  EXPECT_TRUE(seen.usage.present);
  EXPECT_EQ(seen.usage.tokens, (TokenCounts{.input = 3, .cached_input = 0, .output = 2}));
  EXPECT_EQ(seen.malformed, 0);
  for (std::string_view eol : {"\n", "\r\n", "\r"}) {
    std::string lines = Replace(stream, "\n", "\x01");
    lines = Replace(lines, "\x01", eol);
    for (size_t cut = 0; cut <= lines.size(); ++cut) {
      ASSERT_EQ(Scan({lines.substr(0, cut), lines.substr(cut)}), seen)
          << "cut at " << cut << " eol " << eol.size();
    }
  }
}

TEST(SseScannerTest, MissingUsage) {
  std::string stream = Chunk(R"({"role":"assistant"})") + Chunk(R"({"content":"abcd"})") +
                       Chunk("{}", R"("length")") + "data: [DONE]\n\n";
  Seen seen = ScanWhole(stream);
  EXPECT_FALSE(seen.usage.present);
  EXPECT_EQ(seen.text_bytes, 4);
  EXPECT_TRUE(seen.done);
}

TEST(SseScannerTest, LastUsageWins) {
  // vLLM's continuous_usage_stats puts usage in every chunk.
  std::string stream =
      R"(data: {"choices":[{"delta":{"content":"a"}}],"usage":{"prompt_tokens":5,"completion_tokens":1}})"
      "\n\n"
      R"(data: {"choices":[{"delta":{"content":"b"}}],"usage":null})"
      "\n\n"
      R"(data: {"choices":[{"delta":{"content":"c"}}],"usage":{"prompt_tokens":5,"completion_tokens":3}})"
      "\n\n";
  Seen seen = ScanWhole(stream);
  EXPECT_TRUE(seen.usage.present);
  EXPECT_EQ(seen.usage.tokens.output, 3);
  EXPECT_EQ(seen.text_bytes, 3);
  EXPECT_FALSE(seen.done);
}

TEST(SseScannerTest, InterruptedStream) {
  std::string stream = Chunk(R"({"content":"abc"})") + Chunk(R"({"content":"def"})");
  std::string cut = stream + R"(data: {"choices":[{"delta":{"content":"gh)";
  Seen seen = Scan({cut}, /*finish=*/false);
  EXPECT_TRUE(seen.first_content);
  EXPECT_EQ(seen.text_bytes, 6);
  EXPECT_FALSE(seen.done);
  EXPECT_FALSE(seen.usage.present);
  EXPECT_EQ(seen.events, 2);
  // Finish takes the partial event, which is not JSON.
  Seen finished = Scan({cut});
  EXPECT_EQ(finished.events, 3);
  EXPECT_EQ(finished.malformed, 1);
  EXPECT_EQ(finished.text_bytes, 6);
  // A complete last event without its blank line is taken at Finish.
  Seen lenient = Scan({stream + "data: [DONE]"});
  EXPECT_TRUE(lenient.done);
}

TEST(SseScannerTest, ToolCallsCountAsContent) {
  std::string stream =
      Chunk(
          R"({"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]})") +
      Chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]})") +
      Chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"\"Oslo\"}"}}]})") +
      "data: [DONE]\n\n";
  Seen seen = ScanWhole(stream);
  EXPECT_TRUE(seen.first_content);
  EXPECT_EQ(seen.flips, 1);
  EXPECT_EQ(seen.text_bytes, 11 + 8 + 7);
}

TEST(SseScannerTest, CompletionsStream) {
  std::string stream =
      R"(data: {"id":"cmpl-1","object":"text_completion","choices":[{"text":"Once","index":0,"finish_reason":null}]})"
      "\n\n"
      R"(data: {"id":"cmpl-1","object":"text_completion","choices":[{"text":" upon","index":0,"finish_reason":"stop"}]})"
      "\n\n"
      R"(data: {"id":"cmpl-1","object":"text_completion","choices":[],"usage":{"prompt_tokens":2,"completion_tokens":2,"total_tokens":4}})"
      "\n\ndata: [DONE]\n\n";
  Seen seen = ScanWhole(stream);
  EXPECT_TRUE(seen.first_content);
  EXPECT_EQ(seen.text_bytes, 9);
  EXPECT_EQ(seen.usage.tokens, (TokenCounts{.input = 2, .cached_input = 0, .output = 2}));
  EXPECT_TRUE(seen.done);
}

TEST(SseScannerTest, ErrorEvents) {
  Seen in_data = ScanWhole(Chunk(R"({"content":"a"})") +
                           R"(data: {"error":{"message":"overloaded","type":"server_error"}})"
                           "\n\n");
  EXPECT_TRUE(in_data.error);
  EXPECT_FALSE(in_data.done);
  Seen typed = ScanWhole("event: error\ndata: upstream exploded\n\n");
  EXPECT_TRUE(typed.error);
  EXPECT_EQ(typed.malformed, 1);
  EXPECT_FALSE(ScanWhole(RealisticStream()).error);
}

TEST(SseScannerTest, GarbageIsCountedNotFatal) {
  Seen seen = ScanWhole(
      "data: not json\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\n\n"
      "garbage line without colon\n\ndata: [DONE]\n\n");
  EXPECT_EQ(seen.malformed, 1);
  EXPECT_TRUE(seen.first_content);
  EXPECT_EQ(seen.text_bytes, 2);
  EXPECT_TRUE(seen.done);
}

TEST(SseScannerTest, KeepsOnlyTheCurrentEvent) {
  // A long stream through a scanner whose limit is one event: nothing accumulates.
  std::string word = Chunk(R"({"content":"word "})");
  SseScanner scanner(/*max_event_bytes=*/word.size());
  for (int i = 0; i < 20000; ++i) {
    // Split each event in two to exercise the carried-over paths too.
    ASSERT_EQ(scanner.Feed(word.substr(0, 50)), false);
    ASSERT_EQ(scanner.Feed(word.substr(50)), i == 0);
  }
  EXPECT_FALSE(scanner.overflow());
  EXPECT_EQ(scanner.events(), 20000);
  EXPECT_EQ(scanner.output_text_bytes(), 5 * 20000);
}

TEST(SseScannerTest, OverlongEventsAreDroppedAndScanningGoesOn) {
  SseScanner scanner(/*max_event_bytes=*/64);
  std::string big =
      R"(data: {"choices":[{"delta":{"content":")" + std::string(200, 'x') + "\"}}]}\n\n";
  scanner.Feed(big.substr(0, 100));
  scanner.Feed(big.substr(100));
  EXPECT_TRUE(scanner.overflow());
  EXPECT_FALSE(scanner.first_content_seen());
  EXPECT_EQ(scanner.events(), 0);
  // The next small events are read normally, whole or split.
  EXPECT_TRUE(scanner.Feed("data: {\"choices\":[{\"text\":\"ok\"}]}\n\n"));
  scanner.Feed("data: [DO");
  scanner.Feed("NE]\n\n");
  EXPECT_TRUE(scanner.done());
  EXPECT_EQ(scanner.output_text_bytes(), 2);
  // An overlong event made of many short data lines is dropped as well.
  SseScanner lines(/*max_event_bytes=*/64);
  std::string many;
  for (int i = 0; i < 20; ++i) many += "data: 0123456789\n";
  many += "\ndata: [DONE]\n\n";
  lines.Feed(many);
  EXPECT_TRUE(lines.overflow());
  EXPECT_EQ(lines.events(), 1);
  EXPECT_TRUE(lines.done());
}

TEST(SseScannerTest, TheLimitHoldsWhereverTheStreamIsCut) {
  // Found by fuzz/sse_scanner_fuzz: a line that arrived whole in one Feed was
  // never measured against the limit (a long first data line, a long comment),
  // while the same line carried over between Feed calls was: the findings
  // depended on where the stream was cut.
  const std::string big =
      R"(data: {"choices":[{"delta":{"content":")" + std::string(200, 'x') + "\"}}]}\n\n";
  const std::string comment = ": " + std::string(100, 'c') + "\ndata: {\"choices\":[]}\n\n";
  for (const std::string& stream : {big, comment}) {
    SseScanner whole(/*max_event_bytes=*/64);
    whole.Feed(stream);
    whole.Finish();
    SseScanner cut(/*max_event_bytes=*/64);
    cut.Feed(stream.substr(0, 20));
    cut.Feed(stream.substr(20));
    cut.Finish();
    EXPECT_TRUE(whole.overflow()) << stream;
    EXPECT_EQ(whole.overflow(), cut.overflow()) << stream;
    EXPECT_EQ(whole.events(), cut.events()) << stream;
    EXPECT_EQ(whole.first_content_seen(), cut.first_content_seen()) << stream;
    EXPECT_EQ(whole.output_text_bytes(), cut.output_text_bytes()) << stream;
  }
}

}  // namespace
}  // namespace allot::gateway
