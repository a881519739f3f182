// The gateway's admission and routing: a call is checked, given a candidate
// endpoint and submitted as a lease on one of its slots (gateway_call.cc
// forwards it once granted).
#include "server/gateway.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "server/gateway_call.h"
#include "server/query.h"
#include "server/service.h"

namespace allot {

using gateway::ApiKind;
using gateway::OpenAiErrorBody;

namespace {

constexpr std::string_view kInvalidRequest = "invalid_request_error";
constexpr Duration kLeaseTtlMargin = Seconds(30);

std::string_view ErrorType(int status) {
  switch (status) {
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return kInvalidRequest;
    case 402:
      return "insufficient_quota";
    case 429:
      return "rate_limit_exceeded";
    default:
      return status >= 500 ? "api_error" : kInvalidRequest;
  }
}

// The output a call may generate on `model`: n x its max_tokens; without
// one, the default, but no more than the model's context leaves after the
// prompt (as OpenAI lets such a call run to the end of the context).
int64_t OutputCeiling(const gateway::CallRequest& call, const GatewayModel& model) {
  int64_t per_choice = call.max_output_tokens;
  if (!call.max_tokens_given && model.context_tokens > 0) {
    int64_t left = (model.context_tokens - call.prompt_tokens) / std::max<int64_t>(1, call.n);
    per_choice = std::clamp<int64_t>(left, 1, per_choice);
  }
  return call.n * per_choice;
}

bool Fits(const gateway::CallRequest& call, const GatewayModel& model) {
  return model.context_tokens == 0 ||
         call.prompt_tokens + OutputCeiling(call, model) <= model.context_tokens;
}

}  // namespace

Gateway::Gateway(Service& service, boost::asio::io_context& ioc) : service_(service), client_(ioc) {
  Configure();
  service_.set_decision_listener([this](const Decision& decision) { OnDecision(decision); });
  service_.set_extra_metrics([this] { return metrics_.Serialize(); });
  service_.set_on_reload([this] { Configure(); });
}

Gateway::~Gateway() {
  service_.set_decision_listener(nullptr);
  service_.set_extra_metrics(nullptr);
  service_.set_on_reload(nullptr);
}

void Gateway::Configure() {
  const Config& config = service_.host().config();
  config_ = config.gateway;
  replica_urls_.assign(config_.endpoints.size(), {});
  authorization_.assign(config_.endpoints.size(), std::string());
  for (size_t e = 0; e < config_.endpoints.size(); ++e) {
    const GatewayEndpoint& endpoint = config_.endpoints[e];
    for (const std::string& replica : endpoint.replicas) {
      Result<gateway::UpstreamUrl> url = gateway::ParseUpstreamUrl(replica);
      // The config loader accepted it as an http:// URL; the client's own
      // check is stricter (no query): such a replica gets calls that fail.
      if (!url.ok()) spdlog::error("gateway: {}: {}", replica, url.status().message());
      replica_urls_[e].push_back(url.ok() ? *url : gateway::UpstreamUrl{});
    }
    if (!endpoint.api_key_env.empty()) {
      const char* key = std::getenv(endpoint.api_key_env.c_str());
      if (key == nullptr || *key == '\0') {
        spdlog::warn(
            "gateway: endpoint '{}': environment variable {} is not set; calls go "
            "without an API key",
            endpoint.name, endpoint.api_key_env);
      } else {
        authorization_[e] = std::string("Bearer ") + key;
      }
    }
  }
  const Inventory& inventory = config.inventory;
  node_replica_.assign(inventory.nodes.size(), {-1, -1});
  endpoint_nodes_.assign(config_.endpoints.size(), {});
  for (size_t e = 0; e < config_.endpoints.size(); ++e) {
    for (size_t r = 0; r < config_.endpoints[e].replicas.size(); ++r) {
      int node = inventory.FindNode(ReplicaNodeName(config_.endpoints[e], r));
      if (node < 0) continue;
      node_replica_[static_cast<size_t>(node)] = {static_cast<int>(e), static_cast<int>(r)};
      endpoint_nodes_[e].push_back(static_cast<NodeIndex>(node));
    }
  }
}

bool Gateway::Serves(std::string_view path) const {
  if (!config_.enabled()) return false;
  return path == "/v1/chat/completions" || path == "/v1/completions" || path == "/v1/embeddings" ||
         path == "/v1/models";
}

std::string Gateway::ErrorBody(int status, std::string_view message, std::string_view param) {
  std::string_view code = status == 413   ? "payload_too_large"
                          : status == 415 ? "unsupported_media_type"
                                          : "";
  return OpenAiErrorBody(message, ErrorType(status), param, code);
}

void Gateway::ServeModels(const CallInput& input, CallResponder& responder) {
  auto error = [&](int status, std::string_view code, const std::string& message) {
    responder.reply(status, "application/json",
                    OpenAiErrorBody(message, ErrorType(status), "", code));
  };
  if (input.method != "GET") {
    return error(405, "method_not_allowed", input.method + " is not allowed on /v1/models (GET)");
  }
  if (Result<Principal> principal = service_.Authenticate(input.authorization); !principal.ok()) {
    return error(401, "invalid_api_key", principal.status().message());
  }
  std::vector<std::pair<std::string, std::string>> models;
  auto add = [&](const std::string& id, const std::string& owner) {
    for (const auto& [known, unused] : models) {
      if (known == id) return;
    }
    models.emplace_back(id, owner);
  };
  for (const GatewayEndpoint& endpoint : config_.endpoints) {
    for (const GatewayModel& model : endpoint.models) add(model.name, endpoint.name);
  }
  for (const GatewayRoute& route : config_.routes) add(route.name, "allot");
  responder.reply(200, "application/json", gateway::ModelListBody(models));
}

uint64_t Gateway::Handle(CallInput input, CallResponder responder) {
  if (input.path == "/v1/models") {
    ServeModels(input, responder);
    return 0;
  }
  auto refuse = [&](int status, std::string_view code, const std::string& message,
                    std::string_view param = {}) {
    metrics_.ObserveCall("other", code);
    responder.reply(status, "application/json",
                    OpenAiErrorBody(message, ErrorType(status), param, code));
    return uint64_t{0};
  };
  ApiKind kind = input.path == "/v1/chat/completions" ? ApiKind::kChat
                 : input.path == "/v1/completions"    ? ApiKind::kCompletions
                                                      : ApiKind::kEmbeddings;
  if (input.method != "POST") {
    return refuse(405, "method_not_allowed",
                  fmt::format("{} is not allowed on {} (POST)", input.method, input.path));
  }
  Result<Principal> principal = service_.Authenticate(input.authorization);
  if (!principal.ok()) return refuse(401, "invalid_api_key", principal.status().message());
  if (Status allowed = Allow(*principal, Action::kLeaseWrite); !allowed.ok()) {
    return refuse(403, "permission_denied", allowed.message());
  }
  if (!service_.ready()) {
    return refuse(503, "unavailable", "the journal cannot be written: calls are not admitted");
  }
  if (!IsJsonMediaType(input.content_type)) {
    return refuse(415, "unsupported_media_type",
                  "Content-Type: must be application/json, got '" + input.content_type + "'");
  }
  Result<gateway::CallRequest> parsed =
      gateway::ParseCallRequest(kind, input.body, config_.default_max_tokens);
  if (!parsed.ok()) {
    return refuse(400, "invalid_request", parsed.status().message(),
                  gateway::ErrorParam(parsed.status()));
  }
  const Engine& engine = service_.host().engine();
  const Tenancy& tenancy = engine.tenancy();
  std::string class_name =
      !input.class_header.empty() ? input.class_header : principal->default_class;
  int class_index = class_name.empty() ? -1 : tenancy.FindClass(class_name);
  if (!class_name.empty() && class_index < 0) {
    return refuse(400, "invalid_request",
                  "X-Allot-Class: unknown priority class '" + class_name + "'", "X-Allot-Class");
  }
  std::string tenant = principal->tenant_path;
  if (!input.tenant_header.empty()) {
    tenant = input.tenant_header;
    int found = tenancy.FindTenant(tenant);
    if (found < 0) {
      return refuse(400, "invalid_request", "X-Allot-Tenant: unknown tenant '" + tenant + "'",
                    "X-Allot-Tenant");
    }
    if (!Covers(tenancy, *principal, found)) {
      return refuse(403, "permission_denied",
                    fmt::format("X-Allot-Tenant: '{}' is outside this key's subtree '{}'", tenant,
                                principal->tenant_path));
    }
  }
  std::vector<Candidate> candidates = CandidatesOf(parsed->model);
  if (candidates.empty()) {
    return refuse(404, "model_not_found",
                  fmt::format("The model '{}' does not exist or is not served by this gateway "
                              "(GET /v1/models lists them)",
                              parsed->model),
                  "model");
  }
  bool fits = std::any_of(candidates.begin(), candidates.end(),
                          [&](const Candidate& c) { return Fits(*parsed, *c.model); });
  if (!fits) {
    const GatewayModel& model = *candidates.front().model;
    int64_t output = OutputCeiling(*parsed, model);
    return refuse(400, "context_length_exceeded",
                  fmt::format("This model's maximum context length is {} tokens; the request "
                              "needs about {} ({} in the prompt, estimated, and {} to generate)",
                              model.context_tokens, parsed->prompt_tokens + output,
                              parsed->prompt_tokens, output),
                  "messages");
  }
  auto call = std::make_shared<Call>();
  call->id = next_call_++;
  call->responder = std::move(responder);
  call->request = std::move(parsed).value();
  call->models.push_back(call->request.model);
  if (const std::vector<std::string>* fallbacks = config_.FallbacksOf(call->request.model)) {
    call->models.insert(call->models.end(), fallbacks->begin(), fallbacks->end());
  }
  call->tenant = std::move(tenant);
  call->class_name = std::move(class_name);
  // No class named: the engine's default class (the same rule it applies).
  call->latency_objective =
      tenancy.priority_class(class_index >= 0 ? class_index : tenancy.default_class())
          .latency_objective;
  call->session = input.session_header;
  call->arrived = call->mark = SteadyMicros();
  calls_.emplace(call->id, call);
  Submit(call);
  return call->id;
}

std::vector<Gateway::Candidate> Gateway::CandidatesOf(std::string_view name) const {
  std::vector<Candidate> out;
  auto add_model = [&](std::string_view model) {
    for (const auto& [endpoint, served] : config_.Serving(model)) out.push_back({endpoint, served});
  };
  if (const GatewayRoute* route = config_.FindRoute(name)) {
    for (const std::string& model : route->models) add_model(model);
  } else {
    add_model(name);
  }
  return out;
}

int64_t Gateway::FreeSlots(const GatewayEndpoint& endpoint) const {
  const ClusterState& cluster = service_.host().engine().cluster();
  int64_t free = 0;
  for (NodeIndex node : endpoint_nodes_[EndpointIndex(&endpoint)]) {
    if (cluster.state(node) == NodeState::kUp) free += cluster.free_host(node, kSlots);
  }
  return free;
}

Gateway::Candidate Gateway::Choose(const Call& call,
                                   const std::vector<Candidate>& candidates) const {
  const GatewayRoute* route = config_.FindRoute(call.models[call.model_index]);
  RoutePolicy policy = route != nullptr ? route->policy : config_.policy;
  const PriceCatalog& prices = service_.host().engine().prices();
  struct Scored {
    Candidate candidate;
    int64_t free = 0;
    Money ceiling = 0;
    bool meets = true;
  };
  std::vector<Scored> scored;
  int64_t output = call.request.n * call.request.max_output_tokens;
  for (const Candidate& c : candidates) {
    Scored s{c, FreeSlots(*c.endpoint), 0, true};
    int model = prices.FindModel(c.model->name);
    if (model >= 0) s.ceiling = prices.TokenCeiling(model, call.request.prompt_tokens, output);
    // An endpoint meets an objective only when its stated latency is within
    // it; one that states none is not known to.
    s.meets = call.latency_objective == 0 ||
              (c.endpoint->latency > 0 && c.endpoint->latency <= call.latency_objective);
    scored.push_back(s);
  }
  if (policy == RoutePolicy::kLeastLoaded) {
    auto best = std::max_element(scored.begin(), scored.end(),
                                 [](const Scored& a, const Scored& b) { return a.free < b.free; });
    return best->candidate;
  }
  // Cheapest: among those that meet the class's objective (all of them when
  // none does, fastest first), the cheapest with a free slot, else the cheapest.
  bool any_meets =
      std::any_of(scored.begin(), scored.end(), [](const Scored& s) { return s.meets; });
  std::stable_sort(scored.begin(), scored.end(), [&](const Scored& a, const Scored& b) {
    if (!any_meets && a.candidate.endpoint->latency != b.candidate.endpoint->latency) {
      return a.candidate.endpoint->latency < b.candidate.endpoint->latency;
    }
    return a.ceiling < b.ceiling;
  });
  const Scored* first = nullptr;
  for (const Scored& s : scored) {
    if (any_meets && !s.meets) continue;
    if (first == nullptr) first = &s;
    if (s.free > 0) return s.candidate;
  }
  return first->candidate;
}

bool Gateway::Submit(const std::shared_ptr<Call>& call) {
  while (call->model_index < call->models.size()) {
    std::vector<Candidate> candidates = CandidatesOf(call->models[call->model_index]);
    std::erase_if(candidates, [&](const Candidate& c) {
      return !Fits(call->request, *c.model) ||
             std::find(call->failed.begin(), call->failed.end(),
                       std::make_pair(c.endpoint->name, c.model->name)) != call->failed.end();
    });
    if (candidates.empty()) {
      ++call->model_index;
      continue;
    }
    call->current = Choose(*call, candidates);
    Request request;
    request.member.resources[kSlots] = 1;
    request.pool = call->current.endpoint->name;
    request.model = call->current.model->name;
    request.input_tokens = call->request.prompt_tokens;
    request.max_output_tokens = call->output_ceiling =
        OutputCeiling(call->request, *call->current.model);
    // A call ends within upstream_timeout of its grant; the TTL frees the
    // slot of one whose release a crash lost (charged at its reservation).
    request.ttl = config_.upstream_timeout + kLeaseTtlMargin;
    request.tenant = call->tenant;
    request.priority_class = call->class_name;
    request.labels.emplace_back("api", std::string(gateway::ApiPath(call->request.kind)).substr(1));
    if (!call->session.empty()) request.labels.emplace_back("session", call->session);
    std::sort(request.labels.begin(), request.labels.end());
    call->state = CallState::kSubmitting;
    Decision answer = service_.SubmitNow(std::move(request));
    call->lease = answer.request.value;
    switch (answer.kind) {
      case DecisionKind::kGranted:
        by_request_[call->lease] = call;
        OnGranted(call);
        return true;
      case DecisionKind::kQueued:
        by_request_[call->lease] = call;
        call->state = CallState::kQueued;
        call->queued_at = SteadyMicros();
        WaitAtMost(call);
        return true;
      default:
        call->lease = 0;
        Rejected(call, answer);
        return false;
    }
  }
  // Every candidate failed (or none fits): the last upstream's own error
  // when it gave one.
  if (!call->last_body.empty() && call->last_status > 0) {
    if (!call->client_gone) {
      call->responder.reply(call->last_status, call->last_content_type, std::move(call->last_body));
      call->responded = true;
    }
    call->outcome = "upstream_error";
    Finish(call);
    return false;
  }
  Fail(call, call->last_status > 0 ? call->last_status : 502, "upstream_error",
       call->last_error.empty() ? "no endpoint could serve the call" : call->last_error);
  return false;
}

void Gateway::WaitAtMost(const std::shared_ptr<Call>& call) {
  std::weak_ptr<Call> weak = call;
  uint64_t lease = call->lease;
  service_.loop().schedule(config_.max_wait, [this, weak, lease] {
    std::shared_ptr<Call> call = weak.lock();
    if (call == nullptr || call->state != CallState::kQueued || call->lease != lease) return;
    by_request_.erase(lease);
    call->lease = 0;
    service_.CancelNow(lease);
    Fail(call, 429, "queue_timeout",
         fmt::format("all {} slots for '{}' stayed busy for {} s (gateway.max_wait); retry later",
                     call->current.endpoint->name, call->request.model,
                     config_.max_wait / kMicrosPerSecond));
  });
}

void Gateway::Rejected(const std::shared_ptr<Call>& call, const Decision& decision) {
  switch (decision.reject_code) {
    case RejectCode::kBudgetExceeded:
      return Fail(call, 402, "budget_exceeded", decision.message);
    case RejectCode::kLimitExceeded:
    case RejectCode::kWouldWait:
      return Fail(call, 429, "rate_limit_exceeded", decision.message);
    case RejectCode::kTimedOut:
      return Fail(call, 429, "queue_timeout", decision.message);
    case RejectCode::kInfeasible:
    case RejectCode::kInvalidArgument:
    case RejectCode::kIdempotencyConflict:  // the gateway sets no key
      return Fail(call, 400, "invalid_request", decision.message);
  }
}

void Gateway::OnDecision(const Decision& decision) {
  auto it = by_request_.find(decision.request.value);
  if (it == by_request_.end()) return;
  std::shared_ptr<Call> call = it->second;
  if (decision.kind == DecisionKind::kGranted && call->state == CallState::kQueued) {
    call->mark += SteadyMicros() - call->queued_at;
    OnGranted(call);
  } else if (decision.kind == DecisionKind::kRejected && call->state == CallState::kQueued) {
    by_request_.erase(it);
    call->lease = 0;
    Rejected(call, decision);
  } else if (decision.kind == DecisionKind::kLeaseEnded && call->state == CallState::kRunning) {
    // Ended by the engine (preempted after its grace, node down, expired):
    // the slot is gone, so is the call. The engine settled it at its ceiling.
    by_request_.erase(it);
    call->lease = 0;
    client_.Cancel(call->upstream);
    Fail(call, 503, "lease_ended", "the call's slot was taken back: " + decision.message);
  }
}

void Gateway::ClientGone(uint64_t id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  std::shared_ptr<Call> call = it->second;
  call->client_gone = true;
  if (call->state == CallState::kQueued) {
    by_request_.erase(call->lease);
    service_.CancelNow(call->lease);
    call->lease = 0;
  } else if (call->state == CallState::kRunning) {
    client_.Cancel(call->upstream);
    Settle(call, /*charge=*/true);
  }
  call->outcome = "client_disconnect";
  Finish(call);
}

void Gateway::Fail(const std::shared_ptr<Call>& call, int status, std::string_view code,
                   const std::string& message, std::string_view param) {
  if (call->lease != 0) Settle(call, /*charge=*/false);
  if (!call->client_gone) {
    if (!call->responded) {
      call->responder.reply(status, "application/json",
                            OpenAiErrorBody(message, ErrorType(status), param, code));
    } else {
      EndStreamWithError(call, status, code, message);
    }
  }
  call->outcome = code;
  Finish(call);
}

void Gateway::EndStreamWithError(const std::shared_ptr<Call>& call, int status,
                                 std::string_view code, const std::string& message) {
  call->responder.write("\n\ndata: " + OpenAiErrorBody(message, ErrorType(status), "", code) +
                        "\n\n");
  call->responder.end_stream();
}

void Gateway::Finish(const std::shared_ptr<Call>& call) {
  if (call->state == CallState::kFinished) return;
  call->state = CallState::kFinished;
  if (call->lease != 0) by_request_.erase(call->lease);
  metrics_.ObserveCall(call->current.model != nullptr ? call->current.model->name : "other",
                       call->outcome);
  if (call->outcome == "ok") metrics_.ObserveAddedLatency(call->overhead);
  calls_.erase(call->id);
}

}  // namespace allot
