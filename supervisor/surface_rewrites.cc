#include "supervisor/surface_rewrites.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/msg.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstring>
#include <string_view>

#include "supervisor/kernel_abi.h"
#include "supervisor/tracee.h"
#include "supervisor/unique_fd.h"
#include "translate/credentials.h"
#include "translate/signal_rules.h"

namespace vpidbox {
namespace {

// The most of a PIDFD_GET_INFO buffer kept to be written back (the struct is 64 bytes in 6.13,
// and grows; the kernel zero-fills what it does not know).
constexpr std::size_t kPidfdInfoSaved = 256;

// Reads the int at `at`, maps it with `shown`, writes it back if it changed.
template <class Map>
void rewrite_int(pid_t tid, std::uint64_t at, Map shown) {
  std::int32_t value = 0;
  if (!tracee::read_memory(tid, at, &value, sizeof(value))) return;
  const std::int32_t mapped = shown(value);
  if (mapped != value) tracee::write_memory(tid, at, &mapped, sizeof(mapped));
}

}  // namespace

void SurfaceRewrites::on_entry(pid_t tid, const Call& call, Outcome& outcome, PendingExit& pending,
                               bool& stop_at_exit) {
  if (call.row->has(ArgKind::kInitAttribute)) return serve_init_prctl(tid, call, outcome);
  if (const std::optional<int> args = call.row->index_of(ArgKind::kCloneArgsStruct))
    return set_tid_.on_clone3_entry(tid, call.args[*args], call.arg_of(ArgKind::kValue), outcome,
                                    pending);
  if (call.row->route == Route::kLook)
    return look_.at_seccomp_stop(tid, call, outcome, pending, stop_at_exit);
  if (call.row->has(ArgKind::kReadFd)) {
    // The filter stops every read of this descriptor number: it may name another file by now.
    stop_at_exit = is_signalfd(tid, static_cast<std::int64_t>(call.arg_of(ArgKind::kReadFd)));
    return;
  }
  if (call.row->has(ArgKind::kMsgHdrOut) || call.row->has(ArgKind::kMmsgHdrOut))
    stop_at_exit = receives_credentials(tid, static_cast<int>(call.arg_of(ArgKind::kFd)));
  if (const std::optional<int> info = call.row->index_of(ArgKind::kPidfdInfoOut)) {
    // What the kernel overwrites, in case the box must fail the call as the kernel would have.
    const std::size_t size =
        std::min<std::size_t>(_IOC_SIZE(call.arg_of(ArgKind::kValue)), kPidfdInfoSaved);
    MemoryRestore& saved = pending.surface.before_call;
    saved.address = call.args[*info];
    saved.bytes.resize(size);
    if (!tracee::read_memory(tid, saved.address, saved.bytes.data(), size)) saved.bytes.clear();
  }
}

void SurfaceRewrites::serve_init_prctl(pid_t tid, const Call& call, Outcome& outcome) {
  const Task* caller = table_.task(tid);
  if (!caller) return;
  const std::optional<Pid> init = table_.init_of(caller->level);
  if (!init || caller->real_tgid != *init) return;  // not a level's init: the kernel's call
  const InitPrctl decided =
      decide_init_prctl(static_cast<int>(call.arg_of(ArgKind::kInitAttribute)), call.args[1],
                        tid == *init, init_attributes_[caller->level]);
  if (!decided.emulated) return;
  if (decided.error) {
    outcome = ReturnErrno{decided.error};
  } else if (decided.stores) {
    const std::int32_t value = *decided.stores;
    outcome = tracee::write_memory(tid, call.args[1], &value, sizeof(value))
                  ? Outcome{ReturnValue{0}}
                  : Outcome{ReturnErrno{EFAULT}};
  } else {
    outcome = ReturnValue{0};
  }
}

// Whether a process outside the box has this real number now (signal 0 sends nothing).
bool SurfaceRewrites::taken_outside(Pid real) const {
  return !table_.contains(real) && (::kill(real, 0) == 0 || errno == EPERM);
}

Pid SurfaceRewrites::referenced(LevelId view, Pid real) const {
  return referenced_number(table_, view, real, [this](Pid r) { return taken_outside(r); });
}

bool SurfaceRewrites::on_first_stop(pid_t tid) {
  injection_.forget(tid);
  look_.forget(tid);
  const Task* task = table_.task(tid);
  if (!task || task->level == kTopLevel || table_.init_of(task->level) != tid) return false;
  init_attributes_[task->level] = InitAttributes{};
  return true;
}

bool SurfaceRewrites::on_exec(pid_t tid) {
  const Task* task = table_.task(tid);
  if (!task || table_.init_of(task->level) != task->real_tgid) return false;
  // What a namespace's init has when its program starts: neither attribute.
  auto it = init_attributes_.find(task->level);
  if (it == init_attributes_.end() || it->second.emulating) return false;
  it->second = InitAttributes{true};
  return true;
}

std::int64_t SurfaceRewrites::on_exit(pid_t tid, const PendingExit& pending, std::int64_t result) {
  put_back(tid, pending);
  const SyscallRow& row = *pending.row;
  const auto& args = pending.args;
  if (row.has(ArgKind::kClockId)) {
    // The registers as the caller passed them: glibc keeps the clock id it passed in one.
    user_regs_struct regs;
    if (tracee::get_regs(tid, regs) && tracee::syscall_args(regs) != args) {
      tracee::set_syscall_args(regs, args);
      tracee::set_regs(tid, regs);
    }
  }
  if (result < 0) return result;
  const LevelId view = table_.level_of(tid);
  if (row.result == ResultKind::kVisiblePid && result > 0) {
    const Pid shown = referenced(view, static_cast<Pid>(result));
    if (shown != result) tracee::set_result(tid, shown);
    return shown;
  }
  for (int i = 0; i < row.arg_count(); ++i) {
    const std::uint64_t at = args[i];
    // Pointers are looked at when they are not null; a read's descriptor may be 0.
    if (!at && row.args[i] != ArgKind::kReadFd) continue;
    switch (row.args[i]) {
      case ArgKind::kFlockOut: {
        std::int16_t type = 0;
        if (!tracee::read_memory(tid, at + offsetof(struct flock, l_type), &type, sizeof(type)))
          break;
        rewrite_int(tid, at + offsetof(struct flock, l_pid), [&](std::int32_t pid) {
          return lock_owner_for_caller(type, pid, table_, view);
        });
        break;
      }
      case ArgKind::kPeerCredOut: {
        // The kernel copies min(optlen, sizeof(struct ucred)) bytes; the pid comes first. (An
        // optlen below the pid's size gets part of the real number: no program asks for that.)
        socklen_t len = 0;
        if (!tracee::read_memory(tid, args[i + 1], &len, sizeof(len)) || len < sizeof(pid_t)) break;
        rewrite_int(tid, at + offsetof(struct ucred, pid),
                    [&](std::int32_t pid) { return referenced(view, pid); });
        break;
      }
      case ArgKind::kPidfdInfoOut:
        return rewrite_pidfd_info(tid, pending, at, result);
      case ArgKind::kReadFd:
        rewrite_signalfd_read(tid, pending, result);
        break;
      case ArgKind::kMsgHdrOut:
        rewrite_received_credentials(tid, at);
        break;
      case ArgKind::kMmsgHdrOut:
        for (std::int64_t m = 0; m < result; ++m)
          rewrite_received_credentials(tid, at + static_cast<std::uint64_t>(m) * sizeof(mmsghdr));
        break;
      case ArgKind::kShmidOut:
        for (std::size_t offset : {offsetof(shmid_ds, shm_cpid), offsetof(shmid_ds, shm_lpid)})
          rewrite_int(tid, at + offset, [&](std::int32_t pid) { return referenced(view, pid); });
        break;
      case ArgKind::kMsqidOut:
        for (std::size_t offset : {offsetof(msqid_ds, msg_lspid), offsetof(msqid_ds, msg_lrpid)})
          rewrite_int(tid, at + offset, [&](std::int32_t pid) { return referenced(view, pid); });
        break;
      case ArgKind::kPassCredIn: {
        // SO_PASSCRED set: from now on the process's messages may come with credentials.
        int on = 0;
        if (result == 0 && tracee::read_memory(tid, at, &on, sizeof(on)) && on &&
            !injection_.installed(tid, StackedFilter::kRecvmsg, -1))
          injection_.start(tid, StackedFilter::kRecvmsg, -1);
        break;
      }
      default:
        break;
    }
  }
  // A new signalfd (its number is the result), or one given a new mask, or another number for
  // one: its reads stop.
  if ((row.has(ArgKind::kSignalfdFd) || (row.has(ArgKind::kDupOfFd) && is_signalfd(tid, result))) &&
      result >= 0 &&
      !injection_.installed(tid, StackedFilter::kReadsOfFd, static_cast<int>(result)))
    injection_.start(tid, StackedFilter::kReadsOfFd, static_cast<int>(result));
  return result;
}

bool SurfaceRewrites::on_stop(pid_t tid, int status) {
  if (injection_.busy(tid)) {
    if (WSTOPSIG(status) != (SIGTRAP | 0x80)) return false;  // a stop: the route's, as always
    injection_.on_syscall_stop(tid);
    return true;
  }
  return look_.on_stop(tid, status);
}

bool SurfaceRewrites::is_signalfd(pid_t tid, std::int64_t fd) const {
  if (fd < 0 || fd > INT_MAX) return false;
  char link[32];
  const std::string path = "/proc/" + std::to_string(tid) + "/fd/" + std::to_string(fd);
  const ssize_t n = ::readlink(path.c_str(), link, sizeof(link));
  return n > 0 && std::string_view(link, static_cast<std::size_t>(n)) == "anon_inode:[signalfd]";
}

// Whether a socket of the caller has SO_PASSCRED (a copy of the descriptor is asked): only then
// do its messages come with credentials. When that cannot be told, they may.
bool SurfaceRewrites::receives_credentials(pid_t tid, int fd) const {
  const Task* task = table_.task(tid);
  if (!task) return false;
  UniqueFd socket(
      static_cast<int>(::syscall(SYS_pidfd_getfd, tasks_.leader_pidfd(task->real_tgid), fd, 0)));
  if (!socket.valid()) return errno != EBADF;  // no such descriptor: nothing to receive
  int passcred = 0;
  socklen_t len = sizeof(passcred);
  if (::getsockopt(socket.get(), SOL_SOCKET, SO_PASSCRED, &passcred, &len) != 0)
    return errno != ENOTSOCK;
  return passcred != 0;
}

// The records a signalfd read filled (read's buffer, or readv's vector): each sender's pid as the
// reader's level sees it (0 from outside; for a signal the supervisor sent for a box process,
// that process), as the delivery stop rewrites a siginfo.
void SurfaceRewrites::rewrite_signalfd_read(pid_t tid, const PendingExit& pending,
                                            std::int64_t bytes) {
  if (bytes < static_cast<std::int64_t>(kSignalfdRecordSize)) return;
  const Task* task = table_.task(tid);
  if (!task) return;
  std::vector<std::uint8_t> records(static_cast<std::size_t>(bytes));
  iovec local{records.data(), records.size()};
  std::vector<iovec> remote;
  if (pending.row->nr_x86_64 == SYS_readv) {
    remote.resize(std::min<std::uint64_t>(pending.args[2], IOV_MAX));
    if (!tracee::read_memory(tid, pending.args[1], remote.data(), remote.size() * sizeof(iovec)))
      return;
  } else {
    remote.push_back(iovec{reinterpret_cast<void*>(pending.args[1]), records.size()});
  }
  if (::process_vm_readv(tid, &local, 1, remote.data(), remote.size(), 0) != bytes) return;
  bool changed = false;
  for (std::size_t at = 0; at + kSignalfdRecordSize <= records.size(); at += kSignalfdRecordSize) {
    std::uint32_t signo, pid, uid;
    std::int32_t code;
    std::memcpy(&signo, records.data() + at + kSignalfdSigno, sizeof(signo));
    std::memcpy(&code, records.data() + at + kSignalfdCode, sizeof(code));
    std::memcpy(&pid, records.data() + at + kSignalfdPid, sizeof(pid));
    std::memcpy(&uid, records.data() + at + kSignalfdUid, sizeof(uid));
    std::uint32_t shown_pid = pid, shown_uid = uid;
    if (signals_.sent_by_supervisor(code, static_cast<Pid>(pid))) {
      const std::optional<EmulatedSender> sender =
          signals_.take_sender(task->real_tgid, static_cast<int>(signo));
      shown_pid = sender ? static_cast<std::uint32_t>(sender->vpid) : 0;
      if (sender) shown_uid = sender->uid;
    } else if (std::optional<Pid> shown = virtual_si_pid(
                   static_cast<int>(signo), code, static_cast<Pid>(pid), table_, task->level)) {
      shown_pid = static_cast<std::uint32_t>(*shown);
    }
    if (shown_pid == pid && shown_uid == uid) continue;
    std::memcpy(records.data() + at + kSignalfdPid, &shown_pid, sizeof(shown_pid));
    std::memcpy(records.data() + at + kSignalfdUid, &shown_uid, sizeof(shown_uid));
    changed = true;
  }
  if (changed) ::process_vm_writev(tid, &local, 1, remote.data(), remote.size(), 0);
}

// SCM_CREDENTIALS a message came with: the sender as the receiver's level numbers it.
void SurfaceRewrites::rewrite_received_credentials(pid_t tid, std::uint64_t msghdr_at) {
  msghdr msg;
  if (!tracee::read_memory(tid, msghdr_at, &msg, sizeof(msg)) || !msg.msg_control ||
      msg.msg_controllen < sizeof(cmsghdr))
    return;
  std::vector<std::uint8_t> control(std::min<std::size_t>(msg.msg_controllen, 1 << 20));
  const auto control_at = reinterpret_cast<std::uint64_t>(msg.msg_control);
  if (!tracee::read_memory(tid, control_at, control.data(), control.size())) return;
  const LevelId view = table_.level_of(tid);
  for (std::size_t offset : credential_pid_offsets(control))
    rewrite_int(tid, control_at + offset, [&](std::int32_t pid) { return referenced(view, pid); });
}

std::int64_t SurfaceRewrites::rewrite_pidfd_info(pid_t tid, const PendingExit& pending,
                                                 std::uint64_t at, std::int64_t result) {
  abi::PidfdInfo info{};
  if (!tracee::read_memory(tid, at, &info, sizeof(info)) || !(info.mask & abi::kPidfdInfoPid))
    return result;
  const std::optional<PidfdInfoPids> shown = pidfd_info_for_caller(
      {static_cast<Pid>(info.pid), static_cast<Pid>(info.tgid), static_cast<Pid>(info.ppid)},
      table_, table_.level_of(tid));
  if (!shown) {
    // A process outside: the kernel fails such a call with ESRCH and writes nothing.
    const MemoryRestore& saved = pending.surface.before_call;
    if (!saved.bytes.empty())
      tracee::write_memory(tid, saved.address, saved.bytes.data(), saved.bytes.size());
    tracee::set_result(tid, -ESRCH);
    return -ESRCH;
  }
  info.pid = static_cast<std::uint32_t>(shown->pid);
  info.tgid = static_cast<std::uint32_t>(shown->tgid);
  info.ppid = static_cast<std::uint32_t>(shown->ppid);
  tracee::write_memory(tid, at + offsetof(abi::PidfdInfo, pid), &info.pid, 3 * sizeof(info.pid));
  return result;
}

void SurfaceRewrites::on_clone3_exit(pid_t tid, const PendingExit& pending, std::int64_t result) {
  put_back(tid, pending);
  set_tid_.on_clone3_exit(tid, result);
}

void SurfaceRewrites::on_restart(pid_t tid, const PendingExit& pending) {
  put_back(tid, pending);
}

void SurfaceRewrites::put_back(pid_t tid, const PendingExit& pending) {
  for (const MemoryRestore& restore : pending.surface.restores)
    tracee::write_memory_forced(tid, restore.address, restore.bytes.data(), restore.bytes.size());
}

}  // namespace vpidbox
