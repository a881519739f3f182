// A granted gateway call: forwarded to its replica, its answer passed back
// (streams chunk by chunk), its lease settled from the reported usage.
#include "server/gateway_call.h"

#include <fmt/format.h>

#include "server/service.h"

namespace allot {

namespace {

// An upstream failure worth trying elsewhere: no answer, or a server-side
// or capacity error. A 4xx is the caller's own problem and is passed on.
bool Retryable(int status) {
  return status == 0 || status == 408 || status == 429 || status >= 500;
}

// True when `json` has "choices": [] (blanks allowed). A quote inside a
// JSON string is escaped, so the key cannot be matched inside text.
bool HasEmptyChoices(std::string_view json) {
  size_t i = json.find("\"choices\"");
  if (i == std::string_view::npos) return false;
  i += 9;
  auto skip_blanks = [&] {
    while (i < json.size() &&
           (json[i] == ' ' || json[i] == '\t' || json[i] == '\r' || json[i] == '\n')) {
      ++i;
    }
  };
  for (char expected : {':', '[', ']'}) {
    skip_blanks();
    if (i >= json.size() || json[i] != expected) return false;
    ++i;
  }
  return true;
}

// The usage-only chunk OpenAI streams last when asked for usage: data of an
// object with an empty "choices" and a non-null "usage". Checked on the text
// first: every other chunk is passed on without a parse.
bool IsUsageOnlyEvent(std::string_view event) {
  size_t data = event.find("data:");
  if (data == std::string_view::npos) return false;
  std::string_view text = event.substr(data + 5);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  if (!HasEmptyChoices(text)) return false;
  gateway::ChunkSummary chunk = gateway::SummarizeChunk(text);
  return chunk.valid && chunk.has_usage && !chunk.content;
}

// The end of the first complete SSE event in `text` (just past its blank
// line), or npos.
size_t EventEnd(std::string_view text) {
  size_t lf = text.find("\n\n");
  size_t crlf = text.find("\r\n\r\n");
  if (lf == std::string_view::npos && crlf == std::string_view::npos) return std::string_view::npos;
  if (crlf != std::string_view::npos && (lf == std::string_view::npos || crlf < lf))
    return crlf + 4;
  return lf + 2;
}

}  // namespace

void Gateway::OnGranted(const std::shared_ptr<Call>& call) {
  call->state = CallState::kRunning;
  const Lease* lease = service_.host().engine().FindLease(LeaseId{call->lease});
  std::pair<int, int> where{-1, -1};
  if (lease != nullptr && !lease->placement.empty()) {
    size_t node = lease->placement.front().node;
    if (node < node_replica_.size()) where = node_replica_[node];
  }
  if (where.first < 0 ||
      config_.endpoints[static_cast<size_t>(where.first)].name != call->current.endpoint->name) {
    return Fail(call, 500, "internal_error",
                "the granted slot is not on a replica of the endpoint");
  }
  call->replica = static_cast<size_t>(where.second);
  StartUpstream(call);
}

void Gateway::StartUpstream(const std::shared_ptr<Call>& call) {
  size_t endpoint = EndpointIndex(call->current.endpoint);
  const gateway::UpstreamUrl& url = replica_urls_[endpoint][call->replica];
  gateway::UpstreamRequest request;
  request.target = url.Target(gateway::ApiPath(call->request.kind));
  if (!call->request.max_tokens_given && call->request.kind != gateway::ApiKind::kEmbeddings) {
    // The reservation covers this much output: the upstream is held to it,
    // so that no call can settle above what its budgets reserved.
    call->request.body["max_tokens"] = call->output_ceiling / std::max<int64_t>(1, call->request.n);
  }
  request.body = gateway::UpstreamBody(call->request, call->current.model->upstream_name);
  request.authorization = authorization_[endpoint];
  if (call->request.stream) request.accept = "text/event-stream";
  gateway::UpstreamTimeouts timeouts;
  timeouts.connect = config_.connect_timeout;
  timeouts.first_byte = config_.first_byte_timeout;
  timeouts.total = config_.upstream_timeout;
  timeouts.idle = config_.first_byte_timeout;
  call->status = 0;
  call->body.clear();
  gateway::UpstreamHandlers handlers;
  handlers.on_head = [this, call](const gateway::UpstreamHead& head) { OnHead(call, head); };
  handlers.on_data = [this, call](std::string_view bytes) { OnData(call, bytes); };
  handlers.on_done = [this, call](const Status& status) { OnDone(call, status); };
  // allot's time before the request leaves: arrival to here, less the wait
  // for a slot (the allocator's decision, not overhead).
  call->overhead += SteadyMicros() - call->mark;
  call->upstream = client_.Start(url, std::move(request), std::move(handlers), timeouts);
}

void Gateway::OnHead(const std::shared_ptr<Call>& call, const gateway::UpstreamHead& head) {
  call->status = head.status;
  call->content_type = head.content_type;
  bool ok = head.status >= 200 && head.status < 300;
  call->streaming = ok && call->request.stream &&
                    head.content_type.find("text/event-stream") != std::string::npos;
  if (call->streaming && !call->client_gone) {
    call->responder.start_stream(head.status, "text/event-stream");
    call->responded = true;
  }
}

void Gateway::OnData(const std::shared_ptr<Call>& call, std::string_view bytes) {
  if (!call->streaming) {
    call->body.append(bytes);
    return;
  }
  if (call->scanner.Feed(bytes)) call->first_token = SteadyMicros();
  ForwardEvents(call, bytes, /*flush=*/false);
}

void Gateway::ForwardEvents(const std::shared_ptr<Call>& call, std::string_view bytes, bool flush) {
  if (call->client_gone) return;
  if (call->request.include_usage) {
    if (!bytes.empty()) call->responder.write(bytes);
    return;
  }
  // Whole events only, so that the usage chunk the client did not ask for
  // (the gateway always asks the upstream for it) can be left out.
  call->pending.append(bytes);
  std::string_view rest = call->pending;
  std::string out;
  for (size_t end = EventEnd(rest); end != std::string_view::npos; end = EventEnd(rest)) {
    std::string_view event = rest.substr(0, end);
    if (!IsUsageOnlyEvent(event)) out.append(event);
    rest.remove_prefix(end);
  }
  if (flush && !IsUsageOnlyEvent(rest)) {
    out.append(rest);
    rest = {};
  }
  call->pending.erase(0, call->pending.size() - rest.size());
  if (!out.empty()) call->responder.write(out);
}

void Gateway::OnDone(const std::shared_ptr<Call>& call, const Status& status) {
  call->upstream = 0;
  call->upstream_done = SteadyMicros();
  bool ok_status = call->status >= 200 && call->status < 300;
  if (!call->responded && !ok_status && (!status.ok() || Retryable(call->status))) {
    // Nothing reached the client yet: another replica or a fallback model
    // may serve it (Submit answers with this error when none is left), and
    // this attempt is not charged.
    call->last_status = status.ok() ? call->status : 502;
    call->last_error = status.ok() ? fmt::format("upstream {} answered {}",
                                                 call->current.endpoint->name, call->status)
                                   : status.message();
    call->last_body = status.ok() ? std::move(call->body) : std::string();
    call->last_content_type = call->content_type;
    call->failed.emplace_back(call->current.endpoint->name, call->current.model->name);
    Settle(call, /*charge=*/false);
    call->mark = call->upstream_done;
    Submit(call);
    return;
  }
  if (!status.ok() && !call->responded) {
    return Fail(call, 502, "upstream_error", status.message());
  }
  if (call->streaming) {
    if (call->scanner.Finish() && call->first_token == 0) call->first_token = SteadyMicros();
    ForwardEvents(call, {}, /*flush=*/true);
    if (!status.ok()) {
      // Cut off mid-stream: say so in a last event rather than end as if done.
      call->outcome = "upstream_interrupted";
      if (!call->client_gone) EndStreamWithError(call, 502, call->outcome, status.message());
    } else if (!call->client_gone) {
      call->responder.end_stream();
    }
  } else if (!call->client_gone) {
    call->responder.reply(call->status,
                          call->content_type.empty() ? "application/json" : call->content_type,
                          call->body);
    call->responded = true;
    if (!ok_status) call->outcome = "upstream_error";
  }
  call->overhead += SteadyMicros() - call->upstream_done;
  // A 4xx answer generated nothing: not charged.
  Settle(call, /*charge=*/ok_status || call->streaming);
  Finish(call);
}

void Gateway::Settle(const std::shared_ptr<Call>& call, bool charge) {
  if (call->lease == 0) return;
  uint64_t lease = call->lease;
  by_request_.erase(lease);
  call->lease = 0;
  UsageReport report;
  if (charge) {
    gateway::ParsedUsage usage =
        call->streaming ? call->scanner.usage() : gateway::UsageFromBody(call->body);
    if (usage.present) {
      report.tokens = usage.tokens;
    } else {
      // No usage came (interrupted, cancelled, or an upstream that omits
      // it): the prompt's estimate and the text seen so far, marked.
      int64_t output_bytes = call->streaming ? call->scanner.output_text_bytes()
                                             : gateway::OutputTextBytes(call->body);
      report.tokens.input = call->request.prompt_tokens;
      report.tokens.output = (output_bytes + 3) / 4;  // EstimateTokens: ceil(bytes / 4)
      report.tokens_estimated = true;
    }
    report.tokens.output = std::min(report.tokens.output, kMaxTokensPerCall);
    report.tokens.input = std::min(report.tokens.input, kMaxTokensPerCall);
  }
  Duration now = SteadyMicros();
  report.latency = std::max<Duration>(1, now - call->arrived);
  if (call->first_token > 0) report.time_to_first_token = call->first_token - call->arrived;
  std::optional<UsageRecord> record = service_.ReleaseNow(lease, report);
  if (record.has_value() && charge) {
    metrics_.ObserveUsage(record->model, record->tokens, record->cost);
    if (report.time_to_first_token > 0) {
      metrics_.ObserveTimeToFirstToken(record->model, report.time_to_first_token);
    }
  }
}

}  // namespace allot
