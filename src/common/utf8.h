#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace allot {

// UTF-8 checks for text that comes from outside (URLs, headers, bodies,
// files). Pure functions, no allocation except ScrubUtf8's result: callable
// from fuzz targets. Well-formed means RFC 3629 (Unicode Table 3-7): no
// overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no
// truncated sequence.

inline constexpr size_t kValidUtf8 = std::string_view::npos;

// The offset of the first byte that does not start a well-formed sequence,
// or kValidUtf8 when the whole text is well-formed.
size_t InvalidUtf8Offset(std::string_view text);

inline bool IsValidUtf8(std::string_view text) { return InvalidUtf8Offset(text) == kValidUtf8; }

// Why `text` is refused, for an error message: "not valid UTF-8 (byte 0xff at
// offset 3)". `offset` is InvalidUtf8Offset(text).
std::string Utf8Problem(std::string_view text, size_t offset);

// `text` with each byte that is not part of a well-formed sequence replaced
// by U+FFFD, for logs and messages that must echo outside text.
std::string ScrubUtf8(std::string_view text);

}  // namespace allot
