// Lease requests and usage reports in the API's JSON shape (docs/api.md).
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "store/codec.h"
#include "store/json_fields.h"
#include "store/json_writer.h"

namespace allot {
namespace {

using nlohmann::json;
using store::ObjectReader;

constexpr int64_t kMaxMembers = 10000;
constexpr int64_t kMaxTokens = 1'000'000'000;
constexpr size_t kMaxGpuModels = 64;

// "owner" is the API key that asked: journaled, and overwritten by the
// server whatever a caller's body says.
constexpr std::array<std::string_view, 16> kRequestFields = {
    "tenant", "class",         "members",           "resources", "mig_profile", "gpu_models",
    "pool",   "node_selector", "estimate",          "ttl",       "labels",      "idempotency_key",
    "model",  "input_tokens",  "max_output_tokens", "owner"};

// Per resource: how its amount is written. gpu and cpu are decimals of a
// unit (GPUs, cores) held in thousandths; memory kinds are MiB; the rest
// (slots and custom resources) plain counts.
int64_t ScaleOf(int index) { return index == kGpu || index == kCpu ? 1000 : 1; }

Result<int64_t> ReadResource(int index, const json& value, const std::string& field) {
  switch (index) {
    case kGpu:
    case kCpu:
      return store::ReadScaled(value, 1000, field);
    case kGpuMemory:
    case kMemory:
      return store::ReadMemoryMib(value, field);
    default:
      return store::ReadCount(value, field);
  }
}

Status ReadResources(const json& value, const ResourceCatalog& catalog, ResourceVector* out) {
  std::vector<std::string_view> names;
  for (int r = 0; r < catalog.size(); ++r) names.push_back(catalog.Name(r));
  Result<ObjectReader> object = ObjectReader::Open(value, "resources", names);
  if (!object.ok()) return object.status();
  for (int r = 0; r < catalog.size(); ++r) {
    const json* amount = object->Find(catalog.Name(r));
    if (amount == nullptr) continue;
    Result<int64_t> read = ReadResource(r, *amount, object->Field(catalog.Name(r)));
    if (!read.ok()) return read.status();
    (*out)[r] = *read;
  }
  return Status::Ok();
}

Status ReadGpuModels(const json& value, std::vector<std::string>* out) {
  if (!value.is_array()) return InvalidArgument("gpu_models: must be an array of strings");
  if (value.size() > kMaxGpuModels) {
    return InvalidArgument(fmt::format("gpu_models: at most {} models", kMaxGpuModels));
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const json& name = value[i];
    if (!name.is_string() || name.get_ref<const std::string&>().size() > store::kMaxStringBytes) {
      return InvalidArgument(fmt::format("gpu_models[{}]: must be a string of at most {} bytes", i,
                                         store::kMaxStringBytes));
    }
    out->push_back(name.get<std::string>());
  }
  return Status::Ok();
}

Status ReadDurationField(const ObjectReader& object, std::string_view key, Duration* out) {
  const json* value = object.Find(key);
  if (value == nullptr) return Status::Ok();
  Result<Duration> read = store::ReadDuration(*value, object.Field(key));
  if (!read.ok()) return read.status();
  *out = *read;
  return Status::Ok();
}

Status ReadLabelsField(const ObjectReader& object, std::string_view key, Labels* out) {
  const json* value = object.Find(key);
  if (value == nullptr) return Status::Ok();
  Result<Labels> read = store::ReadLabels(*value, object.Field(key));
  if (!read.ok()) return read.status();
  *out = std::move(read).value();
  return Status::Ok();
}

}  // namespace

Result<Request> RequestFromJson(const json& body, const ResourceCatalog& resources,
                                std::span<const std::string_view> extra_allowed) {
  Result<ObjectReader> opened = ObjectReader::Open(body, "", kRequestFields, extra_allowed);
  if (!opened.ok()) return opened.status();
  const ObjectReader& object = *opened;
  Request request;
  constexpr size_t kMax = store::kMaxStringBytes;
  ALLOT_RETURN_IF_ERROR(object.String("tenant", kMax, &request.tenant));
  ALLOT_RETURN_IF_ERROR(object.String("class", kMax, &request.priority_class));
  ALLOT_RETURN_IF_ERROR(object.Int("members", 1, kMaxMembers, &request.members));
  if (const json* value = object.Find("resources")) {
    ALLOT_RETURN_IF_ERROR(ReadResources(*value, resources, &request.member.resources));
  }
  ALLOT_RETURN_IF_ERROR(object.String("mig_profile", kMax, &request.member.mig_profile));
  if (const json* value = object.Find("gpu_models")) {
    ALLOT_RETURN_IF_ERROR(ReadGpuModels(*value, &request.gpu_models));
  }
  ALLOT_RETURN_IF_ERROR(object.String("pool", kMax, &request.pool));
  ALLOT_RETURN_IF_ERROR(ReadLabelsField(object, "node_selector", &request.node_selector));
  ALLOT_RETURN_IF_ERROR(ReadDurationField(object, "estimate", &request.estimate));
  ALLOT_RETURN_IF_ERROR(ReadDurationField(object, "ttl", &request.ttl));
  ALLOT_RETURN_IF_ERROR(ReadLabelsField(object, "labels", &request.labels));
  ALLOT_RETURN_IF_ERROR(object.String("idempotency_key", kMax, &request.idempotency_key));
  ALLOT_RETURN_IF_ERROR(object.String("owner", kMax, &request.owner));
  ALLOT_RETURN_IF_ERROR(object.String("model", kMax, &request.model));
  ALLOT_RETURN_IF_ERROR(object.Int("input_tokens", 0, kMaxTokens, &request.input_tokens));
  ALLOT_RETURN_IF_ERROR(object.Int("max_output_tokens", 0, kMaxTokens, &request.max_output_tokens));
  return request;
}

void WriteRequestJson(store::JsonWriter& writer, const Request& request,
                      const ResourceCatalog& resources) {
  // Canonical: fields at their defaults are left out (RequestFromJson gives
  // them back), so a journaled request stays short. Keys in ascending order
  // (store::JsonWriter), as the nlohmann object this used to be printed.
  auto put_string = [&](std::string_view key, const std::string& value) {
    if (!value.empty()) writer.Field(key, value);
  };
  auto put_duration = [&](std::string_view key, Duration value) {
    if (value == 0) return;
    writer.Key(key);
    writer.Raw(store::Dump(store::DurationToJson(value)));
  };
  writer.BeginObject();
  put_string("class", request.priority_class);
  put_duration("estimate", request.estimate);
  if (!request.gpu_models.empty()) {
    writer.Key("gpu_models");
    writer.BeginArray();
    for (const std::string& model : request.gpu_models) writer.String(model);
    writer.EndArray();
  }
  put_string("idempotency_key", request.idempotency_key);
  if (request.input_tokens != 0) writer.Field("input_tokens", request.input_tokens);
  if (!request.labels.empty()) {
    writer.Key("labels");
    store::WriteLabels(writer, request.labels);
  }
  if (request.max_output_tokens != 0) {
    writer.Field("max_output_tokens", request.max_output_tokens);
  }
  if (request.members != 1) writer.Field("members", request.members);
  put_string("mig_profile", request.member.mig_profile);
  put_string("model", request.model);
  if (!request.node_selector.empty()) {
    writer.Key("node_selector");
    store::WriteLabels(writer, request.node_selector);
  }
  put_string("owner", request.owner);
  put_string("pool", request.pool);
  // Resources past the catalog have no name to be written under; the engine
  // refuses a request that asks for one, so none is ever journaled.
  std::array<std::pair<std::string_view, int>, kMaxResources> amounts;
  size_t count = 0;
  for (int r = 0; r < resources.size() && count < amounts.size(); ++r) {
    if (request.member.resources[r] != 0) amounts[count++] = {resources.Name(r), r};
  }
  if (count > 0) {
    std::sort(amounts.begin(), amounts.begin() + static_cast<ptrdiff_t>(count));
    writer.Key("resources");
    writer.BeginObject();
    for (size_t i = 0; i < count; ++i) {
      int r = amounts[i].second;
      int64_t amount = request.member.resources[r];
      writer.Key(amounts[i].first);
      if (amount % ScaleOf(r) == 0) {
        writer.Int(amount / ScaleOf(r));
      } else {
        writer.Raw(store::Dump(store::ScaledToJson(amount, ScaleOf(r))));
      }
    }
    writer.EndObject();
  }
  put_string("tenant", request.tenant);
  put_duration("ttl", request.ttl);
  writer.EndObject();
}

json RequestToJson(const Request& request, const ResourceCatalog& resources) {
  std::string text;
  store::JsonWriter writer(&text);
  WriteRequestJson(writer, request, resources);
  return json::parse(text);
}

Result<UsageReport> UsageReportFromJson(const json& body, std::string_view field) {
  static constexpr std::array<std::string_view, 5> kFields = {
      "input_tokens", "cached_input_tokens", "output_tokens", "latency_us", "ttft_us"};
  Result<ObjectReader> opened = ObjectReader::Open(body, std::string(field), kFields);
  if (!opened.ok()) return opened.status();
  const ObjectReader& object = *opened;
  UsageReport usage;
  ALLOT_RETURN_IF_ERROR(object.Int("input_tokens", 0, kMaxTokens, &usage.tokens.input));
  ALLOT_RETURN_IF_ERROR(
      object.Int("cached_input_tokens", 0, kMaxTokens, &usage.tokens.cached_input));
  ALLOT_RETURN_IF_ERROR(object.Int("output_tokens", 0, kMaxTokens, &usage.tokens.output));
  // A gateway call's measures, microseconds (at most a year).
  constexpr int64_t kMaxMeasure = int64_t{366} * 86400 * kMicrosPerSecond;
  ALLOT_RETURN_IF_ERROR(object.Int("latency_us", 0, kMaxMeasure, &usage.latency));
  ALLOT_RETURN_IF_ERROR(object.Int("ttft_us", 0, kMaxMeasure, &usage.time_to_first_token));
  if (usage.tokens.cached_input > usage.tokens.input) {
    return InvalidArgument(object.Field("cached_input_tokens") +
                           ": must be <= input_tokens (cached tokens are part of the input)");
  }
  return usage;
}

json UsageReportToJson(const UsageReport& usage) {
  json out = {{"input_tokens", usage.tokens.input},
              {"cached_input_tokens", usage.tokens.cached_input},
              {"output_tokens", usage.tokens.output}};
  if (usage.latency > 0) out["latency_us"] = usage.latency;
  if (usage.time_to_first_token > 0) out["ttft_us"] = usage.time_to_first_token;
  return out;
}

}  // namespace allot
