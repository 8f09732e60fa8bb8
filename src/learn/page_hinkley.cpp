#include "learn/page_hinkley.hpp"

#include <algorithm>

namespace hatch {

PageHinkley::PageHinkley(PageHinkleyOptions options) : options_(options) {}

bool PageHinkley::update(double value) {
  ++samples_;
  mean_ += (value - mean_) / double(samples_);
  rise_ += value - mean_ - options_.delta;
  fall_ += mean_ - value - options_.delta;
  lowest_rise_ = std::min(lowest_rise_, rise_);
  lowest_fall_ = std::min(lowest_fall_, fall_);
  const bool shifted =
      samples_ >= options_.min_samples &&
      (rise_ - lowest_rise_ > options_.threshold || fall_ - lowest_fall_ > options_.threshold);
  if (shifted) reset();
  return shifted;
}

void PageHinkley::reset() {
  samples_ = 0;
  mean_ = 0;
  rise_ = lowest_rise_ = fall_ = lowest_fall_ = 0;
}

}  // namespace hatch
