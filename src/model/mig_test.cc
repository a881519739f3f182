#include "model/mig.h"

#include <gtest/gtest.h>

namespace allot {
namespace {

class MigTest : public ::testing::Test {
 protected:
  const MigGpuTable& a100_40 = *FindMigTable("A100-SXM4-40GB");
  int Profile(std::string_view name) { return FindMigProfile(a100_40, name); }
  bool Place(MigOccupancy& gpu, std::string_view name, int start) {
    if (!gpu.CanPlace(a100_40, Profile(name), start)) return false;
    gpu.Place(a100_40, Profile(name), start);
    return true;
  }
};

TEST(MigTables, RecognisesModelsAndAliases) {
  EXPECT_EQ(FindMigTable("A100-40GB")->model, "A100-40GB");
  EXPECT_EQ(FindMigTable("NVIDIA A100-SXM4-80GB")->model, "A100-80GB");
  EXPECT_EQ(FindMigTable("NVIDIA H100 80GB HBM3")->model, "H100-80GB");
  EXPECT_EQ(FindMigTable("T4"), nullptr);
  EXPECT_EQ(FindMigTable("L4"), nullptr);
  // "1g.10gb" means one memory slice on 80GB cards but two on the 40GB card.
  const MigGpuTable& h100 = *FindMigTable("H100-80GB");
  EXPECT_EQ(h100.profiles[static_cast<size_t>(FindMigProfile(h100, "1g.10gb"))].memory_slices, 1);
  const MigGpuTable& a100 = *FindMigTable("A100-40GB");
  EXPECT_EQ(a100.profiles[static_cast<size_t>(FindMigProfile(a100, "1g.10gb"))].memory_slices, 2);
}

// NVIDIA's documented valid layouts (MIG user guide) are accepted.
TEST_F(MigTest, ValidLayouts) {
  MigOccupancy balanced;
  EXPECT_TRUE(Place(balanced, "1g.5gb", 0));
  EXPECT_TRUE(Place(balanced, "1g.5gb", 1));
  EXPECT_TRUE(Place(balanced, "2g.10gb", 2));
  EXPECT_TRUE(Place(balanced, "3g.20gb", 4));
  EXPECT_EQ(balanced.compute_used, 7);

  MigOccupancy four_three;
  EXPECT_TRUE(Place(four_three, "4g.20gb", 0));
  EXPECT_TRUE(Place(four_three, "3g.20gb", 4));

  MigOccupancy two_threes;
  EXPECT_TRUE(Place(two_threes, "3g.20gb", 0));
  EXPECT_TRUE(Place(two_threes, "3g.20gb", 4));

  MigOccupancy seven_small;
  for (int start = 0; start < 7; ++start) EXPECT_TRUE(Place(seven_small, "1g.5gb", start));
  EXPECT_EQ(seven_small.FindStart(a100_40, Profile("1g.5gb")), -1);  // slot 7 is never a start
}

// Layouts the hardware forbids are refused.
TEST_F(MigTest, ForbiddenLayouts) {
  MigOccupancy full;
  ASSERT_TRUE(Place(full, "3g.20gb", 0));
  ASSERT_TRUE(Place(full, "3g.20gb", 4));
  EXPECT_EQ(full.FindStart(a100_40, Profile("1g.5gb")), -1);  // 7 compute slices, 9 memory

  MigOccupancy three_then_four;
  ASSERT_TRUE(Place(three_then_four, "3g.20gb", 0));
  EXPECT_EQ(three_then_four.FindStart(a100_40, Profile("4g.20gb")), -1);  // 4g starts only at 0

  MigOccupancy no_two_twos;
  ASSERT_TRUE(Place(no_two_twos, "3g.20gb", 0));
  ASSERT_TRUE(Place(no_two_twos, "2g.10gb", 4));
  EXPECT_FALSE(no_two_twos.CanPlace(a100_40, Profile("2g.10gb"), 6));  // 2g never starts at 6

  MigOccupancy media;
  ASSERT_TRUE(Place(media, "1g.5gb+me", 0));
  EXPECT_EQ(media.FindStart(a100_40, Profile("1g.5gb+me")), -1);  // one +me per GPU

  MigOccupancy blocked;
  ASSERT_TRUE(Place(blocked, "1g.5gb", 1));
  EXPECT_EQ(blocked.FindStart(a100_40, Profile("4g.20gb")), -1);
  EXPECT_FALSE(Place(blocked, "1g.10gb", 1));  // 1g.10gb starts at even slices only
  EXPECT_FALSE(Place(blocked, "2g.10gb", 0));  // overlaps slice 1
}

// NVIDIA documents a 1g, 1g, 2g, then 3g sequence that fails when the small
// instances land in the upper half; lowest-start placement packs them into
// slots 0-3 and the 3g still fits at 4.
TEST_F(MigTest, LowestStartFitsNvidiaSequence) {
  MigOccupancy gpu;
  for (std::string_view name : {"1g.5gb", "1g.5gb", "2g.10gb"}) {
    int start = gpu.FindStart(a100_40, Profile(name));
    ASSERT_GE(start, 0);
    gpu.Place(a100_40, Profile(name), start);
  }
  EXPECT_EQ(gpu.FindStart(a100_40, Profile("3g.20gb")), 4);
}

TEST_F(MigTest, RemoveRestoresSlices) {
  MigOccupancy gpu;
  ASSERT_TRUE(Place(gpu, "4g.20gb", 0));
  gpu.Remove(a100_40, Profile("4g.20gb"), 0);
  EXPECT_TRUE(gpu.Empty());
  EXPECT_EQ(gpu.compute_used, 0);
  EXPECT_TRUE(Place(gpu, "7g.40gb", 0));
}

TEST(MigAccounting, MilliGpuNeverExceedsOneGpu) {
  const MigGpuTable& table = *FindMigTable("A100-40GB");
  const MigProfile& one = table.profiles[static_cast<size_t>(FindMigProfile(table, "1g.5gb"))];
  const MigProfile& seven = table.profiles[static_cast<size_t>(FindMigProfile(table, "7g.40gb"))];
  EXPECT_EQ(MigInstanceMilliGpu(seven), 1000);
  EXPECT_LE(7 * MigInstanceMilliGpu(one), 1000);
}

}  // namespace
}  // namespace allot
