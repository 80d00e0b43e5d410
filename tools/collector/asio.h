// Boost.Asio and Asio SSL for the collector, its client and tests. Boost 1.74's
// asio/awaitable.hpp uses std::exchange without including <utility>, which C++20 library
// headers no longer pull in: include <utility> first, in this one place.
#pragma once

// clang-format off
#include <utility>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
// clang-format on
