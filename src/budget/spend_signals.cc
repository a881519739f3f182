#include "budget/spend_signals.h"

#include <algorithm>
#include <cstdlib>

namespace allot {
namespace {

int64_t Median(std::vector<int64_t> values) {
  size_t middle = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(middle),
                   values.end());
  int64_t upper = values[middle];
  if (values.size() % 2 == 1) return upper;
  int64_t lower =
      *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(middle));
  return lower + (upper - lower) / 2;
}

}  // namespace

void BurnWindow::Add(int64_t cumulative) {
  samples_[head_] = cumulative;
  head_ = (head_ + 1) % samples_.size();
  if (count_ < samples_.size()) ++count_;
}

int64_t BurnWindow::Spent() const {
  if (count_ == 0) return 0;
  size_t newest = (head_ + samples_.size() - 1) % samples_.size();
  size_t oldest = count_ < samples_.size() ? 0 : head_;
  return samples_[newest] - samples_[oldest];
}

std::vector<int64_t> BurnWindow::Samples() const {
  std::vector<int64_t> out;
  size_t oldest = count_ < samples_.size() ? 0 : head_;
  for (size_t i = 0; i < count_; ++i) out.push_back(samples_[(oldest + i) % samples_.size()]);
  return out;
}

void BurnWindow::SetSamples(const std::vector<int64_t>& oldest_first) {
  std::fill(samples_.begin(), samples_.end(), 0);
  head_ = 0;
  count_ = 0;
  size_t skip = oldest_first.size() > samples_.size() ? oldest_first.size() - samples_.size() : 0;
  for (size_t i = skip; i < oldest_first.size(); ++i) Add(oldest_first[i]);
}

SpendAnomalyDetector::Verdict SpendAnomalyDetector::Observe(int64_t spend, double threshold,
                                                            double min_ratio) {
  Verdict verdict;
  if (values_.size() >= min_history_ && !values_.empty()) {
    verdict.median = Median(values_);
    std::vector<int64_t> deviations;
    deviations.reserve(values_.size());
    for (int64_t value : values_) deviations.push_back(std::llabs(value - verdict.median));
    verdict.mad = Median(std::move(deviations));
    double spread = std::max(
        {static_cast<double>(verdict.mad), 0.05 * static_cast<double>(verdict.median), 1.0});
    verdict.score = static_cast<double>(spend - verdict.median) / (1.4826 * spread);
    verdict.anomalous =
        verdict.score > threshold &&
        static_cast<double>(spend) >= min_ratio * static_cast<double>(verdict.median);
  }
  if (values_.size() < history_) {
    values_.push_back(spend);
  } else {
    values_[head_] = spend;
    head_ = (head_ + 1) % history_;
  }
  return verdict;
}

std::vector<int64_t> SpendAnomalyDetector::History() const {
  std::vector<int64_t> out;
  for (size_t i = 0; i < values_.size(); ++i) out.push_back(values_[(head_ + i) % values_.size()]);
  return out;
}

void SpendAnomalyDetector::SetHistory(const std::vector<int64_t>& oldest_first) {
  values_.clear();
  head_ = 0;
  size_t skip = oldest_first.size() > history_ ? oldest_first.size() - history_ : 0;
  values_.assign(oldest_first.begin() + static_cast<std::ptrdiff_t>(skip), oldest_first.end());
}

}  // namespace allot
