#include "translate/syscall_table.h"

#include <sched.h>

#include <csignal>

#include <cerrno>

namespace vpidbox {
namespace {

using enum ArgKind;
using enum Route;

// The signal numbers (1.._NSIG-1) in a signal register, of which the kernel reads the low half
// (an int): the filter compares the same.
constexpr auto kSignalNumbers = SyscallRow::ArgFilter::kInRange;
constexpr auto kNotSignalNumbers = SyscallRow::ArgFilter::kOutsideRange;
constexpr std::uint64_t kMaxSignal = _NSIG - 1;
constexpr std::uint64_t kInt = 0xffffffff;

// x86_64 numbers (arch/x86/entry/syscalls/syscall_64.tbl). The i386 and x32 ABIs are refused as
// a whole by the filter, so only the native numbers are needed.
constexpr SyscallRow kTable[] = {
    // Pure queries: emulated.
    {"getpid", 39, {}, ResultKind::kCallerTgid, kUnotify},
    {"gettid", 186, {}, ResultKind::kCallerTid, kUnotify},
    {"getppid", 110, {}, ResultKind::kParent, kUnotify},
    {"getpgrp", 111, {}, ResultKind::kGroup, kUnotify},
    {"getpgid", 121, {kPidOrZeroSelf}, ResultKind::kGroup, kUnotify},
    {"getsid", 124, {kPidOrZeroSelf}, ResultKind::kSession, kUnotify},

    // Waiting: arguments in, the reaped pid or si_pid out.
    {"wait4", 61, {kWaitTarget, kValue, kValue, kValue}, ResultKind::kReapedPid, kTrace},
    {"waitid", 247, {kIdType, kWaitidId, kSiginfoOut, kValue, kValue}, ResultKind::kPlain, kTrace},

    // Signals. The receiver's si_pid is rewritten at its signal-delivery stop. A call with
    // signal 0, or with a number that is no signal, sends nothing: whether it succeeds is a
    // question the table and the credentials answer (translate/signal_checks.h), in one round
    // trip. kill() with a signal is sent by the supervisor for the caller
    // (translate/queued_signals.h decide_kill), but for the job-control signals (SIGCONT,
    // SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, numbered 18 to 22 on x86-64): a stop reaches a box
    // process through its delivery stop, and sent in the sender's context, the sender's own stop
    // orders them behind the receiver's stops the supervisor has yet to handle, so a SIGCONT does
    // not overtake the stop it answers (stress-ng --wait, which counts the stops and continues a
    // parent sees, ran at half its pace with them sent by the supervisor). tkill() and tgkill()
    // run in the caller's context.
    // clang-format off
    {"kill", 62, {kKillTarget, kSignal}, ResultKind::kPlain, kSignalSend, 0,
     true, 1, kInt, 1, false, 0, 0, 0, kSignalNumbers, SIGCONT - 1},
    {"kill", 62, {kKillTarget, kSignal}, ResultKind::kPlain, kTrace, 0,
     true, 1, kInt, SIGCONT, false, 0, 0, 0, kSignalNumbers, SIGTTOU},
    {"kill", 62, {kKillTarget, kSignal}, ResultKind::kPlain, kSignalSend, 0,
     true, 1, kInt, SIGTTOU + 1, false, 0, 0, 0, kSignalNumbers, kMaxSignal},
    {"kill", 62, {kKillTarget, kSignal}, ResultKind::kPlain, kUnotify, 0,
     true, 1, kInt, 1, false, 0, 0, 0, kNotSignalNumbers, kMaxSignal},
    {"tkill", 200, {kTid, kSignal}, ResultKind::kPlain, kTrace, 0,
     true, 1, kInt, 1, false, 0, 0, 0, kSignalNumbers, kMaxSignal},
    {"tkill", 200, {kTid, kSignal}, ResultKind::kPlain, kUnotify, 0,
     true, 1, kInt, 1, false, 0, 0, 0, kNotSignalNumbers, kMaxSignal},
    {"tgkill", 234, {kTgid, kTid, kSignal}, ResultKind::kPlain, kTrace, 0,
     true, 2, kInt, 1, false, 0, 0, 0, kSignalNumbers, kMaxSignal},
    {"tgkill", 234, {kTgid, kTid, kSignal}, ResultKind::kPlain, kUnotify, 0,
     true, 2, kInt, 1, false, 0, 0, 0, kNotSignalNumbers, kMaxSignal},
    // clang-format on
    {"rt_sigqueueinfo", 129, {kTgid, kSignal, kSiginfoIn}, ResultKind::kPlain, kSignalSend},
    {"rt_tgsigqueueinfo", 297, {kTgid, kTid, kSignal, kSiginfoIn}, ResultKind::kPlain, kSignalSend},
    {"rt_sigtimedwait", 128, {kSigsetIn, kSiginfoOut, kValue, kValue}, ResultKind::kPlain, kTrace},
    {"pidfd_open", 434, {kPidfdTarget, kFlags}, ResultKind::kPlain, kTrace},

    // Groups and sessions.
    {"setpgid", 109, {kPidOrZeroSelf, kSetpgidGroup}, ResultKind::kPlain, kTrace},
    {"setsid", 112, {}, ResultKind::kSession, kTrace},

    // Calls that name a thread or process and act on it: translated, ESRCH outside the box.
    {"sched_setparam", 142, {kTidOrZeroSelf, kValue}, ResultKind::kPlain, kTrace},
    {"sched_getparam", 143, {kTidOrZeroSelf, kValue}, ResultKind::kPlain, kTrace},
    {"sched_setscheduler", 144, {kTidOrZeroSelf, kValue, kValue}, ResultKind::kPlain, kTrace},
    {"sched_getscheduler", 145, {kTidOrZeroSelf}, ResultKind::kPlain, kTrace},
    {"sched_rr_get_interval", 148, {kTidOrZeroSelf, kValue}, ResultKind::kPlain, kTrace},
    {"sched_setaffinity", 203, {kTidOrZeroSelf, kValue, kValue}, ResultKind::kPlain, kTrace},
    {"sched_getaffinity", 204, {kTidOrZeroSelf, kValue, kValue}, ResultKind::kPlain, kTrace},
    {"sched_setattr", 314, {kTidOrZeroSelf, kValue, kValue}, ResultKind::kPlain, kTrace},
    {"sched_getattr", 315, {kTidOrZeroSelf, kValue, kValue, kValue}, ResultKind::kPlain, kTrace},
    {"getpriority", 140, {kWhich, kPrioWho}, ResultKind::kPlain, kTrace},
    {"setpriority", 141, {kWhich, kPrioWho, kValue}, ResultKind::kPlain, kTrace},
    {"ioprio_get", 252, {kWhich, kIoprioWho}, ResultKind::kPlain, kTrace},
    {"ioprio_set", 251, {kWhich, kIoprioWho, kValue}, ResultKind::kPlain, kTrace},
    {"prlimit64", 302, {kPidOrZeroSelf, kValue, kValue, kValue}, ResultKind::kPlain, kTrace},
    {"get_robust_list", 274, {kTidOrZeroSelf, kValue, kValue}, ResultKind::kPlain, kTrace},
    {"migrate_pages", 256, {kPidOrZeroSelf, kValue, kValue, kValue}, ResultKind::kPlain, kTrace},
    {"move_pages",
     279,
     {kPidOrZeroSelf, kValue, kValue, kValue, kValue, kValue},
     ResultKind::kPlain,
     kTrace},
    {"process_vm_readv",
     310,
     {kPidOrZeroSelf, kValue, kValue, kValue, kValue, kValue},
     ResultKind::kPlain,
     kTrace},
    {"process_vm_writev",
     311,
     {kPidOrZeroSelf, kValue, kValue, kValue, kValue, kValue},
     ResultKind::kPlain,
     kTrace},
    {"kcmp",
     312,
     {kPidOrZeroSelf, kPidOrZeroSelf, kValue, kValue, kValue},
     ResultKind::kPlain,
     kTrace},
    // The supervisor is every box task's real tracer: tracers inside are emulated
    // (supervisor/emulated_ptrace.h), and the pid names a box task or nothing.
    {"ptrace", 101, {kPtraceRequest, kTid, kValue, kValue}, ResultKind::kPlain, kTrace},
    // libcap-ng names the caller by getpid() in the header: the box's number must become real.
    {"capget", 125, {kCapHeader, kValue}, ResultKind::kPlain, kTrace},
    {"capset", 126, {kCapHeader, kValue}, ResultKind::kPlain, kTrace},
    {"perf_event_open",
     298,
     {kValue, kPerfTarget, kValue, kValue, kValue},
     ResultKind::kPlain,
     kTrace},

    // The terminal's foreground group and session (tcsetpgrp, tcgetpgrp, tcgetsid): job control.
    // clang-format off
    {"ioctl", 16, {kFd, kValue, kPgidIn}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffffffff, 0x5410 /* TIOCSPGRP */},
    {"ioctl", 16, {kFd, kValue, kPidOut}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffffffff, 0x540F /* TIOCGPGRP */},
    {"ioctl", 16, {kFd, kValue, kPidOut}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffffffff, 0x5429 /* TIOCGSID */},
    // A socket's owner, that SIGIO and SIGURG go to (as F_SETOWN and F_GETOWN: a negative number
    // is a process group).
    {"ioctl", 16, {kFd, kValue, kOwnerIn}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffffffff, 0x8901 /* FIOSETOWN */},
    {"ioctl", 16, {kFd, kValue, kOwnerIn}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffffffff, 0x8902 /* SIOCSPGRP */},
    {"ioctl", 16, {kFd, kValue, kOwnerOut}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffffffff, 0x8903 /* FIOGETOWN */},
    {"ioctl", 16, {kFd, kValue, kOwnerOut}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffffffff, 0x8904 /* SIOCGPGRP */},
    // PIDFD_GET_INFO (6.13): the pid, tgid and ppid of a pidfd's process. The request encodes the
    // struct's size, which grows: only its type and number are compared, as the kernel does.
    {"ioctl", 16, {kFd, kValue, kPidfdInfoOut}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffff, 0xff0b /* PIDFD_GET_INFO */},

    // A file's owner (O_ASYNC's SIGIO, SIGURG, leases, dnotify), kept by the kernel to signal
    // later. Only these commands are trapped: fcntl is hot.
    {"fcntl", 72, {kFd, kValue, kOwner}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffffffff, 8 /* F_SETOWN */},
    {"fcntl", 72, {kFd, kValue, kValue}, ResultKind::kOwner, kTrace, 0,
     true, 1, 0xffffffff, 9 /* F_GETOWN */},
    {"fcntl", 72, {kFd, kValue, kOwnerExIn}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffffffff, 15 /* F_SETOWN_EX */},
    {"fcntl", 72, {kFd, kValue, kOwnerExOut}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffffffff, 16 /* F_GETOWN_EX */},
    // Who holds a lock that conflicts with the one described (0 when outside, -1 for an open file
    // description's lock).
    {"fcntl", 72, {kFd, kValue, kFlockOut}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffffffff, 5 /* F_GETLK */},
    {"fcntl", 72, {kFd, kValue, kFlockOut}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffffffff, 36 /* F_OFD_GETLK */},
    // A signalfd given another number (stopped by its process's filter, below).
    {"fcntl", 72, {kDupOfFd, kValue, kValue}, ResultKind::kPlain, kStacked, 0,
     true, 1, 0xffffffff, 0 /* F_DUPFD */},
    {"fcntl", 72, {kDupOfFd, kValue, kValue}, ResultKind::kPlain, kStacked, 0,
     true, 1, 0xffffffff, 1030 /* F_DUPFD_CLOEXEC */},

    // Pids prctl() keeps: Yama's allowed tracer (0 none, -1 anyone), and the task whose core
    // scheduling cookie is shared (0 the caller). Where Yama or core scheduling are not built
    // in, the kernel refuses both with EINVAL.
    {"prctl", 157, {kValue, kPidOrZeroSelf}, ResultKind::kPlain, kTrace, 0,
     true, 0, 0xffffffff, 0x59616d61 /* PR_SET_PTRACER */},
    {"prctl", 157, {kValue, kValue, kTidOrZeroSelf, kValue, kValue}, ResultKind::kPlain, kTrace,
     0, true, 0, 0xffffffff, 62 /* PR_SCHED_CORE */},
    // The box's control channel: what `vpidbox run` inside a box asks of the supervisor that
    // serves it (supervisor/control_protocol.h). The kernel knows no such option (EINVAL).
    {"prctl", 157, {kValue, kValue, kValue, kValue, kValue}, ResultKind::kPlain, kControl, 0,
     true, 0, 0xffffffff, 0x56504944 /* control::kPrctlOption */},
    // A namespace's init is neither a child subreaper nor has a parent-death signal until it sets
    // them; the box's init really is both (that is how orphans reach it and how the box fails
    // closed): what init sets and reads of them is its own (translate/object_rules.h).
    {"prctl", 157, {kInitAttribute, kValue}, ResultKind::kPlain, kTrace, 0,
     true, 0, 0xffffffff, 1 /* PR_SET_PDEATHSIG */},
    {"prctl", 157, {kInitAttribute, kValue}, ResultKind::kPlain, kTrace, 0,
     true, 0, 0xffffffff, 2 /* PR_GET_PDEATHSIG */},
    {"prctl", 157, {kInitAttribute, kValue}, ResultKind::kPlain, kTrace, 0,
     true, 0, 0xffffffff, 36 /* PR_SET_CHILD_SUBREAPER */},
    {"prctl", 157, {kInitAttribute, kValue}, ResultKind::kPlain, kTrace, 0,
     true, 0, 0xffffffff, 37 /* PR_GET_CHILD_SUBREAPER */},

    // clone(): a namespace's init may not make a sibling of itself (EINVAL), and CLONE_UNTRACED
    // is dropped so that ptrace's automatic attach follows the child like any other (LeakSanitizer
    // makes its helper task so). Only clones carrying either flag stop.
    {"clone", 56, {kCloneFlags, kValue, kValue, kValue, kValue}, ResultKind::kPlain, kTrace,
     0, true, 0, CLONE_PARENT, CLONE_PARENT},
    {"clone", 56, {kCloneFlags, kValue, kValue, kValue, kValue}, ResultKind::kPlain, kTrace,
     0, true, 0, CLONE_UNTRACED, CLONE_UNTRACED},
    // A child in a mount namespace of its own may see other mounts (and another /proc) than the
    // supervisor: the box's /proc without a mount asks each task for its root from then on.
    {"clone", 56, {kCloneFlags, kValue, kValue, kValue, kValue}, ResultKind::kPlain, kTrace,
     0, true, 0, CLONE_NEWNS, CLONE_NEWNS},
    // clone3() keeps its flags in memory, where the filter cannot look: every call stops for the
    // same rule, and stops again at exit, where the supervisor checks that the child was attached.
    {"clone3", 435, {kCloneArgsStruct, kValue}, ResultKind::kNewChild, kTrace},
    // A signal through a pidfd that init would discard is dropped, from inside (see kill).
    {"pidfd_send_signal", 424, {kPidfdSignal, kSignal, kSiginfoIn, kFlags}, ResultKind::kPlain,
     kTrace},
    // reboot() from a namespace never reboots the machine: it ends the namespace's init.
    {"reboot", 169, {kRebootMagic1, kRebootMagic2, kRebootCmd, kValue}, ResultKind::kPlain, kTrace},
    // A timer that signals one thread (SIGEV_THREAD_ID): the thread is named by its tid, which
    // gettid() gives as the box's number.
    {"timer_create", 222, {kClockId, kSigeventIn, kValue}, ResultKind::kPlain, kTrace},
    // CPU-time clocks of a process or thread: the clock id holds its number (~pid << 3 | type).
    // Only ids that can hold one stop: every number below PID_MAX_LIMIT (2^22) makes the seven
    // top bits of the id ones (the calling process's and thread's own clocks, pid 0, and the
    // clocks of open files, FD clocks, stop too: they pass unchanged).
    {"clock_settime", 227, {kClockId, kValue}, ResultKind::kPlain, kTrace, 0,
     true, 0, 0xfe000000, 0xfe000000},
    {"clock_gettime", 228, {kClockId, kValue}, ResultKind::kPlain, kTrace, 0,
     true, 0, 0xfe000000, 0xfe000000},
    {"clock_getres", 229, {kClockId, kValue}, ResultKind::kPlain, kTrace, 0,
     true, 0, 0xfe000000, 0xfe000000},
    {"clock_nanosleep", 230, {kClockId, kValue, kValue, kValue}, ResultKind::kPlain, kTrace, 0,
     true, 0, 0xfe000000, 0xfe000000},
    {"clock_adjtime", 305, {kClockId, kValue}, ResultKind::kPlain, kTrace, 0,
     true, 0, 0xfe000000, 0xfe000000},
    // The peer of a UNIX socket, as it was when it connected: the box's number, 0 from outside.
    {"getsockopt", 55, {kFd, kValue, kValue, kPeerCredOut, kValue}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffffffff, 1 /* SOL_SOCKET */, true, 2, 0xffffffff, 17 /* SO_PEERCRED */},
    // System V IPC objects keep who made them and who used them last.
    {"shmctl", 31, {kValue, kValue, kShmidOut}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffffffff, 2 /* IPC_STAT */},
    {"shmctl", 31, {kValue, kValue, kShmidOut}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffffffff, 13 /* SHM_STAT */},
    {"shmctl", 31, {kValue, kValue, kShmidOut}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffffffff, 15 /* SHM_STAT_ANY */},
    {"msgctl", 71, {kValue, kValue, kMsqidOut}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffffffff, 2 /* IPC_STAT */},
    {"msgctl", 71, {kValue, kValue, kMsqidOut}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffffffff, 11 /* MSG_STAT */},
    {"msgctl", 71, {kValue, kValue, kMsqidOut}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffffffff, 13 /* MSG_STAT_ANY */},
    {"semctl", 66, {kValue, kValue, kValue, kValue}, ResultKind::kVisiblePid, kTrace, 0,
     true, 2, 0xffffffff, 11 /* GETPID */},
    // Credentials a process sends (SCM_CREDENTIALS) name it as it sees itself, and a netlink
    // socket bound without a port id takes its pid as one: looked at in every sendmsg() and
    // bind(), which the filter cannot tell apart (supervisor/call_look.h).
    {"sendmsg", 46, {kFd, kMsgHdrIn, kValue}, ResultKind::kPlain, kLook, 0,
     true, 2, kNotLookedAtSendFlag, 0},
    {"sendmmsg", 307, {kFd, kMmsgHdrIn, kValue, kValue}, ResultKind::kPlain, kLook, 0,
     true, 3, kNotLookedAtSendFlag, 0},
    {"bind", 49, {kFd, kSockaddrIn, kValue}, ResultKind::kPlain, kLook},
    // A process that asks for credentials (SO_PASSCRED) or makes a signalfd is given a filter of
    // its own at the call's exit, which stops its recvmsg() calls, or its reads of that signalfd.
    {"setsockopt", 54, {kFd, kValue, kValue, kPassCredIn, kValue}, ResultKind::kPlain, kTrace, 0,
     true, 1, 0xffffffff, 1 /* SOL_SOCKET */, true, 2, 0xffffffff, 16 /* SO_PASSCRED */},
    {"signalfd", 282, {kSignalfdFd, kValue, kValue}, ResultKind::kPlain, kTrace},
    {"signalfd4", 289, {kSignalfdFd, kValue, kValue, kValue}, ResultKind::kPlain, kTrace},
    // Stopped by those filters only.
    {"read", 0, {kReadFd, kValue, kValue}, ResultKind::kPlain, kStacked},
    {"readv", 19, {kReadFd, kValue, kValue}, ResultKind::kPlain, kStacked},
    {"dup", 32, {kDupOfFd}, ResultKind::kPlain, kStacked},
    {"dup2", 33, {kDupOfFd, kValue}, ResultKind::kPlain, kStacked},
    {"dup3", 292, {kDupOfFd, kValue, kValue}, ResultKind::kPlain, kStacked},
    {"recvmsg", 47, {kFd, kMsgHdrOut, kValue}, ResultKind::kPlain, kStacked},
    {"recvmmsg", 299, {kFd, kMmsgHdrOut, kValue, kValue, kValue}, ResultKind::kPlain, kStacked},
    // clang-format on

    // The opens: the box's /proc serves some of them (fd links, its own files) in place.
    {"open", 2, {kPath, kFlags, kValue}, ResultKind::kPlain, kProcOpen},
    {"openat", 257, {kFd, kPath, kFlags, kValue}, ResultKind::kPlain, kProcOpen},
    {"openat2", 437, {kFd, kPath, kOpenHow, kValue}, ResultKind::kPlain, kProcOpen},
    {"creat", 85, {kPath, kValue}, ResultKind::kPlain, kProcOpen},

    // io_uring runs its operations without a seccomp check on each one (IORING_OP_WAITID and
    // others would bypass translation). ENOSYS makes liburing users fall back to plain syscalls,
    // as on a kernel built without io_uring.
    {"io_uring_setup", 425, {kValue, kValue}, ResultKind::kPlain, kRefuse, ENOSYS},
};

}  // namespace

bool SyscallRow::zero_args_need_no_trap() const {
  // ptrace(PTRACE_TRACEME, 0, ...) is the emulation's like every other request.
  if (route != Route::kTrace || needs_exit_stop() || has(kPtraceRequest)) return false;
  bool any_pid = false;
  for (ArgKind kind : args) {
    if (!carries_pid(kind)) continue;
    switch (kind) {
      case kPidOrZeroSelf:
      case kTidOrZeroSelf:
      case kTgid:
      case kTid:
      case kSetpgidGroup:
      case kPrioWho:
      case kIoprioWho:
      case kPidfdTarget:
      case kPerfTarget:
        any_pid = true;
        break;
      default:  // kill's 0 is the caller's group, wait's 0 needs its result rewritten, ...
        return false;
    }
  }
  return any_pid;
}

std::span<const SyscallRow> syscall_table() {
  return kTable;
}

const SyscallRow* find_syscall(int nr_x86_64, const std::array<std::uint64_t, 6>& args) {
  // The engines look a row up on every intercepted call: index by number once.
  static const auto by_number = [] {
    std::array<const SyscallRow*, 512> index{};
    for (const SyscallRow& row : kTable)
      if (!index[row.nr_x86_64]) index[row.nr_x86_64] = &row;
    return index;
  }();
  if (nr_x86_64 < 0 || nr_x86_64 >= static_cast<int>(by_number.size())) return nullptr;
  const SyscallRow* row = by_number[nr_x86_64];
  if (!row || !row->filtered) return row;
  for (; row != std::end(kTable) && row->nr_x86_64 == nr_x86_64; ++row)
    if (row->matches(args)) return row;
  return nullptr;
}

const SyscallRow* find_syscall(std::string_view name) {
  for (const SyscallRow& row : kTable)
    if (row.name == name) return &row;
  return nullptr;
}

}  // namespace vpidbox
