#include "server/event_log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace allot {
namespace {

std::vector<std::string> After(const EventLog& log, int64_t id) {
  std::vector<std::string> frames;
  log.ForEachAfter(id,
                   [&](const std::string&, const std::string& frame) { frames.push_back(frame); });
  return frames;
}

TEST(EventLogTest, IdsFollowTheJournalAndKeepIncreasing) {
  EventLog log(/*start_seq=*/41);
  EXPECT_EQ(log.NextId(42), 42 * kEventIdsPerCommand);
  EXPECT_EQ(log.NextId(42), 42 * kEventIdsPerCommand + 1);
  EXPECT_EQ(log.NextId(45), 45 * kEventIdsPerCommand);
  // A restart at journal seq 45 starts above every id handed out before it.
  EventLog restarted(45);
  EXPECT_GT(restarted.NextId(46), 45 * kEventIdsPerCommand + kEventIdsPerCommand - 1);
}

TEST(EventLogTest, ResumeReplaysWhatIsHeldAndKnowsWhatIsGone) {
  EventLog log(/*start_seq=*/10, /*max_events=*/3);
  // Before the start: not covered (events from before a restart are gone).
  EXPECT_FALSE(log.Covers(9 * kEventIdsPerCommand));
  EXPECT_TRUE(log.Covers(10 * kEventIdsPerCommand));
  std::vector<int64_t> ids;
  for (int seq = 11; seq <= 15; ++seq) {
    ids.push_back(log.NextId(seq));
    log.Add(ids.back(), "t", std::to_string(seq));
  }
  EXPECT_EQ(log.size(), 3u);
  EXPECT_EQ(log.oldest_id(), ids[2]);
  // 11 and 12 were pushed out: a client that saw 11 missed 12; one that
  // saw 12 missed nothing.
  EXPECT_FALSE(log.Covers(ids[0]));
  EXPECT_TRUE(log.Covers(ids[1]));
  EXPECT_EQ(After(log, ids[1]), (std::vector<std::string>{"13", "14", "15"}));
  EXPECT_EQ(After(log, ids[3]), (std::vector<std::string>{"15"}));
  EXPECT_TRUE(After(log, ids[4]).empty());
}

TEST(EventLogTest, BytesBoundTheBacklog) {
  EventLog log(0, /*max_events=*/100, /*max_bytes=*/100);
  for (int seq = 1; seq <= 10; ++seq) log.Add(log.NextId(seq), "", std::string(30, 'x'));
  EXPECT_EQ(log.size(), 3u);
  EXPECT_LE(log.bytes(), 100u);
}

TEST(EventLogTest, LastEventIdParsing) {
  EXPECT_EQ(ParseLastEventId("42000001"), 42000001);
  EXPECT_EQ(ParseLastEventId(""), -1);
  EXPECT_EQ(ParseLastEventId("abc"), -1);
  EXPECT_EQ(ParseLastEventId("-5"), -1);
}

}  // namespace
}  // namespace allot
