#include "metering/rfc4180.h"

#include <fmt/format.h>

namespace allot {

void AppendCsvField(std::string& line, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    line.append(field);
    return;
  }
  line.push_back('"');
  for (char c : field) {
    if (c == '"') line.push_back('"');
    line.push_back(c);
  }
  line.push_back('"');
}

std::string CsvRecord(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line.push_back(',');
    AppendCsvField(line, fields[i]);
  }
  line.append("\r\n");
  return line;
}

Result<std::vector<CsvRow>> ParseCsv(std::string_view text) {
  std::vector<CsvRow> rows;
  int line = 1;  // physical line of the cursor
  size_t i = 0;
  while (i < text.size()) {
    // An empty line (LF or CRLF alone) is no record.
    if (text[i] == '\n' || (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      i += text[i] == '\r' ? 2 : 1;
      ++line;
      continue;
    }
    CsvRow row;
    row.line = line;
    while (true) {  // one field per iteration
      std::string field;
      if (i < text.size() && text[i] == '"') {
        int opened_on = line;
        ++i;
        while (true) {
          if (i >= text.size()) {
            return InvalidArgument(fmt::format(
                "line {}: quoted field never closed (opened on line {})", line, opened_on));
          }
          char c = text[i++];
          if (c == '"') {
            if (i < text.size() && text[i] == '"') {
              field.push_back('"');
              ++i;
              continue;
            }
            break;
          }
          if (c == '\n') ++line;
          field.push_back(c);
        }
        bool at_end = i >= text.size() || text[i] == ',' || text[i] == '\n' ||
                      (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n');
        if (!at_end) {
          return InvalidArgument(fmt::format("line {}: text after the closing quote of field {}",
                                             line, row.fields.size() + 1));
        }
      } else {
        while (i < text.size() && text[i] != ',' && text[i] != '\n' &&
               !(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
          if (text[i] == '"') {
            return InvalidArgument(
                fmt::format("line {}: quote inside unquoted field {} (quote the whole field)", line,
                            row.fields.size() + 1));
          }
          field.push_back(text[i++]);
        }
      }
      row.fields.push_back(std::move(field));
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      // End of record: CRLF, LF or end of text.
      if (i < text.size()) {
        i += text[i] == '\r' ? 2 : 1;
        ++line;
      }
      break;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace allot
