#include "client/format.h"

#include <gtest/gtest.h>

#include <sstream>

namespace allot {
namespace {

TEST(FormatTest, Numbers) {
  EXPECT_EQ(FormatNumber(Json(0.5)), "0.5");
  EXPECT_EQ(FormatNumber(Json(2)), "2");
  EXPECT_EQ(FormatNumber(Json(2.0)), "2");
  EXPECT_EQ(FormatNumber(Json(0.125)), "0.125");
  EXPECT_EQ(FormatNumber(Json(0.12549)), "0.125");
  EXPECT_EQ(FormatNumber(Json(12.3456), 2), "12.35");
  EXPECT_EQ(FormatNumber(Json("7")), "7");
  EXPECT_EQ(FormatNumber(Json()), "-");
}

TEST(FormatTest, MemoryInBinaryUnits) {
  EXPECT_EQ(FormatMib(Json(512)), "512 MiB");
  EXPECT_EQ(FormatMib(Json(20480)), "20 GiB");
  EXPECT_EQ(FormatMib(Json(1536)), "1.5 GiB");
  EXPECT_EQ(FormatMib(Json(1572864)), "1.5 TiB");
  EXPECT_EQ(FormatMib(Json("16Gi")), "16Gi");
  EXPECT_EQ(FormatMib(Json(true)), "-");
}

TEST(FormatTest, MoneyKeepsTwoDecimalsAndTheCurrency) {
  EXPECT_EQ(FormatMoney(Json("12.500000"), "USD"), "12.50 USD");
  EXPECT_EQ(FormatMoney(Json("0.000100"), "EUR"), "0.0001 EUR");
  EXPECT_EQ(FormatMoney(Json("1000"), "USD"), "1000.00 USD");
  EXPECT_EQ(FormatMoney(Json("-3.1"), ""), "-3.10");
  EXPECT_EQ(FormatMoney(Json(2.5), "USD"), "2.50 USD");
  EXPECT_EQ(FormatMoney(Json(), "USD"), "-");
}

TEST(FormatTest, DeviceRangesCollapseRuns) {
  EXPECT_EQ(FormatDeviceRanges({0, 1, 2, 3, 4, 5, 6, 7}), "0-7");
  EXPECT_EQ(FormatDeviceRanges({6, 0, 2, 5}), "0,2,5-6");
  EXPECT_EQ(FormatDeviceRanges({3}), "3");
  EXPECT_EQ(FormatDeviceRanges({1, 1, 2}), "1-2");
  EXPECT_EQ(FormatDeviceRanges({}), "");
}

TEST(FormatTest, PlacementInOneLinePerLease) {
  Json eight = Json::array();
  for (int device = 0; device < 8; ++device) {
    eight.push_back({{"member", 0},
                     {"node", "h100-0"},
                     {"device", device},
                     {"gpu", 1},
                     {"gpu_memory_mib", 81920},
                     {"mig_profile", nullptr}});
  }
  EXPECT_EQ(FormatPlacement(eight), "h100-0 dev0-7, 8 GPU");
  EXPECT_EQ(FormatPlacement(Json::parse(R"([
    {"member": 0, "node": "n", "device": 0, "gpu": 1}, {"member": 0, "node": "n", "device": 2, "gpu": 1},
    {"member": 0, "node": "n", "device": 6, "gpu": 1}, {"member": 0, "node": "n", "device": 5, "gpu": 1}])")),
            "n dev0,2,5-6, 4 GPU");
  EXPECT_EQ(FormatPlacement(Json::parse(R"([{"member": 0, "node": "l4-0", "device": 1,
    "gpu": 0.25, "gpu_memory_mib": 6144, "mig_profile": null}])")),
            "l4-0 dev1, 0.25 GPU, 6 GiB");
  EXPECT_EQ(FormatPlacement(Json::parse(R"([{"member": 0, "node": "a100-0", "device": 3,
    "gpu": 0, "gpu_memory_mib": 0, "mig_profile": "3g.20gb"}])")),
            "a100-0 dev3, MIG 3g.20gb");
  // A CPU-only lease: its node, no "0 GPU".
  EXPECT_EQ(FormatPlacement(Json::parse(R"([{"member": 0, "node": "cpu-0", "device": null,
    "gpu": 0, "gpu_memory_mib": 0, "mig_profile": null}])")),
            "cpu-0");
  EXPECT_EQ(FormatPlacement(Json::parse(R"([
    {"member": 0, "node": "a", "device": 0, "gpu": 1}, {"member": 0, "node": "a", "device": 1, "gpu": 1},
    {"member": 1, "node": "b", "device": 0, "gpu": 1}, {"member": 1, "node": "b", "device": 1, "gpu": 1}])")),
            "#0 a dev0-1, 2 GPU; #1 b dev0-1, 2 GPU");
  EXPECT_EQ(FormatPlacement(Json::array()), "-");
  EXPECT_EQ(FormatPlacement(Json()), "-");
}

TEST(FormatTest, ResourcesAndUse) {
  Json capacity = Json::parse(R"({"gpu": 8, "cpu": 96, "memory": 1048576})");
  Json allocated = Json::parse(R"({"gpu": 2.5, "memory": 20480})");
  EXPECT_EQ(FormatResources(allocated), "gpu 2.5, memory 20 GiB");
  EXPECT_EQ(FormatResources(Json::object()), "-");
  EXPECT_EQ(FormatUsed("gpu", allocated, capacity), "2.5/8");
  EXPECT_EQ(FormatUsed("cpu", allocated, capacity), "0/96");
  EXPECT_EQ(FormatUsed("memory", allocated, capacity), "20 GiB/1 TiB");
  // One unit is said once when both sides share it.
  EXPECT_EQ(FormatUsed("memory", allocated, Json::parse(R"({"memory": 81920})")), "20/80 GiB");
  EXPECT_EQ(FormatUsed("slots", allocated, capacity), "-");
}

TEST(FormatTest, FieldAccessNeverThrows) {
  Json lease =
      Json::parse(R"({"id": 42, "state": "granted", "queue": null, "labels": {"a": "b"}})");
  EXPECT_EQ(Text(lease, "id"), "42");
  EXPECT_EQ(Text(lease, "state"), "granted");
  EXPECT_EQ(Text(lease, "queue"), "");
  EXPECT_EQ(Text(lease, "missing"), "");
  EXPECT_EQ(Text(lease, "labels"), R"({"a":"b"})");
  EXPECT_EQ(Text(Json::array(), "id"), "");
  EXPECT_EQ(Field(Json(3), "id"), nullptr);
}

TEST(FormatTest, TableAlignsColumns) {
  Table table({"ID", "STATE", "DETAIL"});
  table.RightAlign(0);
  table.AddRow({"7", "granted", "node-3/dev1 0.5 GPU"});
  table.AddRow({"1042", "queued"});  // a missing cell prints empty
  std::ostringstream out;
  table.Print(out);
  EXPECT_EQ(out.str(),
            "  ID  STATE    DETAIL\n"
            "   7  granted  node-3/dev1 0.5 GPU\n"
            "1042  queued\n");
}

}  // namespace
}  // namespace allot
