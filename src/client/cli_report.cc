// `allot report`, `usage`, `events`, `reload`.

#include <functional>
#include <string_view>

#include "budget/calendar.h"
#include "client/commands.h"
#include "client/exit_codes.h"

namespace allot {

namespace {

// --from and --to as the server reads them (RFC 3339 or a date), checked
// before anything is sent so a malformed time is a usage error (exit 2) like
// every other malformed value. 0 when both are well formed or empty.
int CheckWindow(ClientContext& ctx, const std::string& from, const std::string& to) {
  for (auto [option, text] : {std::pair("--from", &from), std::pair("--to", &to)}) {
    if (text->empty()) continue;
    Result<Time> parsed = ParseTimestamp(*text, TimeZone::Utc(), option);
    if (!parsed.ok()) return UsageError(ctx, parsed.status().message());
  }
  return kExitOk;
}

}  // namespace

int ShowReport(ClientContext& ctx, const ReportOptions& options) {
  if (int code = CheckWindow(ctx, options.from, options.to); code != kExitOk) return code;
  std::string target =
      "/v1/reports/chargeback" +
      Query({{"from", options.from},
             {"to", options.to},
             {"by", options.by},
             {"level", options.level ? std::to_string(*options.level) : std::string()}});
  Result<ApiReply> reply = CallApi(ctx.http, "GET", target);
  if (int code = ReportFailure(ctx, reply); code != kExitOk) return code;
  const Json& body = reply->body;
  if (ctx.output == OutputFormat::kJson) {
    PrintJson(ctx.out, body);
    return kExitOk;
  }

  std::string currency = Text(body, "currency");
  ctx.out << "chargeback " << FormatTime(body.value("from", Json())) << " .. "
          << FormatTime(body.value("to", Json())) << ", by "
          << (options.by.empty() ? "tenant" : options.by) << "\n";
  Table table({"KEY", "COST", "GPU-HOURS", "TOKENS", "LEASES"});
  for (size_t column : {1, 2, 3, 4}) table.RightAlign(column);
  auto add = [&](const std::string& key, const Json& row) {
    const Json* gpu_hours = Field(row, "gpu_hours");
    const Json* tokens = Field(row, "tokens");
    const Json* leases = Field(row, "leases");
    table.AddRow({key, FormatMoney(row.value("cost", Json()), currency),
                  gpu_hours == nullptr ? "-" : FormatNumber(*gpu_hours, 2),
                  tokens == nullptr ? "-" : FormatNumber(*tokens),
                  leases == nullptr ? "-" : FormatNumber(*leases)});
  };
  if (const Json* rows = Field(body, "rows"); rows != nullptr && rows->is_array()) {
    for (const Json& row : *rows) add(Text(row, "key"), row);
  }
  // "total" is the total cost, or a row of its own with every column.
  if (const Json* total = Field(body, "total"); total != nullptr) {
    add("TOTAL", total->is_object() ? *total : Json{{"cost", *total}});
  }
  table.Print(ctx.out);
  return kExitOk;
}

namespace {

// Calls `page` with the body of each page of GET /v1/usage in `format`
// (docs/api.md, "Usage pages"), asking for the largest page; returns the
// exit code of the first failed call, else kExitOk.
int ForEachUsagePage(ClientContext& ctx, const std::string& from, const std::string& to,
                     const std::string& format,
                     const std::function<void(std::string_view text, bool first)>& page) {
  std::string cursor;
  for (bool first = true;; first = false) {
    Result<ApiReply> reply = CallApi(ctx.http, "GET",
                                     "/v1/usage" + Query({{"from", from},
                                                          {"to", to},
                                                          {"format", format},
                                                          {"limit", "20000"},
                                                          {"cursor", cursor}}));
    if (int code = ReportFailure(ctx, reply); code != kExitOk) return code;
    page(reply->raw, first);
    if (reply->next_cursor.empty()) return kExitOk;
    cursor = reply->next_cursor;
  }
}

// A usage record's integer field, 0 when absent or not a number.
double Number(const Json& record, std::string_view key) {
  const Json* value = Field(record, key);
  return value != nullptr && value->is_number() ? value->get<double>() : 0.0;
}

}  // namespace

int ShowUsageExport(ClientContext& ctx, const std::string& from, const std::string& to,
                    const std::string& format) {
  // The export is all the pages, one header row for csv and focus.
  return ForEachUsagePage(ctx, from, to, format, [&](std::string_view text, bool first) {
    if (!first && format != "jsonl") {
      size_t header_end = text.find('\n');
      text =
          header_end == std::string_view::npos ? std::string_view() : text.substr(header_end + 1);
    }
    ctx.out << text;  // byte for byte: the export is for other tools
  });
}

int ShowUsage(ClientContext& ctx, const std::string& from, const std::string& to,
              const std::string& format) {
  if (int code = CheckWindow(ctx, from, to); code != kExitOk) return code;
  if (!format.empty()) return ShowUsageExport(ctx, from, to, format);
  // --output json: the records as the server's JSON lines.
  if (ctx.output == OutputFormat::kJson) return ShowUsageExport(ctx, from, to, "jsonl");

  Table table({"LEASE", "TENANT", "CLASS", "POOL", "START", "END", "GPU-HOURS", "TOKENS", "COST"});
  for (size_t column : {0, 6, 7, 8}) table.RightAlign(column);
  size_t unreadable = 0;
  int code = ForEachUsagePage(ctx, from, to, "jsonl", [&](std::string_view text, bool) {
    for (size_t start = 0; start < text.size();) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      std::string_view line = text.substr(start, end - start);
      start = end + 1;
      if (line.empty()) continue;
      Json record = Json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!record.is_object()) {
        ++unreadable;
        continue;
      }
      // gpu_ms is milli-GPUs x milliseconds held: 3.6e9 is one GPU for an hour.
      double gpu_hours = Number(record, "gpu_ms") / 3.6e9;
      double tokens = Number(record, "tokens_input") + Number(record, "tokens_output");
      table.AddRow({Text(record, "lease"), Text(record, "tenant_path"),
                    Text(record, "priority_class"), Text(record, "pool"),
                    FormatTime(record.value("start", Json())),
                    FormatTime(record.value("end", Json())), FormatNumber(Json(gpu_hours), 3),
                    FormatNumber(Json(tokens)), FormatMoney(record.value("cost", Json()), "")});
    }
  });
  if (code != kExitOk) return code;
  table.Print(ctx.out);
  ctx.out << table.rows() << " records. GPU-HOURS: GPUs x hours held (the export's gpu_ms is "
          << "milli-GPUs x milliseconds: 3600000000 gpu_ms = one GPU for one hour); TOKENS: input "
          << "+ output; COST in the server's currency (allot report shows it).\n";
  if (unreadable > 0) ctx.err << "allot: " << unreadable << " usage lines were not JSON objects\n";
  return kExitOk;
}

int FollowEvents(ClientContext& ctx, Duration timeout) {
  Status status = ctx.http.Stream(
      "/v1/events",
      [&](std::string_view event, std::string_view data) {
        if (ctx.output == OutputFormat::kTable) ctx.out << event << " ";
        ctx.out << data << std::endl;  // flushed: a pipe reader sees each event at once
        return true;
      },
      timeout);
  return ReportStatus(ctx, status);
}

int Reload(ClientContext& ctx) {
  Result<ApiReply> reply = CallApi(ctx.http, "POST", "/v1/admin/reload");
  if (int code = ReportFailure(ctx, reply); code != kExitOk) {
    // A refused reload lists its reasons; each on a line of its own.
    if (reply.ok()) {
      const Json* error = Field(reply->body, "error");
      for (const Json* holder : {error, static_cast<const Json*>(&reply->body)}) {
        const Json* reasons = holder == nullptr ? nullptr : Field(*holder, "reasons");
        if (reasons == nullptr || !reasons->is_array()) continue;
        for (const Json& reason : *reasons) {
          ctx.err << "  " << (reason.is_string() ? reason.get<std::string>() : reason.dump())
                  << "\n";
        }
        break;
      }
    }
    return code;
  }
  if (ctx.output == OutputFormat::kJson) {
    PrintJson(ctx.out, reply->body);
  } else {
    ctx.out << "reloaded\n";
  }
  return kExitOk;
}

}  // namespace allot
