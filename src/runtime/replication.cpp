#include "runtime/replication.hpp"

#include <algorithm>
#include <iterator>
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
      homes_(std::move(homes)) {}

void Replication::forward(std::uint32_t method, std::span<const char> args, WriteFate& fate) {
  queued_.push_back({method, std::string(args.data(), args.size()), &fate});
  const std::uint64_t mine = ++applied_;
  while (acknowledged_ < mine) {
    if (!sending_) {
      send_next_batch();
      continue;
    }
    // The frames this thread was reading with the write go on without it.
    rpc::Connection::hand_off_drain();
    acknowledged_cv_.wait(order_);
  }
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

void Replication::send_next_batch() {
  const std::size_t n = next_batch_length(queued_, max_frame_bytes_);
  const auto end = queued_.begin() + static_cast<std::ptrdiff_t>(n);
  std::vector<QueuedWrite> batch(std::make_move_iterator(queued_.begin()),
                                 std::make_move_iterator(end));
  queued_.erase(queued_.begin(), end);
  const std::vector<std::shared_ptr<RemoteComponent>> backups = backups_;
  WriteFate fate;
  if (moved_to_) {
    // Applied here after the component left, before this writer knew: it was made nowhere else.
    fate = {WriteFate::Kind::moved, *moved_to_};
  } else {
    sending_ = true;
    order_.unlock();
    std::vector<Answer> answers = send(backups, batch);
    std::vector<bool> was_gated(backups.size());
    for (std::size_t i = 0; i < backups.size(); ++i) {
      was_gated[i] = answers[i].kind == Answer::Kind::gated;
    }
    if (std::find(was_gated.begin(), was_gated.end(), true) != was_gated.end()) {
      answers = await_gated(backups, batch, std::move(answers));
    }
    order_.lock();
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
  }
  for (const QueuedWrite& write : batch) *write.fate = fate;
  acknowledged_ += n;
  sending_ = false;
  acknowledged_cv_.notify_all();
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
    std::vector<Answer> again = send(gated, batch);
    for (std::size_t k = 0; k < which.size(); ++k) answers[which[k]] = std::move(again[k]);
  }
}

std::vector<Replication::Answer> Replication::send(
    const std::vector<std::shared_ptr<RemoteComponent>>& backups,
    std::span<const QueuedWrite> batch) const noexcept {
  const std::size_t n = backups.size();
  std::vector<std::optional<RemoteCall>> calls(n);
  std::vector<Answer> answers(n);
  auto failure_of = [&](std::size_t i, auto&& step) {
    try {
      step();
    } catch (const ApplicationError&) {
      // It failed there as it did here.
    } catch (const std::exception& e) {
      answers[i] = {Answer::Kind::failed, e.what()};
    } catch (const internal::Moved& moved) {
      answers[i] = moved.location.empty() ? Answer{Answer::Kind::gated, {}}
                                          : Answer{Answer::Kind::moved, moved.location};
    } catch (...) {
      answers[i] = {Answer::Kind::failed, "an exception not derived from std::exception"};
    }
  };
  // A lone write goes as itself; several as one call that applies them in order.
  const bool lone = batch.size() == 1;
  const std::uint32_t method = lone ? batch.front().method : kApplyWritesMethod;
  const std::string packed = lone ? std::string() : pack_write_batch(batch);
  const std::string& body = lone ? batch.front().args : packed;
  // Every backup gets the batch at once; the answer waits for the slowest.
  for (std::size_t i = 0; i < n; ++i) {
    failure_of(i, [&] {
      internal::WireBuffer copy;
      copy.bytes() = body;
      calls[i] = backups[i]->start(method, std::move(copy));
    });
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (calls[i]) failure_of(i, [&] { finish_remote(*calls[i]); });
  }
  return answers;
}

}  // namespace hatch::runtime
