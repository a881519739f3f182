// `allot report usage` against a scripted server: it follows the usage
// pages' cursors and prints one export.
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

}  // namespace
}  // namespace allot
