#include "server/query.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "common/utf8.h"

namespace allot {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> Decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return InvalidArgument("target: truncated percent-encoding");
      int high = HexValue(text[i + 1]);
      int low = HexValue(text[i + 2]);
      if (high < 0 || low < 0) return InvalidArgument("target: bad percent-encoding");
      c = static_cast<char>(high * 16 + low);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') return InvalidArgument("target: NUL byte");
    out.push_back(c);
  }
  return out;
}

// InvalidArgument "<field>: not valid UTF-8 (...)" unless `decoded` is
// well-formed: every decoded part of a target may end up in a JSON reply, a
// journal row or a log line.
Status CheckUtf8(std::string_view field, std::string_view decoded) {
  size_t bad = InvalidUtf8Offset(decoded);
  if (bad == kValidUtf8) return Status::Ok();
  return InvalidArgument(
      fmt::format("{}: {} after percent-decoding", field, Utf8Problem(decoded, bad)));
}

// The field name for a query parameter's errors: "query.tenant"; the name is
// checked first, so it is well-formed here.
std::string QueryField(std::string_view key) { return "query." + std::string(key); }

}  // namespace

Status CheckTargetUtf8(std::string_view target) {
  size_t question = target.find('?');
  // Undecodable parts are left to ParseTarget, which names them.
  if (Result<std::string> path = Decode(target.substr(0, question), false); path.ok()) {
    ALLOT_RETURN_IF_ERROR(CheckUtf8("path", *path));
  }
  if (question == std::string_view::npos) return Status::Ok();
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    Result<std::string> key = Decode(pair.substr(0, eq), true);
    if (!key.ok()) continue;
    ALLOT_RETURN_IF_ERROR(CheckUtf8("query", *key));
    if (eq == std::string_view::npos) continue;
    Result<std::string> value = Decode(pair.substr(eq + 1), true);
    if (value.ok()) ALLOT_RETURN_IF_ERROR(CheckUtf8(QueryField(*key), *value));
  }
  return Status::Ok();
}

Result<Target> ParseTarget(std::string_view target) {
  Target out;
  size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  if (path.empty() || path.front() != '/') return InvalidArgument("target: must start with '/'");
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string_view raw =
        path.substr(start, slash == std::string_view::npos ? path.npos : slash - start);
    if (!raw.empty()) {
      Result<std::string> segment = Decode(raw, false);
      if (!segment.ok()) return segment.status();
      out.segments.push_back(std::move(segment).value());
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  Result<std::string> decoded = Decode(path, false);
  if (!decoded.ok()) return decoded.status();
  ALLOT_RETURN_IF_ERROR(CheckUtf8("path", *decoded));
  out.path = std::move(decoded).value();
  if (question == std::string_view::npos) return out;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    Result<std::string> key = Decode(pair.substr(0, eq), true);
    if (!key.ok()) return key.status();
    ALLOT_RETURN_IF_ERROR(CheckUtf8("query", *key));
    Result<std::string> value =
        Decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!value.ok()) return value.status();
    ALLOT_RETURN_IF_ERROR(CheckUtf8(QueryField(*key), *value));
    if (!out.query.emplace(*key, *value).second) {
      return InvalidArgument(fmt::format("{}: given more than once", *key));
    }
  }
  return out;
}

Status CheckQuery(const Target& target, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : target.query) {
    bool found = false;
    for (std::string_view name : known) found = found || name == key;
    if (!found) {
      std::string names;
      for (std::string_view name : known) names += (names.empty() ? "" : ", ") + std::string(name);
      return InvalidArgument(fmt::format("{}: unknown query parameter (known: {})", key,
                                         names.empty() ? "none" : names));
    }
  }
  return Status::Ok();
}

Result<int64_t> QueryInt(const Target& target, const std::string& name, int64_t fallback,
                         int64_t min, int64_t max) {
  auto it = target.query.find(name);
  if (it == target.query.end()) return fallback;
  int64_t value = 0;
  const std::string& text = it->second;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return InvalidArgument(fmt::format("{}: must be an integer, got '{}'", name, text));
  }
  if (value < min || value > max) {
    return InvalidArgument(fmt::format("{}: must be between {} and {}", name, min, max));
  }
  return value;
}

Result<Duration> QuerySeconds(const Target& target, const std::string& name, double max_seconds) {
  auto it = target.query.find(name);
  if (it == target.query.end()) return Duration{0};
  const std::string& text = it->second;
  double seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() ||
      !std::isfinite(seconds)) {
    return InvalidArgument(fmt::format("{}: must be a number of seconds, got '{}'", name, text));
  }
  if (seconds < 0 || seconds > max_seconds) {
    return InvalidArgument(fmt::format("{}: must be between 0 and {} seconds", name, max_seconds));
  }
  return static_cast<Duration>(std::llround(seconds * kMicrosPerSecond));
}

std::string QueryString(const Target& target, const std::string& name) {
  auto it = target.query.find(name);
  return it == target.query.end() ? std::string() : it->second;
}

bool IsJsonMediaType(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return type == "application/json";
}

}  // namespace allot
