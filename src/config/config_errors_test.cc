// Every configuration error carries its position: "FILE:line:column: field:
// why". Valid configurations are mutated in many small ways (the edits a
// hand or a tool makes by mistake) and every error is checked for the prefix.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "config/config_loader.h"

namespace allot {
namespace {

// Block style, with server, keys, webhooks and a gateway.
constexpr std::string_view kBlockConfig = R"(placement: best_fit
gpu_models:
  - name: H100-80GB
    memory: 80Gi
pools:
  - name: gpu
    gpu_model: H100-80GB
    tier: on_demand
    nodes:
      - name_prefix: gpu-
        count: 2
        cpu: 64
        memory: 512Gi
        gpus: 4
        gpu_mode: whole
        labels:
          zone: a
classes:
  - name: default
    value: 100
  - name: batch
    value: 0
    throttle_at: 80
tenants:
  - name: org
  - name: team-a
    parent: org
    quota:
      gpu:
        guaranteed: 2
        limit: 4
currency: USD
prices:
  pools:
    gpu:
      gpu: "3.60"
      cpu: "0"
      memory: "0"
  models:
    mock-1:
      input: "0.50"
      output: "1.50"
budgets:
  - name: org-daily
    tenant: org
    money: "10"
    period: daily
    thresholds: [50, 80]
server:
  idle_timeout: 1s
  max_connections: 16
  tick_interval: 1s
api_keys:
  - name: admin
    sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    tenant: ""
    role: admin
webhooks:
  - name: hook
    url: http://127.0.0.1:9/alerts
    events: [alert]
gateway:
  max_wait: 30s
  endpoints:
    - name: local
      base_url: http://127.0.0.1:18080/v1
      slots: 8
      models: [mock-1]
)";

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

// The mutants of `base`: per line, deleted, duplicated, indented one more or
// one less, a tab inserted, its value replaced by a mapping, a sequence or a
// tagged value, the text truncated there; and every third character deleted.
std::vector<std::string> Mutants(std::string_view base) {
  std::vector<std::string> mutants;
  std::vector<std::string> lines = Lines(base);
  for (size_t i = 0; i < lines.size(); ++i) {
    auto with = [&](const std::vector<std::string>& replacement) {
      std::vector<std::string> changed(lines.begin(), lines.begin() + static_cast<long>(i));
      changed.insert(changed.end(), replacement.begin(), replacement.end());
      changed.insert(changed.end(), lines.begin() + static_cast<long>(i) + 1, lines.end());
      mutants.push_back(Join(changed));
    };
    const std::string& line = lines[i];
    size_t indent = line.find_first_not_of(' ');
    if (indent == std::string::npos) indent = line.size();
    with({});
    with({line, line});
    with({" " + line});
    if (indent > 0) with({line.substr(1)});
    with({"\t" + line});
    with({line.substr(0, indent) + "\t" + line.substr(indent)});
    if (size_t colon = line.find(": "); colon != std::string::npos) {
      std::string key = line.substr(0, colon + 2);
      with({key + "{a: 1}"});
      with({key + "[1, 2]"});
      with({key + "!!binary " + line.substr(colon + 2)});
      with({key + "!local " + line.substr(colon + 2)});
      with({key + "\"unterminated"});
    }
    std::vector<std::string> head(lines.begin(), lines.begin() + static_cast<long>(i));
    mutants.push_back(Join(head));
    mutants.push_back(Join(head) + line.substr(0, line.size() / 2));
  }
  std::string text(base);
  for (size_t at = 0; at < text.size(); at += 3) {
    mutants.push_back(text.substr(0, at) + text.substr(at + 1));
  }
  mutants.push_back("");
  mutants.push_back("just a scalar\n");
  mutants.push_back("- a\n- list\n");
  return mutants;
}

void ExpectEveryErrorPositioned(std::string_view base) {
  ASSERT_TRUE(ParseConfig(base, "test.yaml").ok())
      << ParseConfig(base, "test.yaml").status().message();
  static const std::regex kPositioned(R"(^test\.yaml:[1-9][0-9]*:[1-9][0-9]*: [^: ][^\n]*?: \S)");
  int errors = 0;
  std::vector<std::string> unpositioned;
  for (const std::string& mutant : Mutants(base)) {
    Result<Config> config = ParseConfig(mutant, "test.yaml");
    if (config.ok()) continue;
    ++errors;
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
    // Every line: a mutant may break several independent parts.
    const std::string& message = config.status().message();
    for (size_t start = 0; start <= message.size();) {
      size_t end = message.find('\n', start);
      if (end == std::string::npos) end = message.size();
      std::string line = message.substr(start, end - start);
      if (!std::regex_search(line, kPositioned)) unpositioned.push_back(line);
      start = end + 1;
    }
  }
  EXPECT_GT(errors, 300);
  std::string shown;
  for (size_t i = 0; i < unpositioned.size() && i < 10; ++i) shown += unpositioned[i] + "\n";
  EXPECT_TRUE(unpositioned.empty()) << unpositioned.size() << " of " << errors
                                    << " errors without FILE:line:column: field: why, such as\n"
                                    << shown;
}

TEST(ConfigErrors, EveryErrorOfAMutatedBlockConfigIsPositioned) {
  ExpectEveryErrorPositioned(kBlockConfig);
}

TEST(ConfigErrors, EveryErrorOfAMutatedDefaultConfigIsPositioned) {
  ExpectEveryErrorPositioned(DefaultConfigYaml());
}

TEST(ConfigErrors, NonStandardTagsAreRefusedNamingTheField) {
  std::string yaml(kBlockConfig);
  yaml.replace(yaml.find("currency: USD"), 13, "currency: !!binary VVNE");
  Result<Config> config = ParseConfig(yaml, "test.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message().rfind("test.yaml:32:11: currency: the tag '!!binary'", 0), 0u)
      << config.status().message();

  std::string local(kBlockConfig);
  local.replace(local.find("      zone: a"), 13, "      zone: !region a");
  config = ParseConfig(local, "test.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("pools[0].nodes[0].labels.zone: the tag '!region'"),
            std::string::npos)
      << config.status().message();

  // The standard tags are fine.
  std::string standard(kBlockConfig);
  standard.replace(standard.find("currency: USD"), 13, "currency: !!str USD");
  EXPECT_TRUE(ParseConfig(standard, "test.yaml").ok());
}

TEST(ConfigErrors, AliasBombStopsAtTheNodeBound) {
  std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) yaml += (j ? ", *a" : "*a") + std::to_string(i - 1);
    yaml += "]\n";
  }
  Result<Config> config = ParseConfig(yaml, "test.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("too many nodes"), std::string::npos)
      << config.status().message();
}

}  // namespace
}  // namespace allot
