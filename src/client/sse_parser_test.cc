#include "client/sse_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace allot {
namespace {

using Events = std::vector<std::pair<std::string, std::string>>;

// Feeds `pieces` one after another and collects every event.
Events Parse(const std::vector<std::string>& pieces) {
  SseParser parser;
  Events events;
  for (const std::string& piece : pieces) {
    EXPECT_TRUE(parser.Feed(piece, [&](std::string_view event, std::string_view data) {
      events.emplace_back(event, data);
      return true;
    }));
  }
  return events;
}

TEST(SseParserTest, EventsDataAndComments) {
  EXPECT_EQ(Parse({": keep-alive\n\nevent: granted\nid: 7\ndata: {\"a\": 1}\n\n"}),
            (Events{{"granted", "{\"a\": 1}"}}));
  // Several data lines join with "\n"; the space after ':' is optional and
  // only one is removed.
  EXPECT_EQ(Parse({"data:one\ndata:  two\ndata\n\n"}), (Events{{"message", "one\n two\n"}}));
  // Unknown fields and "retry" are skipped; an event with no data is not sent.
  EXPECT_EQ(Parse({"event: lonely\n\nretry: 10\nfoo: bar\ndata: x\n\n"}),
            (Events{{"message", "x"}}));
  // An event not yet ended by a blank line is not sent.
  EXPECT_EQ(Parse({"data: pending\n"}), Events{});
}

TEST(SseParserTest, LineEndsSplitAnywhere) {
  std::string stream = "event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\rdata: 3\n\n";
  Events whole = Parse({stream});
  EXPECT_EQ(whole, (Events{{"a", "1"}, {"b", "2"}, {"message", "3"}}));
  // Byte by byte: "\r" and "\n" of one line end arrive in separate reads.
  std::vector<std::string> bytes;
  for (char c : stream) bytes.emplace_back(1, c);
  EXPECT_EQ(Parse(bytes), whole);
}

TEST(SseParserTest, StopsWhenCallbackSaysSo) {
  SseParser parser;
  int calls = 0;
  EXPECT_FALSE(parser.Feed("data: 1\n\ndata: 2\n\n", [&](std::string_view, std::string_view) {
    ++calls;
    return false;
  }));
  EXPECT_EQ(calls, 1);
}

TEST(SseParserTest, RemembersLastEventId) {
  SseParser parser;
  EXPECT_TRUE(parser.Feed("id: 41\ndata: a\n\nid: 42\ndata: b\n\n",
                          [](std::string_view, std::string_view) { return true; }));
  EXPECT_EQ(parser.last_event_id(), "42");
}

}  // namespace
}  // namespace allot
