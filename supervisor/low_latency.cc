#include "supervisor/low_latency.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace vpidbox {

std::optional<UniqueFd> hold_cpu_latency_request(std::string& error) {
  UniqueFd fd(::open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC));
  const std::int32_t microseconds = 0;
  if (!fd.valid() ||
      ::write(fd.get(), &microseconds, sizeof(microseconds)) != sizeof(microseconds)) {
    const int err = errno;
    error = std::string("--low-latency: cannot hold /dev/cpu_dma_latency (") + std::strerror(err) +
            ")" + (err == EACCES || err == EPERM ? "; it needs root" : "");
    return std::nullopt;
  }
  return fd;
}

}  // namespace vpidbox
