// The gateway's SSE scanner (gateway/sse_scanner.cc): a streamed upstream
// response fed in pieces. The first bytes choose the event size limit; the
// rest is the stream, fed once whole and once cut at points the input picks.
// Invariant: the scanner's findings do not depend on where the stream was cut.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "gateway/sse_scanner.h"

namespace allot::fuzz {
namespace {

struct Findings {
  bool first_content = false;
  gateway::ParsedUsage usage;
  int64_t output_text_bytes = 0;
  bool done = false;
  bool error = false;
  int64_t events = 0;
  int64_t malformed = 0;
  bool overflow = false;
  friend bool operator==(const Findings&, const Findings&) = default;
};

Findings Scan(std::string_view stream, const std::vector<size_t>& cuts, size_t max_event_bytes) {
  gateway::SseScanner scanner(max_event_bytes);
  size_t at = 0;
  int flips = 0;
  for (size_t cut : cuts) {
    flips += scanner.Feed(stream.substr(at, cut - at)) ? 1 : 0;
    at = cut;
  }
  flips += scanner.Feed(stream.substr(at)) ? 1 : 0;
  flips += scanner.Finish() ? 1 : 0;
  Expect(flips == (scanner.first_content_seen() ? 1 : 0),
         "Feed/Finish report the first content exactly once");
  return Findings{scanner.first_content_seen(), scanner.usage(),
                  scanner.output_text_bytes(),  scanner.done(),
                  scanner.error_seen(),         scanner.events(),
                  scanner.malformed_events(),   scanner.overflow()};
}

}  // namespace
}  // namespace allot::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider provider(data, size);
  size_t max_event_bytes =
      provider.ConsumeBool() ? provider.ConsumeIntegralInRange<size_t>(1, 256) : size_t{8} << 20;
  int cut_count = provider.ConsumeIntegralInRange<int>(0, 16);
  std::vector<size_t> cut_seeds;
  for (int i = 0; i < cut_count; ++i) cut_seeds.push_back(provider.ConsumeIntegral<uint16_t>());
  std::string stream = provider.ConsumeRemainingBytesAsString();
  std::vector<size_t> cuts;
  size_t at = 0;
  for (size_t seed : cut_seeds) {
    if (stream.empty()) break;
    at = std::max(at, seed % (stream.size() + 1));
    cuts.push_back(at);
  }
  allot::fuzz::Findings whole = allot::fuzz::Scan(stream, {}, max_event_bytes);
  allot::fuzz::Findings cut = allot::fuzz::Scan(stream, cuts, max_event_bytes);
  allot::fuzz::Expect(whole == cut, "the findings do not depend on where the stream is cut");
  return 0;
}
