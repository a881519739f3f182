#include "common/json_input.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/utf8.h"

namespace allot {

Status ParseJsonInput(std::string_view text, std::string_view what, nlohmann::json* out,
                      int max_depth) {
  *out = nlohmann::json(nlohmann::json::value_t::discarded);
  if (size_t bad = InvalidUtf8Offset(text); bad != kValidUtf8) {
    return InvalidArgument(fmt::format("{}: {}", what, Utf8Problem(text, bad)));
  }
  if (JsonNestingDepth(text, max_depth) > max_depth) {
    return InvalidArgument(
        fmt::format("{}: nested deeper than {} levels of arrays and objects", what, max_depth));
  }
  *out = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded()) return InvalidArgument(fmt::format("{}: malformed JSON", what));
  return Status::Ok();
}

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace allot
