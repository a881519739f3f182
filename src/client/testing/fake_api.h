#pragma once

// A scripted stand-in for `allot serve` in client tests: routes requests by
// method and path prefix to canned replies, and records what it received.
// Built on LoopbackServer (one connection at a time, 127.0.0.1 only).

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "client/testing/loopback_server.h"

namespace allot::testing {

struct FakeRequest {
  std::string method;
  std::string target;  // path and query
  std::string body;
  std::string head;  // the request line and headers, each ending "\r\n"
};

class FakeApi {
 public:
  // Returns the whole raw reply (use HttpReply), or "" to close the
  // connection without answering.
  using Route = std::function<std::string(const FakeRequest&, LoopbackConnection&)>;

  FakeApi();
  // Requests whose method matches and whose target starts with `prefix`
  // go to `route`; the first match in the order added wins. Unmatched
  // requests get a 404 in the API's error shape.
  void On(std::string method, std::string prefix, Route route);
  // Shorthand: always the same status and JSON body.
  void On(std::string method, std::string prefix, int status, std::string body);

  std::string url() const { return server_.url(); }
  // Everything received so far (a copy; safe while the server runs).
  std::vector<FakeRequest> requests() const;

 private:
  void Serve(LoopbackConnection& connection);

  struct Entry {
    std::string method;
    std::string prefix;
    Route route;
  };
  mutable std::mutex mutex_;
  std::vector<Entry> routes_;
  std::vector<FakeRequest> requests_;
  LoopbackServer server_;  // last: its thread uses the members above
};

}  // namespace allot::testing
