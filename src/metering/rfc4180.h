#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace allot {

// CSV as RFC 4180 defines it, for the metering exports: fields separated by
// commas, records ended by CRLF, a field quoted with '"' when it holds a
// comma, a quote, CR or LF, and a quote inside a quoted field doubled.
// (sim/csv.h reads the traces' plain CSV, which never quotes.)

// Appends `field` to `line`, quoted only when it has to be.
void AppendCsvField(std::string& line, std::string_view field);
// Joins `fields` with commas and ends the record with CRLF.
std::string CsvRecord(const std::vector<std::string>& fields);

// One parsed record and the physical line it starts on (1-based), so that
// errors can name the line a reader sees in an editor even when quoted
// fields span several lines.
struct CsvRow {
  int line = 0;
  std::vector<std::string> fields;
};

// Parses all records. Accepts CRLF or LF line ends (a CR or LF inside quotes
// is kept as data); a final line end is optional; empty lines are skipped.
// Fails naming the line on a quote inside an unquoted field, text after a
// closing quote, or an unterminated quoted field.
Result<std::vector<CsvRow>> ParseCsv(std::string_view text);

}  // namespace allot
