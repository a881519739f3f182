# One entry point for people and CI. `make run` and `make test` install what is
# missing (scripts/install-deps.sh), configure, build and run.
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
# Seconds each fuzz target runs in `make fuzz` and in the test pass (fuzz-smoke).
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10
# The ASan test binary runs as this many gtest shards (a process each), not a
# process per test: its start-up is most of the cost (CMakeLists.txt). The
# ASan build keeps line tables only (-g1): reports still name file and line.
ASAN_TEST_SHARDS ?= 6
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: deps build run test unit-test asan-test fuzz-build fuzz fuzz-smoke format format-check bench bench-smoke \
	experiment sim-experiments package clean

deps:
	@scripts/install-deps.sh
	@scripts/install-npm-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# The allocator as a service on the embedded default config: 127.0.0.1:8470,
# state in ./allot-data (docs/operations.md). Ctrl-C stops it cleanly.
run: build
	$(BUILD)/allot serve --data allot-data

# The Debian package, $(BUILD)/allot_<version>_<arch>.deb: the binaries built
# in $(BUILD) (RelWithDebInfo, stripped in the package), the conffile, the
# systemd unit, the man page and the docs (packaging/, docs/operations.md).
package: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target allot allot-fake-upstream
	cd $(BUILD) && cpack -G DEB

unit-test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

asan-test: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DALLOT_SANITIZE=ON -DALLOT_BENCHMARKS=OFF \
	  -DALLOT_TEST_SHARDS=$(ASAN_TEST_SHARDS) -DCMAKE_CXX_FLAGS_DEBUG=-g1
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

# The libFuzzer targets (fuzz/, docs/fuzzing.md): clang, ASan+UBSan, only the
# fuzz programs and the libraries they link.
$(FUZZ_BUILD)/build.ninja: | deps
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DALLOT_FUZZ=ON \
	  -DALLOT_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo

fuzz-build: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

# Each target for FUZZ_SECONDS, one after another; new corpus entries and
# crashes go under $(FUZZ_BUILD)/, never into fuzz/corpus/.
fuzz: fuzz-build
	fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# A short fuzzing pass: each target over its seed corpus, then fuzzing to
# FUZZ_SMOKE_SECONDS. `make test` does not run it: its tests replay every
# corpus under ASan (fuzz_corpus_* in ctest) without a clang build.
fuzz-smoke: fuzz-build
	fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SMOKE_SECONDS)

# Everything CI checks: formatting, the tests (each fuzz target's corpus
# among them), the tests under ASan+UBSan, a short smoke run of every benchmark.
test: format-check unit-test asan-test bench-smoke

format:
	git ls-files '*.h' '*.cc' | xargs clang-format -i

format-check: deps
	git ls-files '*.h' '*.cc' | xargs clang-format --dry-run --Werror

bench: build
	$(BUILD)/bench/engine_bench --benchmark_min_time=1
	$(BUILD)/bench/tenancy_bench --benchmark_min_time=1
	$(BUILD)/bench/json_bench --benchmark_min_time=0.5
	$(BUILD)/bench/journal_bench --benchmark_min_time=1

bench-smoke: build
	$(BUILD)/bench/engine_bench --benchmark_min_time=0.01 --benchmark_filter='nodes:1000/'
	$(BUILD)/bench/tenancy_bench --benchmark_min_time=0.01 --benchmark_filter='queued:10000$$'
	$(BUILD)/bench/json_bench --benchmark_min_time=0.01
	$(BUILD)/bench/journal_bench --benchmark_min_time=0.01 --benchmark_filter='fsync:0|RoundTrip'

# The fragmentation experiment on the Alibaba trace (docs/placement.md).
experiment: build
	$(BUILD)/bench/fragmentation_experiment --trace-dir ../shared/traces/alibaba-gpu-2023

# The simulator on the three published traces and the synthetic agent workload
# (docs/sim.md): reports in sim-out/.
TRACES ?= ../shared/traces
sim-experiments: build
	$(BUILD)/allot sim --config examples/sim/philly.yaml --trace $(TRACES)/philly-pollux/philly.csv \
	  --format philly --class small --class-if-gpus 8=large --policy fifo,priority,fair_share \
	  --out sim-out/philly
	$(BUILD)/allot sim --config examples/sim/azure-llm.yaml --format azure-llm \
	  --trace $(TRACES)/azure-llm-2023/AzureLLMInferenceTrace_code.csv --class realtime --tenant ide \
	  --trace $(TRACES)/azure-llm-2023/AzureLLMInferenceTrace_conv.csv --class batch --tenant evals \
	  --speedup 1,3 --policy fifo,fair_share --out sim-out/azure
	$(BUILD)/allot sim --mode fill --format alibaba --seeds 10 \
	  --trace $(TRACES)/alibaba-gpu-2023/openb_pod_list_default.csv \
	  --nodes $(TRACES)/alibaba-gpu-2023/openb_node_list_gpu_node.csv \
	  --policy frag_aware/hybrid,frag_aware/fgd,frag_aware/host_aware,best_fit,first_fit --out sim-out/fill
	$(BUILD)/allot sim --config examples/sim/agents-cluster.yaml --format synthetic \
	  --trace examples/sim/agents.yaml --policy fifo,priority,fair_share --out sim-out/agents

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
