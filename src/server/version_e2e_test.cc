// `allot --version` and the build information `allot serve` reports
// (/healthz, allot_build_info): the real binary, built with the generated
// build_info.cc (cmake/build_info.cmake).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "client/http_client.h"
#include "testing/server_process.h"
#include "testing/test_paths.h"

namespace allot {
namespace {

using testing::RunShell;

// The commit the binary names: "unknown" outside a git checkout; otherwise a
// commit of this repository (any commit: the binary may predate HEAD).
void ExpectKnownCommit(const std::string& commit) {
  std::string git_dir = testing::SourceDir() + "/.git";
  std::string ignored;
  if (RunShell("test -e " + git_dir + " && command -v git", &ignored) != 0) {
    EXPECT_EQ(commit, "unknown");
    return;
  }
  std::string hash = commit.substr(0, commit.find('-'));
  ASSERT_EQ(hash.size(), 12u) << commit;
  std::string out;
  EXPECT_EQ(RunShell("git -C " + testing::SourceDir() + " cat-file -e " + hash + "^{commit}", &out),
            0)
      << commit << " is not a commit of " << testing::SourceDir() << ": " << out;
}

TEST(VersionE2ETest, VersionFlagPrintsVersionCommitAndDate) {
  std::string out;
  EXPECT_EQ(RunShell(testing::AllotBinary() + " --version", &out), 0) << out;
  std::smatch match;
  ASSERT_TRUE(std::regex_match(
      out, match,
      std::regex(R"(allot (\d+\.\d+\.\d+) \(commit ([0-9a-f]{12}(-dirty)?|unknown), )"
                 R"(built \d{4}-\d\d-\d\d\)\n)")))
      << out;
  ExpectKnownCommit(match[2]);
}

TEST(VersionE2ETest, HealthzAndMetricsNameTheSameBuild) {
  std::string version_line;
  ASSERT_EQ(RunShell(testing::AllotBinary() + " --version", &version_line), 0) << version_line;
  std::string dir = testing::MakeTempDir("allot-version");
  ASSERT_FALSE(dir.empty());
  {
    testing::ServerProcess server;
    std::string error;
    ASSERT_TRUE(server.Start("", dir + "/data", &error)) << error;
    Result<std::unique_ptr<HttpClient>> client = HttpClient::Create(server.base_url(), Seconds(10));
    ASSERT_TRUE(client.ok()) << client.status().message();
    Result<HttpResponse> health = (*client)->Send("GET", "/healthz", "");
    ASSERT_TRUE(health.ok()) << health.status().message();
    EXPECT_EQ(health->status, 200);
    nlohmann::json body = nlohmann::json::parse(health->body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << health->body;
    EXPECT_EQ(body["status"], "ok");
    std::string version = body.value("version", "");
    std::string commit = body.value("commit", "");
    EXPECT_NE(version_line.find("allot " + version + " (commit " + commit + ", "),
              std::string::npos)
        << version_line << " vs " << health->body;

    Result<HttpResponse> metrics = (*client)->Send("GET", "/metrics", "");
    ASSERT_TRUE(metrics.ok()) << metrics.status().message();
    EXPECT_NE(metrics->body.find("allot_build_info{commit=\"" + commit + "\",version=\"" + version +
                                 "\"} 1"),
              std::string::npos)
        << metrics->body.substr(0, 2000);
  }
  testing::RemoveTree(dir);
}

}  // namespace
}  // namespace allot
