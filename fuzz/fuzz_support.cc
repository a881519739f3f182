#include "fuzz/fuzz_support.h"

namespace allot::fuzz {

const Config& DefaultConfig() {
  static const Config* config = [] {
    Result<Config> parsed = ParseConfig(DefaultConfigYaml(), "<default>");
    Expect(parsed.ok(), "the embedded default configuration parses");
    return new Config(std::move(parsed).value());
  }();
  return *config;
}

}  // namespace allot::fuzz
