// Which probes the learner does not run: those measured far worse than the incumbent in this
// environment (LearnerOptions::known_loss), and those a prediction says are (screen_loss).
#include <cmath>

#include "learn/learner_impl.hpp"

namespace hatch {

bool Learner::Impl::known_far_worse(const Choice& design) const {
  if (runs_of(design) == 0 || runs_of(incumbent) == 0) return false;
  const double loss = mean_of(incumbent) - mean_of(design);
  return loss > std::log1p(options.known_loss) &&
         loss > options.accept_sigmas * standard_error(design);
}

std::optional<double> Learner::Impl::predicted_loss(const Choice& design, double limit) const {
  if (!options.predict_ms) return std::nullopt;
  const std::optional<double> mine = options.predict_ms(design);
  const std::optional<double> base = options.predict_ms(incumbent);
  if (!mine || !base || !(*base > 0)) return std::nullopt;
  const double loss = std::log(*mine / *base);
  if (!(loss > std::log1p(limit))) return std::nullopt;
  return loss;
}

}  // namespace hatch
