#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace allot {

// A small reader for the traces' plain CSV (a header line, comma-separated
// fields, no quoting). Errors name "<file>:<line>:<column>".
class CsvTable {
 public:
  // Parses `text`; `file` names it in messages.
  static Result<CsvTable> Parse(std::string_view text, std::string file);
  static Result<CsvTable> Load(const std::string& path);

  size_t rows() const { return rows_.size(); }
  // Column index of `name`, or an error naming the missing column.
  Result<size_t> Column(std::string_view name) const;
  std::string_view Field(size_t row, size_t column) const { return rows_[row][column]; }
  // An int64 field, or an error naming file, line and column.
  Result<int64_t> Integer(size_t row, size_t column) const;
  std::string Where(size_t row, size_t column) const;

 private:
  std::string file_;
  // On the heap so that the field views stay valid when the table moves.
  std::unique_ptr<const std::string> text_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string_view>> rows_;
};

}  // namespace allot
