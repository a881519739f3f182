// What upstream answers report, read from their JSON text in place: usage,
// generated text sizes, errors (SummarizeResponse, SummarizeChunk).
#include "common/json_input.h"
#include "gateway/openai_wire.h"

namespace allot::gateway {
namespace {

// Upstream answers are outside input too: the same nesting limit as request
// bodies (SkipValue recurses once per level).
constexpr int kMaxScanDepth = kMaxJsonDepth;

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

}  // namespace

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

}  // namespace allot::gateway
