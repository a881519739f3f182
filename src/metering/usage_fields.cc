#include "metering/usage_fields.h"

#include <fmt/format.h>

#include <charconv>
#include <limits>
#include <tuple>

namespace allot {
namespace {

std::string Bool(bool value) { return value ? "true" : "false"; }

// A whole number >= 0 (an int64 or, for the lease, a uint64).
template <typename T>
Result<T> ParseCount(std::string_view text, std::string_view field, std::string_view where) {
  T value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!text.empty() && text.front() == '-') {
    return InvalidArgument(fmt::format("{}: {}: '{}' is negative", where, field, text));
  }
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return InvalidArgument(fmt::format("{}: {}: '{}' is not a whole number (at most {})", where,
                                       field, text, std::numeric_limits<T>::max()));
  }
  return value;
}

}  // namespace

std::vector<UsageField> UsageFields(const ResourceCatalog& catalog) {
  using enum UsageFieldId;
  std::vector<UsageField> fields = {{kLease, "lease"},
                                    {kStart, "start"},
                                    {kEnd, "end"},
                                    {kStartUs, "start_us"},
                                    {kEndUs, "end_us"},
                                    {kTenantPath, "tenant_path"},
                                    {kPriorityClass, "priority_class"},
                                    {kPool, "pool"},
                                    {kLocation, "location"},
                                    {kModel, "model"},
                                    {kLabels, "labels"}};
  for (int r = 0; r < catalog.size(); ++r) {
    fields.push_back({kResourceMs, std::string(catalog.Name(r)) + "_ms", r});
  }
  fields.insert(fields.end(), {{kTokensInput, "tokens_input"},
                               {kTokensCachedInput, "tokens_cached_input"},
                               {kTokensOutput, "tokens_output"},
                               {kTokensEstimated, "tokens_estimated"},
                               {kLatencyUs, "latency_us", -1, true},
                               {kTtftUs, "ttft_us", -1, true},
                               {kCost, "cost"},
                               {kEndReason, "end_reason"},
                               {kOverrun, "overrun"}});
  return fields;
}

UsageFieldType TypeOf(UsageFieldId id) {
  using enum UsageFieldId;
  switch (id) {
    case kLease:
    case kStartUs:
    case kEndUs:
    case kResourceMs:
    case kTokensInput:
    case kTokensCachedInput:
    case kTokensOutput:
    case kLatencyUs:
    case kTtftUs:
      return UsageFieldType::kInteger;
    case kTokensEstimated:
    case kOverrun:
      return UsageFieldType::kBoolean;
    case kLabels:
      return UsageFieldType::kObject;
    default:
      return UsageFieldType::kString;
  }
}

std::string FieldText(const UsageRecord& r, const UsageField& field) {
  using enum UsageFieldId;
  switch (field.id) {
    case kLease:
      return std::to_string(r.lease.value);
    case kStart:
      return UtcText(r.start);
    case kEnd:
      return UtcText(r.end);
    case kStartUs:
      return std::to_string(r.start);
    case kEndUs:
      return std::to_string(r.end);
    case kTenantPath:
      return r.tenant_path;
    case kPriorityClass:
      return r.priority_class;
    case kPool:
      return r.pool;
    case kLocation:
      return r.location;
    case kModel:
      return r.model;
    case kLabels:
      return LabelsToJson(r.labels);
    case kResourceMs:
      return std::to_string(r.resource_ms[static_cast<size_t>(field.resource)]);
    case kTokensInput:
      return std::to_string(r.tokens.input);
    case kTokensCachedInput:
      return std::to_string(r.tokens.cached_input);
    case kTokensOutput:
      return std::to_string(r.tokens.output);
    case kTokensEstimated:
      return Bool(r.tokens_estimated);
    case kLatencyUs:
      return std::to_string(r.latency);
    case kTtftUs:
      return std::to_string(r.time_to_first_token);
    case kCost:
      return FormatMoney(r.cost);
    case kEndReason:
      return r.end_reason;
    case kOverrun:
      return Bool(r.overrun);
  }
  return "";
}

Status SetField(UsageRecord& r, const UsageField& field, std::string_view text,
                std::string_view where) {
  using enum UsageFieldId;
  auto count = [&](int64_t& out) -> Status {
    Result<int64_t> value = ParseCount<int64_t>(text, field.name, where);
    if (!value.ok()) return value.status();
    out = *value;
    return Status::Ok();
  };
  auto boolean = [&](bool& out) -> Status {
    if (text != "true" && text != "false") {
      return InvalidArgument(
          fmt::format("{}: {}: '{}' is not true or false", where, field.name, text));
    }
    out = text == "true";
    return Status::Ok();
  };
  switch (field.id) {
    case kLease: {
      Result<uint64_t> id = ParseCount<uint64_t>(text, field.name, where);
      if (!id.ok()) return id.status();
      r.lease = LeaseId{*id};
      return Status::Ok();
    }
    case kStart:
    case kEnd:
      return Status::Ok();  // checked against start_us / end_us later
    case kStartUs:
      return count(r.start);
    case kEndUs:
      return count(r.end);
    case kTenantPath:
      r.tenant_path = text;
      return Status::Ok();
    case kPriorityClass:
      r.priority_class = text;
      return Status::Ok();
    case kPool:
      r.pool = text;
      return Status::Ok();
    case kLocation:
      r.location = text;
      return Status::Ok();
    case kModel:
      r.model = text;
      return Status::Ok();
    case kLabels: {
      Result<Labels> labels = LabelsFromJson(text, fmt::format("{}: labels", where));
      if (!labels.ok()) return labels.status();
      r.labels = std::move(labels).value();
      return Status::Ok();
    }
    case kResourceMs:
      return count(r.resource_ms[static_cast<size_t>(field.resource)]);
    case kTokensInput:
      return count(r.tokens.input);
    case kTokensCachedInput:
      return count(r.tokens.cached_input);
    case kTokensOutput:
      return count(r.tokens.output);
    case kTokensEstimated:
      return boolean(r.tokens_estimated);
    case kLatencyUs:
      return count(r.latency);
    case kTtftUs:
      return count(r.time_to_first_token);
    case kCost: {
      Result<Money> cost = ParseMoney(text, fmt::format("{}: cost", where));
      if (!cost.ok()) return cost.status();
      r.cost = *cost;
      return Status::Ok();
    }
    case kEndReason:
      r.end_reason = text;
      return Status::Ok();
    case kOverrun:
      return boolean(r.overrun);
  }
  return Status::Ok();
}

Status CheckUsageRecord(const UsageRecord& record, std::string_view start_text,
                        std::string_view end_text, const ResourceCatalog& catalog,
                        std::string_view where) {
  Status valid = ValidateUsageRecord(record, catalog);
  if (!valid.ok()) return InvalidArgument(fmt::format("{}: {}", where, valid.message()));
  for (auto [name, text, micros] :
       {std::tuple("start", start_text, record.start), std::tuple("end", end_text, record.end)}) {
    std::string expected = UtcText(micros);
    if (text != expected) {
      return InvalidArgument(fmt::format("{}: {}: '{}' does not match {}_us {} ('{}')", where, name,
                                         text, name, micros, expected));
    }
  }
  return Status::Ok();
}

Status ValidateUsageRecord(const UsageRecord& r, const ResourceCatalog& catalog) {
  if (!r.lease.valid()) return InvalidArgument("lease: must be > 0");
  if (r.start < 0 || r.start > kMaxExportTime) {
    return InvalidArgument(fmt::format("start_us: {} is not within 1970..9999", r.start));
  }
  if (r.end < r.start || r.end > kMaxExportTime) {
    return InvalidArgument(
        fmt::format("end_us: {} is before start_us ({}) or after 9999", r.end, r.start));
  }
  for (int i = 0; i < kMaxResources; ++i) {
    int64_t amount = r.resource_ms[static_cast<size_t>(i)];
    if (i < catalog.size() && amount < 0) {
      return InvalidArgument(fmt::format("{}_ms: {} is negative", catalog.Name(i), amount));
    }
    if (i >= catalog.size() && amount != 0) {
      return InvalidArgument(
          fmt::format("resource_ms[{}]: {} for a resource the catalog does not name", i, amount));
    }
  }
  const TokenCounts& tokens = r.tokens;
  if (tokens.input < 0) return InvalidArgument(fmt::format("tokens_input: {} < 0", tokens.input));
  if (tokens.output < 0) {
    return InvalidArgument(fmt::format("tokens_output: {} < 0", tokens.output));
  }
  if (tokens.cached_input < 0 || tokens.cached_input > tokens.input) {
    return InvalidArgument(fmt::format("tokens_cached_input: {} is not within 0..tokens_input ({})",
                                       tokens.cached_input, tokens.input));
  }
  if (r.cost < 0) return InvalidArgument(fmt::format("cost: {} is negative", FormatMoney(r.cost)));
  // ParseMoney reads at most 12 integer digits.
  if (r.cost > kMaxExportMoney) {
    return InvalidArgument(fmt::format("cost: {} is more than 12 digits", FormatMoney(r.cost)));
  }
  if (r.end_reason.empty()) return InvalidArgument("end_reason: must not be empty");
  for (size_t i = 0; i < r.labels.size(); ++i) {
    if (r.labels[i].first.empty()) return InvalidArgument("labels: a key is empty");
    if (i > 0 && r.labels[i - 1].first >= r.labels[i].first) {
      return InvalidArgument(
          fmt::format("labels: key '{}' is duplicate or out of order", r.labels[i].first));
    }
  }
  return Status::Ok();
}

}  // namespace allot
