#pragma once

// Rendering the API's JSON for people: aligned tables and human units. Every
// reader here is total: a field that is missing or of an unexpected type
// renders as "-" (or "" where noted) instead of throwing, so a newer server
// that adds or changes a field never crashes the CLI.

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace allot {

// The server's JSON with its field order kept, so `--output json` prints
// objects as the server wrote them.
using Json = nlohmann::ordered_json;

// `json[key]` when `json` is an object holding it, else nullptr.
const Json* Field(const Json& json, std::string_view key);
// A string field's text; a number or bool as JSON text; "" when absent/null.
std::string Text(const Json& json, std::string_view key);

// A number with at most `max_decimals` decimals, trailing zeros dropped:
// 0.5 -> "0.5", 2 -> "2", 0.1251 (3) -> "0.125". "-" when not a number.
std::string FormatNumber(const Json& value, int max_decimals = 3);
// MiB (a number) in the largest binary unit that keeps it >= 1:
// 512 -> "512 MiB", 20480 -> "20 GiB", 1572864 -> "1.5 TiB". A string
// ("20Gi") is shown as given.
std::string FormatMib(const Json& value);
// A decimal money string with its currency, at least two decimals kept:
// ("12.500000", "USD") -> "12.50 USD", ("0.000100", "EUR") -> "0.0001 EUR".
std::string FormatMoney(const Json& value, std::string_view currency);
// One resource quantity in its unit: memory and gpu_memory as MiB, the rest
// as numbers.
std::string FormatQuantity(std::string_view resource, const Json& value);
// A {resource: quantity} object: "gpu 2, cpu 8, memory 64 GiB"; "-" when empty.
std::string FormatResources(const Json& resources);
// "allocated/capacity" of one resource from two such objects: "1.5/8".
std::string FormatUsed(std::string_view resource, const Json& allocated, const Json& capacity);
// Device indexes as ranges, in the order given once sorted, each once:
// {0..7} -> "0-7", {0, 2, 5, 6} -> "0,2,5-6"; "" when empty.
std::string FormatDeviceRanges(std::vector<int> devices);
// A lease's placement (the API's "placement" array) in one line per lease:
// each member as "<node> dev<ranges>, <N> GPU" ("h100-0 dev0-7, 8 GPU"), a
// GPU share with its GPU memory ("l4-0 dev1, 0.25 GPU, 6 GiB"), a MIG slice
// by its profile ("a100-0 dev3, MIG 3g.20gb"), a member without GPU by its
// node alone; members of a gang as "#0 ...; #1 ...". "-" when empty.
std::string FormatPlacement(const Json& placement);
// An RFC 3339 time as sent; "-" for null or absent.
std::string FormatTime(const Json& value);

// A text table: a header row and aligned columns separated by two spaces,
// with no trailing spaces and no color, so it reads the same in a terminal,
// a log or `less`. Numeric columns may be right-aligned.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void RightAlign(size_t column);
  void AddRow(std::vector<std::string> cells);  // missing cells print empty
  void Print(std::ostream& out) const;
  size_t rows() const { return rows_.size(); }

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace allot
