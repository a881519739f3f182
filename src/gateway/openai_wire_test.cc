#include "gateway/openai_wire.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace allot::gateway {
namespace {

using nlohmann::json;

constexpr int64_t kDefaultMax = 1000;

CallRequest Parse(ApiKind kind, std::string_view body) {
  auto call = ParseCallRequest(kind, body, kDefaultMax);
  EXPECT_TRUE(call.ok()) << call.status().ToString() << " for " << body;
  return call.ok() ? *call : CallRequest{};
}

std::string ParseError(ApiKind kind, std::string_view body) {
  auto call = ParseCallRequest(kind, body, kDefaultMax);
  if (call.ok()) return "ok";
  EXPECT_EQ(call.status().code(), StatusCode::kInvalidArgument);
  return call.status().message();
}

TEST(OpenAiWireTest, ApiPaths) {
  EXPECT_EQ(ApiPath(ApiKind::kChat), "/chat/completions");
  EXPECT_EQ(ApiPath(ApiKind::kCompletions), "/completions");
  EXPECT_EQ(ApiPath(ApiKind::kEmbeddings), "/embeddings");
}

TEST(OpenAiWireTest, EstimateTokensIsCeilingOfBytesOverFour) {
  EXPECT_EQ(EstimateTokens(""), 0);
  EXPECT_EQ(EstimateTokens("a"), 1);
  EXPECT_EQ(EstimateTokens("abcd"), 1);
  EXPECT_EQ(EstimateTokens("abcde"), 2);
  EXPECT_EQ(EstimateTokens(std::string(4000, 'x')), 1000);
}

TEST(OpenAiWireTest, ParsesMinimalChat) {
  CallRequest call =
      Parse(ApiKind::kChat,
            R"({"model":"gpt-x","messages":[{"role":"user","content":"Hello, world!"}]})");
  EXPECT_EQ(call.kind, ApiKind::kChat);
  EXPECT_EQ(call.model, "gpt-x");
  EXPECT_FALSE(call.stream);
  EXPECT_FALSE(call.include_usage);
  EXPECT_EQ(call.max_output_tokens, kDefaultMax);
  EXPECT_FALSE(call.max_tokens_given);
  EXPECT_EQ(call.n, 1);
  EXPECT_EQ(call.user, "");
  // 13 bytes -> 4 tokens, + 4 per message, + 3 per chat.
  EXPECT_EQ(call.prompt_tokens, 4 + kTokensPerMessage + kTokensPerChat);
  EXPECT_EQ(call.body["messages"][0]["content"], "Hello, world!");
}

TEST(OpenAiWireTest, ChatPromptEstimateCountsEveryStringTheModelReads) {
  std::string body = R"({"model":"m","messages":[
    {"role":"system","content":"abcdefgh"},
    {"role":"user","name":"abcd","content":[{"type":"text","text":"abcdefgh"},
                                           {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]},
    {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function",
        "function":{"name":"abcd","arguments":"{\"a\":1}"}}]},
    {"role":"tool","tool_call_id":"c1","content":"abcd"}],
    "tools":[{"type":"function","function":{"name":"f","parameters":{}}}]})";
  CallRequest call = Parse(ApiKind::kChat, body);
  int64_t expected = kTokensPerChat;
  expected += 2 + kTokensPerMessage;                        // "abcdefgh"
  expected += 3 + kTokensPerMessage + kTokensPerMediaPart;  // name 4 + text 8 = 12 bytes; an image
  expected += 3 + kTokensPerMessage;                        // name 4 + arguments 7 = 11 bytes
  expected += 1 + kTokensPerMessage;                        // "abcd"
  std::string tools = R"([{"function":{"name":"f","parameters":{}},"type":"function"}])";
  expected += EstimateTokens(tools);
  EXPECT_EQ(call.prompt_tokens, expected);
}

TEST(OpenAiWireTest, MaxTokensPrecedenceAndDefault) {
  CallRequest a =
      Parse(ApiKind::kChat,
            R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":50})");
  EXPECT_EQ(a.max_output_tokens, 50);
  EXPECT_TRUE(a.max_tokens_given);
  CallRequest b = Parse(
      ApiKind::kChat,
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":50,"max_completion_tokens":70})");
  EXPECT_EQ(b.max_output_tokens, 70);
  EXPECT_TRUE(b.max_tokens_given);
  CallRequest c =
      Parse(ApiKind::kChat,
            R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":null,"n":3})");
  EXPECT_EQ(c.max_output_tokens, kDefaultMax);
  EXPECT_FALSE(c.max_tokens_given);
  EXPECT_EQ(c.n, 3);
  CallRequest d =
      Parse(ApiKind::kChat,
            R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":4294967296})");
  EXPECT_EQ(d.max_output_tokens, int64_t{1} << 32);
}

TEST(OpenAiWireTest, RejectsBadParametersOpenAiStyle) {
  const ApiKind chat = ApiKind::kChat;
  const std::string msgs = R"("messages":[{"role":"user","content":"x"}])";
  EXPECT_EQ(ParseError(chat, "{"), "body: malformed JSON");
  EXPECT_EQ(ParseError(chat, ""), "body: malformed JSON");
  EXPECT_EQ(ParseError(chat, "[1,2]"), "body: must be a JSON object");
  EXPECT_EQ(ParseError(chat, "{" + msgs + "}"), "model: required");
  EXPECT_EQ(ParseError(chat, R"({"model":null,)" + msgs + "}"), "model: required");
  EXPECT_EQ(ParseError(chat, R"({"model":7,)" + msgs + "}"), "model: must be a string");
  EXPECT_EQ(ParseError(chat, R"({"model":"",)" + msgs + "}"), "model: must not be empty");
  EXPECT_EQ(ParseError(chat, R"({"model":"m"})"), "messages: required");
  EXPECT_EQ(ParseError(chat, R"({"model":"m","messages":[]})"),
            "messages: must be a non-empty array of messages");
  EXPECT_EQ(ParseError(chat, R"({"model":"m","messages":"hi"})"),
            "messages: must be a non-empty array of messages");
  EXPECT_EQ(ParseError(chat, R"({"model":"m","messages":[1]})"), "messages[0]: must be an object");
  EXPECT_EQ(ParseError(chat, R"({"model":"m","messages":[{"content":"x"}]})"),
            "messages[0].role: required");
  EXPECT_EQ(ParseError(chat, R"({"model":"m","messages":[{"role":1}]})"),
            "messages[0].role: must be a string");
  EXPECT_EQ(
      ParseError(
          chat,
          R"({"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"user","content":5}]})"),
      "messages[2].content: must be a string or an array of content parts");
  EXPECT_EQ(ParseError(chat, R"({"model":"m","messages":[{"role":"user","content":["hi"]}]})"),
            "messages[0].content[0]: must be a content part object");
  EXPECT_EQ(
      ParseError(chat, R"({"model":"m","messages":[{"role":"user","content":[{"text":"hi"}]}]})"),
      "messages[0].content[0].type: must be a string");
  EXPECT_EQ(
      ParseError(
          chat,
          R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":3}]}]})"),
      "messages[0].content[0].text: must be a string");
  const std::string range = "must be an integer from 1 to 4294967296";
  for (std::string bad :
       {"0", "-1", "1.5", "10.0", "\"5\"", "true", "4294967297", "18446744073709551615", "1e3"}) {
    EXPECT_EQ(ParseError(chat, R"({"model":"m",)" + msgs + R"(,"max_tokens":)" + bad + "}"),
              "max_tokens: " + range)
        << bad;
    EXPECT_EQ(
        ParseError(chat, R"({"model":"m",)" + msgs + R"(,"max_completion_tokens":)" + bad + "}"),
        "max_completion_tokens: " + range)
        << bad;
  }
  EXPECT_EQ(ParseError(chat, R"({"model":"m",)" + msgs + R"(,"n":0})"),
            "n: must be an integer from 1 to 128");
  EXPECT_EQ(ParseError(chat, R"({"model":"m",)" + msgs + R"(,"n":129})"),
            "n: must be an integer from 1 to 128");
  EXPECT_EQ(ParseError(chat, R"({"model":"m",)" + msgs + R"(,"stream":"yes"})"),
            "stream: must be a boolean");
  EXPECT_EQ(ParseError(chat, R"({"model":"m",)" + msgs + R"(,"stream_options":true})"),
            "stream_options: must be an object");
  EXPECT_EQ(
      ParseError(chat, R"({"model":"m",)" + msgs + R"(,"stream_options":{"include_usage":1}})"),
      "stream_options.include_usage: must be a boolean");
  EXPECT_EQ(ParseError(chat, R"({"model":"m",)" + msgs + R"(,"user":42})"),
            "user: must be a string");
}

TEST(OpenAiWireTest, AcceptsWhatItDoesNotInterpretUntouched) {
  std::string body = R"({"model":"m","messages":[{"role":"developer","content":"x","weird":[1]}],
    "temperature":0.7,"top_p":1,"tools":[{"type":"function","function":{"name":"f"}}],
    "tool_choice":"auto","response_format":{"type":"json_object"},"seed":12,
    "logit_bias":{"50256":-100},"metadata":{"k":"v"},"stop":["\n"],"user":"agent-7",
    "stream":true,"stream_options":{"include_usage":true},"vendor_extension":{"x":[null]}})";
  CallRequest call = Parse(ApiKind::kChat, body);
  EXPECT_TRUE(call.stream);
  EXPECT_TRUE(call.include_usage);
  EXPECT_EQ(call.user, "agent-7");
  EXPECT_EQ(call.body, json::parse(body));
}

TEST(OpenAiWireTest, ParsesCompletionsPrompts) {
  CallRequest one = Parse(ApiKind::kCompletions, R"({"model":"m","prompt":"abcdefgh"})");
  EXPECT_EQ(one.prompt_tokens, 2);
  EXPECT_EQ(one.n, 1);
  EXPECT_EQ(one.max_output_tokens, kDefaultMax);

  CallRequest batch =
      Parse(ApiKind::kCompletions,
            R"({"model":"m","prompt":["abcd","abcdefgh","a"],"n":2,"max_tokens":16})");
  EXPECT_EQ(batch.prompt_tokens, 1 + 2 + 1);
  EXPECT_EQ(batch.n, 6);  // 2 choices x 3 prompts
  EXPECT_EQ(batch.max_output_tokens, 16);
  EXPECT_TRUE(batch.max_tokens_given);

  CallRequest ids = Parse(ApiKind::kCompletions, R"({"model":"m","prompt":[1,2,3,4,5]})");
  EXPECT_EQ(ids.prompt_tokens, 5);
  EXPECT_EQ(ids.n, 1);

  CallRequest id_batch =
      Parse(ApiKind::kCompletions, R"({"model":"m","prompt":[[1,2],[3,4,5]],"best_of":4,"n":2})");
  EXPECT_EQ(id_batch.prompt_tokens, 5);
  EXPECT_EQ(id_batch.n, 8);  // best_of 4 generated per prompt

  CallRequest suffix = Parse(ApiKind::kCompletions,
                             R"({"model":"m","prompt":"abcd","suffix":"abcdefgh","stream":true})");
  EXPECT_EQ(suffix.prompt_tokens, 3);
  EXPECT_TRUE(suffix.stream);

  const std::string shape =
      "prompt: must be a string, an array of strings, an array of token ids or an array of "
      "token-id arrays";
  EXPECT_EQ(ParseError(ApiKind::kCompletions, R"({"model":"m"})"), "prompt: required");
  EXPECT_EQ(ParseError(ApiKind::kCompletions, R"({"model":"m","prompt":[]})"),
            "prompt: must not be empty");
  EXPECT_EQ(ParseError(ApiKind::kCompletions, R"({"model":"m","prompt":["a",1]})"), shape);
  EXPECT_EQ(ParseError(ApiKind::kCompletions, R"({"model":"m","prompt":[1,"a"]})"), shape);
  EXPECT_EQ(ParseError(ApiKind::kCompletions, R"({"model":"m","prompt":[[1],[]]})"), shape);
  EXPECT_EQ(ParseError(ApiKind::kCompletions, R"({"model":"m","prompt":{}})"), shape);
  EXPECT_EQ(ParseError(ApiKind::kCompletions, R"({"model":"m","prompt":"a","best_of":0})"),
            "best_of: must be an integer from 1 to 128");
}

TEST(OpenAiWireTest, ParsesEmbeddings) {
  CallRequest call = Parse(
      ApiKind::kEmbeddings,
      R"({"model":"e","input":["abcd","abcde"],"encoding_format":"float","dimensions":8,"user":"u"})");
  EXPECT_EQ(call.prompt_tokens, 1 + 2);
  EXPECT_EQ(call.max_output_tokens, 0);
  EXPECT_EQ(call.n, 1);
  EXPECT_FALSE(call.stream);
  EXPECT_EQ(call.user, "u");
  EXPECT_EQ(Parse(ApiKind::kEmbeddings, R"({"model":"e","input":"abcdefghi"})").prompt_tokens, 3);
  EXPECT_EQ(Parse(ApiKind::kEmbeddings, R"({"model":"e","input":[[1,2,3],[4]]})").prompt_tokens, 4);
  EXPECT_EQ(ParseError(ApiKind::kEmbeddings, R"({"model":"e"})"), "input: required");
  EXPECT_EQ(ParseError(ApiKind::kEmbeddings, R"({"model":"e","input":5})"),
            "input: must be a string, an array of strings, an array of token ids or an array of "
            "token-id arrays");
  EXPECT_EQ(ParseError(ApiKind::kEmbeddings, R"({"input":"x"})"), "model: required");
}

TEST(OpenAiWireTest, ErrorParamIsTheParameterPath) {
  EXPECT_EQ(ErrorParam(InvalidArgument("messages[2].content: must be a string")),
            "messages[2].content");
  EXPECT_EQ(ErrorParam(InvalidArgument("max_tokens: must be an integer from 1 to 4294967296")),
            "max_tokens");
  EXPECT_EQ(ErrorParam(InvalidArgument("body: malformed JSON")), "");
  EXPECT_EQ(ErrorParam(InvalidArgument("no parameter here")), "");
  EXPECT_EQ(ErrorParam(Unavailable("upstream 127.0.0.1:80: refused")), "");
  EXPECT_EQ(ErrorParam(Status()), "");
}

TEST(OpenAiWireTest, UpstreamBodyReplacesModelAndKeepsTheRest) {
  std::string body =
      R"({"model":"client-name","messages":[{"role":"user","content":"h\u00e9\"llo\n"}],"temperature":0.7,"max_tokens":5,"x":{"y":[1,2.5,null,true]}})";
  CallRequest call = Parse(ApiKind::kChat, body);
  std::string upstream = UpstreamBody(call, "served/\"model\"");
  json got = json::parse(upstream);
  json want = json::parse(body);
  want["model"] = "served/\"model\"";
  EXPECT_EQ(got, want);
  EXPECT_EQ(upstream.find('\n'), std::string::npos);  // compact
  EXPECT_EQ(upstream.find(": "), std::string::npos);
}

TEST(OpenAiWireTest, UpstreamBodyAsksForUsageOnStreams) {
  CallRequest plain = Parse(
      ApiKind::kChat, R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream":true})");
  json a = json::parse(UpstreamBody(plain, "u"));
  EXPECT_EQ(a["stream_options"], json::parse(R"({"include_usage":true})"));
  EXPECT_EQ(a["stream"], true);
  EXPECT_EQ(a["model"], "u");

  CallRequest other = Parse(
      ApiKind::kCompletions,
      R"({"model":"m","prompt":"x","stream":true,"stream_options":{"include_usage":false,"continuous_usage_stats":true}})");
  json b = json::parse(UpstreamBody(other, "u"));
  EXPECT_EQ(b["stream_options"],
            json::parse(R"({"include_usage":true,"continuous_usage_stats":true})"));
  EXPECT_FALSE(other.include_usage);

  CallRequest null_options = Parse(
      ApiKind::kChat,
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream":true,"stream_options":null})");
  EXPECT_EQ(json::parse(UpstreamBody(null_options, "u"))["stream_options"],
            json::parse(R"({"include_usage":true})"));

  CallRequest not_stream =
      Parse(ApiKind::kChat, R"({"model":"m","messages":[{"role":"user","content":"x"}]})");
  EXPECT_FALSE(json::parse(UpstreamBody(not_stream, "u")).contains("stream_options"));
}

TEST(OpenAiWireTest, UsageFromBodyReadsOpenAiUsage) {
  std::string chat = R"({"id":"c","object":"chat.completion","choices":[{"index":0,
    "message":{"role":"assistant","content":"Hi there"},"finish_reason":"stop"}],
    "usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,
             "prompt_tokens_details":{"cached_tokens":8},"completion_tokens_details":{"reasoning_tokens":0}}})";
  ParsedUsage usage = UsageFromBody(chat);
  EXPECT_TRUE(usage.present);
  EXPECT_EQ(usage.tokens, (TokenCounts{.input = 12, .cached_input = 8, .output = 3}));
  EXPECT_EQ(OutputTextBytes(chat), 8);

  ParsedUsage embed = UsageFromBody(
      R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-2e-3,3]}],"model":"e","usage":{"prompt_tokens":7,"total_tokens":7}})");
  EXPECT_TRUE(embed.present);
  EXPECT_EQ(embed.tokens, (TokenCounts{.input = 7, .cached_input = 0, .output = 0}));

  ParsedUsage details_null = UsageFromBody(
      R"({"usage":{"prompt_tokens":4,"completion_tokens":2,"prompt_tokens_details":null}})");
  EXPECT_TRUE(details_null.present);
  EXPECT_EQ(details_null.tokens, (TokenCounts{.input = 4, .cached_input = 0, .output = 2}));
}

TEST(OpenAiWireTest, MalformedUsageCountsAsAbsent) {
  for (
      std::string usage : {
          R"(null)",
          R"("12")",
          R"([])",
          R"({})",
          R"({"completion_tokens":3})",
          R"({"prompt_tokens":-1,"completion_tokens":3})",
          R"({"prompt_tokens":1,"completion_tokens":-3})",
          R"({"prompt_tokens":1.5,"completion_tokens":3})",
          R"({"prompt_tokens":"1","completion_tokens":3})",
          R"({"prompt_tokens":4294967297,"completion_tokens":3})",
          R"({"prompt_tokens":1,"completion_tokens":18446744073709551615})",
          R"({"prompt_tokens":4,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":5}})",
          R"({"prompt_tokens":4,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":-1}})",
      }) {
    std::string body = R"({"choices":[],"usage":)" + usage + "}";
    EXPECT_FALSE(UsageFromBody(body).present) << usage;
    EXPECT_FALSE(UsageFromJson(json::parse(usage)).present) << usage;
  }
  EXPECT_FALSE(UsageFromBody(R"({"choices":[]})").present);
  EXPECT_FALSE(UsageFromBody("not json").present);
  EXPECT_FALSE(UsageFromBody("").present);
  // The scanner and the DOM reader agree on what is well formed.
  for (std::string usage : {
           R"({"prompt_tokens":4294967296,"completion_tokens":0})",
           R"({"prompt_tokens":-0,"completion_tokens":0})",
           R"({"prompt_tokens":7,"completion_tokens":null,"prompt_tokens_details":5})",
           R"({"prompt_tokens":7,"prompt_tokens_details":{"cached_tokens":null}})",
           R"({"prompt_tokens":1,"prompt_tokens":7,"prompt_tokens_details":{"cached_tokens":7}})",
           R"({"prompt_tokens":7,"total_tokens":7,"x":[{"prompt_tokens":-1}]})",
       }) {
    ParsedUsage scanned = UsageFromBody(R"({"usage":)" + usage + "}");
    EXPECT_TRUE(scanned.present) << usage;
    EXPECT_EQ(scanned, UsageFromJson(json::parse(usage))) << usage;
  }
}

TEST(OpenAiWireTest, UsageIsTheTopLevelOneNotTextThatLooksLikeIt) {
  std::string body = R"({"choices":[{"message":{"content":"\"usage\":{\"prompt_tokens\":99}",
    "tool_calls":[{"function":{"name":"f","arguments":"{\"usage\":{\"prompt_tokens\":98}}"}}]},
    "usage":{"prompt_tokens":97,"completion_tokens":1}}],
    "meta":{"usage":{"prompt_tokens":96,"completion_tokens":1}},
    "usage":{"prompt_tokens":5,"completion_tokens":6}})";
  ParsedUsage usage = UsageFromBody(body);
  EXPECT_TRUE(usage.present);
  EXPECT_EQ(usage.tokens, (TokenCounts{.input = 5, .cached_input = 0, .output = 6}));
}

TEST(OpenAiWireTest, OutputTextBytesCountsGeneratedTextUnescaped) {
  // "h\u00e9" is 3 bytes of UTF-8, "\ud83d\ude00" (an emoji) 4, "\n" 1.
  std::string chat = R"({"choices":[
    {"index":0,"message":{"role":"assistant","content":"h\u00e9\n","refusal":null}},
    {"index":1,"message":{"role":"assistant","content":null,"tool_calls":[
      {"id":"x","type":"function","function":{"name":"get","arguments":"{}"}}]}},
    {"index":2,"message":{"role":"assistant","content":"\ud83d\ude00","reasoning_content":"ab"}}]})";
  EXPECT_EQ(OutputTextBytes(chat), 4 + 5 + 4 + 2);
  EXPECT_FALSE(UsageFromBody(chat).present);

  std::string completion =
      R"({"object":"text_completion","choices":[{"text":"abc","index":0},{"text":"de","index":1}]})";
  EXPECT_EQ(OutputTextBytes(completion), 5);

  ResponseSummary error = SummarizeResponse(
      R"({"error":{"message":"bad","type":"invalid_request_error","param":null,"code":null}})");
  EXPECT_TRUE(error.error);
  EXPECT_FALSE(error.usage.present);
  EXPECT_TRUE(SummarizeResponse(R"({"object":"error","message":"vllm says no"})").error);
  EXPECT_FALSE(SummarizeResponse(chat).error);
}

TEST(OpenAiWireTest, SummarizeResponseSkipsLargeEmbeddings) {
  std::string body = R"({"object":"list","data":[)";
  for (int i = 0; i < 4; ++i) {
    if (i > 0) body += ",";
    body += R"({"object":"embedding","index":)" + std::to_string(i) + R"(,"embedding":[)";
    for (int k = 0; k < 1536; ++k) body += (k ? ",-0.0123456789" : "0.5e-3");
    body += "]}";
  }
  body += R"(],"model":"e","usage":{"prompt_tokens":31,"total_tokens":31}})";
  ResponseSummary summary = SummarizeResponse(body);
  EXPECT_TRUE(summary.usage.present);
  EXPECT_EQ(summary.usage.tokens.input, 31);
  EXPECT_EQ(summary.output_text_bytes, 0);
}

TEST(OpenAiWireTest, TruncatedBodiesNeverReportUsage) {
  std::string body =
      R"({"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":"Hi \"there\" \u00e9"}}],"usage":{"prompt_tokens":12,"completion_tokens":3}})";
  for (size_t cut = 0; cut < body.size(); ++cut) {
    ResponseSummary s = SummarizeResponse(body.substr(0, cut));
    EXPECT_FALSE(s.usage.present) << cut;
    EXPECT_FALSE(SummarizeChunk(body.substr(0, cut)).valid) << cut;
  }
  EXPECT_TRUE(SummarizeResponse(body).usage.present);
}

TEST(OpenAiWireTest, MangledBodiesAreReadSafely) {
  const std::string body =
      R"({"id":"c","choices":[{"index":0,"message":{"content":"a\u00e9\ud83d\ude00\"b",)"
      R"("tool_calls":[{"function":{"name":"f","arguments":"{}"}}]}}],"x":[1,-2.5e3,true,null,[{}]],)"
      R"("usage":{"prompt_tokens":12,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":1}}})";
  ASSERT_TRUE(SummarizeResponse(body).usage.present);
  std::mt19937 rng(11);
  const std::string alphabet = "{}[]\":,\\u0e9d-. \n";
  for (int round = 0; round < 5000; ++round) {
    std::string mangled = body;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % mangled.size();
      switch (rng() % 3) {
        case 0:
          mangled[at] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          mangled.erase(at, 1 + rng() % 8);
          break;
        default:
          mangled.insert(at, 1, alphabet[rng() % alphabet.size()]);
      }
      if (mangled.empty()) mangled = "{";
    }
    ResponseSummary summary = SummarizeResponse(mangled);
    ChunkSummary chunk = SummarizeChunk(mangled);
    EXPECT_GE(summary.output_text_bytes, 0);
    // The scanner checks the grammar as nlohmann does (ASCII here).
    json parsed = json::parse(mangled, nullptr, false);
    EXPECT_EQ(chunk.valid, !parsed.is_discarded() && parsed.is_object()) << mangled;
    if (chunk.valid) {
      ParsedUsage dom;
      if (auto it = parsed.find("usage"); it != parsed.end()) dom = UsageFromJson(*it);
      EXPECT_EQ(chunk.usage, dom) << mangled;
      EXPECT_EQ(summary.usage, dom) << mangled;
    }
  }
}

TEST(OpenAiWireTest, SummarizeChunkReadsDeltas) {
  ChunkSummary role = SummarizeChunk(
      R"({"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]})");
  EXPECT_TRUE(role.valid);
  EXPECT_FALSE(role.content);
  EXPECT_FALSE(role.has_usage);
  EXPECT_EQ(role.output_text_bytes, 0);

  ChunkSummary word = SummarizeChunk(
      R"({"id":"c","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}],"usage":null})");
  EXPECT_TRUE(word.content);
  EXPECT_FALSE(word.has_usage);
  EXPECT_EQ(word.output_text_bytes, 5);

  ChunkSummary tool = SummarizeChunk(
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t","type":"function","function":{"name":"","arguments":""}}]}}]})");
  EXPECT_TRUE(tool.content);
  EXPECT_EQ(tool.output_text_bytes, 0);

  ChunkSummary text = SummarizeChunk(R"({"object":"text_completion","choices":[{"text":"ab"}]})");
  EXPECT_TRUE(text.content);
  EXPECT_EQ(text.output_text_bytes, 2);

  ChunkSummary usage = SummarizeChunk(
      R"({"id":"c","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}})");
  EXPECT_TRUE(usage.has_usage);
  EXPECT_TRUE(usage.usage.present);
  EXPECT_EQ(usage.usage.tokens, (TokenCounts{.input = 9, .cached_input = 0, .output = 2}));
  EXPECT_FALSE(usage.content);

  ChunkSummary bad_usage = SummarizeChunk(R"({"choices":[],"usage":{"prompt_tokens":-9}})");
  EXPECT_TRUE(bad_usage.has_usage);
  EXPECT_FALSE(bad_usage.usage.present);

  EXPECT_TRUE(SummarizeChunk(R"({"error":{"message":"overloaded"}})").error);
  EXPECT_FALSE(SummarizeChunk(R"({"error":null,"choices":[]})").error);
  EXPECT_FALSE(SummarizeChunk(R"({"choices":[]} trailing)").valid);
  EXPECT_FALSE(SummarizeChunk(R"([1])").valid);
  EXPECT_FALSE(SummarizeChunk(R"({"choices":[{"delta":{"content":"a}]})").valid);
  EXPECT_FALSE(SummarizeChunk(R"({"a":tru})").valid);
  EXPECT_FALSE(SummarizeChunk(R"({"a":"\x"})").valid);
  EXPECT_TRUE(SummarizeChunk(R"( {"a" : [ true , false , null , -1.5e3 , {} , [] ] } )").valid);
  EXPECT_TRUE(SummarizeChunk(R"({"\u0075sage":{"prompt_tokens":1}})").usage.present);
}

TEST(OpenAiWireTest, ErrorBodyIsOpenAiShaped) {
  json a =
      json::parse(OpenAiErrorBody("messages: required", "invalid_request_error", "messages", ""));
  EXPECT_EQ(a, json::parse(R"({"error":{"message":"messages: required",
    "type":"invalid_request_error","param":"messages","code":null}})"));
  json b = json::parse(
      OpenAiErrorBody("no \"such\" model", "invalid_request_error", "", "model_not_found"));
  EXPECT_EQ(b["error"]["message"], "no \"such\" model");
  EXPECT_TRUE(b["error"]["param"].is_null());
  EXPECT_EQ(b["error"]["code"], "model_not_found");
  // Invalid UTF-8 (say, from an upstream) never throws.
  EXPECT_NO_THROW(OpenAiErrorBody("bad \xff byte", "api_error", "", ""));
}

TEST(OpenAiWireTest, ModelList) {
  json list = json::parse(ModelListBody({{"llama-3-8b", "allot"}, {"gpt-x", "openai"}}));
  EXPECT_EQ(list, json::parse(R"({"object":"list","data":[
    {"id":"llama-3-8b","object":"model","created":0,"owned_by":"allot"},
    {"id":"gpt-x","object":"model","created":0,"owned_by":"openai"}]})"));
  EXPECT_EQ(json::parse(ModelListBody({})), json::parse(R"({"object":"list","data":[]})"));
}

TEST(OpenAiWireTest, DeeplyNestedParametersAreRefusedBeforeTheyAreWrittenAgain) {
  // 100,000 levels in "temperature" overflowed the stack in UpstreamBody.
  std::string deep = std::string(100000, '[') + "1" + std::string(100000, ']');
  std::string body =
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":)" + deep + "}";
  EXPECT_EQ(ParseError(ApiKind::kChat, body),
            "body: nested deeper than 64 levels of arrays and objects");
  EXPECT_EQ(ErrorParam(InvalidArgument(ParseError(ApiKind::kChat, body))), "");
}

TEST(OpenAiWireTest, SamplingParametersAreTypeAndRangeChecked) {
  auto chat = [](const std::string& extra) {
    return ParseError(ApiKind::kChat,
                      R"({"model":"m","messages":[{"role":"user","content":"hi"}],)" + extra + "}");
  };
  EXPECT_EQ(chat(R"("temperature":"hot")"), "temperature: must be a number from 0 to 2");
  EXPECT_EQ(chat(R"("temperature":2.5)"), "temperature: must be a number from 0 to 2");
  EXPECT_EQ(chat(R"("top_p":-0.1)"), "top_p: must be a number from 0 to 1");
  EXPECT_EQ(chat(R"("presence_penalty":true)"), "presence_penalty: must be a number from -2 to 2");
  EXPECT_EQ(chat(R"("frequency_penalty":[0])"), "frequency_penalty: must be a number from -2 to 2");
  EXPECT_EQ(chat(R"("seed":"7")"), "seed: must be an integer");
  EXPECT_EQ(chat(R"("stop":[])"), "stop: must be a string or an array of 1 to 4 strings");
  EXPECT_EQ(chat(R"("stop":{"a":1})"), "stop: must be a string or an array of 1 to 4 strings");
  EXPECT_EQ(chat(R"("max_tokens":"5")"), "max_tokens: must be an integer from 1 to 4294967296");
  EXPECT_EQ(ErrorParam(InvalidArgument(chat(R"("top_p":2)"))), "top_p");
  // Within range, and null (OpenAI's "not given"), pass.
  EXPECT_EQ(chat(R"("temperature":0,"top_p":0.9,"presence_penalty":-2,"frequency_penalty":2,)"
                 R"("seed":-5,"stop":["a","b","c","d"])"),
            "ok");
  EXPECT_EQ(chat(R"("temperature":null,"stop":null,"seed":null)"), "ok");
  EXPECT_EQ(ParseError(ApiKind::kCompletions, R"({"model":"m","prompt":"x","temperature":"0.1"})"),
            "temperature: must be a number from 0 to 2");
}

}  // namespace
}  // namespace allot::gateway
