// Journaled commands: every kind round-trips exactly; damaged or foreign
// JSON is refused naming the field.
#include <gtest/gtest.h>

#include "store/codec.h"

namespace allot {
namespace {

using Kind = Command::Kind;

ResourceCatalog Catalog() { return ResourceCatalog::Create({"rdma"}).value(); }

// Command has no operator== (UsageReport has none): compare field by field.
void ExpectSameCommand(const Command& a, const Command& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.at, b.at);
  EXPECT_EQ(a.request, b.request);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.has_usage, b.has_usage);
  EXPECT_EQ(a.usage.tokens, b.usage.tokens);
  EXPECT_EQ(a.usage.tokens_estimated, b.usage.tokens_estimated);
  EXPECT_EQ(a.has_exit, b.has_exit);
  EXPECT_EQ(a.exit_code, b.exit_code);
  EXPECT_EQ(a.wall_seconds, b.wall_seconds);
  EXPECT_EQ(a.node, b.node);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.config_yaml, b.config_yaml);
}

Command Make(Kind kind, Time at, uint64_t id = 0) {
  Command command;
  command.kind = kind;
  command.at = at;
  command.id = id;
  return command;
}

Command RoundTrip(const Command& command) {
  ResourceCatalog catalog = Catalog();
  std::string text = CommandToJson(command, catalog);
  Result<Command> back = CommandFromJson(text, catalog);
  EXPECT_TRUE(back.ok()) << text << ": " << back.status().ToString();
  if (back.ok()) ExpectSameCommand(*back, command);
  return back.ok() ? *back : Command{};
}

TEST(CommandJsonTest, EveryKindRoundTrips) {
  Command submit = Make(Kind::kSubmit, 1'795'219'200'000'001);
  submit.request.tenant = "acme/research";
  submit.request.member.resources[kGpu] = 250;
  submit.request.member.resources[kBuiltinResources] = 4;  // rdma
  submit.request.ttl = 1'234'567;
  submit.request.labels = {{"job", "eval"}};
  RoundTrip(submit);

  Command release = Make(Kind::kRelease, 5, 42);
  RoundTrip(release);
  release.has_usage = true;
  release.usage.tokens = {1000, 200, 250};
  RoundTrip(release);
  release.usage.tokens_estimated = true;
  release.has_exit = true;
  release.exit_code = -9;
  release.wall_seconds = 0.1 + 0.2;  // not a short decimal: the double itself must survive
  RoundTrip(release);

  RoundTrip(Make(Kind::kRenew, 6, 7));
  RoundTrip(Make(Kind::kCancel, 7, 8));
  RoundTrip(Make(Kind::kTick, 0));
  for (NodeState state : {NodeState::kUp, NodeState::kDraining, NodeState::kDown}) {
    Command set = Make(Kind::kSetNodeState, 9);
    set.node = "h100-0";
    set.state = state;
    RoundTrip(set);
  }
  Command reconfigure = Make(Kind::kReconfigure, 10);
  reconfigure.config_yaml = "tenants:\n  - name: \"a\\u00e9\"\n\ttab: [1, 2]\n";
  RoundTrip(reconfigure);
}

TEST(CommandJsonTest, CompactFormat) {
  EXPECT_EQ(CommandToJson(Make(Kind::kTick, 12), Catalog()), R"({"at":12,"kind":"tick"})");
  EXPECT_EQ(CommandToJson(Make(Kind::kRenew, 3, 9), Catalog()),
            R"({"at":3,"id":9,"kind":"renew"})");
}

TEST(CommandJsonTest, StrictErrors) {
  auto error = [](std::string_view text) {
    Result<Command> command = CommandFromJson(text, Catalog());
    EXPECT_FALSE(command.ok()) << text << " was accepted";
    if (command.ok()) return std::string();
    EXPECT_EQ(command.status().code(), StatusCode::kInvalidArgument);
    return command.status().message();
  };
  EXPECT_EQ(error(R"({"kind":"tick","at":1)"), "command: not valid JSON");
  EXPECT_EQ(error("[1]"), "command: must be a JSON object");
  EXPECT_EQ(error(R"({"at":1})").rfind("kind: required", 0), 0u);
  EXPECT_EQ(error(R"({"kind":"reboot","at":1})"), "kind: unknown kind 'reboot'");
  EXPECT_EQ(error(R"({"kind":"tick"})"), "at: required");
  EXPECT_EQ(error(R"({"kind":"tick","at":-1})"), "at: must be >= 0");
  EXPECT_EQ(error(R"({"kind":"tick","at":1.5})"), "at: must be an integer");
  EXPECT_EQ(error(R"({"kind":"tick","at":1,"id":3})"), "id: unknown field");
  EXPECT_EQ(error(R"({"kind":"renew","at":1})"), "id: required");
  EXPECT_EQ(error(R"({"kind":"renew","at":1,"id":0})"), "id: must be >= 1");
  EXPECT_EQ(error(R"({"kind":"cancel","at":1,"id":-4})"), "id: must be a non-negative integer");
  EXPECT_EQ(error(R"({"kind":"renew","at":1,"id":2,"usage":{}})"), "usage: unknown field");
  EXPECT_EQ(error(R"({"kind":"release","at":1,"id":2,"usage":{"input_tokens":-1}})"),
            "usage.input_tokens: must be >= 0");
  EXPECT_EQ(error(R"({"kind":"release","at":1,"id":2,"usage_estimated":true})"),
            "usage_estimated: needs usage");
  EXPECT_EQ(error(R"({"kind":"release","at":1,"id":2,"wall_seconds":"12"})"),
            "wall_seconds: must be a number");
  EXPECT_EQ(error(R"({"kind":"submit","at":1})"), "request: required");
  EXPECT_EQ(error(R"({"kind":"submit","at":1,"request":{"resources":{"gpu":-1}}})")
                .rfind("request.resources.gpu: must be >= 0", 0),
            0u);
  EXPECT_EQ(error(R"({"kind":"set_node_state","at":1,"node":"n1","state":"off"})"),
            "state: must be up, draining or down, got 'off'");
  EXPECT_EQ(error(R"({"kind":"set_node_state","at":1,"state":"up"})"), "node: required");
  EXPECT_EQ(error(R"({"kind":"reconfigure","at":1,"config_yaml":7})"),
            "config_yaml: must be a string");
}

}  // namespace
}  // namespace allot
