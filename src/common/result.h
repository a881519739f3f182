#pragma once

#include <optional>
#include <utility>

#include "common/check.h"
#include "common/status.h"

namespace allot {

// Result<T> holds either a value or a non-ok Status. Accessing value() of an
// error is a programming error (CHECK).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    ALLOT_CHECK(!status_.ok());
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & {
    ALLOT_CHECK(ok());
    return *value_;
  }
  const T& value() const& {
    ALLOT_CHECK(ok());
    return *value_;
  }
  T&& value() && {
    ALLOT_CHECK(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace allot

// Returns early from the enclosing function when `expr` yields a non-ok Status.
#define ALLOT_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::allot::Status allot_status_ = (expr);        \
    if (!allot_status_.ok()) return allot_status_; \
  } while (false)
