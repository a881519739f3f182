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
  const std::vector<std::string>& header() const { return header_; }
  const std::string& file() const { return file_; }
  // The 1-based line of the file that holds `row` (blank lines are skipped).
  size_t Line(size_t row) const { return lines_[row]; }
  // Column index of `name`, or an error naming the missing column.
  Result<size_t> Column(std::string_view name) const;
  std::string_view Field(size_t row, size_t column) const { return rows_[row][column]; }
  // An int64 field, or an error naming file, line and column.
  Result<int64_t> Integer(size_t row, size_t column) const;
  // A decimal field >= 0 as fixed point, ParseScaled(field, scale): "1.5"
  // with scale 1000 is 1500. Errors name file, line and column.
  Result<int64_t> Scaled(size_t row, size_t column, int64_t scale) const;
  // "<file>:<line>:<column> (<name>)".
  std::string Where(size_t row, size_t column) const;

 private:
  std::string file_;
  // On the heap so that the field views stay valid when the table moves.
  std::unique_ptr<const std::string> text_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string_view>> rows_;
  std::vector<size_t> lines_;  // per row
};

}  // namespace allot
