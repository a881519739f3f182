// ReportReader's thread and the reports' stop between pages.
#include "server/report_reader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "testing/server_process.h"

namespace allot {
namespace {

TEST(ReportReaderTest, RunsJobsInOrderAndRefusesPastTheQueue) {
  ReportReader reader(/*max_queued=*/1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> ran{0};
  std::promise<void> started;
  ASSERT_TRUE(reader.Submit([&] {
    started.set_value();
    released.wait();
    ++ran;
  }));
  started.get_future().wait();  // the first runs; one more may wait
  EXPECT_TRUE(reader.Submit([&] { ++ran; }));
  EXPECT_FALSE(reader.Submit([&] { ++ran; }));  // the caller answers 429
  release.set_value();
  for (int i = 0; i < 2000 && ran < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(ran, 2);
}

TEST(ReportReaderTest, StopTellsTheRunningReportToEndBetweenPages) {
  std::string dir = testing::MakeTempDir("allot-reports");
  {
    Result<std::unique_ptr<Journal>> journal = Journal::Open(dir);
    ASSERT_TRUE(journal.ok()) << journal.status().ToString();
    ReportReader reader(4);
    EXPECT_FALSE(*reader.stopping());
    ReportWindow window{0, 1000, "", ResourceCatalog(), reader.stopping()};
    Result<nlohmann::json> empty = ChargebackReport(**journal, window, "tenant", -1, "USD");
    ASSERT_TRUE(empty.ok()) << empty.status().ToString();
    EXPECT_EQ((*empty)["records"], 0);
    reader.Stop();
    EXPECT_TRUE(*reader.stopping());
    Result<nlohmann::json> stopped = ChargebackReport(**journal, window, "tenant", -1, "USD");
    EXPECT_EQ(stopped.status().code(), StatusCode::kUnavailable);
    EXPECT_FALSE(reader.Submit([] {}));
  }
  testing::RemoveTree(dir);
}

}  // namespace
}  // namespace allot
