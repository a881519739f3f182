#pragma once

// Delivery of events to webhooks (docs/config.md, webhooks) with retries.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/result.h"
#include "config/server_config.h"  // WebhookSpec

namespace allot {

// Sends each published event to the webhooks subscribed to its kind: an HTTP
// POST of the JSON body with `X-Allot-Event: <kind>`; a 2xx answer delivers
// it, anything else (or no answer within the timeout) is retried after
// backoff, 2 x backoff, ... (at most kMaxWebhookBackoff) until max_attempts,
// then dropped. Events reach each webhook in the order they were published.
//
// Threads: Publish never blocks on the network (it appends to a bounded
// queue per webhook, dropping the oldest waiting event when full); each
// webhook has a sending thread of its own, started by Create, so a slow or
// dead endpoint delays only its own events. Publish, stats
// and Drain may be called from any thread. Stop (also run by the destructor)
// ends the threads promptly, interrupting backoffs and requests in flight;
// events not yet delivered are lost, as they would be in a crash: webhooks are
// notifications, the journal and the events stream are the record.
class WebhookSender {
 public:
  // Per webhook, in the order of the specs; counters since Create.
  struct Stats {
    std::string webhook;
    uint64_t delivered = 0;        // answered 2xx
    uint64_t failed_attempts = 0;  // each attempt that was not
    uint64_t dropped = 0;          // given up after max_attempts, or pushed out of a full queue
    uint64_t queued = 0;           // waiting or being sent now
    std::string last_error;        // of the latest failed attempt ("" if none)
  };

  // InvalidArgument for an empty or duplicate name, a URL ParseHttpUrl
  // refuses, an unknown or missing event kind, max_attempts outside 1..20, a
  // timeout or backoff <= 0, or a queue_limit of 0; messages name
  // "webhooks[i]". Starts a sending thread per webhook.
  static Result<std::unique_ptr<WebhookSender>> Create(std::vector<WebhookSpec> specs);

  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Queues `json_body` for every webhook subscribed to `event` (none: a
  // no-op). Called from the engine's thread.
  void Publish(std::string_view event, std::string json_body);

  // Waits until every queue is empty (all delivered or dropped), at most
  // `timeout`; true when they are. For a shutdown that lets the last events
  // out, and for tests.
  bool Drain(std::chrono::milliseconds timeout);

  // Ends the sending threads; idempotent. Publish afterwards is a no-op.
  void Stop();

  std::vector<Stats> stats() const;

 private:
  struct Hook;
  class Client;

  explicit WebhookSender(std::vector<std::unique_ptr<Hook>> hooks);
  void Run(Hook* hook);  // one hook's sending thread
  bool Idle() const;

  mutable std::mutex mutex_;
  std::condition_variable wake_;     // senders: new events, or Stop
  std::condition_variable drained_;  // Drain: an event finished
  bool stopping_ = false;
  std::vector<std::unique_ptr<Hook>> hooks_;
};

}  // namespace allot
