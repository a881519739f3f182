#pragma once

#include <cstddef>
#include <vector>

namespace allot {

// Time-weighted means of piecewise-constant quantities over fixed steps: each
// slot holds a current value; Advance(dt) adds value x dt to the slot's area,
// and CloseStep(length) returns area / length per slot and starts a new step.
class SeriesIntegrator {
 public:
  void Reset(size_t slots) {
    value_.assign(slots, 0.0);
    area_.assign(slots, 0.0);
  }
  void Set(int slot, double value) { value_[static_cast<size_t>(slot)] = value; }
  void Add(int slot, double delta) { value_[static_cast<size_t>(slot)] += delta; }
  void Advance(double dt) {
    if (dt <= 0) return;
    for (size_t i = 0; i < value_.size(); ++i) area_[i] += value_[i] * dt;
  }
  std::vector<double> CloseStep(double length) {
    std::vector<double> means(area_.size());
    for (size_t i = 0; i < area_.size(); ++i) {
      means[i] = length > 0 ? area_[i] / length : value_[i];
      area_[i] = 0;
    }
    return means;
  }

 private:
  std::vector<double> value_;
  std::vector<double> area_;
};

}  // namespace allot
