#pragma once

// The OpenAI-compatible gateway on `allot serve` (docs/gateway.md): every
// model call is a lease on one slot of an endpoint replica, admitted, ordered
// and budgeted by the engine like any lease, then forwarded to the replica,
// streamed back and settled from the usage the model reports.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/time.h"
#include "config/gateway_config.h"
#include "gateway/upstream_client.h"
#include "server/gateway_metrics.h"

namespace allot {

class Service;
struct Decision;

// How the gateway answers the HTTP client: a whole reply, or a stream
// (chunked) of bytes passed through as they arrive. Implemented by the HTTP
// session; every call comes from the loop thread.
struct CallResponder {
  // status, content type, body. The session adds "Retry-After: 1" to every
  // 429 and 503 (http_server.cc, ResponseHead).
  std::function<void(int, std::string_view, std::string)> reply;
  std::function<void(int, std::string_view)> start_stream;
  // False once the client is gone (nothing more is sent).
  std::function<bool(std::string_view)> write;
  std::function<void()> end_stream;
};

// What the session passes of one HTTP request on a gateway path.
struct CallInput {
  std::string method;
  std::string path;  // without the query
  std::string body;
  std::string content_type;
  std::string authorization;
  std::string class_header;    // X-Allot-Class
  std::string tenant_header;   // X-Allot-Tenant
  std::string session_header;  // X-Allot-Session, else X-Session-Id
};

class Gateway {
 public:
  Gateway(Service& service, boost::asio::io_context& ioc);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // True for the paths it serves (when endpoints are configured).
  bool Serves(std::string_view path) const;
  // Starts one call; returns its handle for ClientGone (0: answered at once).
  uint64_t Handle(CallInput input, CallResponder responder);
  // The client closed its connection: the upstream call is cancelled and
  // what was used is settled.
  void ClientGone(uint64_t call);
  // An OpenAI-style error body for errors found before a call exists
  // (413 oversized body, malformed HTTP).
  static std::string ErrorBody(int status, std::string_view message, std::string_view param);

  // Rebuilds the routing tables from the configuration now in force (start
  // and reload); calls in flight keep their endpoint.
  void Configure();
  const GatewayMetrics& metrics() const { return metrics_; }

 private:
  struct Call;
  struct Candidate {
    const GatewayEndpoint* endpoint = nullptr;
    const GatewayModel* model = nullptr;
  };

  void OnDecision(const Decision& decision);
  void WaitAtMost(const std::shared_ptr<Call>& call);
  void Rejected(const std::shared_ptr<Call>& call, const Decision& decision);
  void Finish(const std::shared_ptr<Call>& call);
  // Answers the call with an OpenAI error (or ends its stream with one),
  // returning its slot uncharged; `code` is also the metrics outcome.
  void Fail(const std::shared_ptr<Call>& call, int status, std::string_view code,
            const std::string& message, std::string_view param = {});
  // Mid-stream the status is already sent: the error goes as a last event
  // (after a blank line, so that it cannot merge with a half-sent event).
  void EndStreamWithError(const std::shared_ptr<Call>& call, int status, std::string_view code,
                          const std::string& message);
  // Chooses a candidate for the call's current model (or fallback) and
  // submits its lease; false when none is left (the call was answered).
  bool Submit(const std::shared_ptr<Call>& call);
  void OnGranted(const std::shared_ptr<Call>& call);
  void StartUpstream(const std::shared_ptr<Call>& call);
  void OnHead(const std::shared_ptr<Call>& call, const gateway::UpstreamHead& head);
  void OnData(const std::shared_ptr<Call>& call, std::string_view bytes);
  void OnDone(const std::shared_ptr<Call>& call, const Status& status);
  // Ends the call's lease with what it used: the reported usage, or an
  // estimate from the prompt and the text streamed so far.
  void Settle(const std::shared_ptr<Call>& call, bool charge);
  // Passes complete SSE events to the client, without the usage-only chunk
  // a client that did not ask for usage would trip over.
  void ForwardEvents(const std::shared_ptr<Call>& call, std::string_view bytes, bool flush);
  std::vector<Candidate> CandidatesOf(std::string_view name) const;
  Candidate Choose(const Call& call, const std::vector<Candidate>& candidates) const;
  size_t EndpointIndex(const GatewayEndpoint* endpoint) const {
    return static_cast<size_t>(endpoint - config_.endpoints.data());
  }
  // Free slots over the endpoint's replicas that are up.
  int64_t FreeSlots(const GatewayEndpoint& endpoint) const;
  void ServeModels(const CallInput& input, CallResponder& responder);

  Service& service_;
  gateway::UpstreamClient client_;
  GatewayMetrics metrics_;
  GatewayConfig config_;
  // Per endpoint (config order): its replicas' parsed URLs and the
  // Authorization header from its api_key_env.
  std::vector<std::vector<gateway::UpstreamUrl>> replica_urls_;
  std::vector<std::string> authorization_;
  // Per inventory node: its (endpoint, replica), or (-1, -1).
  std::vector<std::pair<int, int>> node_replica_;
  // Per endpoint: its replicas' inventory nodes.
  std::vector<std::vector<NodeIndex>> endpoint_nodes_;
  std::unordered_map<uint64_t, std::shared_ptr<Call>> calls_;       // by call id
  std::unordered_map<uint64_t, std::shared_ptr<Call>> by_request_;  // queued / leased
  uint64_t next_call_ = 1;
};

}  // namespace allot
