#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "common/json_depth.h"
#include "common/status.h"

namespace allot {

// JSON that comes from outside (request bodies, upstream answers, snapshot
// files) is checked before it is parsed, and every JSON text the server
// writes is written without throwing. Pure functions: callable from fuzz
// targets.

// Checks outside JSON text and parses it into *out: well-formed UTF-8, then
// nesting depth at most `max_depth`, then the grammar. InvalidArgument
// naming `what` ("body: nested deeper than 64 levels", "body: malformed
// JSON", "body: not valid UTF-8 (byte 0xff at offset 12)"); *out is then
// left discarded. Never throws.
Status ParseJsonInput(std::string_view text, std::string_view what, nlohmann::json* out,
                      int max_depth = kMaxJsonDepth);

// Compact JSON text (nlohmann's dump()), except that a string holding bytes
// that are not well-formed UTF-8 is written with U+FFFD in their place
// instead of throwing type_error 316. Every reply, SSE frame and journal row
// written from a DOM goes through it.
std::string DumpJson(const nlohmann::json& value);

}  // namespace allot
