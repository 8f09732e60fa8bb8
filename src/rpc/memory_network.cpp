#include "rpc/memory_network.hpp"

#include <cstring>
#include <deque>

#include "hatch/error.hpp"
#include "rpc/endpoint.hpp"

namespace hatch::rpc {

// One direction of a stream.
struct MemoryNetwork::Pipe {
  std::mutex mu;
  std::string data;               // delivered, not yet read
  std::vector<std::string> held;  // frames a stall holds back
  std::string partial;            // the writer's incomplete frame
  bool stalled = false;
  bool eof = false;             // the writer closed its end
  bool broken = false;          // the stream broke: reads and writes fail
  bool aborted = false;         // the reader closed its end
  std::weak_ptr<Pipe> reverse;  // the other direction of the same stream
  // A pending async read.
  bool reading = false;
  asio::mutable_buffer want;
  Stream::Handler handler;
  asio::any_io_executor executor;

  // Completes the pending read if it can. Requires mu held.
  void complete_read() {
    if (!reading) return;
    boost::system::error_code ec;
    std::size_t n = 0;
    if (aborted) {
      ec = asio::error::operation_aborted;
    } else if (!data.empty()) {
      n = std::min(data.size(), want.size());
      std::memcpy(want.data(), data.data(), n);
      data.erase(0, n);
    } else if (broken) {
      ec = asio::error::connection_reset;
    } else if (eof) {
      ec = asio::error::eof;
    } else {
      return;
    }
    reading = false;
    asio::post(executor, [done = std::move(handler), ec, n] { done(ec, n); });
  }

  void append(std::string bytes) {
    std::lock_guard lock(mu);
    if (stalled) {
      held.push_back(std::move(bytes));
      return;
    }
    data += bytes;
    complete_read();
  }

  void set_stalled(bool on) {
    std::lock_guard lock(mu);
    stalled = on;
    if (on) return;
    for (std::string& frame : held) data += frame;
    held.clear();
    complete_read();
  }

  void fail() {
    std::lock_guard lock(mu);
    broken = true;
    complete_read();
  }
};

// Breaks both directions of a stream.
static void break_stream(const std::shared_ptr<MemoryNetwork::Pipe>& pipe) {
  pipe->fail();
  if (auto reverse = pipe->reverse.lock()) reverse->fail();
}

class MemoryStream final : public Stream {
 public:
  MemoryStream(std::shared_ptr<MemoryNetwork> net, std::string local, std::string remote,
               std::shared_ptr<MemoryNetwork::Pipe> in, std::shared_ptr<MemoryNetwork::Pipe> out,
               asio::any_io_executor executor)
      : net_(std::move(net)),
        local_(std::move(local)),
        remote_(std::move(remote)),
        in_(std::move(in)),
        out_(std::move(out)),
        executor_(std::move(executor)) {}
  ~MemoryStream() override { close(); }

  asio::any_io_executor executor() override { return executor_; }

  void async_read_some(asio::mutable_buffer into, Handler done) override {
    std::lock_guard lock(in_->mu);
    in_->reading = true;
    in_->want = into;
    in_->handler = std::move(done);
    in_->executor = executor_;
    in_->complete_read();
  }

  void async_read(asio::mutable_buffer into, Handler done) override {
    read_rest(into, 0, std::move(done));
  }

  std::size_t write_now(std::span<const asio::const_buffer> buffers,
                        boost::system::error_code& ec) override {
    std::vector<std::string> frames;
    std::size_t bytes = 0;
    {
      std::lock_guard lock(out_->mu);
      if (out_->broken || out_->eof) {
        ec = asio::error::connection_reset;
        return 0;
      }
      for (const asio::const_buffer& b : buffers) {
        out_->partial.append(static_cast<const char*>(b.data()), b.size());
        bytes += b.size();
      }
      std::size_t pos = 0;
      while (out_->partial.size() - pos >= kLengthPrefixBytes) {
        const std::size_t len = decode_length(out_->partial.data() + pos);
        if (out_->partial.size() - pos - kLengthPrefixBytes < len) break;
        frames.push_back(out_->partial.substr(pos, kLengthPrefixBytes + len));
        pos += kLengthPrefixBytes + len;
      }
      out_->partial.erase(0, pos);
    }
    if (!frames.empty() && !net_->carry(local_, remote_, out_, std::move(frames))) {
      ec = asio::error::connection_reset;
      return 0;
    }
    return bytes;
  }

  void async_write(std::span<const asio::const_buffer> buffers, Handler done) override {
    boost::system::error_code ec;
    const std::size_t n = write_now(buffers, ec);
    asio::post(executor_, [done = std::move(done), ec, n] { done(ec, n); });
  }

  void close() override {
    {
      std::lock_guard lock(in_->mu);
      in_->aborted = true;
      in_->complete_read();
    }
    std::lock_guard lock(out_->mu);
    out_->eof = true;
    out_->complete_read();
  }

 private:
  // Reads on until `into` holds `got` + the rest.
  void read_rest(asio::mutable_buffer into, std::size_t got, Handler done) {
    async_read_some(into + got, [this, into, got, done = std::move(done)](
                                    const boost::system::error_code& ec, std::size_t n) mutable {
      if (ec || got + n == into.size()) {
        done(ec, got + n);
        return;
      }
      read_rest(into, got + n, std::move(done));
    });
  }

  const std::shared_ptr<MemoryNetwork> net_;
  const std::string local_;
  const std::string remote_;
  const std::shared_ptr<MemoryNetwork::Pipe> in_;
  const std::shared_ptr<MemoryNetwork::Pipe> out_;
  const asio::any_io_executor executor_;
};

struct MemoryNetwork::Listener {
  std::mutex mu;
  std::string host;
  std::string address;
  asio::any_io_executor executor;
  bool closed = false;
  std::deque<std::pair<std::unique_ptr<Stream>, std::string>> backlog;
  Acceptor::AcceptHandler pending;

  // Hands queued streams to a pending accept. Requires mu held.
  void serve() {
    if (closed && pending) {
      asio::post(executor, [done = std::move(pending)] {
        done(asio::error::operation_aborted, nullptr, {});
      });
      pending = nullptr;
      return;
    }
    if (!pending || backlog.empty()) return;
    auto next = std::make_shared<std::pair<std::unique_ptr<Stream>, std::string>>(
        std::move(backlog.front()));
    backlog.pop_front();
    asio::post(executor, [done = std::move(pending), next] {
      done({}, std::move(next->first), next->second);
    });
    pending = nullptr;
  }
};

class MemoryAcceptor final : public Acceptor {
 public:
  MemoryAcceptor(std::shared_ptr<MemoryNetwork> net,
                 std::shared_ptr<MemoryNetwork::Listener> listener)
      : net_(std::move(net)), listener_(std::move(listener)) {}
  ~MemoryAcceptor() override { close(); }

  void async_accept(AcceptHandler done) override {
    std::lock_guard lock(listener_->mu);
    listener_->pending = std::move(done);
    listener_->serve();
  }
  std::string address() const override { return listener_->address; }
  void close() override {
    net_->unlisten(listener_->address);
    std::lock_guard lock(listener_->mu);
    listener_->closed = true;
    listener_->backlog.clear();
    listener_->serve();
  }

 private:
  const std::shared_ptr<MemoryNetwork> net_;
  const std::shared_ptr<MemoryNetwork::Listener> listener_;
};

class MemoryHostNetwork final : public Network {
 public:
  MemoryHostNetwork(std::shared_ptr<MemoryNetwork> net, std::string name)
      : net_(std::move(net)), name_(std::move(name)) {}

  std::unique_ptr<Stream> connect(asio::io_context& io, const std::string& address,
                                  std::chrono::steady_clock::time_point) override {
    return net_->connect(name_, io, address);
  }
  std::unique_ptr<Acceptor> listen(asio::io_context& io, const std::string& address) override {
    return net_->listen(name_, io, address);
  }

 private:
  const std::shared_ptr<MemoryNetwork> net_;
  const std::string name_;
};

std::shared_ptr<MemoryNetwork> MemoryNetwork::create() {
  return std::shared_ptr<MemoryNetwork>(new MemoryNetwork());
}

std::shared_ptr<Network> MemoryNetwork::host(std::string name) {
  return std::make_shared<MemoryHostNetwork>(shared_from_this(), std::move(name));
}

MemoryNetwork::Link MemoryNetwork::link(const std::string& a, const std::string& b) {
  return a < b ? Link{a, b} : Link{b, a};
}

std::unique_ptr<Acceptor> MemoryNetwork::listen(const std::string& host, asio::io_context& io,
                                                const std::string& address) {
  auto [name, port] = split_address(address);
  auto listener = std::make_shared<Listener>();
  listener->host = host;
  listener->executor = io.get_executor();
  std::lock_guard lock(mu_);
  if (port == 0) {
    std::uint16_t& next = next_port_[name];
    do {
      port = ++next;
    } while (listeners_.count(name + ":" + std::to_string(port)) != 0);
  }
  listener->address = name + ":" + std::to_string(port);
  if (listeners_[listener->address].lock()) {
    throw UsageError("cannot listen on " + listener->address + ": the address is in use");
  }
  listeners_[listener->address] = listener;
  return std::make_unique<MemoryAcceptor>(shared_from_this(), listener);
}

void MemoryNetwork::unlisten(const std::string& address) {
  std::lock_guard lock(mu_);
  listeners_.erase(address);
}

std::unique_ptr<Stream> MemoryNetwork::connect(const std::string& from, asio::io_context& io,
                                               const std::string& address) {
  std::shared_ptr<Listener> listener;
  auto up = std::make_shared<Pipe>();    // from -> listener
  auto down = std::make_shared<Pipe>();  // listener -> from
  up->reverse = down;
  down->reverse = up;
  {
    std::lock_guard lock(mu_);
    if (auto it = listeners_.find(address); it != listeners_.end()) listener = it->second.lock();
    if (!listener) {
      throw ConnectFailure(StatusCode::unavailable, "cannot connect: connection refused");
    }
    const Link l = link(from, listener->host);
    if (cut_.count(l) != 0) {
      throw ConnectFailure(StatusCode::unavailable, "cannot connect: the network is partitioned");
    }
    up->stalled = down->stalled = stalled_.count(l) != 0;
    pipes_.emplace(l, up);
    pipes_.emplace(l, down);
  }
  auto server = std::make_unique<MemoryStream>(shared_from_this(), listener->host, from, up, down,
                                               listener->executor);
  {
    std::lock_guard lock(listener->mu);
    if (listener->closed) {
      throw ConnectFailure(StatusCode::unavailable, "cannot connect: connection refused");
    }
    listener->backlog.emplace_back(std::move(server), from + ":0");
    listener->serve();
  }
  return std::make_unique<MemoryStream>(shared_from_this(), from, listener->host, down, up,
                                        io.get_executor());
}

bool MemoryNetwork::carry(const std::string& from, const std::string& to,
                          const std::shared_ptr<Pipe>& pipe, std::vector<std::string> frames) {
  for (std::string& frame : frames) {
    FrameHook hook;
    {
      std::lock_guard lock(mu_);
      hook = hook_;
    }
    Verdict verdict = Verdict::pass;
    if (hook) {
      try {
        const DecodedFrame decoded =
            decode_frame({frame.data() + kLengthPrefixBytes, frame.size() - kLengthPrefixBytes});
        verdict = hook(from, to, decoded.header);
      } catch (const std::exception&) {
        // Not a frame the hook can read: it passes, as on a real network.
      }
    }
    if (verdict == Verdict::break_before) {
      break_stream(pipe);
      return false;
    }
    pipe->append(std::move(frame));
    bool break_link_now = false;
    {
      std::lock_guard lock(mu_);
      if (auto it = break_after_.find(link(from, to)); it != break_after_.end()) {
        if (--it->second == 0) {
          break_after_.erase(it);
          break_link_now = true;
        }
      }
    }
    if (break_link_now) break_link(link(from, to));
    if (verdict == Verdict::break_after || break_link_now) {
      break_stream(pipe);
      return false;
    }
  }
  return true;
}

std::vector<std::shared_ptr<MemoryNetwork::Pipe>> MemoryNetwork::open_pipes(const Link& l) {
  std::vector<std::shared_ptr<Pipe>> open;
  auto [first, last] = pipes_.equal_range(l);
  for (auto it = first; it != last;) {
    if (auto pipe = it->second.lock()) {
      open.push_back(std::move(pipe));
      ++it;
    } else {
      it = pipes_.erase(it);
    }
  }
  return open;
}

void MemoryNetwork::break_link(const Link& l) {
  std::vector<std::shared_ptr<Pipe>> open;
  {
    std::lock_guard lock(mu_);
    open = open_pipes(l);
  }
  for (const auto& pipe : open) pipe->fail();
}

void MemoryNetwork::stall(const std::string& a, const std::string& b) {
  std::vector<std::shared_ptr<Pipe>> open;
  {
    std::lock_guard lock(mu_);
    stalled_.insert(link(a, b));
    open = open_pipes(link(a, b));
  }
  for (const auto& pipe : open) pipe->set_stalled(true);
}

void MemoryNetwork::resume(const std::string& a, const std::string& b) {
  std::vector<std::shared_ptr<Pipe>> open;
  {
    std::lock_guard lock(mu_);
    stalled_.erase(link(a, b));
    open = open_pipes(link(a, b));
  }
  for (const auto& pipe : open) pipe->set_stalled(false);
}

void MemoryNetwork::break_after_frames(const std::string& a, const std::string& b,
                                       std::size_t frames) {
  if (frames == 0) {
    break_link(link(a, b));
    return;
  }
  std::lock_guard lock(mu_);
  break_after_[link(a, b)] = frames;
}

void MemoryNetwork::cut(const std::string& a, const std::string& b) {
  {
    std::lock_guard lock(mu_);
    cut_.insert(link(a, b));
  }
  break_link(link(a, b));
}

void MemoryNetwork::heal(const std::string& a, const std::string& b) {
  std::lock_guard lock(mu_);
  cut_.erase(link(a, b));
}

void MemoryNetwork::set_frame_hook(FrameHook hook) {
  std::lock_guard lock(mu_);
  hook_ = std::move(hook);
}

}  // namespace hatch::rpc
