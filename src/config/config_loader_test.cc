// Configuration parsing: the embedded default, errors that point at the line,
// column and field, and the quantity parsers.
#include "config/config_loader.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "config/quantity.h"

namespace allot {
namespace {

// A valid configuration; tests replace one line to break it. Lines (1-based):
//  1 gpu_models:           5 pools:                 9     nodes:
//  2   - name: H100-80GB    6   - name: h100         10      - name: n0
//  3     memory: 80Gi       7     gpu_model: H100..  11        cpu: 64
//  4   - {name: T4, ..}     8     tier: reserved     12        memory: 512Gi
//                                                    13        gpus: 8
constexpr std::string_view kBase = R"(gpu_models:
  - name: H100-80GB
    memory: 80Gi
  - {name: T4, memory: 16Gi}
pools:
  - name: h100
    gpu_model: H100-80GB
    tier: reserved
    nodes:
      - name: n0
        cpu: 64
        memory: 512Gi
        gpus: 8
)";

// kBase with line `line` (1-based) replaced by `text` (which may hold several lines).
std::string WithLine(int line, std::string_view text) {
  std::string out;
  int number = 1;
  size_t start = 0;
  while (start < kBase.size()) {
    size_t end = kBase.find('\n', start);
    std::string_view current = kBase.substr(start, end - start);
    out += number == line ? std::string(text) : std::string(current);
    out += '\n';
    start = end + 1;
    ++number;
  }
  return out;
}

// The error message of parsing `yaml`, or "" when it parsed.
std::string ErrorOf(const std::string& yaml) {
  Result<Config> config = ParseConfig(yaml, "test.yaml");
  if (config.ok()) return "";
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  return config.status().message();
}

bool StartsWith(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// True when `error` reads "test.yaml:<line>:<column>: <field>..." (with
// `line` 0: any line).
bool HasPosition(const std::string& error, int line, std::string_view field) {
  size_t at = std::string_view("test.yaml:").size();
  if (!StartsWith(error, "test.yaml:")) return false;
  int numbers[2] = {0, 0};
  for (int& number : numbers) {
    size_t digits = at;
    while (at < error.size() && std::isdigit(static_cast<unsigned char>(error[at]))) {
      number = number * 10 + (error[at++] - '0');
    }
    if (at == digits || at >= error.size() || error[at++] != ':') return false;
  }
  return (line == 0 || numbers[0] == line) &&
         error.compare(at, field.size() + 1, " " + std::string(field)) == 0;
}

TEST(ConfigLoader, BaseParses) {
  Result<Config> config = ParseConfig(kBase, "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const Inventory& inventory = config->inventory;
  ASSERT_EQ(inventory.nodes.size(), 1u);
  EXPECT_EQ(inventory.nodes[0].capacity[kCpu], 64000);
  EXPECT_EQ(inventory.nodes[0].capacity[kMemory], 512 * 1024);
  EXPECT_EQ(inventory.nodes[0].capacity[kGpu], 8000);
  EXPECT_EQ(inventory.nodes[0].capacity[kGpuMemory], 8 * 80 * 1024);
  EXPECT_EQ(inventory.pools[0].tier, Tier::kReserved);
}

TEST(ConfigLoader, DefaultConfigParses) {
  Result<Config> config = ParseConfig(DefaultConfigYaml(), "<default>");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const Inventory& inventory = config->inventory;
  EXPECT_EQ(config->engine.placement.kind, PlacementKind::kBestFit);
  ASSERT_EQ(inventory.gpu_models.size(), 3u);
  EXPECT_EQ(inventory.gpu_models[1].name, "A100-40GB");
  EXPECT_EQ(inventory.gpu_models[1].memory_mib, 40 * 1024);
  ASSERT_EQ(inventory.pools.size(), 4u);
  EXPECT_EQ(inventory.pools[2].name, "l4-spot");
  EXPECT_EQ(inventory.pools[2].tier, Tier::kSpot);
  EXPECT_EQ(inventory.pools[3].gpu_model, -1);
  std::vector<std::string> names;
  for (const Node& node : inventory.nodes) names.push_back(node.name);
  EXPECT_EQ(names, (std::vector<std::string>{"h100-0", "h100-1", "a100-mig-0", "l4-0", "l4-1",
                                             "l4-2", "l4-3", "cpu-0", "cpu-1"}));
  const Node& h100 = inventory.nodes[0];
  EXPECT_EQ(h100.capacity[kCpu], 192'000);
  EXPECT_EQ(h100.capacity[kMemory], 2 * 1024 * 1024);
  EXPECT_EQ(h100.devices.size(), 8u);
  EXPECT_EQ(h100.labels, (Labels{{"interconnect", "nvlink"}, {"zone", "a"}}));
  EXPECT_EQ(inventory.nodes[2].devices[7].mode, DeviceMode::kMig);
  EXPECT_EQ(inventory.nodes[3].devices[0].mode, DeviceMode::kShared);
  EXPECT_EQ(inventory.nodes[8].devices.size(), 0u);
  EXPECT_TRUE(Engine::Create(config->inventory, config->engine).ok());
}

TEST(ConfigLoader, UnknownKeysAreNamedWithTheirPosition) {
  EXPECT_EQ(ErrorOf(WithLine(13, "        colour: red")),
            "test.yaml:13:9: pools[0].nodes[0].colour: unknown key");
  EXPECT_EQ(ErrorOf("placment: best_fit\n" + std::string(kBase)),
            "test.yaml:1:1: config.placment: unknown key");
  EXPECT_EQ(ErrorOf(WithLine(8, "    teir: reserved")),
            "test.yaml:8:5: pools[0].teir: unknown key");
}

TEST(ConfigLoader, WrongTypesAreNamedWithTheirPosition) {
  EXPECT_EQ(ErrorOf(WithLine(13, "        gpus: many")),
            "test.yaml:13:15: pools[0].nodes[0].gpus: must be a whole number >= 0");
  EXPECT_EQ(ErrorOf(WithLine(11, "        cpu: [1, 2]")),
            "test.yaml:11:14: pools[0].nodes[0].cpu: must be a scalar");
  EXPECT_EQ(ErrorOf(WithLine(13, "        labels: [a, b]")),
            "test.yaml:13:17: pools[0].nodes[0].labels: must be a mapping of label names to "
            "values");
  EXPECT_EQ(ErrorOf("pools:\n  - name: p\n    nodes: {a: b}\n"),
            "test.yaml:3:12: pools[0].nodes: must be a list");
  EXPECT_TRUE(StartsWith(ErrorOf("gpu_models: []\npools: 5\n"), "test.yaml:2:8: pools: "));
  EXPECT_EQ(ErrorOf(WithLine(13, "        gpus: 65")),
            "test.yaml:13:15: pools[0].nodes[0].gpus: must be at most 64");
  EXPECT_EQ(ErrorOf(WithLine(8, "    tier: gold")),
            "test.yaml:8:11: pools[0].tier: must be reserved, on_demand or spot");
}

TEST(ConfigLoader, BadQuantitiesAreNamedWithTheirPosition) {
  EXPECT_EQ(ErrorOf(WithLine(11, "        cpu: -4")),
            "test.yaml:11:14: pools[0].nodes[0].cpu: must be >= 0, got '-4'");
  EXPECT_EQ(ErrorOf(WithLine(12, "        memory: lots")),
            "test.yaml:12:17: pools[0].nodes[0].memory: must be a number of MiB or a whole "
            "number with one of the suffixes Mi, Gi, Ti (binary: 1Gi = 1024Mi; such as 512Gi), "
            "got 'lots'");
  EXPECT_EQ(ErrorOf(WithLine(11, "        cpu: 1.0001")),
            "test.yaml:11:14: pools[0].nodes[0].cpu: has more decimals than the unit allows, got "
            "'1.0001'");
  EXPECT_TRUE(StartsWith(ErrorOf(WithLine(3, "    memory: 9999999999Ti")),
                         "test.yaml:3:13: gpu_models[0].memory: is too large"));
}

TEST(ConfigLoader, UnknownGpuModelIsNamed) {
  EXPECT_EQ(ErrorOf(WithLine(7, "    gpu_model: B300")),
            "test.yaml:7:16: pools[0].gpu_model: unknown GPU model 'B300' (declare it under "
            "gpu_models:)");
}

TEST(ConfigLoader, NameAndNamePrefixTogetherAreRejected) {
  EXPECT_EQ(ErrorOf(WithLine(10, "      - name: n0\n        name_prefix: n-")),
            "test.yaml:10:9: pools[0].nodes[0]: needs exactly one of name or name_prefix");
  EXPECT_EQ(ErrorOf(WithLine(10, "      - count: 2")),
            "test.yaml:10:9: pools[0].nodes[0]: needs exactly one of name or name_prefix");
}

TEST(ConfigLoader, SyntaxErrorsCarryTheirPosition) {
  std::string error = ErrorOf(WithLine(11, "        cpu: [64"));
  EXPECT_TRUE(HasPosition(error, 11, "") || HasPosition(error, 12, "")) << error;
}

// Regression (fixed in ec91fe4, ParseConfig): errors found by Inventory::Validate
// were reported as "<source>: nodes[0]..." with neither line nor column, and
// with a field path ("nodes[1]") that does not match the file's structure
// ("pools[0].nodes[1]").
TEST(ConfigLoader, MigOnNonMigModelCarriesPosition) {
  std::string error = ErrorOf(WithLine(7, "    gpu_model: T4") + "        gpu_mode: mig\n");
  EXPECT_NE(error.find("T4"), std::string::npos) << error;
  ASSERT_TRUE(HasPosition(ErrorOf(WithLine(7, "    gpu_model: B300")), 7, "pools[0]."));
  EXPECT_TRUE(HasPosition(error, 0, "pools[0].nodes[0].")) << error;
}

TEST(ConfigLoader, DuplicateNodeNamesCarryPosition) {
  std::string error = ErrorOf(std::string(kBase) + "      - {name: n0, cpu: 8, memory: 8Gi}\n");
  EXPECT_NE(error.find("duplicate node 'n0'"), std::string::npos) << error;
  EXPECT_TRUE(HasPosition(error, 14, "pools[0].nodes[1]")) << error;
}

// Regression (fixed in ec91fe4, Reader::OnlyKeys and LabelMap): a mapping key that is
// not a scalar made yaml-cpp's as<std::string>() throw out of ParseConfig,
// which must report errors as a Status.
TEST(ConfigLoader, NonScalarKeyIsAnErrorNotAnException) {
  std::string yaml = "? [a, b]\n: 1\n" + std::string(kBase);
  Result<Config> config = Status(StatusCode::kInternal, "not run");
  EXPECT_NO_THROW(config = ParseConfig(yaml, "test.yaml"));
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  std::string labels = WithLine(13, "        labels: {[x]: y}");
  EXPECT_NO_THROW(config = ParseConfig(labels, "test.yaml"));
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
}

TEST(Quantity, ScaledDecimals) {
  EXPECT_EQ(ParseScaled("0.5", 1000, "cpu").value(), 500);
  EXPECT_EQ(ParseScaled("64", 1000, "cpu").value(), 64'000);
  EXPECT_EQ(ParseScaled("1.125", 1000, "cpu").value(), 1125);
  EXPECT_EQ(ParseScaled("2.", 1000, "cpu").value(), 2000);
  EXPECT_EQ(ParseScaled("4503599627370", 1000, "cpu").value(), 4'503'599'627'370'000);
  Result<int64_t> too_precise = ParseScaled("1.0001", 1000, "nodes[0].cpu");
  ASSERT_FALSE(too_precise.ok());
  EXPECT_EQ(too_precise.status().message(),
            "nodes[0].cpu: has more decimals than the unit allows, got '1.0001'");
  for (const char* bad : {"", ".", "-1", "1.2.3", "1e3", " 1", "0x10", "1,5", "+1"}) {
    Result<int64_t> value = ParseScaled(bad, 1000, "cpu");
    EXPECT_FALSE(value.ok()) << "'" << bad << "' parsed as " << value.value();
    if (!value.ok()) {
      EXPECT_TRUE(StartsWith(value.status().message(), "cpu: ")) << bad;
    }
  }
}

TEST(Quantity, OverflowIsRejected) {
  EXPECT_EQ(ParseScaled("4503599627370496", 1, "slots").value(), kMaxQuantity);
  EXPECT_FALSE(ParseScaled("4503599627370497", 1, "slots").ok());
  EXPECT_FALSE(ParseScaled("4503599627371", 1000, "cpu").ok());
  EXPECT_FALSE(ParseScaled("99999999999999999999", 1000, "cpu").ok());
  EXPECT_FALSE(ParseScaled("9223372036854775807", 1, "cpu").ok());
  EXPECT_EQ(ParseMemoryMib("4294967296Ti", "memory").value(), kMaxQuantity);  // 2^32 TiB
  EXPECT_FALSE(ParseMemoryMib("4294967297Ti", "memory").ok());
  EXPECT_FALSE(ParseMemoryMib("4398046511105Gi", "memory").ok());  // 2^52 + 1024 MiB
  EXPECT_EQ(ParseScaled("99999999999999999999", 1, "cpu").status().message(),
            "cpu: is too large, got '99999999999999999999'");
}

TEST(Quantity, MemoryUnits) {
  EXPECT_EQ(ParseMemoryMib("512Gi", "memory").value(), 524'288);
  EXPECT_EQ(ParseMemoryMib("2Ti", "memory").value(), 2'097'152);
  EXPECT_EQ(ParseMemoryMib("1024Mi", "memory").value(), 1024);
  EXPECT_EQ(ParseMemoryMib("300", "memory").value(), 300);
  EXPECT_EQ(ParseMemoryMib("4096Ti", "memory").value(), int64_t{4096} << 20);
  for (const char* bad : {"Gi", "lots", "512gi", "512GB", "-1Gi", "1.5Gi", "Gi512", ""}) {
    EXPECT_FALSE(ParseMemoryMib(bad, "memory").ok()) << bad;
  }
}

TEST(Quantity, Duration) {
  EXPECT_EQ(ParseDuration("90", "d").value(), Seconds(90));
  EXPECT_EQ(ParseDuration("90s", "d").value(), Seconds(90));
  EXPECT_EQ(ParseDuration("30m", "d").value(), Seconds(1800));
  EXPECT_EQ(ParseDuration("6h", "d").value(), Seconds(6 * 3600));
  EXPECT_EQ(ParseDuration("3d", "d").value(), Seconds(3 * 86400));
  EXPECT_EQ(ParseDuration("2w", "d").value(), Seconds(14 * 86400));
  // One form everywhere: decimals, and milli- and microseconds.
  EXPECT_EQ(ParseDuration("250ms", "d").value(), 250'000);
  EXPECT_EQ(ParseDuration("10m", "d").value(), Seconds(600));
  EXPECT_EQ(ParseDuration("1d", "d").value(), Seconds(86400));
  EXPECT_EQ(ParseDuration("1.5h", "d").value(), Seconds(5400));
  EXPECT_EQ(ParseDuration("0.25", "d").value(), 250'000);
  EXPECT_EQ(ParseDuration("0.000001", "d").value(), 1);
  EXPECT_EQ(ParseDuration("15us", "d").value(), 15);
  EXPECT_EQ(ParseDuration("3660d", "d").value(), Seconds(int64_t{3660} * 86400));
  for (const char* bad : {"", "h", "ms", "-1h", "6 h", "6x", "99999w", "3661d", "0.5us",
                          "1.0000001", "1.2.3s", "1hm", "5M", "1 s"}) {
    Result<Duration> parsed = ParseDuration(bad, "window");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().message(),
              "window: '" + std::string(bad) +
                  "' is not a duration such as 250ms, 30s, 10m, 6h, 1d or 2w (a number with one of "
                  "the units us, ms, s, m, h, d, w; a plain number is seconds; at most ten years)");
  }
}

TEST(Quantity, MemoryErrorsNameTheAcceptedSuffixes) {
  for (const char* bad : {"12 GB", "512gi", "lots", "Gi", "12GiB", "1e3", ""}) {
    Result<int64_t> parsed = ParseMemoryMib(bad, "memory");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().message(),
              "memory: must be a number of MiB or a whole number with one of the suffixes Mi, Gi, "
              "Ti (binary: 1Gi = 1024Mi; such as 512Gi), got '" +
                  std::string(bad) + "'");
  }
  EXPECT_EQ(ParseMemoryMib("-1Gi", "memory").status().message(), "memory: must be >= 0, got '-1'");
  EXPECT_EQ(ParseMemoryMib("1.5Gi", "memory").status().message(),
            "memory: has more decimals than the unit allows, got '1.5'");
}

}  // namespace
}  // namespace allot
