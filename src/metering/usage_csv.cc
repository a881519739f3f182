#include "metering/usage_csv.h"

#include <fmt/format.h>

#include <map>

#include "metering/rfc4180.h"
#include "metering/usage_fields.h"

namespace allot {

Result<std::string> WriteUsageCsv(const std::vector<UsageRecord>& records,
                                  const ResourceCatalog& catalog) {
  std::vector<UsageField> fields = UsageFields(catalog);
  std::vector<std::string> cells;
  for (const UsageField& field : fields) cells.push_back(field.name);
  std::string text = CsvRecord(cells);
  for (size_t i = 0; i < records.size(); ++i) {
    Status valid = ValidateUsageRecord(records[i], catalog);
    if (!valid.ok()) {
      return InvalidArgument(fmt::format("records[{}]: {}", i, valid.message()));
    }
    cells.clear();
    for (const UsageField& field : fields) cells.push_back(FieldText(records[i], field));
    text += CsvRecord(cells);
  }
  return text;
}

Result<std::vector<UsageRecord>> ReadUsageCsv(std::string_view text,
                                              const ResourceCatalog& catalog) {
  Result<std::vector<CsvRow>> rows = ParseCsv(text);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return InvalidArgument("line 1: no header row");
  const CsvRow& header = rows->front();

  // Column index of each field; every field exactly once, nothing else.
  std::vector<UsageField> fields = UsageFields(catalog);
  std::map<std::string, size_t, std::less<>> by_name;
  for (size_t i = 0; i < fields.size(); ++i) by_name.emplace(fields[i].name, i);
  std::vector<size_t> column_of(fields.size(), SIZE_MAX);
  for (size_t c = 0; c < header.fields.size(); ++c) {
    const std::string& name = header.fields[c];
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      return InvalidArgument(fmt::format("line {}: unknown column '{}'", header.line, name));
    }
    if (column_of[it->second] != SIZE_MAX) {
      return InvalidArgument(fmt::format("line {}: duplicate column '{}'", header.line, name));
    }
    column_of[it->second] = c;
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (column_of[i] == SIZE_MAX && !fields[i].optional) {
      return InvalidArgument(
          fmt::format("line {}: missing column '{}'", header.line, fields[i].name));
    }
  }

  std::vector<UsageRecord> records;
  for (size_t r = 1; r < rows->size(); ++r) {
    const CsvRow& row = (*rows)[r];
    std::string where = fmt::format("line {}", row.line);
    if (row.fields.size() != header.fields.size()) {
      return InvalidArgument(fmt::format("{}: {} fields, the header has {}", where,
                                         row.fields.size(), header.fields.size()));
    }
    UsageRecord record;
    std::string_view start_text, end_text;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (column_of[i] == SIZE_MAX) continue;  // an optional column left out
      std::string_view cell = row.fields[column_of[i]];
      if (fields[i].id == UsageFieldId::kStart) start_text = cell;
      if (fields[i].id == UsageFieldId::kEnd) end_text = cell;
      ALLOT_RETURN_IF_ERROR(SetField(record, fields[i], cell, where));
    }
    ALLOT_RETURN_IF_ERROR(CheckUsageRecord(record, start_text, end_text, catalog, where));
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace allot
