// The configuration loader (config/config_loader.cc, yaml-cpp): any bytes as
// a configuration file. Invariants: a refusal names where and why; a
// configuration that parses makes an engine (the server would start on it).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config_loader.h"
#include "engine/engine.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using allot::fuzz::Expect;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  allot::Result<allot::Config> config = allot::ParseConfig(text, "<fuzz>");
  if (!config.ok()) {
    Expect(!config.status().message().empty(), "a refused configuration says why");
    return 0;
  }
  auto engine = allot::Engine::Create(config->inventory, config->engine);
  Expect(engine.ok(), "a configuration that parses makes an engine");
  return 0;
}
