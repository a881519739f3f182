// The configuration files the package installs and ships as examples parse:
// /etc/allot/allot.yaml (packaging/allot.yaml) and the gateway example.
#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "testing/test_paths.h"

namespace allot {
namespace {

TEST(PackagedConfigTest, ConffileParsesAndMatchesTheEmbeddedDemo) {
  Result<Config> packaged = LoadConfigFile(testing::SourceDir() + "/packaging/allot.yaml");
  ASSERT_TRUE(packaged.ok()) << packaged.status().message();
  Result<Config> embedded = ParseConfig(DefaultConfigYaml(), "<default>");
  ASSERT_TRUE(embedded.ok()) << embedded.status().message();
  // "The embedded default made concrete": the same cluster and tenants.
  EXPECT_EQ(packaged->inventory.pools.size(), embedded->inventory.pools.size());
  EXPECT_EQ(packaged->inventory.nodes.size(), embedded->inventory.nodes.size());
  EXPECT_EQ(packaged->engine.tenants.size(), embedded->engine.tenants.size());
  EXPECT_EQ(packaged->engine.classes.size(), embedded->engine.classes.size());
  EXPECT_EQ(packaged->engine.budgets.budgets.size(), embedded->engine.budgets.budgets.size());
  EXPECT_EQ(packaged->server.listen_host, "127.0.0.1");
  EXPECT_EQ(packaged->server.listen_port, 8470);
  EXPECT_TRUE(packaged->server.api_keys.empty());
}

TEST(PackagedConfigTest, GatewayExampleParses) {
  Result<Config> config = LoadConfigFile(testing::SourceDir() + "/examples/gateway/local.yaml");
  EXPECT_TRUE(config.ok()) << config.status().message();
}

}  // namespace
}  // namespace allot
