#pragma once

#include <span>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/resources.h"
#include "common/time.h"
#include "model/inventory.h"

namespace allot {

// What one member of a request needs on one node. A member asks for GPU
// capacity in exactly one of three ways:
//   resources[kGpu] in 1..999        a fraction of one `shared` device
//   resources[kGpu] = 1000 * k       k whole devices (whole or untouched shared)
//   mig_profile = "3g.40gb"          one MIG instance of that profile
// gpu_memory is the device memory the member needs: for a fraction it is
// reserved on the device (0 reserves the proportional share, gpu/1000 of the
// device's memory); for whole devices each device must have at least
// gpu_memory / k; for MIG it must not exceed the profile's memory.
struct MemberShape {
  ResourceVector resources;
  std::string mig_profile;

  friend bool operator==(const MemberShape&, const MemberShape&) = default;
};

// A request for a lease: `members` identical members placed all-or-nothing (a
// gang), possibly across nodes, subject to the constraints. Value type.
struct Request {
  MemberShape member;
  int64_t members = 1;

  // Constraints: empty means "any".
  std::vector<std::string> gpu_models;  // allowed GPU model names
  std::string pool;                     // pool name
  Labels node_selector;                 // labels every chosen node must carry

  Duration estimate = 0;        // expected run time, 0 when unknown
  Duration ttl = 0;             // lease time-to-live between renewals, 0 = no expiry
  Labels labels;                // carried to the lease and its usage record
  std::string idempotency_key;  // a retried Submit with the same key gets the same answer
  // Who asked: the name of the API key (set by the server, never by the
  // caller's body; "" when none). Not part of the request's fingerprint.
  std::string owner;

  // Who asks, and how urgently: a leaf tenant's path or unique name (may be
  // empty when the tenancy has a single leaf) and a priority class name
  // (empty: the class named "default", else the first).
  std::string tenant;
  std::string priority_class;

  // A model call (an inference endpoint's slots): the priced model, the
  // prompt's estimated tokens and the most output tokens it may produce.
  // Budgets reserve the dearest such call and settle the reported usage.
  std::string model;
  int64_t input_tokens = 0;
  int64_t max_output_tokens = 0;

  friend bool operator==(const Request&, const Request&) = default;
};

// One (member, node, device, slice) assignment a node agent can enforce:
// CUDA_VISIBLE_DEVICES=<device>, or the MIG instance at <mig_start>, and a
// share of the device's compute and memory.
struct Assignment {
  uint32_t member = 0;
  NodeIndex node = 0;
  int16_t device = -1;      // device index on the node; -1: this member uses no GPU
  int8_t mig_profile = -1;  // profile index in the node model's MIG table; -1: not MIG
  int8_t mig_start = -1;    // first memory slice of the MIG instance
  int32_t gpu_milli = 0;    // milli-GPU of this device taken by the member
  int64_t gpu_memory_mib = 0;

  friend bool operator==(const Assignment&, const Assignment&) = default;
};

// Assignments ordered by member; each member's host resources (cpu, memory,
// slots, custom) are taken on the node of its assignments.
using Placement = std::vector<Assignment>;

// Calls fn(std::span<const Assignment>) once per member, in order.
template <typename Fn>
void ForEachMember(const Placement& placement, Fn&& fn) {
  for (size_t first = 0; first < placement.size();) {
    size_t last = first;
    while (last < placement.size() && placement[last].member == placement[first].member) ++last;
    fn(std::span<const Assignment>(placement.data() + first, last - first));
    first = last;
  }
}

}  // namespace allot
