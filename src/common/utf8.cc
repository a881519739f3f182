#include "common/utf8.h"

#include <cstdint>
#include <cstdio>

namespace allot {

namespace {

// The length of the well-formed sequence at text[i], or 0 when the bytes
// there are ill-formed. Unicode Table 3-7 (well-formed byte sequences):
//   00..7F
//   C2..DF 80..BF
//   E0     A0..BF 80..BF     (no overlong 3-byte forms)
//   E1..EC 80..BF 80..BF
//   ED     80..9F 80..BF     (no surrogates)
//   EE..EF 80..BF 80..BF
//   F0     90..BF 80..BF 80..BF  (no overlong 4-byte forms)
//   F1..F3 80..BF 80..BF 80..BF
//   F4     80..8F 80..BF 80..BF  (nothing above U+10FFFF)
size_t SequenceLength(std::string_view text, size_t i) {
  auto byte = [&](size_t k) -> int {
    return i + k < text.size() ? static_cast<uint8_t>(text[i + k]) : -1;
  };
  auto in = [](int b, int lo, int hi) { return b >= lo && b <= hi; };
  int lead = byte(0);
  if (lead < 0x80) return 1;
  if (in(lead, 0xC2, 0xDF)) return in(byte(1), 0x80, 0xBF) ? 2 : 0;
  if (in(lead, 0xE0, 0xEF)) {
    int lo = lead == 0xE0 ? 0xA0 : 0x80;
    int hi = lead == 0xED ? 0x9F : 0xBF;
    return in(byte(1), lo, hi) && in(byte(2), 0x80, 0xBF) ? 3 : 0;
  }
  if (in(lead, 0xF0, 0xF4)) {
    int lo = lead == 0xF0 ? 0x90 : 0x80;
    int hi = lead == 0xF4 ? 0x8F : 0xBF;
    return in(byte(1), lo, hi) && in(byte(2), 0x80, 0xBF) && in(byte(3), 0x80, 0xBF) ? 4 : 0;
  }
  return 0;  // 80..C1 and F5..FF never start a sequence
}

}  // namespace

size_t InvalidUtf8Offset(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    // ASCII runs, the common case, a byte at a time without the table.
    if (static_cast<uint8_t>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t length = SequenceLength(text, i);
    if (length == 0) return i;
    i += length;
  }
  return kValidUtf8;
}

std::string Utf8Problem(std::string_view text, size_t offset) {
  if (offset >= text.size()) return "not valid UTF-8";
  char buffer[80];
  std::snprintf(buffer, sizeof(buffer), "not valid UTF-8 (byte 0x%02x at offset %zu)",
                static_cast<unsigned>(static_cast<uint8_t>(text[offset])), offset);
  return buffer;
}

std::string ScrubUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t length = SequenceLength(text, i);
    if (length > 0) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out.append("\xEF\xBF\xBD");  // U+FFFD
      ++i;
    }
  }
  return out;
}

}  // namespace allot
