// Replays fuzz inputs without libFuzzer (docs/fuzzing.md): every fuzz target
// is compiled into this one program with its entry point renamed (CMake
// defines LLVMFuzzerTestOneInput as AllotFuzz_<name> per source), so the
// regular and ASan builds run each target over its committed corpus as an
// ordinary test, with gcc and no clang build.
//
// Usage: allot_fuzz_replay TARGET PATH...   (a PATH is a file or a directory
// whose files are replayed in name order)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#define ALLOT_FUZZ_TARGET(name) extern "C" int AllotFuzz_##name(const uint8_t* data, size_t size);
#include "fuzz_replay_targets.inc"
#undef ALLOT_FUZZ_TARGET

namespace {

using EntryPoint = int (*)(const uint8_t*, size_t);

struct Target {
  std::string_view name;
  EntryPoint run;
};

constexpr Target kTargets[] = {
#define ALLOT_FUZZ_TARGET(name) {#name, &AllotFuzz_##name},
#include "fuzz_replay_targets.inc"
#undef ALLOT_FUZZ_TARGET
};

std::vector<std::filesystem::path> InputsUnder(const std::filesystem::path& path) {
  std::vector<std::filesystem::path> inputs;
  if (std::filesystem::is_directory(path)) {
    for (const auto& entry : std::filesystem::directory_iterator(path)) {
      if (entry.is_regular_file()) inputs.push_back(entry.path());
    }
    std::sort(inputs.begin(), inputs.end());
  } else {
    inputs.push_back(path);
  }
  return inputs;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s TARGET PATH...\ntargets:", argv[0]);
    for (const Target& target : kTargets) std::fprintf(stderr, " %s", target.name.data());
    std::fprintf(stderr, "\n");
    return 2;
  }
  const std::string_view wanted = argv[1];
  const auto target = std::find_if(std::begin(kTargets), std::end(kTargets),
                                   [&](const Target& t) { return t.name == wanted; });
  if (target == std::end(kTargets)) {
    std::fprintf(stderr, "unknown fuzz target '%s'\n", argv[1]);
    return 2;
  }
  size_t replayed = 0;
  for (int i = 2; i < argc; ++i) {
    if (!std::filesystem::exists(argv[i])) {
      std::fprintf(stderr, "no such input: %s\n", argv[i]);
      return 2;
    }
    for (const std::filesystem::path& input : InputsUnder(argv[i])) {
      std::ifstream file(input, std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(file)),
                              std::istreambuf_iterator<char>());
      // The entry point aborts (fuzz::Expect) or a sanitizer stops the process
      // on a finding; naming the input first says which one it was.
      std::fprintf(stderr, "replay %s\n", input.c_str());
      target->run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++replayed;
    }
  }
  if (replayed == 0) {
    std::fprintf(stderr, "no inputs replayed\n");
    return 1;
  }
  std::printf("%s: %zu inputs replayed\n", target->name.data(), replayed);
  return 0;
}
