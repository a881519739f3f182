#pragma once

#include <string_view>

namespace allot {

// Nesting depth of JSON text, checked before any outside document is parsed
// (common/json_input.h for nlohmann; the usage JSONL reader for rapidjson).
// Pure function, no allocation: callable from fuzz targets.

// The deepest nesting of arrays and objects any outside document may have.
// nlohmann's parser is iterative but its dump() and its destructor recurse
// once per level, so a document 100,000 levels deep would overflow the stack
// when written again; 64 levels is far more than any API body needs (a chat
// message's tool call arguments are a string, not nested JSON).
inline constexpr int kMaxJsonDepth = 64;

// The deepest nesting of '[' and '{' in `text`, brackets inside strings not
// counted; the scan stops as soon as it passes `limit` (then limit + 1). Does
// not check the grammar: malformed text is the parser's to refuse.
int JsonNestingDepth(std::string_view text, int limit);

}  // namespace allot
