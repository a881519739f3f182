// Journaled commands as compact JSON, one object per command:
//   {"kind":"submit","at":<us>,"request":{RequestToJson}}
//   {"kind":"release","at":<us>,"id":7[,"usage":{...}][,"usage_estimated":true]
//                                     [,"exit_code":0,"wall_seconds":12.5]}
//   {"kind":"renew","at":<us>,"id":7}      {"kind":"cancel","at":<us>,"id":7}
//   {"kind":"tick","at":<us>}
//   {"kind":"set_node_state","at":<us>,"node":"n1","state":"draining"}
//   {"kind":"reconfigure","at":<us>,"config_yaml":"..."}
// Fields of another kind are refused, like unknown ones. `usage_estimated`
// keeps UsageReport::tokens_estimated, which the API's usage object has not.
#include <array>
#include <cmath>
#include <limits>

#include "store/codec.h"
#include "store/json_fields.h"
#include "store/json_writer.h"

namespace allot {
namespace {

using nlohmann::json;
using store::ObjectReader;

using Kind = Command::Kind;
constexpr int kKinds = static_cast<int>(Kind::kReconfigure) + 1;

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kSubmit:
      return "submit";
    case Kind::kRelease:
      return "release";
    case Kind::kRenew:
      return "renew";
    case Kind::kCancel:
      return "cancel";
    case Kind::kTick:
      return "tick";
    case Kind::kSetNodeState:
      return "set_node_state";
    case Kind::kReconfigure:
      return "reconfigure";
  }
  return "unknown";
}

// The fields each kind may carry beside "kind" and "at".
std::span<const std::string_view> KindFields(Kind kind) {
  static constexpr std::array<std::string_view, 1> kSubmit = {"request"};
  static constexpr std::array<std::string_view, 5> kRelease = {"id", "usage", "usage_estimated",
                                                               "exit_code", "wall_seconds"};
  static constexpr std::array<std::string_view, 1> kId = {"id"};
  static constexpr std::array<std::string_view, 2> kNode = {"node", "state"};
  static constexpr std::array<std::string_view, 1> kReconfigure = {"config_yaml"};
  switch (kind) {
    case Kind::kSubmit:
      return kSubmit;
    case Kind::kRelease:
      return kRelease;
    case Kind::kRenew:
    case Kind::kCancel:
      return kId;
    case Kind::kTick:
      return {};
    case Kind::kSetNodeState:
      return kNode;
    case Kind::kReconfigure:
      return kReconfigure;
  }
  return {};
}

Status ReadRelease(const ObjectReader& object, Command* command) {
  if (const json* usage = object.Find("usage")) {
    Result<UsageReport> report = UsageReportFromJson(*usage, "usage");
    if (!report.ok()) return report.status();
    command->has_usage = true;
    command->usage = *report;
    ALLOT_RETURN_IF_ERROR(object.Bool("usage_estimated", &command->usage.tokens_estimated));
  } else if (object.Find("usage_estimated") != nullptr) {
    return InvalidArgument("usage_estimated: needs usage");
  }
  if (object.Find("exit_code") != nullptr || object.Find("wall_seconds") != nullptr) {
    command->has_exit = true;
    int64_t exit_code = 0;
    ALLOT_RETURN_IF_ERROR(object.Int("exit_code", std::numeric_limits<int32_t>::min(),
                                     std::numeric_limits<int32_t>::max(), &exit_code));
    command->exit_code = static_cast<int>(exit_code);
    if (const json* wall = object.Find("wall_seconds")) {
      if (!wall->is_number() || !std::isfinite(wall->get<double>())) {
        return InvalidArgument("wall_seconds: must be a number");
      }
      command->wall_seconds = wall->get<double>();
    }
  }
  return Status::Ok();
}

Result<Command> Decode(const json& value, const ResourceCatalog& resources) {
  if (!value.is_object()) return InvalidArgument("command: must be a JSON object");
  Command command;
  const auto kind_it = value.find("kind");
  if (kind_it == value.end() || !kind_it->is_string()) {
    return InvalidArgument(
        "kind: required, one of submit, release, renew, cancel, tick, "
        "set_node_state, reconfigure");
  }
  int found = -1;
  for (int k = 0; k < kKinds; ++k) {
    if (KindName(static_cast<Kind>(k)) == kind_it->get_ref<const std::string&>()) found = k;
  }
  if (found < 0) {
    return InvalidArgument("kind: unknown kind '" + kind_it->get<std::string>() + "'");
  }
  command.kind = static_cast<Kind>(found);
  static constexpr std::array<std::string_view, 2> kCommon = {"kind", "at"};
  Result<ObjectReader> opened = ObjectReader::Open(value, "", kCommon, KindFields(command.kind));
  if (!opened.ok()) return opened.status();
  const ObjectReader& object = *opened;
  ALLOT_RETURN_IF_ERROR(object.Require("at"));
  ALLOT_RETURN_IF_ERROR(object.Int("at", 0, std::numeric_limits<int64_t>::max(), &command.at));
  switch (command.kind) {
    case Kind::kSubmit: {
      ALLOT_RETURN_IF_ERROR(object.Require("request"));
      Result<Request> request = RequestFromJson(*object.Find("request"), resources);
      if (!request.ok()) return InvalidArgument("request." + request.status().message());
      command.request = std::move(request).value();
      break;
    }
    case Kind::kRelease:
    case Kind::kRenew:
    case Kind::kCancel:
      ALLOT_RETURN_IF_ERROR(object.Require("id"));
      ALLOT_RETURN_IF_ERROR(object.Uint("id", &command.id));
      if (command.id == 0) return InvalidArgument("id: must be >= 1");
      if (command.kind == Kind::kRelease) ALLOT_RETURN_IF_ERROR(ReadRelease(object, &command));
      break;
    case Kind::kTick:
      break;
    case Kind::kSetNodeState: {
      ALLOT_RETURN_IF_ERROR(object.Require("node"));
      ALLOT_RETURN_IF_ERROR(object.Require("state"));
      ALLOT_RETURN_IF_ERROR(object.String("node", store::kMaxStringBytes, &command.node));
      std::string state;
      ALLOT_RETURN_IF_ERROR(object.String("state", store::kMaxStringBytes, &state));
      if (!ParseNodeState(state, &command.state)) {
        return InvalidArgument("state: must be up, draining or down, got '" + state + "'");
      }
      break;
    }
    case Kind::kReconfigure:
      ALLOT_RETURN_IF_ERROR(object.Require("config_yaml"));
      ALLOT_RETURN_IF_ERROR(
          object.String("config_yaml", std::numeric_limits<size_t>::max(), &command.config_yaml));
      break;
  }
  return command;
}

}  // namespace

std::string CommandToJson(const Command& command, const ResourceCatalog& resources) {
  // Written straight to text with the keys in ascending order (the nlohmann
  // object order the journal was first written in): at, config_yaml,
  // exit_code, id, kind, node, request, state, usage, usage_estimated,
  // wall_seconds.
  std::string text;
  text.reserve(command.kind == Kind::kReconfigure ? command.config_yaml.size() + 64 : 128);
  store::JsonWriter writer(&text);
  writer.BeginObject();
  writer.Field("at", command.at);
  bool release = command.kind == Kind::kRelease;
  switch (command.kind) {
    case Kind::kReconfigure:
      writer.Field("config_yaml", command.config_yaml);
      break;
    case Kind::kRelease:
    case Kind::kRenew:
    case Kind::kCancel:
      if (release && command.has_exit) writer.Field("exit_code", command.exit_code);
      writer.Field("id", command.id);
      break;
    default:
      break;
  }
  writer.Field("kind", KindName(command.kind));
  if (command.kind == Kind::kSetNodeState) writer.Field("node", command.node);
  if (command.kind == Kind::kSubmit) {
    writer.Key("request");
    WriteRequestJson(writer, command.request, resources);
  }
  if (command.kind == Kind::kSetNodeState) writer.Field("state", NodeStateName(command.state));
  if (release && command.has_usage) {
    writer.Key("usage");
    writer.BeginObject();
    writer.Field("cached_input_tokens", command.usage.tokens.cached_input);
    writer.Field("input_tokens", command.usage.tokens.input);
    if (command.usage.latency > 0) writer.Field("latency_us", command.usage.latency);
    writer.Field("output_tokens", command.usage.tokens.output);
    if (command.usage.time_to_first_token > 0) {
      writer.Field("ttft_us", command.usage.time_to_first_token);
    }
    writer.EndObject();
    if (command.usage.tokens_estimated) writer.Field("usage_estimated", true);
  }
  if (release && command.has_exit) {
    writer.Key("wall_seconds");
    writer.Double(command.wall_seconds);  // shortest exact text of the double
  }
  writer.EndObject();
  return text;
}

Result<Command> CommandFromJson(std::string_view text, const ResourceCatalog& resources) {
  // No exceptions: a parse error gives a discarded value.
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return InvalidArgument("command: not valid JSON");
  return Decode(value, resources);
}

}  // namespace allot
