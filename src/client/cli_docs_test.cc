// Command lines the docs show as runnable run as written: docs/config.md's
// `allot keygen` example makes a key whose printed entry a configuration
// accepts (`allot check-config`).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "config/config_loader.h"
#include "testing/server_process.h"
#include "testing/test_paths.h"

namespace allot {
namespace {

using testing::RunShell;

TEST(CliDocsTest, ConfigKeygenExampleRunsAsWrittenAndItsEntryLoads) {
  std::ifstream doc(testing::SourceDir() + "/docs/config.md");
  ASSERT_TRUE(doc) << "docs/config.md not found";
  std::string line;
  std::string example;
  while (std::getline(doc, line)) {
    if (line.starts_with("$ allot keygen ")) {
      example = line.substr(std::string("$ allot").size());
      break;
    }
  }
  ASSERT_FALSE(example.empty()) << "docs/config.md shows no `$ allot keygen ...` line";
  std::string out;
  ASSERT_EQ(RunShell(testing::AllotBinary() + example, &out), 0) << example << "\n" << out;
  size_t entry = out.find("  - {name: ");
  ASSERT_NE(entry, std::string::npos) << out;
  std::string entry_line = out.substr(entry, out.find('\n', entry) - entry);

  // The entry pasted under api_keys: of the embedded configuration (which
  // has acme/research and no keys) is accepted.
  std::string dir = testing::MakeTempDir("allot-docs");
  ASSERT_FALSE(dir.empty());
  std::string config = dir + "/allot.yaml";
  testing::WriteFile(config,
                     std::string(DefaultConfigYaml()) + "\napi_keys:\n" + entry_line + "\n");
  std::string check;
  EXPECT_EQ(RunShell(testing::AllotBinary() + " check-config " + config, &check), 0)
      << entry_line << "\n"
      << check;
  testing::RemoveTree(dir);
}

}  // namespace
}  // namespace allot
