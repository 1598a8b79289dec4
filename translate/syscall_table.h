// The syscall table, declared once: every syscall vpidbox intercepts, what its pid-carrying
// arguments and result are, and which engine route serves it. The filter builder, the engines,
// --trace and the tests all read this table.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace vpidbox {

// What each argument of a call is. The pid kinds are translated; the others are what the rules
// read beside them (which `which`, which flags, where the kernel writes a siginfo), named by
// kind so that no rule or engine depends on an argument's position.
enum class ArgKind : std::uint8_t {
  kUnused,
  kValue,  // shown by --trace, not translated
  // Pids and groups in registers.
  kPidOrZeroSelf,  // a process (a tid is accepted); 0 means the caller; ESRCH outside
  kTid,            // a thread: a virtual tid, or a real tid of the caller's own thread group
  kTidOrZeroSelf,  // the same, 0 meaning the calling thread
  kTgid,           // a process id, > 0; ESRCH outside
  kKillTarget,     // kill(): > 0 a process, 0 own group, -1 everything, < -1 a process group
  kWaitTarget,     // wait4(): > 0 a child, 0 own group, -1 any, < -1 a group; ECHILD outside
  kWaitidId,       // waitid()'s id, read with its kIdType
  kSetpgidGroup,   // setpgid()'s pgid: 0 means the target's own pid; EPERM outside
  kPrioWho,        // getpriority()/setpriority()'s who, read with its kWhich
  kIoprioWho,      // ioprio_get()/ioprio_set()'s who, read with its kWhich
  kPidfdTarget,    // pidfd_open()'s pid: a process, or a thread with PIDFD_THREAD (kFlags)
  kPerfTarget,     // perf_event_open()'s pid: a thread, 0 self, -1 any task on the cpu
  kOwner,          // F_SETOWN's owner: > 0 a task, < 0 a process group, 0 none
  // Pids in the caller's memory (memory_pid_offset says where).
  kPgidIn,      // a pointer to a pgid the kernel reads (TIOCSPGRP); ESRCH outside
  kPidOut,      // a pointer to a pid/pgid/sid the kernel writes (TIOCGPGRP, TIOCGSID)
  kCapHeader,   // capget()/capset()'s header {version, pid}: a thread (0 the caller)
  kOwnerIn,     // a pointer to an owner as F_SETOWN takes it (FIOSETOWN, SIOCSPGRP)
  kOwnerOut,    // a pointer to an owner as F_GETOWN returns it (FIOGETOWN, SIOCGPGRP)
  kOwnerExIn,   // a pointer to struct f_owner_ex {type, pid} the kernel reads (F_SETOWN_EX)
  kOwnerExOut,  // a pointer to struct f_owner_ex the kernel writes (F_GETOWN_EX)
  kSigeventIn,  // a pointer to struct sigevent: its thread, with SIGEV_THREAD_ID
  kSiginfoOut,  // a pointer to a siginfo the kernel writes: its si_pid is translated at exit
  // What the rules read beside the pids.
  kSignal,           // a signal number (SIGKILL/SIGSTOP aimed at init are ignored from inside)
  kIdType,           // waitid()'s idtype (P_PID, P_PGID, ...)
  kWhich,            // what `who` names: a process, a group, a user (PRIO_*, IOPRIO_WHO_*)
  kFlags,            // the call's flags (pidfd_open, pidfd_send_signal)
  kFd,               // the descriptor the call acts on (or the directory a path is relative to)
  kPath,             // a pointer to a path
  kOpenHow,          // a pointer to openat2()'s struct open_how
  kSiginfoIn,        // a pointer to a siginfo the kernel reads (0: the call makes one)
  kSigsetIn,         // a pointer to the signal set a thread waits for (rt_sigtimedwait)
  kCloneFlags,       // clone()'s flags: see rule_for_clone_flags (translate/rules.h)
  kCloneArgsStruct,  // clone3()'s struct clone_args in memory, its flags first: the same rule
  kPidfdSignal,      // a pidfd to signal: what init would discard is dropped, from inside
  kRebootMagic1,     // reboot()'s first magic number
  kRebootMagic2,     // reboot()'s second magic number
  kRebootCmd,        // reboot()'s command: in a pid namespace it ends the namespace instead
  kPtraceRequest,    // ptrace()'s request: every call is served by the emulated ptrace
  // Pids that objects and ids carry, translated by translate/object_rules.h and rewritten in
  // memory by supervisor/surface_rewrites.h.
  kClockId,        // a clock id, which names a process or thread for CPU-time clocks
  kInitAttribute,  // prctl()'s option: init's child-subreaper flag and parent-death signal
  kFlockOut,       // struct flock the kernel writes (F_GETLK): l_pid, unless l_type is F_UNLCK
  kPeerCredOut,    // getsockopt()'s optval for SO_PEERCRED: struct ucred, optlen beside it
  kPidfdInfoOut,   // struct pidfd_info (PIDFD_GET_INFO): pid, tgid and ppid
  kShmidOut,       // struct shmid_ds (IPC_STAT, SHM_STAT): shm_cpid, shm_lpid
  kMsqidOut,       // struct msqid_ds (IPC_STAT, MSG_STAT): msg_lspid, msg_lrpid
  kPassCredIn,     // setsockopt()'s optval for SO_PASSCRED: the process will receive credentials
  kSignalfdFd,     // signalfd()'s descriptor: -1 for a new one, whose number the call returns
  // Pids in messages (translate/credentials.h): looked at in memory, rewritten when they hold
  // one (supervisor/call_look.h, supervisor/surface_rewrites.h).
  kMsgHdrIn,    // a struct msghdr sent (sendmsg): SCM_CREDENTIALS, a netlink destination
  kMmsgHdrIn,   // a vector of struct mmsghdr sent (sendmmsg), its length next
  kSockaddrIn,  // bind()'s address: a netlink socket's port id
  kMsgHdrOut,   // a struct msghdr received (recvmsg): SCM_CREDENTIALS
  kMmsgHdrOut,  // a vector of struct mmsghdr received (recvmmsg), its length next
  kReadFd,      // read()'s or readv()'s descriptor: a signalfd's records hold senders' pids
  kDupOfFd,     // the descriptor dup(), dup2(), dup3() or F_DUPFD give another number
};

// Whether an argument of this kind is (or points at) a pid, a tid or a group to translate.
constexpr bool carries_pid(ArgKind kind) {
  return kind >= ArgKind::kPidOrZeroSelf && kind <= ArgKind::kSigeventIn;
}
// Whether it is an id or an object that holds one (a clock id, a struct the kernel fills).
constexpr bool carries_pid_in_object(ArgKind kind) {
  return kind >= ArgKind::kClockId;
}
// Whether the call stops at exit for it: the kernel writes such an object, rewritten there; a
// clock id's register is given back there (glibc's clock_getcpuclockid() stores the register it
// passed to clock_getres() as the caller's clock id); SO_PASSCRED and a new signalfd are
// followed by a filter given to the process at exit. (The messages stop at exit only when what
// is looked at at entry says so.)
constexpr bool needs_object_rewrite_at_exit(ArgKind kind) {
  return carries_pid_in_object(kind) && kind != ArgKind::kInitAttribute &&
         (kind < ArgKind::kMsgHdrIn || kind == ArgKind::kDupOfFd);
}

enum class ResultKind : std::uint8_t {
  kPlain,       // errno or a value that is not a pid
  kCallerTgid,  // a process id (getpid)
  kCallerTid,   // a thread id (gettid)
  kParent,      // a parent's process id, 0 when the parent is outside
  kGroup,       // a process-group id, 0 when its leader is outside
  kSession,     // a session id, 0 when its leader is outside
  kReapedPid,   // wait4(): the pid of a child that may just have been reaped; 0 (WNOHANG) stays
  kNewChild,    // clone3(): the new child's pid (registered at the fork event before this exit)
  kOwner,       // F_GETOWN: a task, or a process group as a negative number; 0 when outside
  kVisiblePid,  // a process the call reports (semctl GETPID): 0 when outside
};

// Pids in the caller's memory: the kernel reads them (in) or writes them (out), at this offset
// from the pointer argument of the kind.
inline bool is_memory_pid_in(ArgKind kind) {
  return kind == ArgKind::kPgidIn || kind == ArgKind::kCapHeader || kind == ArgKind::kOwnerIn ||
         kind == ArgKind::kOwnerExIn || kind == ArgKind::kSigeventIn;
}
inline bool is_memory_pid_out(ArgKind kind) {
  return kind == ArgKind::kPidOut || kind == ArgKind::kOwnerOut || kind == ArgKind::kOwnerExOut;
}
inline std::uint64_t memory_pid_offset(ArgKind kind) {
  // The pid follows a 32-bit version (capget's header) or type (struct f_owner_ex); struct
  // sigevent's sigev_notify_thread_id follows an 8-byte value, the signal and sigev_notify.
  if (kind == ArgKind::kSigeventIn) return 16;
  return kind == ArgKind::kCapHeader || kind == ArgKind::kOwnerExIn || kind == ArgKind::kOwnerExOut
             ? 4
             : 0;
}
// Where the number that says what the pid means is: struct f_owner_ex's type, sigev_notify.
inline std::optional<std::uint64_t> memory_selector_offset(ArgKind kind) {
  if (kind == ArgKind::kOwnerExIn) return 0;
  if (kind == ArgKind::kSigeventIn) return 12;
  return std::nullopt;
}

// A sendmsg() flag vpidbox's own messages carry, so that the filter does not have the
// supervisor look at them (Route::kLook): some are sent before the supervisor can answer (the
// box's init sends it the listener itself). It is MSG_FASTOPEN, a TCP flag, which the kernel
// ignores on the UNIX sockets these go over; on TCP no message carries credentials.
constexpr std::uint64_t kNotLookedAtSendFlag = 0x20000000;

// How a syscall is served.
//  kUnotify: a pure query, answered by the supervisor in one unotify round trip.
//  kTrace:   the kernel must run it in the caller's context with translated arguments, and/or
//            its result must be rewritten: a ptrace stop through SECCOMP_RET_TRACE.
//  kRefuse:  answered with `refuse_errno` by the filter itself, no round trip.
//  kProcOpen: the opens, served by the /proc route (a notification, or a ptrace stop on the
//            ptrace engine) while the box has its own /proc, and not intercepted otherwise.
//  kControl: the in-box control channel (supervisor/control_protocol.h), answered by the
//            supervisor (a notification, or a ptrace stop on the ptrace engine).
//  kSignalSend: a signal with the caller's siginfo, or kill()'s, sent by the supervisor for it
//            (translate/queued_signals.h): a notification where the kernel lets a notified task
//            wait for its answer killably (5.19+), so that a signal it sends itself is pending,
//            not an interruption; a ptrace stop otherwise, and on the ptrace engine.
//  kLook:    a notification in which the supervisor looks at the call's memory: most calls
//            continue at once; one whose memory holds a pid the kernel must read translated is
//            taken over by ptrace (supervisor/call_look.h). A ptrace stop on the ptrace engine.
//  kStacked: not in the box's filter: stopped (SECCOMP_RET_TRACE) by a filter the supervisor
//            gives a process that needs it (supervisor/filter_injection.h), such as reads of its
//            signalfd.
enum class Route : std::uint8_t {
  kUnotify,
  kTrace,
  kRefuse,
  kProcOpen,
  kControl,
  kLook,
  kStacked,
  kSignalSend,
};

struct SyscallRow {
  std::string_view name;
  int nr_x86_64;
  std::array<ArgKind, 6> args;
  ResultKind result;
  Route route;
  int refuse_errno = 0;
  // When set, only calls whose argument `filter_arg` passes the filter are intercepted (the
  // filter compares it: an ioctl request, a clone flag, a signal number): by default
  // (argument & filter_mask) == filter_value; with kInRange, filter_value <= (argument &
  // filter_mask) <= filter_max; with kOutsideRange, any other argument. Rows may share a
  // syscall number; they follow one another in the table and never overlap.
  enum class ArgFilter : std::uint8_t { kMaskedEqual, kInRange, kOutsideRange };
  bool filtered = false;
  std::uint8_t filter_arg = 0;
  std::uint64_t filter_mask = 0;
  std::uint64_t filter_value = 0;
  // A second comparison of another argument, AND-ed with the first (getsockopt's level and
  // option name): a masked one.
  bool filtered_twice = false;
  std::uint8_t filter2_arg = 0;
  std::uint64_t filter2_mask = 0;
  std::uint64_t filter2_value = 0;
  // The first comparison's kind, and a range's last value.
  ArgFilter filter_kind = ArgFilter::kMaskedEqual;
  std::uint64_t filter_max = 0;

  bool matches(const std::array<std::uint64_t, 6>& call_args) const {
    if (filtered) {
      const std::uint64_t arg = call_args[filter_arg] & filter_mask;
      const bool in_range = arg >= filter_value && arg <= filter_max;
      const bool first = filter_kind == ArgFilter::kMaskedEqual ? arg == filter_value
                         : filter_kind == ArgFilter::kInRange   ? in_range
                                                                : !in_range;
      if (!first) return false;
    }
    return !filtered_twice || (call_args[filter2_arg] & filter2_mask) == filter2_value;
  }

  int arg_count() const {
    int n = 0;
    while (n < 6 && args[n] != ArgKind::kUnused) ++n;
    return n;
  }
  // The position of the first argument of `kind`, if the call has one.
  std::optional<int> index_of(ArgKind kind) const {
    for (int i = 0; i < 6; ++i)
      if (args[i] == kind) return i;
    return std::nullopt;
  }
  bool has(ArgKind kind) const { return index_of(kind).has_value(); }
  // Whether the filter may let the call run untrapped when all its pid arguments are 0: each of
  // them then means the caller (or nothing to translate), and no result needs rewriting.
  bool zero_args_need_no_trap() const;
  // Whether the ptrace route must stop again at syscall exit to rewrite the result.
  bool needs_exit_stop() const {
    if (result != ResultKind::kPlain || has(ArgKind::kSiginfoOut)) return true;
    for (ArgKind kind : args)
      if (is_memory_pid_in(kind) || is_memory_pid_out(kind) || needs_object_rewrite_at_exit(kind))
        return true;
    return false;
  }
};

std::span<const SyscallRow> syscall_table();
// The row for a call: by number, and by its arguments for rows that filter on them.
const SyscallRow* find_syscall(int nr_x86_64, const std::array<std::uint64_t, 6>& args = {});
const SyscallRow* find_syscall(std::string_view name);

}  // namespace vpidbox
