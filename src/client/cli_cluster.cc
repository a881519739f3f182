// `allot queue`, `tenants`, `budgets`, `pools`, `nodes`, `node set-state`.

#include <fmt/format.h>

#include <functional>

#include "client/commands.h"
#include "client/exit_codes.h"

namespace allot {

namespace {

// The elements of body[key] when it is an array.
std::vector<const Json*> Items(const Json& body, std::string_view key) {
  std::vector<const Json*> items;
  if (const Json* list = Field(body, key); list != nullptr && list->is_array()) {
    for (const Json& item : *list) items.push_back(&item);
  }
  return items;
}

// GET `target`; prints the body (json) or render(body) (table).
int Show(ClientContext& ctx, const std::string& target,
         const std::function<void(const Json& body)>& render) {
  Result<ApiReply> reply = CallApi(ctx.http, "GET", target);
  if (int code = ReportFailure(ctx, reply); code != kExitOk) return code;
  if (ctx.output == OutputFormat::kJson) {
    PrintJson(ctx.out, reply->body);
  } else {
    render(reply->body);
  }
  return kExitOk;
}

// A count that the server may send as a number or as the list itself.
std::string Count(const Json& json, std::string_view key) {
  const Json* value = Field(json, key);
  if (value != nullptr && value->is_array()) return std::to_string(value->size());
  return value == nullptr ? "-" : FormatNumber(*value);
}

std::string Percent(const Json* fraction_or_percent, double scale) {
  if (fraction_or_percent == nullptr || !fraction_or_percent->is_number()) return "-";
  return fmt::format("{:.1f}%", fraction_or_percent->get<double>() * scale);
}

// "2026-11-01T00:00:00Z" -> "2026-11-01": budget periods mostly start at
// midnight, where the time only adds noise.
std::string ShortTime(const Json& value) {
  std::string text = FormatTime(value);
  if (text.ends_with("T00:00:00Z")) text.resize(text.size() - 10);
  return text;
}

// The LEASES cell of a node: the ids of the leases on it ("42, 57"), at most
// kShownLeases of them and then how many more ("..., +3"); "-" when none.
// The server sends lease objects ({"id", ...}); a bare id or a count (older
// servers) is shown as it is.
std::string NodeLeases(const Json& node) {
  constexpr size_t kShownLeases = 6;
  const Json* leases = Field(node, "leases");
  if (leases == nullptr) return "-";
  if (!leases->is_array()) return FormatNumber(*leases);
  if (leases->empty()) return "-";
  std::string text;
  for (size_t i = 0; i < leases->size() && i < kShownLeases; ++i) {
    const Json& lease = (*leases)[i];
    if (!text.empty()) text += ", ";
    text += lease.is_object() ? Text(lease, "id") : FormatNumber(lease);
  }
  if (leases->size() > kShownLeases) {
    text += ", +" + std::to_string(leases->size() - kShownLeases);
  }
  return text;
}

// True when any of `items` has capacity of `resource` (gateway pools carry
// "slots": concurrent calls; GPU pools none), so the column is shown only
// where it says something.
bool AnyCapacity(const std::vector<const Json*>& items, std::string_view resource) {
  for (const Json* item : items) {
    const Json* capacity = Field(*item, "capacity");
    if (capacity != nullptr && Field(*capacity, resource) != nullptr) return true;
  }
  return false;
}

void PrintNodes(ClientContext& ctx, const std::vector<const Json*>& nodes) {
  bool slots = AnyCapacity(nodes, "slots");
  std::vector<std::string> headers = {"NODE", "POOL", "STATE", "GPU", "CPU", "MEMORY"};
  if (slots) headers.push_back("SLOTS");
  headers.push_back("LEASES");
  Table table(std::move(headers));
  for (size_t column : {3, 4, 5, 6}) {
    if (column < 6 || slots) table.RightAlign(column);
  }
  for (const Json* node : nodes) {
    const Json allocated = node->value("allocated", Json::object());
    const Json capacity = node->value("capacity", Json::object());
    std::vector<std::string> row = {Text(*node, "name"),
                                    Text(*node, "pool"),
                                    Text(*node, "state"),
                                    FormatUsed("gpu", allocated, capacity),
                                    FormatUsed("cpu", allocated, capacity),
                                    FormatUsed("memory", allocated, capacity)};
    if (slots) row.push_back(FormatUsed("slots", allocated, capacity));
    row.push_back(NodeLeases(*node));
    table.AddRow(std::move(row));
  }
  table.Print(ctx.out);
}

}  // namespace

int ShowQueue(ClientContext& ctx, const std::string& tenant, const std::string& priority_class) {
  return Show(ctx, "/v1/queue" + Query({{"tenant", tenant}, {"class", priority_class}}),
              [&](const Json& body) {
                Table table({"POS", "ID", "TENANT", "CLASS", "REASON", "ETA"});
                table.RightAlign(0);
                table.RightAlign(1);
                for (const Json* request : Items(body, "requests")) {
                  const Json queue = request->value("queue", Json::object());
                  std::string eta = Text(queue, "eta");
                  table.AddRow({Text(queue, "position"), Text(*request, "id"),
                                Text(*request, "tenant"), Text(*request, "class"),
                                Text(queue, "reason"), eta.empty() ? "unknown" : eta});
                }
                table.Print(ctx.out);
                ctx.out << Count(body, "length") << " queued\n";
              });
}

int ShowTenants(ClientContext& ctx) {
  return Show(ctx, "/v1/tenants", [&](const Json& body) {
    Table table({"TENANT", "WEIGHT", "RUNNING", "QUEUED", "SHARE", "USAGE", "QUOTA (GUAR/LIMIT)",
                 "BUDGETS"});
    for (size_t column : {1, 2, 3, 4}) table.RightAlign(column);
    for (const Json* tenant : Items(body, "tenants")) {
      std::string quota;
      if (const Json* quotas = Field(*tenant, "quota"); quotas != nullptr && quotas->is_object()) {
        for (const auto& [resource, bounds] : quotas->items()) {
          if (!quota.empty()) quota += ", ";
          auto bound = [&](std::string_view key) {
            const Json* value = Field(bounds, key);
            return value == nullptr || value->is_null() ? std::string("-")
                                                        : FormatQuantity(resource, *value);
          };
          quota += resource + " " + bound("guaranteed") + "/" + bound("limit");
        }
      }
      std::string budgets;
      for (const Json* name : Items(*tenant, "budgets")) {
        if (!budgets.empty()) budgets += ", ";
        budgets += name->is_string() ? name->get<std::string>() : name->dump();
      }
      const Json* share = Field(*tenant, "share");
      table.AddRow({Text(*tenant, "path"), Count(*tenant, "weight"), Count(*tenant, "running"),
                    Count(*tenant, "queued"), share == nullptr ? "-" : FormatNumber(*share),
                    FormatResources(tenant->value("usage", Json::object())),
                    quota.empty() ? "-" : quota, budgets.empty() ? "-" : budgets});
    }
    table.Print(ctx.out);
    // What the columns mean, in their units (docs/tenancy.md has the maths).
    ctx.out << "SHARE: weighted dominant share above guarantees, the largest over resources of "
               "(usage - guaranteed) / (cluster capacity x WEIGHT); below 0 while under its "
               "guarantees; waiting work of the lowest share is served first.\n"
               "WEIGHT: fair-share weight beyond guarantees. RUNNING: granted leases. QUEUED: "
               "waiting requests. USAGE: what its leases hold now (GPUs, cores, memory).\n"
               "QUOTA (GUAR/LIMIT): guaranteed/limit per resource, same units; - is no limit. "
               "BUDGETS: the budgets set on this tenant (allot budgets).\n";
  });
}

int ShowBudgets(ClientContext& ctx) {
  return Show(ctx, "/v1/budgets", [&](const Json& body) {
    Table table({"BUDGET", "TENANT", "METER", "PERIOD", "LIMIT", "SETTLED", "RESERVED", "REMAINING",
                 "USED", "BURN/H", "EXHAUSTED AT"});
    for (size_t column : {4, 5, 6, 7, 8, 9}) table.RightAlign(column);
    for (const Json* budget : Items(body, "budgets")) {
      // Money meters carry the currency; token and resource-time meters
      // are plain counts.
      std::string currency = Text(*budget, "currency");
      std::string meter = Text(*budget, "meter");
      bool money = !currency.empty() && (meter.empty() || meter == "money" || meter == "cost");
      auto amount = [&](std::string_view key) {
        const Json* value = Field(*budget, key);
        if (value == nullptr) return std::string("-");
        return money ? FormatMoney(*value, currency) : FormatNumber(*value);
      };
      const Json period = budget->value("period", Json::object());
      std::string period_text =
          ShortTime(period.value("start", Json())) + ".." + ShortTime(period.value("end", Json()));
      table.AddRow({Text(*budget, "name"), Text(*budget, "tenant"), meter.empty() ? "-" : meter,
                    period_text, amount("limit"), amount("settled"), amount("reserved"),
                    amount("remaining"), Percent(Field(*budget, "used_percent"), 1),
                    amount("burn_per_hour"), FormatTime(budget->value("exhausted_at", Json()))});
    }
    table.Print(ctx.out);
  });
}

int ShowPools(ClientContext& ctx) {
  return Show(ctx, "/v1/pools", [&](const Json& body) {
    std::vector<const Json*> pools = Items(body, "pools");
    // Gateway pools hold slots (concurrent model calls), shown when any pool
    // has them, with their use like the GPUs'.
    bool slots = AnyCapacity(pools, "slots");
    std::vector<std::string> headers = {"POOL", "TIER", "NODES", "GPU", "CPU", "MEMORY"};
    if (slots) headers.push_back("SLOTS");
    headers.push_back("GPU UTIL");
    if (slots) headers.push_back("SLOT UTIL");
    Table table(std::move(headers));
    for (size_t column = 2; column < (slots ? 9u : 7u); ++column) table.RightAlign(column);
    for (const Json* pool : pools) {
      const Json allocated = pool->value("allocated", Json::object());
      const Json capacity = pool->value("capacity", Json::object());
      const Json utilisation = pool->value("utilisation", Json::object());
      std::vector<std::string> row = {Text(*pool, "name"),
                                      Text(*pool, "tier"),
                                      Count(*pool, "nodes"),
                                      FormatUsed("gpu", allocated, capacity),
                                      FormatUsed("cpu", allocated, capacity),
                                      FormatUsed("memory", allocated, capacity)};
      if (slots) row.push_back(FormatUsed("slots", allocated, capacity));
      row.push_back(Percent(Field(utilisation, "gpu"), 100));
      if (slots) row.push_back(Percent(Field(utilisation, "slots"), 100));
      table.AddRow(std::move(row));
    }
    table.Print(ctx.out);
  });
}

int ShowNodes(ClientContext& ctx, const std::string& pool) {
  return Show(ctx, "/v1/nodes" + Query({{"pool", pool}}),
              [&](const Json& body) { PrintNodes(ctx, Items(body, "nodes")); });
}

int SetNodeState(ClientContext& ctx, const std::string& node, const std::string& state) {
  if (state != "up" && state != "draining" && state != "down") {
    return UsageError(ctx, "node state must be up, draining or down");
  }
  Json body = {{"state", state}};
  Result<ApiReply> reply =
      CallApi(ctx.http, "POST", "/v1/nodes/" + UrlEncode(node) + "/state", &body);
  if (int code = ReportFailure(ctx, reply); code != kExitOk) return code;
  if (ctx.output == OutputFormat::kJson) {
    PrintJson(ctx.out, reply->body);
  } else {
    const Json* wrapped = Field(reply->body, "node");
    PrintNodes(ctx, {wrapped != nullptr ? wrapped : &reply->body});
  }
  return kExitOk;
}

}  // namespace allot
