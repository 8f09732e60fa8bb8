// The one way this project includes Boost.Asio. Under GCC 12, Boost 1.74's awaitable.hpp needs
// <utility> before it, and every file must see the same configuration.
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace hatch {
namespace asio = boost::asio;
using tcp = boost::asio::ip::tcp;
}  // namespace hatch
