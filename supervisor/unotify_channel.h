// The seccomp user-notification listener: receive one notification, answer it.
#pragma once

#include <linux/seccomp.h>

#include <cstdint>

#include "supervisor/unique_fd.h"

namespace vpidbox {

enum class NotifStatus { kOk, kGone };  // kGone: the caller died or was interrupted (a value)

class UnotifyChannel {
 public:
  explicit UnotifyChannel(UniqueFd listener) : fd_(std::move(listener)) {}
  int fd() const { return fd_.get(); }

  // Asks the kernel to wake the supervisor on the notifying task's CPU (6.6+); false if the
  // kernel lacks it, which costs latency but not correctness.
  bool enable_sync_wakeup();
  NotifStatus receive(seccomp_notif& out);
  NotifStatus answer_value(std::uint64_t id, std::int64_t value);
  NotifStatus answer_errno(std::uint64_t id, int error);
  NotifStatus answer_continue(std::uint64_t id);
  // Installs `fd` in the notifying task and answers with its number there, in one step
  // (SECCOMP_ADDFD_FLAG_SEND, 5.14+). `cloexec` sets O_CLOEXEC on the installed copy.
  NotifStatus answer_with_fd(std::uint64_t id, int fd, bool cloexec);
  // False once the notification is gone (the task died): whatever was read from its memory since
  // the notification may belong to another process by now.
  bool still_pending(std::uint64_t id);

 private:
  NotifStatus send(seccomp_notif_resp& resp);
  UniqueFd fd_;
};

}  // namespace vpidbox
