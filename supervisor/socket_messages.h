// One message over a SOCK_SEQPACKET unix socket, with at most one descriptor attached: the launch
// channel between the supervisor and init, and the control socket of a running box.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "supervisor/unique_fd.h"

namespace vpidbox {

struct Message {
  std::string bytes;
  UniqueFd fd;  // the descriptor it carried, if any
};

// Sends `payload`, with `fd` attached when it is valid (>= 0).
bool send_message(int socket, const void* payload, std::size_t size, int fd = -1);
bool send_text(int socket, const std::string& text, int fd = -1);
// One message of up to `limit` bytes; nullopt at end of file or on an error.
std::optional<Message> receive_message(int socket, std::size_t limit = 512);

}  // namespace vpidbox
