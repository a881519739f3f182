#pragma once

#include <functional>
#include <string>

#include "server/service.h"

namespace allot {

struct ServeOptions {
  ServiceOptions service;
  std::string listen;  // "host:port"; empty: the config's server.listen
  // Called once the socket listens, with the bound port (tests listen on port 0).
  std::function<void(int port)> on_listening;
};

// `allot serve`: the service behind an HTTP/1.1 server (Boost.Beast) on one
// thread, until SIGTERM or SIGINT. SIGHUP reloads the configuration. Returns
// the process exit code (0 after a clean shutdown). Boost stays in
// http_server.cc.
int Serve(ServeOptions options);

// The route template of a path for metrics labels ("/v1/leases/{id}"), so a
// label never carries an id or a tenant name.
std::string RouteTemplate(std::string_view target);

}  // namespace allot
