#pragma once

// The process side of `allot run`, apart from HTTP so it can be tested with
// real child processes and no server: signals turned into pipe bytes, and a
// supervisor that starts the command, forwards signals to it, stops it on
// request, and reports how it ended.

#include <signal.h>

#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/time.h"

namespace allot {

// The self-pipe trick: a handler for each of `signals` writes a two-byte
// record (signal number, raised-by-the-kernel flag) to a non-blocking pipe,
// and ordinary code reads the records in its loop, so nothing but write(2)
// runs in a handler. Construction installs the handlers, destruction
// restores the previous dispositions. A signal that was ignored when the
// pipe was made (nohup, a batch system) stays ignored and is never reported
// (SIGCHLD excepted: it is always caught, since ignoring it makes the kernel
// reap children before their status can be read).
//
// One process-wide descriptor serves the handlers, so at most one SignalPipe
// may exist at a time (CHECK). Drain is for one thread; the handlers may run
// on any thread.
class SignalPipe {
 public:
  struct Caught {
    int signal = 0;
    // The kernel raised it (si_code SI_KERNEL): for SIGINT, SIGQUIT and
    // SIGHUP that is the terminal signalling its whole foreground process
    // group, so a child in the same group received it too.
    bool from_kernel = false;
    friend bool operator==(const Caught&, const Caught&) = default;
  };

  explicit SignalPipe(const std::vector<int>& signals);
  ~SignalPipe();
  SignalPipe(const SignalPipe&) = delete;
  SignalPipe& operator=(const SignalPipe&) = delete;

  // Readable while records are pending (for poll(2) or an interrupt fd).
  int read_fd() const { return read_fd_; }
  // Every record pending now, oldest first; never blocks.
  std::vector<Caught> Drain();
  // Whether `signal` is caught (asked for and not ignored at construction).
  bool Handles(int signal) const;

 private:
  struct Saved {
    int signal;
    struct sigaction previous;  // restored on destruction
  };
  int read_fd_ = -1;
  int write_fd_ = -1;
  std::vector<Saved> saved_;
};

// What to start: argv (argv[0] looked up in PATH) and changes to the
// inherited environment (a value sets the variable, nullopt removes it).
struct ChildSpec {
  std::vector<std::string> argv;
  std::map<std::string, std::optional<std::string>> environment;
};

struct ChildExit {
  // The command's exit status; 128 + N when signal N killed it;
  // kExitCannotExecute (127) when it could not be started.
  int exit_code = 0;
  int signal = 0;            // the signal that killed it, 0 when it exited
  bool exec_failed = false;  // not started: exec_error says why
  std::string exec_error;
  bool terminated = false;  // Terminate() was acted on before it ended
  double wall_seconds = 0;  // start to exit, on the steady clock
};

// Runs one command to its end. The child shares allot's process group,
// stdin, stdout and stderr (so it can use the terminal as if run directly)
// and gets default signal dispositions and an empty signal mask.
//
// While it runs, each signal caught by `signals` other than SIGCHLD is sent
// on to the child, except one the kernel raised (Ctrl-C, Ctrl-\, a terminal
// hang-up): the terminal already delivered that to the whole process group,
// and a second copy would make e.g. Python raise KeyboardInterrupt twice.
//
// Terminate() may be called from any thread (the heartbeat): the child gets
// SIGTERM, then SIGKILL if it is still running `kill_grace` later.
class ChildSupervisor {
 public:
  // `signals` must catch SIGCHLD (that is how the child's exit is seen) and
  // outlive the supervisor.
  ChildSupervisor(SignalPipe& signals, Duration kill_grace);
  ~ChildSupervisor();
  ChildSupervisor(const ChildSupervisor&) = delete;
  ChildSupervisor& operator=(const ChildSupervisor&) = delete;

  // Starts the command and blocks until it has ended and been reaped.
  ChildExit Run(const ChildSpec& spec);

  // Asks the running (or next) child to stop; thread-safe, idempotent.
  void Terminate();

 private:
  SignalPipe& signals_;
  Duration kill_grace_;
  int wake_read_ = -1;  // Terminate() writes a byte here to wake Run's poll
  int wake_write_ = -1;
  std::atomic<bool> terminate_requested_{false};
};

}  // namespace allot
