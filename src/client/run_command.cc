#include "client/run_command.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "client/exit_codes.h"
#include "common/check.h"

extern char** environ;

namespace allot {

namespace {

using Clock = std::chrono::steady_clock;

// The write end of the one live SignalPipe; -1 when there is none. An
// atomic int is lock-free, so the handler may read it.
std::atomic<int> g_signal_write_fd{-1};

void OnSignal(int signal, siginfo_t* info, void* /*context*/) {
  int saved_errno = errno;  // write(2) may change it under the interrupted code
  unsigned char record[2] = {
      static_cast<unsigned char>(signal),
      static_cast<unsigned char>(info != nullptr && info->si_code == SI_KERNEL)};
  int fd = g_signal_write_fd.load();
  // Two bytes are below PIPE_BUF, so a record is never split. When the pipe
  // is full the record is dropped: the reader is far behind and already has
  // a record of this signal (SIGCHLD) or enough to act on.
  if (fd >= 0) (void)!::write(fd, record, sizeof record);
  errno = saved_errno;
}

void MakePipe(int* read_fd, int* write_fd) {
  int fds[2];
  ALLOT_CHECK(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
  *read_fd = fds[0];
  *write_fd = fds[1];
}

// Builds "NAME=value" entries: the inherited environment with `changes`
// applied, in the inherited order, new variables last.
std::vector<std::string> ChildEnvironment(
    const std::map<std::string, std::optional<std::string>>& changes) {
  std::vector<std::string> entries;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    std::string name(text.substr(0, text.find('=')));
    if (changes.contains(name)) continue;
    entries.emplace_back(text);
  }
  for (const auto& [name, value] : changes) {
    if (value) entries.push_back(name + "=" + *value);
  }
  return entries;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

SignalPipe::SignalPipe(const std::vector<int>& signals) {
  MakePipe(&read_fd_, &write_fd_);
  int expected = -1;
  ALLOT_CHECK(g_signal_write_fd.compare_exchange_strong(expected, write_fd_));
  for (int signal : signals) {
    struct sigaction previous {};
    ALLOT_CHECK(::sigaction(signal, nullptr, &previous) == 0);
    // Keep nohup's choice; but an ignored SIGCHLD means the kernel reaps
    // children itself, and the supervisor must see its child's status.
    if (previous.sa_handler == SIG_IGN && signal != SIGCHLD) continue;
    struct sigaction action {};
    action.sa_sigaction = OnSignal;
    // SA_RESTART: other threads' blocking calls (the heartbeat's socket)
    // carry on after a handler instead of failing with EINTR.
    action.sa_flags = SA_SIGINFO | SA_RESTART | (signal == SIGCHLD ? SA_NOCLDSTOP : 0);
    sigemptyset(&action.sa_mask);
    ALLOT_CHECK(::sigaction(signal, &action, nullptr) == 0);
    saved_.push_back({signal, previous});
  }
}

SignalPipe::~SignalPipe() {
  for (const Saved& saved : saved_) ::sigaction(saved.signal, &saved.previous, nullptr);
  g_signal_write_fd.store(-1);
  ::close(read_fd_);
  ::close(write_fd_);
}

bool SignalPipe::Handles(int signal) const {
  return std::any_of(saved_.begin(), saved_.end(),
                     [&](const Saved& saved) { return saved.signal == signal; });
}

std::vector<SignalPipe::Caught> SignalPipe::Drain() {
  std::vector<Caught> caught;
  unsigned char record[2];
  while (::read(read_fd_, record, sizeof record) == sizeof record) {
    caught.push_back({record[0], record[1] != 0});
  }
  return caught;
}

ChildSupervisor::ChildSupervisor(SignalPipe& signals, Duration kill_grace)
    : signals_(signals), kill_grace_(kill_grace) {
  ALLOT_CHECK(signals_.Handles(SIGCHLD));
  MakePipe(&wake_read_, &wake_write_);
}

ChildSupervisor::~ChildSupervisor() {
  ::close(wake_read_);
  ::close(wake_write_);
}

void ChildSupervisor::Terminate() {
  terminate_requested_ = true;
  (void)!::write(wake_write_, "t", 1);
}

ChildExit ChildSupervisor::Run(const ChildSpec& spec) {
  ALLOT_CHECK(!spec.argv.empty());
  ChildExit result;

  // Everything the child needs is built before it starts: posix_spawnp
  // (vfork and exec in glibc) is safe in a process with threads (the
  // heartbeat), where a plain fork followed by allocation is not, and it
  // reports an exec failure as its return value.
  std::vector<std::string> argv_strings = spec.argv;
  std::vector<std::string> env_strings = ChildEnvironment(spec.environment);
  std::vector<char*> argv = Pointers(argv_strings);
  std::vector<char*> envp = Pointers(env_strings);

  posix_spawnattr_t attributes;
  ALLOT_CHECK(posix_spawnattr_init(&attributes) == 0);
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGPIPE}) {
    if (signals_.Handles(signal)) sigaddset(&defaults, signal);
  }
  posix_spawnattr_setsigmask(&attributes, &empty);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  const Clock::time_point start = Clock::now();
  pid_t pid = 0;
  int spawn_error = ::posix_spawnp(&pid, argv[0], nullptr, &attributes, argv.data(), envp.data());
  posix_spawnattr_destroy(&attributes);
  if (spawn_error != 0) {
    result.exec_failed = true;
    result.exec_error = std::strerror(spawn_error);
    result.exit_code = kExitCannotExecute;
    return result;
  }

  std::optional<Clock::time_point> kill_at;  // SIGKILL due then, once SIGTERM went out
  while (true) {
    int status = 0;
    pid_t reaped = ::waitpid(pid, &status, WNOHANG);
    if (reaped == pid) {
      result.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (WIFSIGNALED(status)) {
        result.signal = WTERMSIG(status);
        result.exit_code = kExitSignalBase + result.signal;
      } else {
        result.exit_code = WEXITSTATUS(status);
      }
      return result;
    }
    ALLOT_CHECK(reaped == 0 || errno == EINTR);

    if (terminate_requested_ && !result.terminated) {
      result.terminated = true;
      ::kill(pid, SIGTERM);
      kill_at = Clock::now() + std::chrono::microseconds(kill_grace_);
    }
    if (kill_at && Clock::now() >= *kill_at) {
      ::kill(pid, SIGKILL);
      kill_at.reset();
    }

    // Sleep until a signal (SIGCHLD included), a Terminate() or the SIGKILL
    // deadline. The waitpid above runs after every wake, so an exit whose
    // SIGCHLD came before this poll is never missed.
    int timeout_ms = -1;
    if (kill_at) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*kill_at - Clock::now());
      timeout_ms = static_cast<int>(std::max<int64_t>(0, left.count() + 1));
    }
    pollfd fds[2] = {{signals_.read_fd(), POLLIN, 0}, {wake_read_, POLLIN, 0}};
    if (::poll(fds, 2, timeout_ms) < 0 && errno != EINTR) ALLOT_CHECK(false);
    char drain[64];
    while (::read(wake_read_, drain, sizeof drain) > 0) {
    }
    for (const SignalPipe::Caught& caught : signals_.Drain()) {
      if (caught.signal == SIGCHLD) continue;
      bool from_terminal =
          caught.from_kernel &&
          (caught.signal == SIGINT || caught.signal == SIGQUIT || caught.signal == SIGHUP);
      if (from_terminal) continue;
      ::kill(pid, caught.signal);
    }
  }
}

}  // namespace allot
