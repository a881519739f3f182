#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace allot {

// A strongly typed integer identifier: LeaseId and RequestId cannot be mixed up.
// Value 0 means "none".
template <typename Tag>
struct StrongId {
  uint64_t value = 0;

  constexpr bool valid() const { return value != 0; }
  friend constexpr auto operator<=>(StrongId, StrongId) = default;
};

struct LeaseTag {};
struct RequestTag {};
using LeaseId = StrongId<LeaseTag>;
using RequestId = StrongId<RequestTag>;

// Dense indexes into the inventory's arrays; stable for the inventory's life.
using PoolIndex = uint32_t;
using NodeIndex = uint32_t;
using GpuModelIndex = uint32_t;

}  // namespace allot

template <typename Tag>
struct std::hash<allot::StrongId<Tag>> {
  size_t operator()(allot::StrongId<Tag> id) const noexcept {
    return std::hash<uint64_t>()(id.value);
  }
};
