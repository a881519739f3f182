#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace allot {

// Resource dimensions are fixed-point int64 quantities. The first five are
// built in; up to kMaxCustomResources more are named by configuration.
//   gpu         milli-GPU (1000 = one whole device)
//   gpu_memory  MiB of device memory
//   cpu         milli-cores
//   memory      MiB of host memory
//   slots       endpoint concurrency slots (inference replicas)
inline constexpr int kGpu = 0;
inline constexpr int kGpuMemory = 1;
inline constexpr int kCpu = 2;
inline constexpr int kMemory = 3;
inline constexpr int kSlots = 4;
inline constexpr int kBuiltinResources = 5;
inline constexpr int kMaxCustomResources = 3;
inline constexpr int kMaxResources = kBuiltinResources + kMaxCustomResources;

// The largest quantity accepted anywhere on input: 2^52. Sums of up to 2^10
// such values still fit in int64, and checked arithmetic catches the rest.
inline constexpr int64_t kMaxQuantity = int64_t{1} << 52;

// A vector of quantities, one per resource index. Plain value type.
struct ResourceVector {
  std::array<int64_t, kMaxResources> amounts{};

  int64_t& operator[](int index) { return amounts[static_cast<size_t>(index)]; }
  int64_t operator[](int index) const { return amounts[static_cast<size_t>(index)]; }

  bool IsZero() const;
  // True when every component of *this is <= the same component of `other`.
  bool FitsWithin(const ResourceVector& other) const;
  // Component-wise; callers keep inputs within kMaxQuantity so these cannot
  // overflow (CHECKed).
  void Add(const ResourceVector& other);
  void Subtract(const ResourceVector& other);

  friend bool operator==(const ResourceVector&, const ResourceVector&) = default;
};

// Checked arithmetic: false on int64 overflow.
bool CheckedMultiply(int64_t a, int64_t b, int64_t* out);
bool CheckedAdd(int64_t a, int64_t b, int64_t* out);

// Names of the resource dimensions in force: the built-in five plus the custom
// ones from configuration. Immutable after construction; thread-compatible.
class ResourceCatalog {
 public:
  ResourceCatalog() = default;
  // Fails with InvalidArgument on a duplicate or built-in name, an empty or
  // malformed name, or more than kMaxCustomResources names.
  static Result<ResourceCatalog> Create(const std::vector<std::string>& custom_names);

  int size() const { return kBuiltinResources + static_cast<int>(custom_.size()); }
  std::string_view Name(int index) const;
  // The index of `name`, or -1 when unknown.
  int Find(std::string_view name) const;

 private:
  std::vector<std::string> custom_;
};

}  // namespace allot
