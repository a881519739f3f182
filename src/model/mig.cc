#include "model/mig.h"

#include <array>
#include <cctype>
#include <string>

#include "common/check.h"

namespace allot {
namespace {

// Start-index masks: bit i allows an instance to start at memory slice i.
constexpr uint8_t kStarts0To6 = 0b0111'1111;  // {0,1,2,3,4,5,6}
constexpr uint8_t kStartsEven = 0b0101'0101;  // {0,2,4,6}
constexpr uint8_t kStarts024 = 0b0001'0101;   // {0,2,4}
constexpr uint8_t kStarts04 = 0b0001'0001;    // {0,4}
constexpr uint8_t kStarts0 = 0b0000'0001;     // {0}

constexpr int64_t kGiB = 1024;

// A100-SXM4-40GB / A100-PCIE-40GB.
constexpr std::array<MigProfile, 7> kA100_40 = {{
    {"1g.5gb", 1, 1, 5 * kGiB, 7, kStarts0To6, false},
    {"1g.5gb+me", 1, 1, 5 * kGiB, 1, kStarts0To6, true},
    {"1g.10gb", 1, 2, 10 * kGiB, 4, kStartsEven, false},
    {"2g.10gb", 2, 2, 10 * kGiB, 3, kStarts024, false},
    {"3g.20gb", 3, 4, 20 * kGiB, 2, kStarts04, false},
    {"4g.20gb", 4, 4, 20 * kGiB, 1, kStarts0, false},
    {"7g.40gb", 7, 8, 40 * kGiB, 1, kStarts0, false},
}};

// A100 80GB and H100 80GB share the geometry with doubled memory sizes.
constexpr std::array<MigProfile, 7> k80GB = {{
    {"1g.10gb", 1, 1, 10 * kGiB, 7, kStarts0To6, false},
    {"1g.10gb+me", 1, 1, 10 * kGiB, 1, kStarts0To6, true},
    {"1g.20gb", 1, 2, 20 * kGiB, 4, kStartsEven, false},
    {"2g.20gb", 2, 2, 20 * kGiB, 3, kStarts024, false},
    {"3g.40gb", 3, 4, 40 * kGiB, 2, kStarts04, false},
    {"4g.40gb", 4, 4, 40 * kGiB, 1, kStarts0, false},
    {"7g.80gb", 7, 8, 80 * kGiB, 1, kStarts0, false},
}};

constexpr MigGpuTable kTables[] = {
    {"A100-40GB", kA100_40},
    {"A100-80GB", k80GB},
    {"H100-80GB", k80GB},
};

// Normalises a model name for matching: uppercase, letters and digits only.
std::string Normalise(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
  }
  return out;
}

}  // namespace

const MigGpuTable* FindMigTable(std::string_view gpu_model) {
  std::string name = Normalise(gpu_model);
  bool a100 = name.find("A100") != std::string::npos;
  bool h100 = name.find("H100") != std::string::npos;
  bool is80 = name.find("80G") != std::string::npos;
  bool is40 = name.find("40G") != std::string::npos;
  if (a100 && is40) return &kTables[0];
  if (a100 && is80) return &kTables[1];
  if (h100 && is80) return &kTables[2];
  return nullptr;
}

int FindMigProfile(const MigGpuTable& table, std::string_view profile_name) {
  for (size_t i = 0; i < table.profiles.size(); ++i) {
    if (table.profiles[i].name == profile_name) return static_cast<int>(i);
  }
  return -1;
}

bool MigOccupancy::CanPlace(const MigGpuTable& table, int profile, int start) const {
  const MigProfile& p = table.profiles[static_cast<size_t>(profile)];
  if (start < 0 || start >= kMigMemorySlices) return false;
  if ((p.allowed_starts & (1u << start)) == 0) return false;
  if (counts[profile] >= p.max_count) return false;
  if (compute_used + p.compute_slices > kMigComputeSlices) return false;
  unsigned span = ((1u << p.memory_slices) - 1u) << start;
  if (span > 0xFFu) return false;
  return (memory_mask & span) == 0;
}

int MigOccupancy::FindStart(const MigGpuTable& table, int profile) const {
  for (int start = 0; start < kMigMemorySlices; ++start) {
    if (CanPlace(table, profile, start)) return start;
  }
  return -1;
}

void MigOccupancy::Place(const MigGpuTable& table, int profile, int start) {
  ALLOT_CHECK(CanPlace(table, profile, start));
  const MigProfile& p = table.profiles[static_cast<size_t>(profile)];
  memory_mask = static_cast<uint8_t>(memory_mask | (((1u << p.memory_slices) - 1u) << start));
  compute_used = static_cast<uint8_t>(compute_used + p.compute_slices);
  counts[profile] = static_cast<uint8_t>(counts[profile] + 1);
}

void MigOccupancy::Remove(const MigGpuTable& table, int profile, int start) {
  const MigProfile& p = table.profiles[static_cast<size_t>(profile)];
  unsigned span = ((1u << p.memory_slices) - 1u) << start;
  ALLOT_CHECK((memory_mask & span) == span && counts[profile] > 0);
  memory_mask = static_cast<uint8_t>(memory_mask & ~span);
  compute_used = static_cast<uint8_t>(compute_used - p.compute_slices);
  counts[profile] = static_cast<uint8_t>(counts[profile] - 1);
}

}  // namespace allot
