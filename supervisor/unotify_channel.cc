#include "supervisor/unotify_channel.h"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

#include "supervisor/kernel_abi.h"
#include "translate/invariant.h"

namespace vpidbox {

bool UnotifyChannel::enable_sync_wakeup() {
  // The flag is passed by value, not by pointer.
  return ::ioctl(fd_.get(), SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
}

NotifStatus UnotifyChannel::receive(seccomp_notif& out) {
  std::memset(&out, 0, sizeof(out));  // the kernel refuses a dirty buffer
  while (::ioctl(fd_.get(), SECCOMP_IOCTL_NOTIF_RECV, &out) != 0) {
    if (errno == EINTR) continue;
    // ENOENT: the notifying task was killed or interrupted between poll and receive.
    VPIDBOX_INVARIANT(errno == ENOENT, "SECCOMP_IOCTL_NOTIF_RECV failed");
    return NotifStatus::kGone;
  }
  return NotifStatus::kOk;
}

NotifStatus UnotifyChannel::send(seccomp_notif_resp& resp) {
  while (::ioctl(fd_.get(), SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0) {
    if (errno == EINTR) continue;
    VPIDBOX_INVARIANT(errno == ENOENT, "SECCOMP_IOCTL_NOTIF_SEND failed");
    return NotifStatus::kGone;
  }
  return NotifStatus::kOk;
}

NotifStatus UnotifyChannel::answer_value(std::uint64_t id, std::int64_t value) {
  seccomp_notif_resp resp{};
  resp.id = id;
  resp.val = value;
  return send(resp);
}

NotifStatus UnotifyChannel::answer_errno(std::uint64_t id, int error) {
  seccomp_notif_resp resp{};
  resp.id = id;
  resp.error = -error;
  return send(resp);
}

NotifStatus UnotifyChannel::answer_continue(std::uint64_t id) {
  seccomp_notif_resp resp{};
  resp.id = id;
  resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  return send(resp);
}

NotifStatus UnotifyChannel::answer_with_fd(std::uint64_t id, int fd, bool cloexec) {
  seccomp_notif_addfd addfd{};
  addfd.id = id;
  addfd.flags = SECCOMP_ADDFD_FLAG_SEND;
  addfd.srcfd = static_cast<std::uint32_t>(fd);
  addfd.newfd_flags = cloexec ? O_CLOEXEC : 0;
  while (::ioctl(fd_.get(), SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) < 0) {
    if (errno == EINTR) continue;
    if (errno == ENOENT) return NotifStatus::kGone;
    // EMFILE and the like: the caller's open fails as its own open would have.
    return answer_errno(id, errno);
  }
  return NotifStatus::kOk;
}

bool UnotifyChannel::still_pending(std::uint64_t id) {
  return ::ioctl(fd_.get(), SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

}  // namespace vpidbox
