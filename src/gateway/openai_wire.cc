#include "gateway/openai_wire.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/json_input.h"

namespace allot::gateway {
namespace {

using nlohmann::json;

constexpr int64_t kMaxChoices = 128;

std::string Dump(const json& value) { return DumpJson(value); }

// ---------------------------------------------------------------------------
// Request validation.

const json* Field(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

// An optional integer field within [lo, hi]; `out` unchanged when absent.
Status IntField(const json& body, const char* name, int64_t lo, int64_t hi, int64_t* out,
                bool* given = nullptr) {
  const json* v = Field(body, name);
  if (v == nullptr) return Status::Ok();
  auto bad = [&] {
    return InvalidArgument(fmt::format("{}: must be an integer from {} to {}", name, lo, hi));
  };
  if (!v->is_number_integer()) return bad();
  int64_t value = 0;
  if (v->is_number_unsigned()) {
    uint64_t u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(hi)) return bad();
    value = static_cast<int64_t>(u);
  } else {
    value = v->get<int64_t>();
  }
  if (value < lo || value > hi) return bad();
  *out = value;
  if (given != nullptr) *given = true;
  return Status::Ok();
}

// An optional number within [lo, hi], OpenAI's documented range. A value of
// another type is refused here rather than forwarded for the upstream to
// choke on.
Status NumberField(const json& body, const char* name, double lo, double hi) {
  const json* v = Field(body, name);
  if (v == nullptr) return Status::Ok();
  if (!v->is_number() || !(v->get<double>() >= lo && v->get<double>() <= hi)) {
    return InvalidArgument(fmt::format("{}: must be a number from {} to {}", name, lo, hi));
  }
  return Status::Ok();
}

// The sampling parameters chat and completions share, type- and
// range-checked: temperature [0, 2], top_p [0, 1], presence_penalty and
// frequency_penalty [-2, 2], seed an integer, stop a string or 1 to 4 strings.
Status CheckSamplingFields(const json& body) {
  ALLOT_RETURN_IF_ERROR(NumberField(body, "temperature", 0, 2));
  ALLOT_RETURN_IF_ERROR(NumberField(body, "top_p", 0, 1));
  ALLOT_RETURN_IF_ERROR(NumberField(body, "presence_penalty", -2, 2));
  ALLOT_RETURN_IF_ERROR(NumberField(body, "frequency_penalty", -2, 2));
  if (const json* seed = Field(body, "seed"); seed != nullptr && !seed->is_number_integer()) {
    return InvalidArgument("seed: must be an integer");
  }
  if (const json* stop = Field(body, "stop"); stop != nullptr && !stop->is_string()) {
    constexpr size_t kMaxStops = 4;
    bool strings =
        stop->is_array() && !stop->empty() && stop->size() <= kMaxStops &&
        std::all_of(stop->begin(), stop->end(), [](const json& item) { return item.is_string(); });
    if (!strings) return InvalidArgument("stop: must be a string or an array of 1 to 4 strings");
  }
  return Status::Ok();
}

int64_t StringBytes(const json& v) {
  return v.is_string() ? static_cast<int64_t>(v.get_ref<const std::string&>().size()) : 0;
}

// Text bytes of a tool call / function_call object: its name and arguments.
int64_t FunctionBytes(const json& call) {
  if (!call.is_object()) return 0;
  int64_t bytes = 0;
  if (auto it = call.find("name"); it != call.end()) bytes += StringBytes(*it);
  if (auto it = call.find("arguments"); it != call.end()) bytes += StringBytes(*it);
  return bytes;
}

Status ParseMessages(const json& body, CallRequest& call) {
  const json* messages = Field(body, "messages");
  if (messages == nullptr) return InvalidArgument("messages: required");
  if (!messages->is_array() || messages->empty()) {
    return InvalidArgument("messages: must be a non-empty array of messages");
  }
  int64_t tokens = kTokensPerChat;
  for (size_t i = 0; i < messages->size(); ++i) {
    const json& m = (*messages)[i];
    if (!m.is_object()) return InvalidArgument(fmt::format("messages[{}]: must be an object", i));
    const json* role = Field(m, "role");
    if (role == nullptr) return InvalidArgument(fmt::format("messages[{}].role: required", i));
    if (!role->is_string()) {
      return InvalidArgument(fmt::format("messages[{}].role: must be a string", i));
    }
    int64_t bytes = 0;
    int64_t media_parts = 0;
    if (const json* content = Field(m, "content"); content != nullptr) {
      if (content->is_string()) {
        bytes += StringBytes(*content);
      } else if (content->is_array()) {
        for (size_t j = 0; j < content->size(); ++j) {
          const json& part = (*content)[j];
          if (!part.is_object()) {
            return InvalidArgument(
                fmt::format("messages[{}].content[{}]: must be a content part object", i, j));
          }
          const json* type = Field(part, "type");
          if (type == nullptr || !type->is_string()) {
            return InvalidArgument(
                fmt::format("messages[{}].content[{}].type: must be a string", i, j));
          }
          const std::string& t = type->get_ref<const std::string&>();
          if (t == "text" || t == "refusal") {
            const json* text = Field(part, t.c_str());
            if (text == nullptr || !text->is_string()) {
              return InvalidArgument(
                  fmt::format("messages[{}].content[{}].{}: must be a string", i, j, t));
            }
            bytes += StringBytes(*text);
          } else {
            ++media_parts;
          }
        }
      } else {
        return InvalidArgument(
            fmt::format("messages[{}].content: must be a string or an array of content parts", i));
      }
    }
    if (const json* name = Field(m, "name"); name != nullptr) bytes += StringBytes(*name);
    if (const json* refusal = Field(m, "refusal"); refusal != nullptr) {
      bytes += StringBytes(*refusal);
    }
    if (const json* calls = Field(m, "tool_calls"); calls != nullptr && calls->is_array()) {
      for (const json& tc : *calls) {
        if (tc.is_object()) {
          if (auto it = tc.find("function"); it != tc.end()) bytes += FunctionBytes(*it);
        }
      }
    }
    if (const json* fc = Field(m, "function_call"); fc != nullptr) bytes += FunctionBytes(*fc);
    tokens += (bytes + 3) / 4 + kTokensPerMessage + media_parts * kTokensPerMediaPart;
  }
  int64_t definition_bytes = 0;
  for (const char* name : {"tools", "functions", "response_format"}) {
    if (const json* v = Field(body, name); v != nullptr) {
      definition_bytes += static_cast<int64_t>(Dump(*v).size());
    }
  }
  call.prompt_tokens = tokens + (definition_bytes + 3) / 4;
  return Status::Ok();
}

// A prompt (completions) or input (embeddings): a string, an array of strings,
// an array of token ids, or an array of token-id arrays. Sets the estimate and
// returns the number of sequences.
Result<int64_t> ParseTextOrTokens(const json& body, const char* name, int64_t* tokens) {
  const json* v = Field(body, name);
  if (v == nullptr) return InvalidArgument(fmt::format("{}: required", name));
  auto bad = [&] {
    return InvalidArgument(
        fmt::format("{}: must be a string, an array of strings, an array of token ids or an "
                    "array of token-id arrays",
                    name));
  };
  if (v->is_string()) {
    *tokens = (StringBytes(*v) + 3) / 4;
    return int64_t{1};
  }
  if (!v->is_array()) return bad();
  if (v->empty()) return InvalidArgument(fmt::format("{}: must not be empty", name));
  const json& first = v->front();
  int64_t total = 0;
  if (first.is_string()) {
    for (const json& e : *v) {
      if (!e.is_string()) return bad();
      total += (StringBytes(e) + 3) / 4;
    }
    *tokens = total;
    return static_cast<int64_t>(v->size());
  }
  if (first.is_number_integer()) {
    for (const json& e : *v) {
      if (!e.is_number_integer()) return bad();
    }
    *tokens = static_cast<int64_t>(v->size());
    return int64_t{1};
  }
  if (first.is_array()) {
    for (const json& e : *v) {
      if (!e.is_array() || e.empty()) return bad();
      for (const json& id : e) {
        if (!id.is_number_integer()) return bad();
      }
      total += static_cast<int64_t>(e.size());
    }
    *tokens = total;
    return static_cast<int64_t>(v->size());
  }
  return bad();
}

bool IsParamPath(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '.' || ch == '[' || ch == ']';
  });
}

// Appends `s` as a JSON string literal (UTF-8 passed through).
void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char ch : s) {
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(ch));
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

}  // namespace

std::string_view ApiPath(ApiKind kind) {
  switch (kind) {
    case ApiKind::kChat:
      return "/chat/completions";
    case ApiKind::kCompletions:
      return "/completions";
    case ApiKind::kEmbeddings:
      return "/embeddings";
  }
  return "";
}

int64_t EstimateTokens(std::string_view text) {
  return (static_cast<int64_t>(text.size()) + 3) / 4;
}

Result<CallRequest> ParseCallRequest(ApiKind kind, std::string_view body,
                                     int64_t default_max_output_tokens) {
  CallRequest call;
  call.kind = kind;
  // UTF-8 and nesting depth first: a body nested 100,000 levels deep would
  // overflow the stack when UpstreamBody writes it again.
  ALLOT_RETURN_IF_ERROR(ParseJsonInput(body, "body", &call.body));
  if (!call.body.is_object()) return InvalidArgument("body: must be a JSON object");
  const json& b = call.body;

  const json* model = Field(b, "model");
  if (model == nullptr) return InvalidArgument("model: required");
  if (!model->is_string()) return InvalidArgument("model: must be a string");
  call.model = model->get<std::string>();
  if (call.model.empty()) return InvalidArgument("model: must not be empty");

  if (const json* user = Field(b, "user"); user != nullptr) {
    if (!user->is_string()) return InvalidArgument("user: must be a string");
    call.user = user->get<std::string>();
  }

  if (kind == ApiKind::kEmbeddings) {
    auto sequences = ParseTextOrTokens(b, "input", &call.prompt_tokens);
    if (!sequences.ok()) return sequences.status();
    return call;
  }

  if (const json* stream = Field(b, "stream"); stream != nullptr) {
    if (!stream->is_boolean()) return InvalidArgument("stream: must be a boolean");
    call.stream = stream->get<bool>();
  }
  if (const json* options = Field(b, "stream_options"); options != nullptr) {
    if (!options->is_object()) return InvalidArgument("stream_options: must be an object");
    if (const json* include = Field(*options, "include_usage"); include != nullptr) {
      if (!include->is_boolean()) {
        return InvalidArgument("stream_options.include_usage: must be a boolean");
      }
      call.include_usage = include->get<bool>();
    }
  }

  ALLOT_RETURN_IF_ERROR(CheckSamplingFields(b));
  int64_t n = 1;
  ALLOT_RETURN_IF_ERROR(IntField(b, "n", 1, kMaxChoices, &n));
  call.max_output_tokens = default_max_output_tokens;
  ALLOT_RETURN_IF_ERROR(IntField(b, "max_tokens", 1, kMaxTokensPerCall, &call.max_output_tokens,
                                 &call.max_tokens_given));

  if (kind == ApiKind::kChat) {
    int64_t max_completion = 0;
    bool given = false;
    ALLOT_RETURN_IF_ERROR(
        IntField(b, "max_completion_tokens", 1, kMaxTokensPerCall, &max_completion, &given));
    if (given) {
      call.max_output_tokens = max_completion;
      call.max_tokens_given = true;
    }
    ALLOT_RETURN_IF_ERROR(ParseMessages(b, call));
    call.n = n;
    return call;
  }

  // Completions.
  int64_t best_of = 1;
  ALLOT_RETURN_IF_ERROR(IntField(b, "best_of", 1, kMaxChoices, &best_of));
  auto prompts = ParseTextOrTokens(b, "prompt", &call.prompt_tokens);
  if (!prompts.ok()) return prompts.status();
  if (const json* suffix = Field(b, "suffix"); suffix != nullptr) {
    if (!suffix->is_string()) return InvalidArgument("suffix: must be a string");
    call.prompt_tokens += (StringBytes(*suffix) + 3) / 4;
  }
  call.n = std::max(n, best_of) * *prompts;
  return call;
}

std::string ErrorParam(const Status& status) {
  std::string_view message = status.message();
  size_t colon = message.find(':');
  if (colon == std::string_view::npos) return "";
  std::string_view param = message.substr(0, colon);
  if (param == "body" || !IsParamPath(param)) return "";
  return std::string(param);
}

std::string UpstreamBody(const CallRequest& call, std::string_view upstream_model) {
  std::string out;
  out.reserve(256);
  out.push_back('{');
  bool first = true;
  auto key = [&](std::string_view k) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(out, k);
    out.push_back(':');
  };
  bool wrote_model = false;
  bool wrote_options = false;
  if (call.body.is_object()) {
    for (const auto& [k, v] : call.body.items()) {
      if (k == "model") {
        key(k);
        AppendJsonString(out, upstream_model);
        wrote_model = true;
      } else if (k == "stream_options" && call.stream) {
        json options = v.is_object() ? v : json::object();
        options["include_usage"] = true;
        key(k);
        out += Dump(options);
        wrote_options = true;
      } else {
        key(k);
        out += Dump(v);
      }
    }
  }
  if (!wrote_model) {
    key("model");
    AppendJsonString(out, upstream_model);
  }
  if (call.stream && !wrote_options) {
    key("stream_options");
    out += R"({"include_usage":true})";
  }
  out.push_back('}');
  return out;
}

ParsedUsage UsageFromJson(const json& usage) {
  ParsedUsage parsed;
  if (!usage.is_object()) return parsed;
  // A count from 0 to kMaxTokensPerCall; -1 when malformed, `missing` when absent or null.
  auto count = [](const json& object, const char* name, int64_t missing) -> int64_t {
    auto it = object.find(name);
    if (it == object.end() || it->is_null()) return missing;
    if (!it->is_number_integer()) return -1;
    if (it->is_number_unsigned()) {
      uint64_t u = it->get<uint64_t>();
      return u > static_cast<uint64_t>(kMaxTokensPerCall) ? -1 : static_cast<int64_t>(u);
    }
    int64_t v = it->get<int64_t>();
    return v < 0 || v > kMaxTokensPerCall ? -1 : v;
  };
  int64_t prompt = count(usage, "prompt_tokens", -1);
  int64_t completion = count(usage, "completion_tokens", 0);
  int64_t cached = 0;
  if (auto it = usage.find("prompt_tokens_details"); it != usage.end() && it->is_object()) {
    cached = count(*it, "cached_tokens", 0);
  }
  if (prompt < 0 || completion < 0 || cached < 0 || cached > prompt) return parsed;
  parsed.present = true;
  parsed.tokens = TokenCounts{.input = prompt, .cached_input = cached, .output = completion};
  return parsed;
}

std::string OpenAiErrorBody(std::string_view message, std::string_view type, std::string_view param,
                            std::string_view code) {
  json error = {{"message", std::string(message)},
                {"type", std::string(type)},
                {"param", param.empty() ? json(nullptr) : json(std::string(param))},
                {"code", code.empty() ? json(nullptr) : json(std::string(code))}};
  return Dump(json{{"error", std::move(error)}});
}

std::string ModelListBody(const std::vector<std::pair<std::string, std::string>>& id_and_owner) {
  json data = json::array();
  for (const auto& [id, owner] : id_and_owner) {
    data.push_back({{"id", id}, {"object", "model"}, {"created", 0}, {"owned_by", owner}});
  }
  return Dump(json{{"object", "list"}, {"data", std::move(data)}});
}

}  // namespace allot::gateway
