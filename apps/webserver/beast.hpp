// The one way the web server includes Boost.Beast (and so Asio). Under GCC 12, Boost 1.74's Asio
// needs <utility> before it. Include this only in .cpp files: these headers are slow to compile.
#pragma once

#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
