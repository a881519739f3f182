// A journaled command as read back from the journal (store/command_json.cc):
// the bytes are the row's JSON text. Invariant: what decodes re-encodes to
// text that decodes, and the second encoding equals the first (stable).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.h"
#include "store/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using allot::fuzz::Expect;
  const allot::ResourceCatalog& catalog = allot::fuzz::DefaultConfig().inventory.resources;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  allot::Result<allot::Command> command = allot::CommandFromJson(text, catalog);
  if (!command.ok()) return 0;
  std::string encoded = allot::CommandToJson(*command, catalog);
  allot::Result<allot::Command> again = allot::CommandFromJson(encoded, catalog);
  Expect(again.ok(), "an encoded command decodes");
  Expect(allot::CommandToJson(*again, catalog) == encoded, "command encoding is stable");
  return 0;
}
