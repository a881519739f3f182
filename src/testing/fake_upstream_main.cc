// allot-fake-upstream: the fake OpenAI upstream (src/testing/fake_upstream.h) as a process,
// for the gateway benchmark (bench/gateway_load) and manual tests. Runs until SIGINT/SIGTERM.

#include <fmt/format.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "testing/fake_upstream.h"

int main(int argc, char** argv) {
  allot::testing::FakeUpstreamOptions options;
  options.listen = "127.0.0.1:18080";
  int64_t chunk_delay_us = 0;
  std::vector<std::string> models;
  CLI::App app{"A fast, deterministic OpenAI-style upstream for tests and benchmarks"};
  app.add_option("--listen", options.listen, "host:port to listen on (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--delay-us", options.delay, "microseconds before each reply's head")
      ->capture_default_str();
  app.add_option("--chunk-delay-us", chunk_delay_us, "microseconds between stream chunks")
      ->capture_default_str();
  app.add_option("--words", options.words, "generated words per choice")->capture_default_str();
  app.add_option("--api-key", options.api_key,
                 "when set, requests must carry 'Authorization: Bearer KEY'");
  app.add_option("--model", models, "a model GET /v1/models lists (repeatable; default mock-1)");
  CLI11_PARSE(app, argc, argv);
  options.chunk_delay = chunk_delay_us;
  if (!models.empty()) options.models = models;

  // Block the signals before the server's thread starts, so that only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto upstream = allot::testing::FakeUpstream::Start(options);
  if (upstream == nullptr) return 1;
  fmt::print("listening on {}:{}\n", options.listen.substr(0, options.listen.rfind(':')),
             upstream->port());
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  fmt::print(stderr, "allot-fake-upstream: {} requests, stopping on signal {}\n",
             upstream->requests(), received);
  upstream.reset();
  return 0;
}
