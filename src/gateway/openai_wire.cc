#include "gateway/openai_wire.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace allot::gateway {
namespace {

using nlohmann::json;

constexpr int64_t kMaxChoices = 128;
constexpr int kMaxScanDepth = 256;

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// ---------------------------------------------------------------------------
// A forward-only reader over JSON text that skips what it does not need
// without building values: the gateway reads a response's usage and text
// sizes without converting (say) an embedding's thousands of floats. Checks
// the JSON grammar as it goes, except that string bytes are not checked to be
// valid UTF-8.

class Cursor {
 public:
  explicit Cursor(std::string_view text) : s_(text) {}

  size_t pos() const { return i_; }
  std::string_view Slice(size_t begin) const { return s_.substr(begin, i_ - begin); }

  void SkipWs() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) {
      ++i_;
    }
  }
  bool AtEnd() {
    SkipWs();
    return i_ >= s_.size();
  }
  // The next non-space character, or '\0' at the end.
  char Peek() {
    SkipWs();
    return i_ < s_.size() ? s_[i_] : '\0';
  }

  // At a '"': advances past the string and returns its unescaped UTF-8 size,
  // or -1 when malformed. Appends the unescaped bytes to `out` when given.
  int64_t String(std::string* out = nullptr) {
    if (Peek() != '"') return -1;
    ++i_;
    int64_t bytes = 0;
    while (true) {
      size_t start = i_;
      while (i_ < s_.size() && s_[i_] != '"' && s_[i_] != '\\' &&
             static_cast<unsigned char>(s_[i_]) >= 0x20) {
        ++i_;
      }
      bytes += static_cast<int64_t>(i_ - start);
      if (out != nullptr) out->append(s_.data() + start, i_ - start);
      if (i_ >= s_.size() || static_cast<unsigned char>(s_[i_]) < 0x20) return -1;
      if (s_[i_] == '"') {
        ++i_;
        return bytes;
      }
      // An escape.
      if (i_ + 1 >= s_.size()) return -1;
      char e = s_[i_ + 1];
      i_ += 2;
      char simple = 0;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          simple = e;
          break;
        case 'b':
          simple = '\b';
          break;
        case 'f':
          simple = '\f';
          break;
        case 'n':
          simple = '\n';
          break;
        case 'r':
          simple = '\r';
          break;
        case 't':
          simple = '\t';
          break;
        case 'u': {
          uint32_t code = 0;
          if (!Hex4(&code)) return -1;
          if (code >= 0xDC00 && code <= 0xDFFF) return -1;  // a lone low surrogate
          if (code >= 0xD800 && code <= 0xDBFF) {           // must pair with a low one
            uint32_t low = 0;
            if (i_ + 1 >= s_.size() || s_[i_] != '\\' || s_[i_ + 1] != 'u') return -1;
            i_ += 2;
            if (!Hex4(&low) || low < 0xDC00 || low > 0xDFFF) return -1;
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          }
          bytes += AppendUtf8(code, out);
          continue;
        }
        default:
          return -1;
      }
      bytes += 1;
      if (out != nullptr) out->push_back(simple);
    }
  }

  // At a '"': whether the string equals `want` (unescaped); *ok = false when
  // it is malformed.
  bool StringEquals(std::string_view want, bool* ok) {
    size_t begin = i_ + 1;
    size_t before = i_;
    if (String() < 0) {
      *ok = false;
      return false;
    }
    std::string_view raw = s_.substr(begin, i_ - 1 - begin);
    if (raw.find('\\') == std::string_view::npos) return raw == want;
    std::string decoded;
    size_t after = i_;
    i_ = before;
    String(&decoded);
    i_ = after;
    return decoded == want;
  }

  // Skips one value of any kind. False when malformed.
  bool SkipValue(int depth = 0) {
    if (depth > kMaxScanDepth) return false;
    switch (Peek()) {
      case '"':
        return String() >= 0;
      case '{':
        return Object([&](std::string_view, Cursor& c) { return c.SkipValue(depth + 1); });
      case '[':
        return Array([&](Cursor& c) { return c.SkipValue(depth + 1); });
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      default:
        return Number();
    }
  }

  // At a '{': calls on_member(key, cursor) for each member, which must consume
  // the member's value and return false when it is malformed.
  template <typename F>
  bool Object(F&& on_member) {
    if (Peek() != '{') return false;
    ++i_;
    if (Peek() == '}') {
      ++i_;
      return true;
    }
    std::string decoded;
    while (true) {
      if (Peek() != '"') return false;
      // Keys are compared unescaped; the usual key has no escape and is used in place.
      size_t begin = i_ + 1;
      size_t before = i_;
      if (String() < 0) return false;
      std::string_view key = s_.substr(begin, i_ - 1 - begin);
      if (key.find('\\') != std::string_view::npos) {
        decoded.clear();
        i_ = before;
        String(&decoded);
        key = decoded;
      }
      if (Peek() != ':') return false;
      ++i_;
      if (!on_member(key, *this)) return false;
      char next = Peek();
      if (next != ',' && next != '}') return false;
      ++i_;
      if (next == '}') return true;
    }
  }

  // At a '[': calls on_element(cursor) for each element, which must consume it.
  template <typename F>
  bool Array(F&& on_element) {
    if (Peek() != '[') return false;
    ++i_;
    if (Peek() == ']') {
      ++i_;
      return true;
    }
    while (true) {
      if (!on_element(*this)) return false;
      char next = Peek();
      if (next != ',' && next != ']') return false;
      ++i_;
      if (next == ']') return true;
    }
  }

 private:
  bool Hex4(uint32_t* code) {
    if (i_ + 4 > s_.size()) return false;
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      char ch = s_[i_ + k];
      v <<= 4;
      if (ch >= '0' && ch <= '9') {
        v |= static_cast<uint32_t>(ch - '0');
      } else if (ch >= 'a' && ch <= 'f') {
        v |= static_cast<uint32_t>(ch - 'a' + 10);
      } else if (ch >= 'A' && ch <= 'F') {
        v |= static_cast<uint32_t>(ch - 'A' + 10);
      } else {
        return false;
      }
    }
    i_ += 4;
    *code = v;
    return true;
  }

  static int64_t AppendUtf8(uint32_t code, std::string* out) {
    char buf[4];
    int n = 0;
    if (code < 0x80) {
      buf[n++] = static_cast<char>(code);
    } else if (code < 0x800) {
      buf[n++] = static_cast<char>(0xC0 | (code >> 6));
      buf[n++] = static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      buf[n++] = static_cast<char>(0xE0 | (code >> 12));
      buf[n++] = static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      buf[n++] = static_cast<char>(0x80 | (code & 0x3F));
    } else {
      buf[n++] = static_cast<char>(0xF0 | (code >> 18));
      buf[n++] = static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      buf[n++] = static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      buf[n++] = static_cast<char>(0x80 | (code & 0x3F));
    }
    if (out != nullptr) out->append(buf, static_cast<size_t>(n));
    return n;
  }

  bool Literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  bool Number() {
    auto digit = [&] { return i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9'; };
    auto digits = [&] {
      if (!digit()) return false;
      while (digit()) ++i_;
      return true;
    };
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ < s_.size() && s_[i_] == '0') {
      ++i_;
    } else if (!digits()) {
      return false;
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (!digits()) return false;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!digits()) return false;
    }
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

// A token count as UsageFromJson reads it: from 0 to kMaxTokensPerCall;
// `missing` when null, -1 when of another kind or out of range. False when
// the JSON is malformed.
bool ReadCount(Cursor& c, int64_t missing, int64_t* out) {
  char first = c.Peek();
  if (first == 'n') {
    *out = missing;
    return c.SkipValue();
  }
  if (first != '-' && (first < '0' || first > '9')) {
    *out = -1;
    return c.SkipValue();
  }
  size_t begin = c.pos();
  if (!c.SkipValue()) return false;
  std::string_view raw = c.Slice(begin);
  *out = -1;
  if (raw.find_first_of(".eE") != std::string_view::npos) return true;  // not an integer
  bool negative = raw.front() == '-';
  if (negative) raw.remove_prefix(1);
  int64_t value = 0;
  for (char ch : raw) {
    value = value * 10 + (ch - '0');
    if (value > kMaxTokensPerCall) return true;
  }
  if (negative && value != 0) return true;  // "-0" is 0
  *out = value;
  return true;
}

// A usage object, by the rules of UsageFromJson, without building it.
bool ReadUsage(Cursor& c, ParsedUsage* usage) {
  *usage = {};
  if (c.Peek() != '{') return c.SkipValue();
  int64_t prompt = -1;
  int64_t completion = 0;
  int64_t cached = 0;
  bool ok = c.Object([&](std::string_view key, Cursor& c) {
    if (key == "prompt_tokens") return ReadCount(c, -1, &prompt);
    if (key == "completion_tokens") return ReadCount(c, 0, &completion);
    if (key == "prompt_tokens_details") {
      cached = 0;
      if (c.Peek() != '{') return c.SkipValue();
      return c.Object([&](std::string_view key, Cursor& c) {
        if (key == "cached_tokens") return ReadCount(c, 0, &cached);
        return c.SkipValue();
      });
    }
    return c.SkipValue();
  });
  if (!ok) return false;
  if (prompt < 0 || completion < 0 || cached < 0 || cached > prompt) return true;
  usage->present = true;
  usage->tokens = TokenCounts{.input = prompt, .cached_input = cached, .output = completion};
  return true;
}

// Generated text in one choice's message (or delta).
struct TextTally {
  int64_t bytes = 0;
  bool tool_calls = false;  // a non-empty tool_calls array
};

// A string value's size into `tally`; null and other kinds are skipped.
bool TallyString(Cursor& c, TextTally& tally) {
  if (c.Peek() != '"') return c.SkipValue();
  int64_t n = c.String();
  if (n < 0) return false;
  tally.bytes += n;
  return true;
}

// {"name": ..., "arguments": ...} of a tool call or a legacy function_call.
bool TallyFunction(Cursor& c, TextTally& tally) {
  if (c.Peek() != '{') return c.SkipValue();
  return c.Object([&](std::string_view key, Cursor& c) {
    if (key == "name" || key == "arguments") return TallyString(c, tally);
    return c.SkipValue();
  });
}

bool TallyMessage(Cursor& c, TextTally& tally) {
  if (c.Peek() != '{') return c.SkipValue();
  return c.Object([&](std::string_view key, Cursor& c) {
    if (key == "content") {
      if (c.Peek() == '[') {  // content parts (some providers)
        return c.Array([&](Cursor& c) {
          if (c.Peek() != '{') return c.SkipValue();
          return c.Object([&](std::string_view key, Cursor& c) {
            if (key == "text") return TallyString(c, tally);
            return c.SkipValue();
          });
        });
      }
      return TallyString(c, tally);
    }
    if (key == "refusal" || key == "reasoning_content" || key == "reasoning") {
      return TallyString(c, tally);
    }
    if (key == "function_call") return TallyFunction(c, tally);
    if (key == "tool_calls") {
      if (c.Peek() != '[') return c.SkipValue();
      return c.Array([&](Cursor& c) {
        tally.tool_calls = true;
        if (c.Peek() != '{') return c.SkipValue();
        return c.Object([&](std::string_view key, Cursor& c) {
          if (key == "function") return TallyFunction(c, tally);
          return c.SkipValue();
        });
      });
    }
    return c.SkipValue();
  });
}

bool TallyChoices(Cursor& c, TextTally& tally) {
  if (c.Peek() != '[') return c.SkipValue();
  return c.Array([&](Cursor& c) {
    if (c.Peek() != '{') return c.SkipValue();
    return c.Object([&](std::string_view key, Cursor& c) {
      if (key == "message" || key == "delta") return TallyMessage(c, tally);
      if (key == "text") return TallyString(c, tally);
      return c.SkipValue();
    });
  });
}

// The top level of a response or chunk.
struct TopLevel {
  bool complete = false;  // one whole object and nothing after it
  bool has_usage = false;
  ParsedUsage usage;
  TextTally tally;
  bool error = false;
};

TopLevel ScanTopLevel(std::string_view text) {
  TopLevel top;
  Cursor c(text);
  if (c.Peek() != '{') return top;
  bool ok = c.Object([&](std::string_view key, Cursor& c) {
    if (key == "usage") {
      if (c.Peek() == 'n') return c.SkipValue();  // null
      top.has_usage = true;
      return ReadUsage(c, &top.usage);
    }
    if (key == "choices") return TallyChoices(c, top.tally);
    if (key == "error") {
      if (c.Peek() == '{') top.error = true;
      return c.SkipValue();
    }
    if (key == "object") {  // vLLM's older error shape: {"object":"error","message":...}
      if (c.Peek() != '"') return c.SkipValue();
      bool ok = true;
      if (c.StringEquals("error", &ok)) top.error = true;
      return ok;
    }
    return c.SkipValue();
  });
  top.complete = ok && c.AtEnd();
  return top;
}

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
  call.body = json::parse(body, nullptr, false);
  if (call.body.is_discarded()) return InvalidArgument("body: malformed JSON");
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

ResponseSummary SummarizeResponse(std::string_view json_body) {
  TopLevel top = ScanTopLevel(json_body);
  ResponseSummary summary;
  if (top.complete && top.has_usage) summary.usage = top.usage;
  summary.output_text_bytes = top.tally.bytes;
  summary.error = top.error;
  return summary;
}

ParsedUsage UsageFromBody(std::string_view json_body) { return SummarizeResponse(json_body).usage; }

int64_t OutputTextBytes(std::string_view json_body) {
  return SummarizeResponse(json_body).output_text_bytes;
}

ChunkSummary SummarizeChunk(std::string_view json) {
  TopLevel top = ScanTopLevel(json);
  ChunkSummary summary;
  if (!top.complete) return summary;
  summary.valid = true;
  summary.has_usage = top.has_usage;
  summary.usage = top.usage;
  summary.output_text_bytes = top.tally.bytes;
  summary.content = top.tally.bytes > 0 || top.tally.tool_calls;
  summary.error = top.error;
  return summary;
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
