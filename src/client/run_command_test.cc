#include "client/run_command.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "client/exit_codes.h"
#include "client/lease_heartbeat.h"

namespace allot {
namespace {

using Clock = std::chrono::steady_clock;

const std::vector<int> kRunSignals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD};

ChildExit RunShell(const std::string& script, ChildSpec spec = {},
                   Duration kill_grace = Seconds(10)) {
  SignalPipe signals(kRunSignals);
  ChildSupervisor supervisor(signals, kill_grace);
  spec.argv = {"sh", "-c", script};
  return supervisor.Run(spec);
}

// A file the child creates once its traps are set, so the test signals it
// only when it is ready.
class ReadyFile {
 public:
  ReadyFile()
      : path_(std::filesystem::path(::testing::TempDir()) /
              ("allot-ready-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++))) {
    std::filesystem::remove(path_);
  }
  ~ReadyFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }
  // Waits (bounded) until the child has created it.
  bool Await() const {
    Clock::time_point give_up = Clock::now() + std::chrono::seconds(2);
    while (!std::filesystem::exists(path_)) {
      if (Clock::now() > give_up) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

TEST(ChildSupervisorTest, PropagatesExitCode) {
  ChildExit exit = RunShell("exit 7");
  EXPECT_FALSE(exit.exec_failed);
  EXPECT_EQ(exit.exit_code, 7);
  EXPECT_EQ(exit.signal, 0);
  EXPECT_EQ(RunShell("true").exit_code, 0);
}

TEST(ChildSupervisorTest, KilledBySignalIs128PlusSignal) {
  ChildExit exit = RunShell("kill -TERM $$");
  EXPECT_EQ(exit.exit_code, 128 + SIGTERM);
  EXPECT_EQ(exit.signal, SIGTERM);
  EXPECT_EQ(RunShell("kill -KILL $$").exit_code, 128 + SIGKILL);
}

TEST(ChildSupervisorTest, MeasuresWallTime) {
  ChildExit exit = RunShell("sleep 0.1");
  EXPECT_EQ(exit.exit_code, 0);
  EXPECT_GE(exit.wall_seconds, 0.1);
  EXPECT_LT(exit.wall_seconds, 2.0);
}

TEST(ChildSupervisorTest, SetsAndRemovesEnvironmentVariables) {
  // A value inherited from the shell must not reach the child when the
  // lease names no devices.
  ASSERT_EQ(::setenv("CUDA_VISIBLE_DEVICES", "0,1,2,3", 1), 0);
  ASSERT_EQ(::setenv("ALLOT_TEST_KEPT", "kept", 1), 0);
  ChildSpec spec;
  spec.environment["ALLOT_LEASE_ID"] = "42";
  spec.environment["CUDA_VISIBLE_DEVICES"] = std::nullopt;
  EXPECT_EQ(RunShell("test \"$ALLOT_LEASE_ID\" = 42 && test -z \"${CUDA_VISIBLE_DEVICES+set}\" && "
                     "test \"$ALLOT_TEST_KEPT\" = kept",
                     spec)
                .exit_code,
            0);
  spec.environment["CUDA_VISIBLE_DEVICES"] = "1,3";
  EXPECT_EQ(RunShell("test \"$CUDA_VISIBLE_DEVICES\" = 1,3", spec).exit_code, 0);
  // The check itself can fail: a wrong value exits 1.
  spec.environment["ALLOT_LEASE_ID"] = "43";
  EXPECT_EQ(RunShell("test \"$ALLOT_LEASE_ID\" = 42", spec).exit_code, 1);
  ::unsetenv("CUDA_VISIBLE_DEVICES");
  ::unsetenv("ALLOT_TEST_KEPT");
}

TEST(ChildSupervisorTest, CommandThatCannotBeExecuted) {
  SignalPipe signals(kRunSignals);
  ChildSupervisor supervisor(signals, Seconds(10));
  ChildExit exit =
      supervisor.Run({.argv = {"/nonexistent/allot-test-command", "x"}, .environment = {}});
  EXPECT_TRUE(exit.exec_failed);
  EXPECT_EQ(exit.exit_code, kExitCannotExecute);
  EXPECT_EQ(exit.exec_error, std::strerror(ENOENT));
}

// allot receives a signal (from kill, a batch system, systemd) and the child
// gets it too; the trap's exit code proves the child saw that very signal
// (99: it never came, after about 1 s).
TEST(ChildSupervisorTest, ForwardsSignalsToTheChild) {
  for (auto [signal, name, code] :
       {std::tuple(SIGTERM, "TERM", 42), std::tuple(SIGINT, "INT", 43),
        std::tuple(SIGHUP, "HUP", 44), std::tuple(SIGQUIT, "QUIT", 45)}) {
    ReadyFile ready;
    std::thread sender([&, signal = signal] {
      if (ready.Await()) ::kill(::getpid(), signal);
    });
    ChildExit exit =
        RunShell("trap 'exit " + std::to_string(code) + "' " + name + "; touch '" + ready.path() +
                 "'; i=0; while [ $i -lt 100 ]; do sleep 0.01; i=$((i+1)); done; exit 99");
    sender.join();
    EXPECT_EQ(exit.exit_code, code) << name;
  }
}

TEST(ChildSupervisorTest, TerminateSendsTermToTheChild) {
  SignalPipe signals(kRunSignals);
  ChildSupervisor supervisor(signals, Seconds(10));
  ReadyFile ready;
  std::thread stopper([&] {
    if (ready.Await()) supervisor.Terminate();
  });
  ChildExit exit = supervisor.Run(
      {.argv = {"sh", "-c", "touch '" + ready.path() + "'; exec sleep 2"}, .environment = {}});
  stopper.join();
  EXPECT_TRUE(exit.terminated);
  EXPECT_EQ(exit.exit_code, 128 + SIGTERM);
  EXPECT_LT(exit.wall_seconds, 2.0);
}

TEST(ChildSupervisorTest, TerminateKillsAChildThatIgnoresTerm) {
  SignalPipe signals(kRunSignals);
  ChildSupervisor supervisor(signals, Seconds(1) / 5);
  ReadyFile ready;
  std::thread stopper([&] {
    if (ready.Await()) supervisor.Terminate();
  });
  ChildExit exit = supervisor.Run(
      {.argv = {"sh", "-c", "trap '' TERM; touch '" + ready.path() + "'; exec sleep 2"},
       .environment = {}});
  stopper.join();
  EXPECT_TRUE(exit.terminated);
  EXPECT_EQ(exit.exit_code, 128 + SIGKILL);
  EXPECT_GE(exit.wall_seconds, 0.2);
  EXPECT_LT(exit.wall_seconds, 2.0);
}

TEST(ChildSupervisorTest, WorksWhenSigchldWasIgnored) {
  // Ignoring SIGCHLD makes the kernel reap children; the supervisor must
  // still see the exit status.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction previous {};
  ASSERT_EQ(::sigaction(SIGCHLD, &ignore, &previous), 0);
  EXPECT_EQ(RunShell("exit 3").exit_code, 3);
  ::sigaction(SIGCHLD, &previous, nullptr);
}

TEST(SignalPipeTest, RecordsSignalsAndRestoresDispositions) {
  struct sigaction before {};
  ASSERT_EQ(::sigaction(SIGHUP, nullptr, &before), 0);
  {
    SignalPipe signals({SIGHUP, SIGCHLD});
    EXPECT_TRUE(signals.Handles(SIGHUP));
    EXPECT_FALSE(signals.Handles(SIGINT));
    ::kill(::getpid(), SIGHUP);  // with a handler installed, allot_tests lives on
    std::vector<SignalPipe::Caught> caught = signals.Drain();
    ASSERT_EQ(caught.size(), 1u);
    EXPECT_EQ(caught[0], (SignalPipe::Caught{SIGHUP, false}));  // kill(2): not the kernel
    EXPECT_TRUE(signals.Drain().empty());
  }
  struct sigaction after {};
  ASSERT_EQ(::sigaction(SIGHUP, nullptr, &after), 0);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
}

TEST(SignalPipeTest, IgnoredSignalsStayIgnored) {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction previous {};
  ASSERT_EQ(::sigaction(SIGHUP, &ignore, &previous), 0);  // as under nohup
  {
    SignalPipe signals({SIGHUP, SIGCHLD});
    EXPECT_FALSE(signals.Handles(SIGHUP));
    EXPECT_TRUE(signals.Handles(SIGCHLD));
    ::kill(::getpid(), SIGHUP);
    EXPECT_TRUE(signals.Drain().empty());
  }
  ::sigaction(SIGHUP, &previous, nullptr);
}

TEST(LeaseHeartbeatTest, BeatsUntilStopped) {
  std::atomic<int> beats{0};
  LeaseHeartbeat heartbeat(Seconds(1) / 100, [&] {
    ++beats;
    return LeaseHeartbeat::Beat::kAlive;
  });
  heartbeat.Start();
  Clock::time_point give_up = Clock::now() + std::chrono::seconds(2);
  while (beats < 3 && Clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  Clock::time_point stop = Clock::now();
  heartbeat.Stop();
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - stop).count(), 0.5);
  EXPECT_GE(beats.load(), 3);
  EXPECT_FALSE(heartbeat.ended());
  int after_stop = beats;
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(beats.load(), after_stop);
}

TEST(LeaseHeartbeatTest, StopsWhenTheLeaseEnded) {
  std::atomic<int> beats{0};
  LeaseHeartbeat heartbeat(Seconds(1) / 100, [&] {
    return ++beats == 2 ? LeaseHeartbeat::Beat::kEnded : LeaseHeartbeat::Beat::kAlive;
  });
  heartbeat.Start();
  Clock::time_point give_up = Clock::now() + std::chrono::seconds(2);
  while (!heartbeat.ended() && Clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(heartbeat.ended());
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(beats.load(), 2);
  heartbeat.Stop();
}

TEST(LeaseHeartbeatTest, StopDuringLongIntervalIsPrompt) {
  LeaseHeartbeat heartbeat(Seconds(60), [] { return LeaseHeartbeat::Beat::kAlive; });
  heartbeat.Start();
  Clock::time_point stop = Clock::now();
  heartbeat.Stop();
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - stop).count(), 0.5);
  EXPECT_EQ(heartbeat.beats(), 0);
}

}  // namespace
}  // namespace allot
