// The lease request body of POST /v1/leases (store/request_json.cc) and the
// usage report of a release: any bytes are parsed as JSON, then decoded.
// Invariants: what decodes re-encodes to JSON that decodes to the same
// request; the text writer (WriteRequestJson) writes what dump() writes; the
// encoded form dumps without throwing.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.h"
#include "store/codec.h"
#include "store/json_writer.h"

namespace allot::fuzz {
namespace {

using nlohmann::json;

void CheckRequest(const json& body, const ResourceCatalog& catalog) {
  static constexpr std::string_view kExtra[] = {"wait"};
  Result<Request> request = RequestFromJson(body, catalog, kExtra);
  if (!request.ok()) {
    Expect(!request.status().message().empty(), "a refused request says why");
    return;
  }
  json encoded = RequestToJson(*request, catalog);
  std::string text = encoded.dump();
  std::string written;
  store::JsonWriter writer(&written);
  WriteRequestJson(writer, *request, catalog);
  Expect(written == text, "WriteRequestJson writes what RequestToJson(...).dump() writes");
  Result<Request> again = RequestFromJson(json::parse(text), catalog);
  Expect(again.ok(), "an encoded request decodes");
  Expect(*again == *request, "decode(encode(request)) == request");
}

void CheckUsage(const json& body) {
  Result<UsageReport> usage = UsageReportFromJson(body, "usage");
  if (!usage.ok()) return;
  json encoded = UsageReportToJson(*usage);
  Result<UsageReport> again = UsageReportFromJson(json::parse(encoded.dump()), "usage");
  Expect(again.ok(), "an encoded usage report decodes");
  Expect(UsageReportToJson(*again) == encoded, "usage report round trip");
}

}  // namespace
}  // namespace allot::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using allot::fuzz::DefaultConfig;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  nlohmann::json body = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return 0;
  allot::fuzz::CheckRequest(body, DefaultConfig().inventory.resources);
  allot::fuzz::CheckUsage(body);
  return 0;
}
