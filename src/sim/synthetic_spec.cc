// The YAML form of a synthetic workload spec (docs/sim-traces.md,
// "Synthetic"), read with the configuration's YAML walker so that errors read
// alike: "<file>:<line>:<column>: tenants[0].sizes[1].gpu: why".
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "config/quantity.h"
#include "config/yaml_reader.h"
#include "sim/synthetic_workload.h"

namespace allot {
namespace {

using config_internal::Reader;

constexpr int64_t kMaxSyntheticMembers = 4096;

Result<int64_t> ParseGpus(std::string_view text, std::string_view field) {
  return ParseScaled(text, 1000, field);
}

// A finite real number >= 0 (rates, weights, factors); `fallback` when absent.
double Real(Reader& reader, const YAML::Node& node, const std::string& path, double fallback) {
  if (!node) return fallback;
  std::string text = reader.Scalar(node, path);
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty() ||
      !std::isfinite(value) || value < 0) {
    reader.Fail(node, path, "must be a number >= 0");
    return fallback;
  }
  return value;
}

// A duration ("90s", "30m", "4h"); 0 when absent and not required.
Duration RequiredDuration(Reader& reader, const YAML::Node& map, const std::string& key,
                          const std::string& field) {
  if (!map[key]) {
    reader.Fail(map, field + "." + key, "is required");
    return 0;
  }
  Duration value = reader.Parsed(map, key, field, ParseDuration);
  if (reader.ok() && value <= 0) reader.Fail(map[key], field + "." + key, "must be > 0");
  return value;
}

// Reads parent[key]; a missing key is reported at the parent (a missing
// node has no position).
void ReadArrivals(Reader& reader, const YAML::Node& parent, const std::string& parent_path,
                  ArrivalProcess* process) {
  const YAML::Node node = parent["arrivals"];
  std::string path = parent_path + ".arrivals";
  if (!node) return reader.Fail(parent, path, "is required");
  reader.OnlyKeys(node, path,
                  {"process", "rate_per_hour", "base_rate_per_hour", "burst_length", "gap"});
  if (!reader.ok()) return;
  std::string kind = reader.String(node, "process", path, true);
  if (kind == "bursty") {
    process->kind = ArrivalProcess::Kind::kBursty;
    process->burst_length = RequiredDuration(reader, node, "burst_length", path);
    process->gap = RequiredDuration(reader, node, "gap", path);
    process->base_rate_per_hour =
        Real(reader, node["base_rate_per_hour"], path + ".base_rate_per_hour", 0);
  } else if (kind == "poisson") {
    for (const char* key : {"burst_length", "gap", "base_rate_per_hour"}) {
      if (node[key]) reader.Fail(node[key], path + "." + key, "is for process: bursty only");
    }
  } else if (reader.ok()) {
    return reader.Fail(node["process"], path + ".process", "must be poisson or bursty");
  }
  if (!node["rate_per_hour"]) return reader.Fail(node, path + ".rate_per_hour", "is required");
  process->rate_per_hour = Real(reader, node["rate_per_hour"], path + ".rate_per_hour", 0);
  if (reader.ok() && !(process->rate_per_hour > 0)) {
    reader.Fail(node["rate_per_hour"], path + ".rate_per_hour", "must be > 0");
  }
}

void ReadDuration(Reader& reader, const YAML::Node& parent, const std::string& parent_path,
                  DurationDistribution* duration) {
  const YAML::Node node = parent["duration"];
  std::string path = parent_path + ".duration";
  if (!node) return reader.Fail(parent, path, "is required");
  reader.OnlyKeys(node, path, {"distribution", "mean", "median", "sigma"});
  if (!reader.ok()) return;
  std::string kind = reader.String(node, "distribution", path, true);
  if (kind == "exponential") {
    duration->kind = DurationDistribution::Kind::kExponential;
    duration->mean = RequiredDuration(reader, node, "mean", path);
    for (const char* key : {"median", "sigma"}) {
      if (node[key]) reader.Fail(node[key], path + "." + key, "is for lognormal only");
    }
  } else if (kind == "lognormal") {
    duration->kind = DurationDistribution::Kind::kLognormal;
    duration->median = RequiredDuration(reader, node, "median", path);
    if (!node["sigma"]) return reader.Fail(node, path + ".sigma", "is required");
    duration->sigma = Real(reader, node["sigma"], path + ".sigma", 0);
    if (reader.ok() && duration->sigma > 10) {
      reader.Fail(node["sigma"], path + ".sigma", "must be at most 10");
    }
    if (node["mean"]) reader.Fail(node["mean"], path + ".mean", "is for exponential only");
  } else if (reader.ok()) {
    reader.Fail(node["distribution"], path + ".distribution", "must be exponential or lognormal");
  }
}

void ReadSizes(Reader& reader, const YAML::Node& parent, const std::string& parent_path,
               std::vector<SyntheticSize>* sizes) {
  const YAML::Node list = parent["sizes"];
  std::string field = parent_path + ".sizes";
  if (!list || !list.IsSequence() || list.size() == 0) {
    return reader.Fail(list ? list : parent, field, "must be a list of at least one size");
  }
  for (size_t i = 0; i < list.size() && reader.ok(); ++i) {
    const YAML::Node entry = list[i];
    std::string path = fmt::format("{}[{}]", field, i);
    reader.OnlyKeys(entry, path, {"gpu", "members", "weight", "duration"});
    if (!reader.ok()) return;
    SyntheticSize size;
    size.gpu_milli = reader.Parsed(entry, "gpu", path, ParseGpus);
    if (reader.ok() && size.gpu_milli > 1000 && size.gpu_milli % 1000 != 0) {
      return reader.Fail(entry["gpu"], path + ".gpu",
                         "must be a fraction of one GPU (below 1) or whole GPUs");
    }
    size.members = reader.Integer(entry, "members", path, 1, kMaxSyntheticMembers);
    if (reader.ok() && size.members < 1) {
      return reader.Fail(entry["members"], path + ".members", "must be >= 1");
    }
    size.weight = Real(reader, entry["weight"], path + ".weight", 1);
    ReadDuration(reader, entry, path, &size.duration);
    sizes->push_back(size);
  }
}

void ReadTenant(Reader& reader, const YAML::Node& entry, const std::string& path,
                SyntheticTenant* tenant) {
  reader.OnlyKeys(entry, path, {"name", "arrivals", "classes", "sizes", "estimate_error"});
  if (!reader.ok()) return;
  tenant->name = reader.String(entry, "name", path, true);
  if (reader.ok() && tenant->name.empty()) {
    return reader.Fail(entry["name"], path + ".name", "must not be empty");
  }
  ReadArrivals(reader, entry, path, &tenant->arrivals);
  if (const YAML::Node classes = entry["classes"]) {
    if (!classes.IsMap()) {
      return reader.Fail(classes, path + ".classes", "must map class names to weights");
    }
    for (const auto& item : classes) {
      std::string name = reader.Scalar(item.first, path + ".classes");
      double weight = Real(reader, item.second, path + ".classes." + name, 0);
      tenant->classes.emplace_back(name, weight);
    }
  }
  ReadSizes(reader, entry, path, &tenant->sizes);
  if (const YAML::Node error = entry["estimate_error"]) {
    std::string field = path + ".estimate_error";
    if (error.IsMap()) {
      reader.OnlyKeys(error, field, {"min", "max"});
      if (!error["min"] || !error["max"]) return reader.Fail(error, field, "needs min and max");
      tenant->estimate_factor_min = Real(reader, error["min"], field + ".min", 0);
      tenant->estimate_factor_max = Real(reader, error["max"], field + ".max", 0);
    } else {
      tenant->estimate_factor_min = tenant->estimate_factor_max = Real(reader, error, field, 0);
    }
    if (reader.ok() && !(tenant->estimate_factor_max >= tenant->estimate_factor_min &&
                         tenant->estimate_factor_max > 0)) {
      reader.Fail(error, field, "factors must be > 0 with min <= max");
    }
  }
}

Result<SyntheticSpec> ParseTree(const YAML::Node& root, const std::string& file) {
  Reader reader(file);
  reader.OnlyKeys(root, "spec", {"horizon", "jobs", "tenants"});
  if (!reader.ok()) return reader.error();
  SyntheticSpec spec;
  if (root["horizon"]) spec.horizon = RequiredDuration(reader, root, "horizon", "spec");
  spec.jobs = reader.Integer(root, "jobs", "spec", 0, kMaxSyntheticJobs);
  if (reader.ok() && spec.horizon == 0 && spec.jobs == 0) {
    reader.Fail(root, "spec", "needs horizon (e.g. 24h) or jobs (a count > 0)");
  }
  const YAML::Node tenants = root["tenants"];
  if (reader.ok() && (!tenants || !tenants.IsSequence() || tenants.size() == 0)) {
    reader.Fail(tenants ? tenants : root, "spec.tenants", "must be a list of at least one tenant");
  }
  std::set<std::string> names;
  for (size_t i = 0; reader.ok() && i < tenants.size(); ++i) {
    SyntheticTenant tenant;
    std::string path = fmt::format("tenants[{}]", i);
    ReadTenant(reader, tenants[i], path, &tenant);
    if (reader.ok() && !names.insert(tenant.name).second) {
      reader.Fail(tenants[i]["name"], path + ".name", "duplicate tenant '" + tenant.name + "'");
    }
    spec.tenants.push_back(std::move(tenant));
  }
  if (!reader.ok()) return reader.error();
  return spec;
}

}  // namespace

Result<SyntheticSpec> ParseSyntheticSpec(std::string_view yaml, const std::string& file) {
  // yaml-cpp throws on syntax errors; they become InvalidArgument here.
  try {
    return ParseTree(YAML::Load(std::string(yaml)), file);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(
        fmt::format("{}:{}:{}: {}", file, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
}

Result<SyntheticSpec> LoadSyntheticSpec(const std::string& path) {
  std::ifstream file(path);
  if (!file) return NotFound(path + ": cannot open the synthetic spec");
  std::stringstream text;
  text << file.rdbuf();
  return ParseSyntheticSpec(text.str(), path);
}

}  // namespace allot
