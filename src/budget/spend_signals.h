#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace allot {

// Cumulative spend sampled at equal steps; the burn over the trailing window
// is the newest sample minus the one `steps` samples earlier. Value type.
class BurnWindow {
 public:
  explicit BurnWindow(int steps = 12) : samples_(static_cast<size_t>(steps) + 1, 0) {}

  void Add(int64_t cumulative);
  // True once `steps` + 1 samples span a whole window.
  bool full() const { return count_ >= samples_.size(); }
  // Spend over the window: newest - oldest sample.
  int64_t Spent() const;

  // For snapshots: the samples oldest first.
  std::vector<int64_t> Samples() const;
  void SetSamples(const std::vector<int64_t>& oldest_first);

  friend bool operator==(const BurnWindow&, const BurnWindow&) = default;

 private:
  std::vector<int64_t> samples_;  // ring
  size_t head_ = 0;               // next write
  size_t count_ = 0;
};

// Flags a window's spend that is far above the recent baseline. Robust to
// the noise and to past spikes: the baseline is the median m of the last
// `history` windows and the spread their median absolute deviation (MAD),
// scaled by 1.4826 so it estimates a standard deviation for normal noise:
//   score = (x - m) / (1.4826 * max(MAD, 5% of m, 1))
// and the window is anomalous when score > threshold and x >= min_ratio * m,
// once at least `min_history` windows are known. The floor on the spread
// keeps near-constant spend from flagging every small wobble; the ratio keeps
// tiny baselines from flagging small absolute changes. Value type.
class SpendAnomalyDetector {
 public:
  struct Verdict {
    bool anomalous = false;
    int64_t median = 0;
    int64_t mad = 0;
    double score = 0;
  };

  explicit SpendAnomalyDetector(int history = 32, int min_history = 8)
      : history_(static_cast<size_t>(history)), min_history_(static_cast<size_t>(min_history)) {}

  // Judges `spend` against the windows before it, then adds it to them.
  Verdict Observe(int64_t spend, double threshold, double min_ratio);

  std::vector<int64_t> History() const;  // oldest first, for snapshots
  void SetHistory(const std::vector<int64_t>& oldest_first);

  friend bool operator==(const SpendAnomalyDetector&, const SpendAnomalyDetector&) = default;

 private:
  std::vector<int64_t> values_;  // ring of up to history_ values
  size_t head_ = 0;
  size_t history_;
  size_t min_history_;
};

}  // namespace allot
