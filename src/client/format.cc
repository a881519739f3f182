#include "client/format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace allot {

namespace {

// "2.500" -> "2.5", "3.000" -> "3"; keeps at least `keep` decimals.
std::string TrimZeros(std::string text, size_t keep = 0) {
  size_t point = text.find('.');
  if (point == std::string::npos) {
    if (keep > 0) text += "." + std::string(keep, '0');
    return text;
  }
  size_t decimals = text.size() - point - 1;
  while (decimals > keep && text.back() == '0') {
    text.pop_back();
    --decimals;
  }
  if (decimals < keep) text.append(keep - decimals, '0');
  if (text.back() == '.') text.pop_back();
  return text;
}

}  // namespace

const Json* Field(const Json& json, std::string_view key) {
  if (!json.is_object()) return nullptr;
  auto it = json.find(key);
  return it == json.end() ? nullptr : &*it;
}

std::string Text(const Json& json, std::string_view key) {
  const Json* value = Field(json, key);
  if (value == nullptr || value->is_null()) return "";
  if (value->is_string()) return value->get<std::string>();
  return value->dump();
}

std::string FormatNumber(const Json& value, int max_decimals) {
  if (value.is_number_integer()) return value.dump();
  if (!value.is_number()) return value.is_string() ? value.get<std::string>() : "-";
  return TrimZeros(fmt::format("{:.{}f}", value.get<double>(), max_decimals));
}

std::string FormatMib(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (!value.is_number()) return "-";
  double mib = value.get<double>();
  const char* unit = "MiB";
  for (const char* bigger : {"GiB", "TiB", "PiB"}) {
    if (std::fabs(mib) < 1024) break;
    mib /= 1024;
    unit = bigger;
  }
  return TrimZeros(fmt::format("{:.2f}", mib)) + " " + unit;
}

std::string FormatMoney(const Json& value, std::string_view currency) {
  std::string amount;
  if (value.is_string()) {
    amount = TrimZeros(value.get<std::string>(), 2);
  } else if (value.is_number()) {
    amount = TrimZeros(fmt::format("{:.6f}", value.get<double>()), 2);
  } else {
    return "-";
  }
  return currency.empty() ? amount : amount + " " + std::string(currency);
}

std::string FormatQuantity(std::string_view resource, const Json& value) {
  if (resource == "memory" || resource == "gpu_memory") return FormatMib(value);
  return FormatNumber(value);
}

std::string FormatResources(const Json& resources) {
  if (!resources.is_object() || resources.empty()) return "-";
  std::string text;
  for (const auto& [name, value] : resources.items()) {
    if (!text.empty()) text += ", ";
    text += name + " " + FormatQuantity(name, value);
  }
  return text;
}

std::string FormatUsed(std::string_view resource, const Json& allocated, const Json& capacity) {
  const Json* used = Field(allocated, resource);
  const Json* total = Field(capacity, resource);
  if (total == nullptr) return "-";
  // Nothing used is "0" in any unit ("0/1 TiB", not "0 MiB/1 TiB").
  bool none = used == nullptr || (used->is_number() && used->get<double>() == 0);
  std::string used_text = none ? "0" : FormatQuantity(resource, *used);
  std::string total_text = FormatQuantity(resource, *total);
  // "20 GiB/80 GiB" reads better as "20/80 GiB" when the units agree.
  size_t space = total_text.find(' ');
  if (space != std::string::npos && used_text.ends_with(total_text.substr(space))) {
    used_text.resize(used_text.size() - (total_text.size() - space));
  }
  return used_text + "/" + total_text;
}

std::string FormatDeviceRanges(std::vector<int> devices) {
  std::sort(devices.begin(), devices.end());
  devices.erase(std::unique(devices.begin(), devices.end()), devices.end());
  std::string text;
  for (size_t first = 0; first < devices.size();) {
    size_t last = first;
    while (last + 1 < devices.size() && devices[last + 1] == devices[last] + 1) ++last;
    if (!text.empty()) text += ",";
    text += std::to_string(devices[first]);
    // A run of consecutive indexes is "first-last"; a lone index stands alone.
    if (last > first) text += "-" + std::to_string(devices[last]);
    first = last + 1;
  }
  return text;
}

namespace {

// One member's assignments (all on one node) as "<node> dev<ranges>, ...".
std::string MemberPlacement(const std::vector<const Json*>& assignments) {
  std::string text = Text(*assignments.front(), "node");
  std::vector<int> devices;
  std::vector<std::string> migs;
  double gpu = 0;
  double gpu_memory = 0;
  bool share = false;  // a part of a GPU: its memory is worth showing
  for (const Json* a : assignments) {
    if (const Json* device = Field(*a, "device"); device != nullptr && device->is_number()) {
      devices.push_back(device->get<int>());
    }
    if (std::string mig = Text(*a, "mig_profile"); !mig.empty()) {
      if (std::find(migs.begin(), migs.end(), mig) == migs.end()) migs.push_back(mig);
      continue;
    }
    if (const Json* g = Field(*a, "gpu"); g != nullptr && g->is_number()) {
      gpu += g->get<double>();
      share = share || (g->get<double>() > 0 && g->get<double>() < 1);
    }
    if (const Json* m = Field(*a, "gpu_memory_mib"); m != nullptr && m->is_number()) {
      gpu_memory += m->get<double>();
    }
  }
  if (!devices.empty()) text += " dev" + FormatDeviceRanges(devices);
  for (const std::string& mig : migs) text += ", MIG " + mig;
  if (gpu > 0) text += ", " + FormatNumber(Json(gpu)) + " GPU";
  if (share && gpu_memory > 0) text += ", " + FormatMib(Json(gpu_memory));
  return text;
}

}  // namespace

std::string FormatPlacement(const Json& placement) {
  if (!placement.is_array() || placement.empty()) return "-";
  // Assignments come ordered by member; group each member's together.
  std::vector<std::pair<std::string, std::vector<const Json*>>> members;
  for (const Json& assignment : placement) {
    std::string member = Text(assignment, "member");
    if (members.empty() || members.back().first != member) members.push_back({member, {}});
    members.back().second.push_back(&assignment);
  }
  std::string text;
  for (const auto& [member, assignments] : members) {
    if (!text.empty()) text += "; ";
    if (members.size() > 1) text += "#" + member + " ";
    text += MemberPlacement(assignments);
  }
  return text;
}

std::string FormatTime(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  return "-";
}

Table::Table(std::vector<std::string> headers)
    : headers_(std::move(headers)), right_(headers_.size(), false) {}

void Table::RightAlign(size_t column) {
  if (column < right_.size()) right_[column] = true;
}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

void Table::Print(std::ostream& out) const {
  std::vector<size_t> width(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) {
    width[c] = headers_[c].size();
    for (const std::vector<std::string>& row : rows_) width[c] = std::max(width[c], row[c].size());
  }
  auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      size_t pad = width[c] - cells[c].size();
      if (right_[c]) line.append(pad, ' ');
      line += cells[c];
      if (c + 1 < cells.size()) {
        if (!right_[c]) line.append(pad, ' ');
        line += "  ";
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  };
  print_row(headers_);
  for (const std::vector<std::string>& row : rows_) print_row(row);
}

}  // namespace allot
