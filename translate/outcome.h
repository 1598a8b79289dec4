// What translation decides for one syscall; the engine applies it.
#pragma once

#include <cstdint>
#include <variant>

namespace vpidbox {

struct Continue {};  // let the kernel run the call unchanged
struct ReturnValue {
  std::int64_t value;
};
struct ReturnErrno {
  int error;
};

using Outcome = std::variant<Continue, ReturnValue, ReturnErrno>;

}  // namespace vpidbox
