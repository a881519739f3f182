#pragma once

// The exit codes of the client subcommands (docs/cli.md), so scripts and
// orchestrators can tell "the server said no" from "the server is not there".
// `allot run` ends with its command's own code instead once the command ran.

namespace allot {

inline constexpr int kExitOk = 0;
// The server refused the call: a 4xx error reply ("error: <code>: <message>"),
// including a lease request it could not take as written (invalid_argument,
// idempotency_conflict), so a mistake exits 1 whichever subcommand made it.
inline constexpr int kExitRefused = 1;
// A usage error: unknown option, malformed value, missing argument.
inline constexpr int kExitUsage = 2;
// The server could not be reached, did not answer in time, or failed (5xx).
inline constexpr int kExitUnavailable = 3;
// A well-formed lease request was decided against (budget_exceeded,
// infeasible, limit_exceeded, would_wait, timed_out).
inline constexpr int kExitRejected = 4;
// `lease acquire --wait S`: still queued when S ran out.
inline constexpr int kExitStillQueued = 5;
// `allot run`: the command could not be executed (not found, not executable).
inline constexpr int kExitCannotExecute = 127;
// 128 + N: `allot run`'s command was killed by signal N, or allot itself was
// stopped by signal N while the request was still queued (130 for Ctrl-C).
inline constexpr int kExitSignalBase = 128;

}  // namespace allot
