#include "client/testing/fake_api.h"

namespace allot::testing {

FakeApi::FakeApi() : server_([this](LoopbackConnection& connection) { Serve(connection); }) {}

void FakeApi::On(std::string method, std::string prefix, Route route) {
  std::lock_guard lock(mutex_);
  routes_.push_back({std::move(method), std::move(prefix), std::move(route)});
}

void FakeApi::On(std::string method, std::string prefix, int status, std::string body) {
  On(std::move(method), std::move(prefix),
     [status, body](const FakeRequest&, LoopbackConnection&) { return HttpReply(status, body); });
}

std::vector<FakeRequest> FakeApi::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void FakeApi::Serve(LoopbackConnection& connection) {
  while (std::optional<std::string> raw = connection.ReadRequest()) {
    FakeRequest request;
    size_t head_end = raw->find("\r\n\r\n");
    request.head = raw->substr(0, head_end + 2);  // each header line with its "\r\n"
    request.body = raw->substr(head_end + 4);
    size_t space = raw->find(' ');
    request.method = raw->substr(0, space);
    request.target = raw->substr(space + 1, raw->find(' ', space + 1) - space - 1);
    Route route;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
      for (const Entry& entry : routes_) {
        if (entry.method == request.method && request.target.starts_with(entry.prefix)) {
          route = entry.route;
          break;
        }
      }
    }
    std::string reply =
        route ? route(request, connection)
              : HttpReply(404, R"({"error": {"code": "not_found", "message": "no route"}})");
    if (reply.empty() || !connection.Write(reply)) return;
  }
}

}  // namespace allot::testing
