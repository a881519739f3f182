#include "sim/csv.h"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include "config/quantity.h"

namespace allot {
namespace {

std::vector<std::string_view> Split(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      fields.push_back(line.substr(start));
      return fields;
    }
    fields.push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
}

}  // namespace

Result<CsvTable> CsvTable::Parse(std::string_view text, std::string file) {
  CsvTable table;
  table.file_ = std::move(file);
  table.text_ = std::make_unique<const std::string>(text);
  std::string_view rest = *table.text_;
  size_t line_number = 0;
  while (!rest.empty()) {
    size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    std::vector<std::string_view> fields = Split(line);
    if (table.header_.empty()) {
      for (std::string_view name : fields) table.header_.emplace_back(name);
      continue;
    }
    if (fields.size() != table.header_.size()) {
      return InvalidArgument(fmt::format("{}:{}: {} fields, the header has {}", table.file_,
                                         line_number, fields.size(), table.header_.size()));
    }
    table.rows_.push_back(std::move(fields));
    table.lines_.push_back(line_number);
  }
  if (table.header_.empty()) return InvalidArgument(table.file_ + ": empty file, no header");
  return table;
}

Result<CsvTable> CsvTable::Load(const std::string& path) {
  std::ifstream file(path);
  if (!file) return NotFound(path + ": cannot open");
  std::stringstream text;
  text << file.rdbuf();
  return Parse(text.str(), path);
}

Result<size_t> CsvTable::Column(std::string_view name) const {
  for (size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return i;
  }
  return InvalidArgument(fmt::format("{}:1: missing column '{}'", file_, name));
}

std::string CsvTable::Where(size_t row, size_t column) const {
  return fmt::format("{}:{}:{} ({})", file_, lines_[row], column + 1, header_[column]);
}

Result<int64_t> CsvTable::Integer(size_t row, size_t column) const {
  std::string_view text = rows_[row][column];
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return InvalidArgument(fmt::format("{}: '{}' is not a whole number", Where(row, column), text));
  }
  return value;
}

Result<int64_t> CsvTable::Scaled(size_t row, size_t column, int64_t scale) const {
  // The place is formatted only for an error: this runs once per field.
  Result<int64_t> value = ParseScaled(rows_[row][column], scale, "");
  if (value.ok()) return value;
  return ParseScaled(rows_[row][column], scale, Where(row, column));
}

}  // namespace allot
