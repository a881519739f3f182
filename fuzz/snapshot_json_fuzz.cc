// An engine snapshot as read back at recovery (store/snapshot_json.cc,
// lease_json.cc), decoded under the default configuration's inventory and
// tenancy, then restored into an engine. Invariants: what decodes re-encodes
// to JSON that decodes to the same snapshot, and dumps without throwing;
// Engine::Restore either refuses it or gives an engine whose own snapshot
// encodes.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "engine/engine.h"
#include "fuzz/fuzz_support.h"
#include "store/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using allot::fuzz::Expect;
  using nlohmann::json;
  static const std::unique_ptr<allot::Engine> engine = [] {
    const allot::Config& config = allot::fuzz::DefaultConfig();
    auto created = allot::Engine::Create(config.inventory, config.engine);
    Expect(created.ok(), "an engine on the default configuration");
    return std::move(created).value();
  }();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return 0;
  allot::Result<allot::EngineSnapshot> snapshot =
      allot::SnapshotFromJson(value, engine->inventory(), engine->tenancy());
  if (!snapshot.ok()) return 0;
  json encoded = allot::SnapshotToJson(*snapshot, engine->inventory(), engine->tenancy());
  allot::Result<allot::EngineSnapshot> again =
      allot::SnapshotFromJson(json::parse(encoded.dump()), engine->inventory(), engine->tenancy());
  Expect(again.ok(), "an encoded snapshot decodes");
  Expect(*again == *snapshot, "decode(encode(snapshot)) == snapshot");
  const allot::Config& config = allot::fuzz::DefaultConfig();
  auto restored = allot::Engine::Restore(config.inventory, config.engine, *snapshot);
  if (restored.ok()) {
    json after = allot::SnapshotToJson((*restored)->Snapshot(), (*restored)->inventory(),
                                       (*restored)->tenancy());
    (void)after.dump();
  }
  return 0;
}
