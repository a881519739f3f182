// gateway_loadgen: an HTTP/1.1 load generator for the gateway benchmark (bench/gateway_load).
//
// One thread, one io_context, N keep-alive connections, the same request (a fixed body and
// headers) over and over. Two modes:
//
//   --rate R > 0   open loop: request i is due at start + i/R whatever happened before; a due
//                  request waits for a free connection, and its latency is measured from the
//                  time it was due (not from when it was sent), so a stalled server is charged
//                  for the requests it held up (no coordinated omission).
//   --rate 0       closed loop: every connection sends its next request as soon as the last
//                  reply has arrived (maximum throughput); latency from the send.
//
// requests_per_s is the measured replies over the measured window, or over the time from its
// start to the last measured reply when that is longer (a server that fell behind an open-loop
// rate shows a lower figure than the rate asked for, and a large max_backlog).
//
// Requests due (open loop) or sent (closed loop) during the warm-up are not measured; after
// the measured window the requests still due or in flight are finished (up to --drain-s),
// then the run ends. Prints one JSON object (see Report) on stdout and, with --output, to a
// file: requests/s, errors, status counts, and latency percentiles in microseconds.

#include <fmt/format.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cmath>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

struct Options {
  std::string url;
  std::string method = "POST";
  std::vector<std::string> headers;
  std::string body;
  std::string body_file;
  int connections = 32;
  double rate = 0;  // requests/s; 0 = closed loop
  double duration_s = 10;
  double warmup_s = 2;
  double drain_s = 10;
  std::string label;
  std::string output;
};

struct Url {
  std::string host;
  std::string port;
  std::string target;
};

std::optional<Url> ParseUrl(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return std::nullopt;
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  Url out;
  out.target = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = authority.rfind(':');
  out.host = authority.substr(0, colon);
  out.port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  if (out.host.empty() || out.port.empty()) return std::nullopt;
  return out;
}

struct Stats {
  std::vector<int64_t> latencies_us;  // measured replies
  int64_t ok = 0;                     // measured 2xx
  int64_t non_2xx = 0;                // measured, other statuses
  std::map<int, int64_t> statuses;    // measured, by status
  int64_t errors_connect = 0;
  int64_t errors_write = 0;
  int64_t errors_read = 0;
  int64_t errors_timeout = 0;  // still pending or in flight when the drain ended
  int64_t sent = 0;            // every request written, warm-up included
  int64_t reconnects = 0;
  int64_t stale_retries = 0;  // requests sent again after a kept-alive connection was closed
  int64_t max_backlog = 0;    // open loop: the most due requests waiting for a connection
};

class LoadGenerator;

// One keep-alive connection.
class Connection {
 public:
  Connection(LoadGenerator& generator, asio::io_context& io) : generator_(generator), socket_(io) {}
  void Connect();
  void Send(Clock::time_point due);
  void Close() {
    beast::error_code ignored;
    socket_.close(ignored);
  }
  bool busy() const { return busy_; }

 private:
  void OnWrite(beast::error_code ec);
  void OnRead(beast::error_code ec);
  void Fail();

  LoadGenerator& generator_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  Clock::time_point due_;
  bool busy_ = false;
  int64_t replies_ = 0;                      // on this connection since it was opened
  std::optional<Clock::time_point> resend_;  // a request to send again once reconnected
};

class LoadGenerator {
 public:
  LoadGenerator(Options options, std::string request, tcp::resolver::results_type endpoints)
      : options_(std::move(options)),
        request_(std::move(request)),
        endpoints_(std::move(endpoints)),
        tick_(io_),
        drain_(io_) {}

  Json Run() {
    start_ = Clock::now();
    measure_from_ = start_ + Seconds(options_.warmup_s);
    end_ = measure_from_ + Seconds(options_.duration_s);
    next_due_ = start_;
    interval_ = options_.rate > 0 ? Seconds(1.0 / options_.rate) : Clock::duration::zero();
    for (int i = 0; i < options_.connections; ++i) {
      connections_.push_back(std::make_unique<Connection>(*this, io_));
    }
    for (auto& connection : connections_) connection->Connect();
    if (open_loop()) Tick();
    drain_.expires_at(end_ + Seconds(options_.drain_s));
    drain_.async_wait([this](beast::error_code ec) {
      if (ec) return;
      stats_.errors_timeout += static_cast<int64_t>(backlog_.size());
      backlog_.clear();
      for (auto& connection : connections_) {
        if (connection->busy()) ++stats_.errors_timeout;
      }
      io_.stop();
    });
    rusage before{};
    getrusage(RUSAGE_SELF, &before);
    io_.run();
    rusage after{};
    getrusage(RUSAGE_SELF, &after);
    finished_ = Clock::now();
    for (auto& connection : connections_) connection->Close();
    double cpu = CpuSeconds(after) - CpuSeconds(before);
    return Report(cpu);
  }

  // Connection callbacks.
  bool open_loop() const { return options_.rate > 0; }
  const std::string& request() const { return request_; }
  const tcp::resolver::results_type& endpoints() const { return endpoints_; }
  Stats& stats() { return stats_; }

  // A connection is ready for a request (connected, or its reply arrived).
  void Idle(Connection* connection) {
    Clock::time_point now = Clock::now();
    if (open_loop()) {
      if (!backlog_.empty()) {
        Clock::time_point due = backlog_.front();
        backlog_.pop_front();
        connection->Send(due);
      } else {
        idle_.push_back(connection);
        MaybeFinish();
      }
    } else if (now < end_) {
      connection->Send(now);
    } else {
      idle_.push_back(connection);
      MaybeFinish();
    }
  }

  void Record(Clock::time_point due, int status) {
    if (due < measure_from_ || due >= end_) return;
    Clock::time_point now = Clock::now();
    last_measured_reply_ = std::max(last_measured_reply_, now);
    auto latency = std::chrono::duration_cast<std::chrono::microseconds>(now - due);
    stats_.latencies_us.push_back(latency.count());
    ++stats_.statuses[status];
    if (status >= 200 && status < 300) {
      ++stats_.ok;
    } else {
      ++stats_.non_2xx;
    }
  }

  // A connection failed; it reconnects after a pause.
  void Retry(Connection* connection) {
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(50));
    timer->async_wait([this, timer, connection](beast::error_code ec) {
      if (ec) return;
      if (Clock::now() >= end_ && (!open_loop() || backlog_.empty())) {
        MaybeFinish();
        return;
      }
      ++stats_.reconnects;
      connection->Connect();
    });
  }

 private:
  static Clock::duration Seconds(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  }
  static double CpuSeconds(const rusage& usage) {
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  }

  // Open loop: makes every request due by now, hands them to free connections.
  void Tick() {
    Clock::time_point now = Clock::now();
    while (next_due_ <= now && next_due_ < end_) {
      backlog_.push_back(next_due_);
      next_due_ += interval_;
    }
    while (!backlog_.empty() && !idle_.empty()) {
      // The longest idle first: every connection stays in use (a server's keep-alive timeout
      // never closes one under the generator's feet at low rates).
      Connection* connection = idle_.front();
      idle_.pop_front();
      Clock::time_point due = backlog_.front();
      backlog_.pop_front();
      connection->Send(due);
    }
    stats_.max_backlog = std::max(stats_.max_backlog, static_cast<int64_t>(backlog_.size()));
    if (next_due_ < end_) {
      tick_.expires_at(next_due_);
      tick_.async_wait([this](beast::error_code ec) {
        if (!ec) Tick();
      });
    } else {
      scheduling_done_ = true;
      MaybeFinish();
    }
  }

  // Ends the run once nothing is due, nothing is in flight and nothing more will be sent.
  void MaybeFinish() {
    if (open_loop() ? !scheduling_done_ || !backlog_.empty() : Clock::now() < end_) return;
    for (auto& connection : connections_) {
      if (connection->busy()) return;
    }
    io_.stop();
  }

  Json Report(double cpu_seconds) {
    std::vector<int64_t>& l = stats_.latencies_us;
    std::sort(l.begin(), l.end());
    auto percentile = [&](double p) -> Json {
      if (l.empty()) return nullptr;
      size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(l.size())));
      return l[std::clamp<size_t>(rank, 1, l.size()) - 1];
    };
    double mean = 0;
    for (int64_t v : l) mean += static_cast<double>(v);
    if (!l.empty()) mean /= static_cast<double>(l.size());
    Json statuses = Json::object();
    for (const auto& [status, count] : stats_.statuses) statuses[std::to_string(status)] = count;
    // Replies per second over the measured window, stretched to the last measured reply when
    // the server fell behind (an open-loop run it could not keep up with shows it here).
    double window =
        std::max(options_.duration_s,
                 std::chrono::duration<double>(last_measured_reply_ - measure_from_).count());
    int64_t errors =
        stats_.errors_connect + stats_.errors_write + stats_.errors_read + stats_.errors_timeout;
    Json report = {
        {"label", options_.label},
        {"url", options_.url},
        {"mode", open_loop() ? "open" : "closed"},
        {"target_rate", options_.rate},
        {"connections", options_.connections},
        {"duration_s", options_.duration_s},
        {"warmup_s", options_.warmup_s},
        {"requests", static_cast<int64_t>(l.size())},
        {"requests_per_s", static_cast<double>(l.size()) / window},
        {"ok", stats_.ok},
        {"non_2xx", stats_.non_2xx},
        {"statuses", statuses},
        {"errors", errors},
        {"error_detail",
         {{"connect", stats_.errors_connect},
          {"write", stats_.errors_write},
          {"read", stats_.errors_read},
          {"timeout", stats_.errors_timeout}}},
        {"reconnects", stats_.reconnects},
        {"stale_retries", stats_.stale_retries},
        {"sent_total", stats_.sent},
        {"max_backlog", stats_.max_backlog},
        {"latency_us",
         {{"p50", percentile(50)},
          {"p90", percentile(90)},
          {"p99", percentile(99)},
          {"p999", percentile(99.9)},
          {"max", l.empty() ? Json(nullptr) : Json(l.back())},
          {"mean", std::round(mean)}}},
        {"window_s", window},
        {"drain_s", std::max(0.0, std::chrono::duration<double>(finished_ - end_).count())},
        {"loadgen_cpu_s", cpu_seconds},
    };
    return report;
  }

  Options options_;
  std::string request_;
  tcp::resolver::results_type endpoints_;
  asio::io_context io_{1};
  asio::steady_timer tick_;
  asio::steady_timer drain_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::deque<Connection*> idle_;
  std::deque<Clock::time_point> backlog_;
  Clock::time_point start_;
  Clock::time_point measure_from_;
  Clock::time_point end_;
  Clock::time_point finished_;
  Clock::time_point next_due_;
  Clock::time_point last_measured_reply_{};
  Clock::duration interval_{};
  bool scheduling_done_ = false;
  Stats stats_;
};

void Connection::Connect() {
  asio::async_connect(socket_, generator_.endpoints(),
                      [this](beast::error_code ec, const tcp::endpoint&) {
                        if (ec) {
                          ++generator_.stats().errors_connect;
                          Close();
                          generator_.Retry(this);
                          return;
                        }
                        beast::error_code ignored;
                        socket_.set_option(tcp::no_delay(true), ignored);
                        buffer_.clear();
                        replies_ = 0;
                        if (resend_) {
                          Clock::time_point due = *resend_;
                          resend_.reset();
                          busy_ = false;
                          Send(due);
                          return;
                        }
                        generator_.Idle(this);
                      });
}

void Connection::Send(Clock::time_point due) {
  busy_ = true;
  due_ = due;
  ++generator_.stats().sent;
  asio::async_write(socket_, asio::buffer(generator_.request()),
                    [this](beast::error_code ec, size_t) { OnWrite(ec); });
}

void Connection::OnWrite(beast::error_code ec) {
  if (ec) {
    if (replies_ > 0 && (ec == asio::error::broken_pipe || ec == asio::error::connection_reset)) {
      ++generator_.stats().stale_retries;  // as in OnRead
      resend_ = due_;
      Close();
      Connect();
      return;
    }
    ++generator_.stats().errors_write;
    return Fail();
  }
  parser_.emplace();
  parser_->body_limit(64 << 20);
  http::async_read(socket_, buffer_, *parser_, [this](beast::error_code e, size_t) { OnRead(e); });
}

void Connection::OnRead(beast::error_code ec) {
  if (ec) {
    // The server closed a kept-alive connection before this request reached it (no byte of
    // a reply): what HTTP clients retry, once, on a new connection.
    bool stale = replies_ > 0 && !parser_->got_some() &&
                 (ec == http::error::end_of_stream || ec == asio::error::eof ||
                  ec == asio::error::connection_reset);
    if (stale) {
      ++generator_.stats().stale_retries;
      resend_ = due_;
      Close();
      Connect();
      return;
    }
    ++generator_.stats().errors_read;
    return Fail();
  }
  busy_ = false;
  ++replies_;
  const auto& response = parser_->get();
  generator_.Record(due_, static_cast<int>(response.result_int()));
  bool keep_alive = response.keep_alive();
  parser_.reset();
  if (!keep_alive) {
    Close();
    ++generator_.stats().reconnects;
    Connect();
    return;
  }
  generator_.Idle(this);
}

void Connection::Fail() {
  busy_ = false;
  Close();
  generator_.Retry(this);
}

std::string BuildRequest(const Options& options, const Url& url, const std::string& body) {
  std::string request = fmt::format("{} {} HTTP/1.1\r\nHost: {}:{}\r\n", options.method, url.target,
                                    url.host, url.port);
  bool content_type = false;
  for (const std::string& header : options.headers) {
    request += header;
    request += "\r\n";
    std::string lower = header.substr(0, header.find(':'));
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "content-type") content_type = true;
  }
  if (!body.empty() || options.method == "POST") {
    if (!content_type) request += "Content-Type: application/json\r\n";
    request += fmt::format("Content-Length: {}\r\n", body.size());
  }
  request += "\r\n";
  request += body;
  return request;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"HTTP/1.1 load generator: open-loop fixed rate or closed-loop maximum throughput"};
  app.add_option("--url", options.url, "http://HOST:PORT/PATH")->required();
  app.add_option("--method", options.method, "HTTP method")->capture_default_str();
  app.add_option("-H,--header", options.headers, "'Name: value' (repeatable)");
  app.add_option("--body", options.body, "request body");
  app.add_option("--body-file", options.body_file, "request body from a file");
  app.add_option("-c,--connections", options.connections, "keep-alive connections")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--rate", options.rate, "requests/s, open loop; 0 = closed loop (max)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("-d,--duration", options.duration_s, "measured seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--warmup", options.warmup_s, "seconds before the measured window")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--drain-s", options.drain_s,
                 "seconds after the window for due and in-flight requests to finish")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--label", options.label, "a name copied into the report");
  app.add_option("-o,--output", options.output, "also write the JSON report here");
  CLI11_PARSE(app, argc, argv);

  std::optional<Url> url = ParseUrl(options.url);
  if (!url) {
    std::cerr
        << "gateway_loadgen: --url must look like http://127.0.0.1:8080/v1/chat/completions\n";
    return 2;
  }
  std::string body = options.body;
  if (!options.body_file.empty()) {
    std::ifstream in(options.body_file);
    if (!in) {
      std::cerr << "gateway_loadgen: cannot read " << options.body_file << "\n";
      return 2;
    }
    std::stringstream text;
    text << in.rdbuf();
    body = text.str();
  }
  asio::io_context resolve_io;
  tcp::resolver resolver(resolve_io);
  beast::error_code ec;
  auto endpoints = resolver.resolve(url->host, url->port, ec);
  if (ec) {
    std::cerr << "gateway_loadgen: cannot resolve " << url->host << ": " << ec.message() << "\n";
    return 2;
  }
  LoadGenerator generator(options, BuildRequest(options, *url, body), endpoints);
  Json report = generator.Run();
  std::string text = report.dump();
  std::cout << text << std::endl;
  if (!options.output.empty()) {
    std::ofstream out(options.output);
    out << report.dump(2) << "\n";
    if (!out) {
      std::cerr << "gateway_loadgen: cannot write " << options.output << "\n";
      return 1;
    }
  }
  return 0;
}
