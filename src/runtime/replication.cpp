#include "runtime/replication.hpp"

#include <algorithm>
#include <iterator>
#include <latch>
#include <optional>
#include <thread>

#include "hatch/internal/codec.hpp"
#include "rpc/connection.hpp"
#include "runtime/control.hpp"

namespace hatch::runtime {

namespace {

// Writes per batch at most, and the bytes a write adds to a batch beyond its arguments (its
// pair's header, method and binary header).
constexpr std::size_t kMaxBatchWrites = 1024;
constexpr std::size_t kBytesPerWrite = 16;
// The pauses between the sends of a batch to a gated backup: from the first, doubling, to the
// longest.
constexpr std::chrono::milliseconds kFirstGatedPause{1};
constexpr std::chrono::milliseconds kLongestGatedPause{64};

}  // namespace

Replication::Answer Replication::answer_of(std::exception_ptr failure) noexcept {
  if (!failure) return {};
  try {
    std::rethrow_exception(failure);
  } catch (const ApplicationError&) {
    // It failed there as it did here.
    return {};
  } catch (const std::exception& e) {
    return {Answer::Kind::failed, e.what()};
  } catch (const internal::Moved& moved) {
    return moved.location.empty() ? Answer{Answer::Kind::gated, {}}
                                  : Answer{Answer::Kind::moved, moved.location};
  } catch (...) {
    return {Answer::Kind::failed, "an exception not derived from std::exception"};
  }
}

std::string pack_write_batch(std::span<const QueuedWrite> writes) {
  internal::WireBuffer out;
  msgpack::packer<internal::WireBuffer> pk(out);
  pk.pack_array(static_cast<std::uint32_t>(writes.size()));
  for (const QueuedWrite& w : writes) {
    pk.pack_array(2);
    pk.pack_uint32(w.method);
    pk.pack_bin(static_cast<std::uint32_t>(w.args.size()));
    pk.pack_bin_body(w.args.data(), static_cast<std::uint32_t>(w.args.size()));
  }
  return std::move(out.bytes());
}

std::vector<BatchedWrite> unpack_write_batch(std::span<const char> body,
                                             const internal::WireLimits& limits) {
  // Binaries refer into `body`: the writes point at their arguments where they arrived.
  const msgpack::object_handle handle = internal::unpack_untrusted(body, limits);
  const msgpack::object& list = handle.get();
  const auto malformed = [](const std::string& what) {
    return internal::BadArguments(
        "a batch of writes is a list of [method, binary arguments] "
        "pairs; " +
        what);
  };
  if (list.type != msgpack::type::ARRAY) throw malformed("this is not a list");
  std::vector<BatchedWrite> writes;
  writes.reserve(list.via.array.size);
  for (std::uint32_t i = 0; i < list.via.array.size; ++i) {
    const msgpack::object& pair = list.via.array.ptr[i];
    const std::string which = "item " + std::to_string(i);
    if (pair.type != msgpack::type::ARRAY || pair.via.array.size != 2) {
      throw malformed(which + " is not a pair");
    }
    const msgpack::object& method = pair.via.array.ptr[0];
    const msgpack::object& args = pair.via.array.ptr[1];
    if (method.type != msgpack::type::POSITIVE_INTEGER || method.via.u64 > 0xFFFF'FFFFu) {
      throw malformed(which + " has no method number");
    }
    if (args.type != msgpack::type::BIN) throw malformed(which + " has no binary arguments");
    writes.push_back({static_cast<std::uint32_t>(method.via.u64),
                      std::span<const char>(args.via.bin.ptr, args.via.bin.size)});
  }
  return writes;
}

Replication::Replication(std::vector<std::shared_ptr<RemoteComponent>> backups,
                         std::vector<std::string> homes, std::uint32_t max_frame_bytes,
                         std::chrono::milliseconds patience, Lost lost)
    : max_frame_bytes_(max_frame_bytes),
      patience_(patience),
      lost_(std::move(lost)),
      backups_(std::move(backups)),
      homes_(std::move(homes)) {
  // The batch before it, then its own; each for the slowest backup, its gated resends, and a
  // lost backup's report, which takes a call too.
  std::chrono::milliseconds call{0};
  for (const std::shared_ptr<RemoteComponent>& b : backups_) call = std::max(call, b->timeout());
  longest_wait_ = 2 * (3 * call + patience_);
}

std::size_t next_batch_length(std::span<const QueuedWrite> queued, std::uint32_t max_frame_bytes) {
  std::size_t n = 0;
  std::size_t bytes = 0;
  while (n < queued.size() && n < kMaxBatchWrites) {
    const std::size_t more = queued[n].args.size() + kBytesPerWrite;
    if (n > 0 && bytes + more > max_frame_bytes / 2) break;
    bytes += more;
    ++n;
  }
  return n;
}

bool Replication::queue_full() const {
  return !queued_.empty() && !moved_to_ &&
         (queued_.size() >= kMaxBatchWrites || queued_bytes_ >= max_frame_bytes_ / 2);
}

void Replication::wait_for_room() {
  if (!queue_full()) return;
  // The frames this thread was reading with the write go on without it.
  rpc::Connection::hand_off_drain();
  while (queue_full()) room_cv_.wait(order_);
}

std::shared_ptr<Replication::Round> Replication::take_round() {
  const std::size_t n = next_batch_length(queued_, max_frame_bytes_);
  const auto end = queued_.begin() + static_cast<std::ptrdiff_t>(n);
  auto round = std::make_shared<Round>();
  round->batch.assign(std::make_move_iterator(queued_.begin()), std::make_move_iterator(end));
  queued_.erase(queued_.begin(), end);
  for (const QueuedWrite& w : round->batch) queued_bytes_ -= w.args.size();
  round->backups = backups_;
  round->answers.resize(backups_.size());
  round->waiting.store(backups_.size(), std::memory_order_relaxed);
  sending_ = true;
  room_cv_.notify_all();
  return round;
}

void Replication::send_batch(const std::vector<std::shared_ptr<RemoteComponent>>& backups,
                             std::span<const QueuedWrite> batch, const Answered& answered) {
  // A lone write goes as itself; several as one call that applies them in order.
  const bool lone = batch.size() == 1;
  const std::uint32_t method = lone ? batch.front().method : kApplyWritesMethod;
  const std::string packed = lone ? std::string() : pack_write_batch(batch);
  const std::string& body = lone ? batch.front().args : packed;
  for (std::size_t i = 0; i < backups.size(); ++i) {
    internal::WireBuffer copy;
    copy.bytes() = body;
    backups[i]->start_async(method, std::move(copy),
                            [answered, i](internal::Payload, std::exception_ptr failure) {
                              answered(i, answer_of(failure));
                            });
  }
}

void Replication::send(const std::shared_ptr<Round>& round) {
  if (round->backups.empty()) {
    settle(round);
    return;
  }
  send_batch(round->backups, round->batch,
             [self = shared_from_this(), round](std::size_t i, Answer answer) {
               round->answers[i] = std::move(answer);
               if (round->waiting.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                 self->settle(round);
               }
             });
}

void Replication::settle(const std::shared_ptr<Round>& round) {
  const std::vector<std::shared_ptr<RemoteComponent>>& backups = round->backups;
  std::vector<Answer>& answers = round->answers;
  std::vector<bool> was_gated(backups.size());
  for (std::size_t i = 0; i < backups.size(); ++i) {
    was_gated[i] = answers[i].kind == Answer::Kind::gated;
  }
  if (std::find(was_gated.begin(), was_gated.end(), true) != was_gated.end()) {
    rpc::Connection::hand_off_drain();
    answers = await_gated(backups, round->batch, std::move(answers));
  }
  WriteFate fate;
  std::shared_ptr<Round> next;
  {
    MutexLock lock(order_);
    for (std::size_t i = 0; i < backups.size(); ++i) {
      if (answers[i].kind == Answer::Kind::moved && !moved_to_) moved_to_ = answers[i].detail;
    }
    if (moved_to_) fate = {WriteFate::Kind::moved, *moved_to_};
    for (std::size_t i = 0; i < backups.size() && !moved_to_; ++i) {
      const Answer& answer = answers[i];
      if (answer.kind == Answer::Kind::applied) continue;
      const std::string why = answer.kind == Answer::Kind::gated
                                  ? "it stayed gated for " + std::to_string(patience_.count()) +
                                        " ms, as a transition took the component from it"
                                  : answer.detail;
      if (was_gated[i]) fate = {WriteFate::Kind::unknown, why};
      for (std::size_t j = 0; j < backups_.size(); ++j) {
        if (backups_[j] != backups[i]) continue;
        const std::string home = homes_[j];
        backups_.erase(backups_.begin() + static_cast<std::ptrdiff_t>(j));
        homes_.erase(homes_.begin() + static_cast<std::ptrdiff_t>(j));
        if (lost_) lost_(home, why);
        break;
      }
    }
    sending_ = false;
    if (moved_to_) {
      // Applied here after the component left, before their writers knew: made nowhere else.
      for (QueuedWrite& w : queued_) round->batch.push_back(std::move(w));
      queued_.clear();
      queued_bytes_ = 0;
      room_cv_.notify_all();
    } else if (!queued_.empty()) {
      next = take_round();
    }
  }
  for (QueuedWrite& write : round->batch) write.done(fate);
  if (next) send(next);
}

std::vector<Replication::Answer> Replication::await_gated(
    const std::vector<std::shared_ptr<RemoteComponent>>& backups,
    std::span<const QueuedWrite> batch, std::vector<Answer> answers) const noexcept {
  const auto give_up = rpc::Clock::now() + patience_;
  auto pause = kFirstGatedPause;
  for (;;) {
    std::vector<std::shared_ptr<RemoteComponent>> gated;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < backups.size(); ++i) {
      if (answers[i].kind != Answer::Kind::gated) continue;
      gated.push_back(backups[i]);
      which.push_back(i);
    }
    if (gated.empty() || rpc::Clock::now() + pause > give_up) return answers;
    // A gate lasts a transition's few round trips: a pause that grows is cheaper than a
    // notice of the gate's end, which the origin, not the backup, would have to send.
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, kLongestGatedPause);
    std::vector<Answer> again(gated.size());
    std::latch all(static_cast<std::ptrdiff_t>(gated.size()));
    send_batch(gated, batch, [&again, &all](std::size_t k, Answer answer) {
      again[k] = std::move(answer);
      all.count_down();
    });
    all.wait();
    for (std::size_t k = 0; k < which.size(); ++k) answers[which[k]] = std::move(again[k]);
  }
}

}  // namespace hatch::runtime
