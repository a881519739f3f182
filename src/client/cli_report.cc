// `allot report`, `usage`, `events`, `reload`.

#include "client/commands.h"
#include "client/exit_codes.h"

namespace allot {

int ShowReport(ClientContext& ctx, const ReportOptions& options) {
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

int ShowUsageExport(ClientContext& ctx, const std::string& from, const std::string& to,
                    const std::string& format) {
  // The server answers a page at a time (docs/api.md, "Usage pages"); the
  // export is all of them, one header row for csv and focus.
  std::string cursor;
  for (bool first = true;; first = false) {
    Result<ApiReply> reply = CallApi(ctx.http, "GET",
                                     "/v1/usage" + Query({{"from", from},
                                                          {"to", to},
                                                          {"format", format},
                                                          {"limit", "20000"},
                                                          {"cursor", cursor}}));
    if (int code = ReportFailure(ctx, reply); code != kExitOk) return code;
    std::string_view text = reply->raw;
    if (!first && format != "jsonl") {
      size_t header_end = text.find('\n');
      text =
          header_end == std::string_view::npos ? std::string_view() : text.substr(header_end + 1);
    }
    ctx.out << text;  // byte for byte: the export is for other tools
    if (reply->next_cursor.empty()) return kExitOk;
    cursor = reply->next_cursor;
  }
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
