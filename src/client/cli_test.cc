// The command-line wiring: arguments through CLI11 to the subcommands.

#include "client/cli.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <CLI/CLI.hpp>

#include "client/exit_codes.h"
#include "client/testing/fake_api.h"

namespace allot {
namespace {

using testing::FakeApi;

// Parses `args` (after "allot") as main does; the exit code a selected
// client subcommand stored, -2 for a CLI11 parse error.
int Parse(std::vector<std::string> args) {
  CLI::App app{"allot"};
  app.require_subcommand(1);
  int exit_code = -1;
  AddClientCommands(app, &exit_code);
  std::vector<const char*> argv = {"allot"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError&) {
    return -2;
  }
  return exit_code;
}

TEST(ClientCliTest, ServerAndKeyFromOptionsOrEnvironment) {
  FakeApi api;
  api.On("GET", "/v1/leases/42", 200, R"({"id": 42, "state": "granted"})");
  EXPECT_EQ(Parse({"lease", "get", "42", "--server", api.url(), "--key", "k1", "--output", "json"}),
            kExitOk);
  ASSERT_EQ(::setenv("ALLOT_SERVER", api.url().c_str(), 1), 0);
  ASSERT_EQ(::setenv("ALLOT_API_KEY", "k2", 1), 0);
  EXPECT_EQ(Parse({"lease", "get", "42"}), kExitOk);
  ::unsetenv("ALLOT_SERVER");
  ::unsetenv("ALLOT_API_KEY");
  std::vector<testing::FakeRequest> requests = api.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_NE(requests[0].head.find("Authorization: Bearer k1\r\n"), std::string::npos);
  EXPECT_NE(requests[1].head.find("Authorization: Bearer k2\r\n"), std::string::npos);
}

TEST(ClientCliTest, UsageErrors) {
  EXPECT_EQ(Parse({"lease"}), -2);                // no subcommand
  EXPECT_EQ(Parse({"lease", "get", "abc"}), -2);  // not an id
  EXPECT_EQ(Parse({"lease", "acquire", "--gpu", "1", "--mig", "1g.10gb"}), -2);
  EXPECT_EQ(Parse({"pools", "--output", "yaml"}), -2);
  EXPECT_EQ(Parse({"node", "set-state", "n1", "sideways"}), -2);
  EXPECT_EQ(Parse({"run", "--gpu", "1"}), -2);  // no command
  // Found after parsing: the option's value is malformed.
  EXPECT_EQ(Parse({"lease", "acquire", "--label", "novalue", "--server", "http://127.0.0.1:9"}),
            kExitUsage);
  EXPECT_EQ(Parse({"queue", "--server", "https://127.0.0.1:8470"}), kExitUsage);
}

TEST(ClientCliTest, RunTakesTheCommandAfterDoubleDash) {
  FakeApi api;
  api.On("POST", "/v1/leases/42/release", 200, "{}");
  api.On("POST", "/v1/leases", 201, R"({"id": 42, "state": "granted"})");
  // "--label a=b --" once read "--" as a second label and then "-c" as an
  // option of allot's.
  EXPECT_EQ(Parse({"run", "--gpu", "1", "--label", "a=b", "--server", api.url(), "--", "sh", "-c",
                   "exit 4"}),
            4);
  EXPECT_EQ(api.requests().at(0).body, R"({"resources":{"gpu":1.0},"labels":{"a":"b"}})");
}

}  // namespace
}  // namespace allot
