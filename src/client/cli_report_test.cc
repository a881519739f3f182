// `allot usage` against a scripted server: it follows the usage pages'
// cursors and prints one export, or a table of the records.
#include <gtest/gtest.h>

#include "client/commands.h"
#include "client/exit_codes.h"
#include "client/testing/client_fixture.h"

namespace allot {
namespace {

using testing::FakeRequest;
using testing::LoopbackConnection;

class CliReportTest : public testing::ClientTest {};

// A reply with a text body and, when given, the next page's cursor.
std::string Page(std::string_view body, std::string_view cursor) {
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/csv; charset=utf-8\r\n";
  if (!cursor.empty()) head += "Allot-Next-Cursor: " + std::string(cursor) + "\r\n";
  return head + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

TEST_F(CliReportTest, UsageExportFollowsTheCursorsWithOneHeaderRow) {
  api_.On("GET", "/v1/usage", [](const FakeRequest& request, LoopbackConnection&) {
    if (request.target.find("cursor=second") != std::string::npos) {
      return Page("lease,cost\n3,0.3\n", "");
    }
    return Page("lease,cost\n1,0.1\n2,0.2\n", "second");
  });
  ClientContext ctx = Context();
  EXPECT_EQ(ShowUsageExport(ctx, "", "", "csv"), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "lease,cost\n1,0.1\n2,0.2\n3,0.3\n");
  std::vector<FakeRequest> requests = api_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].target.find("cursor="), std::string::npos) << requests[0].target;
  EXPECT_NE(requests[1].target.find("cursor=second"), std::string::npos) << requests[1].target;
}

TEST_F(CliReportTest, UsagePrintsATableWithItsUnitsByDefault) {
  const std::string first =
      R"({"lease":7,"start":"2026-11-21T09:30:00Z","end":"2026-11-21T11:30:00Z",)"
      R"("tenant_path":"acme/ml","priority_class":"batch","pool":"a100","gpu_ms":7200000000,)"
      R"("tokens_input":0,"tokens_output":0,"cost":"4.000000"})"
      "\n";
  const std::string second =
      R"({"lease":8,"start":"2026-11-21T10:00:00Z","end":"2026-11-21T10:00:02Z",)"
      R"("tenant_path":"acme/agents","priority_class":"interactive","pool":"gw","gpu_ms":0,)"
      R"("tokens_input":1000,"tokens_output":250,"cost":"0.412500"})"
      "\n";
  api_.On("GET", "/v1/usage", [&](const FakeRequest& request, LoopbackConnection&) {
    if (request.target.find("cursor=second") != std::string::npos) return Page(second, "");
    return Page(first, "second");
  });
  ClientContext ctx = Context();
  EXPECT_EQ(ShowUsage(ctx, "2026-11-01", "", ""), kExitOk) << err_.str();
  EXPECT_EQ(api_.requests()[0].target, "/v1/usage?from=2026-11-01&format=jsonl&limit=20000");
  std::string out = out_.str();
  EXPECT_TRUE(out.starts_with(
      "LEASE  TENANT       CLASS        POOL  START                 END                   "
      "GPU-HOURS  TOKENS    COST\n"
      "    7  acme/ml      batch        a100  2026-11-21T09:30:00Z  2026-11-21T11:30:00Z  "
      "        2       0    4.00\n"
      "    8  acme/agents  interactive  gw    2026-11-21T10:00:00Z  2026-11-21T10:00:02Z  "
      "        0    1250  0.4125\n"
      "2 records. GPU-HOURS: GPUs x hours held (the export's gpu_ms is milli-GPUs x "
      "milliseconds"))
      << out;
}

TEST_F(CliReportTest, UsageWithAFormatOrJsonOutputIsTheExport) {
  const std::string line = R"({"lease":7,"gpu_ms":1})"
                           "\n";
  api_.On("GET", "/v1/usage",
          [&](const FakeRequest&, LoopbackConnection&) { return Page(line, ""); });
  ClientContext json = Context(OutputFormat::kJson);
  EXPECT_EQ(ShowUsage(json, "", "", ""), kExitOk);
  EXPECT_EQ(out_.str(), line);
  ClientContext table = Context();
  EXPECT_EQ(ShowUsage(table, "", "", "csv"), kExitOk);
  EXPECT_EQ(out_.str(), line + line);
  EXPECT_NE(api_.requests()[0].target.find("format=jsonl"), std::string::npos);
  EXPECT_NE(api_.requests()[1].target.find("format=csv"), std::string::npos);
}

}  // namespace
}  // namespace allot
