#include "common/resources.h"

#include "common/check.h"

namespace allot {
namespace {

constexpr std::array<std::string_view, kBuiltinResources> kBuiltinNames = {
    "gpu", "gpu_memory", "cpu", "memory", "slots"};

bool IsValidResourceName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '/' || c == '-';
    if (!ok) return false;
  }
  return name[0] >= 'a' && name[0] <= 'z';
}

}  // namespace

bool ResourceVector::IsZero() const {
  for (int64_t amount : amounts) {
    if (amount != 0) return false;
  }
  return true;
}

bool ResourceVector::FitsWithin(const ResourceVector& other) const {
  for (size_t i = 0; i < amounts.size(); ++i) {
    if (amounts[i] > other.amounts[i]) return false;
  }
  return true;
}

void ResourceVector::Add(const ResourceVector& other) {
  for (size_t i = 0; i < amounts.size(); ++i) {
    ALLOT_CHECK(CheckedAdd(amounts[i], other.amounts[i], &amounts[i]));
  }
}

void ResourceVector::Subtract(const ResourceVector& other) {
  for (size_t i = 0; i < amounts.size(); ++i) {
    ALLOT_CHECK(!__builtin_sub_overflow(amounts[i], other.amounts[i], &amounts[i]));
  }
}

bool CheckedMultiply(int64_t a, int64_t b, int64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}

bool CheckedAdd(int64_t a, int64_t b, int64_t* out) { return !__builtin_add_overflow(a, b, out); }

Result<ResourceCatalog> ResourceCatalog::Create(const std::vector<std::string>& custom_names) {
  if (custom_names.size() > static_cast<size_t>(kMaxCustomResources)) {
    return InvalidArgument("resources: at most " + std::to_string(kMaxCustomResources) +
                           " custom resources are supported, got " +
                           std::to_string(custom_names.size()));
  }
  ResourceCatalog catalog;
  for (size_t i = 0; i < custom_names.size(); ++i) {
    const std::string& name = custom_names[i];
    std::string field = "resources[" + std::to_string(i) + "]";
    if (!IsValidResourceName(name)) {
      return InvalidArgument(field + ": '" + name +
                             "' is not a valid name (lowercase letters, digits, _ . / -)");
    }
    if (catalog.Find(name) >= 0) {
      return InvalidArgument(field + ": '" + name + "' is already defined");
    }
    catalog.custom_.push_back(name);
  }
  return catalog;
}

std::string_view ResourceCatalog::Name(int index) const {
  ALLOT_CHECK(index >= 0 && index < size());
  if (index < kBuiltinResources) return kBuiltinNames[static_cast<size_t>(index)];
  return custom_[static_cast<size_t>(index - kBuiltinResources)];
}

int ResourceCatalog::Find(std::string_view name) const {
  for (int i = 0; i < kBuiltinResources; ++i) {
    if (kBuiltinNames[static_cast<size_t>(i)] == name) return i;
  }
  for (size_t i = 0; i < custom_.size(); ++i) {
    if (custom_[i] == name) return kBuiltinResources + static_cast<int>(i);
  }
  return -1;
}

}  // namespace allot
