#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace allot::testing {

// A real `allot serve` process for end-to-end tests: started on an ephemeral
// loopback port with its own data directory, stopped (SIGKILL) when the
// object goes away. The binary is the one CMake built (ALLOT_BINARY).
class ServerProcess {
 public:
  ServerProcess() = default;
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the server on `config_path` ("" = embedded default) with its
  // journal in `data_dir`; waits (at most 30 s) until it listens. False, with
  // the end of its log in *error, when it does not.
  bool Start(const std::string& config_path, const std::string& data_dir, std::string* error,
             const std::vector<std::string>& extra_args = {});
  // Sends a signal; Wait() reaps the process and returns its exit status as
  // the shell would show it (128 + N when killed by signal N), -1 on timeout.
  void Signal(int signal);
  int Wait(int timeout_ms = 20000);
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  std::string base_url() const;
  const std::string& log_path() const { return log_path_; }
  std::string LogTail(size_t bytes = 4000) const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

// A fresh directory under the test temp dir; removed by RemoveTree.
std::string MakeTempDir(const std::string& prefix);
void RemoveTree(const std::string& path);
// Writes `text` to `path` (tests write configuration files).
void WriteFile(const std::string& path, const std::string& text);
// Runs `command` with /bin/sh; appends its stdout and stderr to *out and
// returns its exit code (-1 when it did not exit normally).
int RunShell(const std::string& command, std::string* out);

}  // namespace allot::testing
