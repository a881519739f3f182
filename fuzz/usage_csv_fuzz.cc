// Usage records as CSV (metering/usage_csv.cc, rfc4180.cc). Invariant: what
// reads (under a catalog with one custom resource) writes back to text that reads to the same
// records.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "metering/usage_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using allot::fuzz::Expect;
  // The built-in resources and one custom one (its own <name>_ms column).
  static const allot::ResourceCatalog catalog =
      allot::ResourceCatalog::Create({"nvidia.com/mig-1g"}).value();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  allot::Result<std::vector<allot::UsageRecord>> records = allot::ReadUsageCsv(text, catalog);
  if (!records.ok()) return 0;
  allot::Result<std::string> written = allot::WriteUsageCsv(*records, catalog);
  Expect(written.ok(), "records that read are written");
  allot::Result<std::vector<allot::UsageRecord>> again = allot::ReadUsageCsv(*written, catalog);
  Expect(again.ok(), "written records read back");
  Expect(*again == *records, "read(write(records)) == records");
  return 0;
}
