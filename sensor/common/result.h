// Result<T>: the cold-path error type. An error carries a message for an operator and
// where it came from ("rules/local.rules:12"). Never used on the packet path.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace wp {

struct Error {
  std::string message;   // what happened and what was done
  std::string location;  // "file:line", "file", or empty

  // "location: message", or just the message when there is no location.
  std::string describe() const { return location.empty() ? message : location + ": " + message; }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

inline Error make_error(std::string message, std::string location = {}) {
  return Error{std::move(message), std::move(location)};
}

}  // namespace wp
