// ptrace(2) requests of tracers inside the box, served on their (really stopped) tracees with the
// supervisor's own requests, in the kernel's order of checks (kernel/ptrace.c sys_ptrace): the
// target must be a box task (ESRCH), attaching has its own rules, and every other request needs
// a tracee of the calling thread, stopped for it unless it is PTRACE_KILL or PTRACE_INTERRUPT
// (ESRCH). What a request copies out goes into the caller's memory, as the kernel's copy would.
#include <linux/elf.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <map>
#include <vector>

#include "supervisor/emulated_ptrace.h"
#include "supervisor/kernel_facts.h"
#include "supervisor/tracee.h"
#include "translate/signal_rules.h"

namespace vpidbox {
namespace {

// x86_64 requests glibc's enum may lack, and arch_prctl codes.
constexpr long kOldSetOptions = 21;
constexpr long kSetThreadArea = 26;
constexpr long kArchSetGs = 0x1001, kArchSetFs = 0x1002, kArchGetFs = 0x1003, kArchGetGs = 0x1004;
// A regset larger than this is refused as too large to copy (the largest x86 XSTATE with AMX
// is about 11 KiB).
constexpr std::size_t kMaxRegset = 1 << 16;
constexpr int kMaxPeekSiginfo = 256;

Outcome ok() {
  return ReturnValue{0};
}
Outcome error(int e) {
  return ReturnErrno{e};
}
// The result of one of the supervisor's own requests, as the caller's.
Outcome real_result(long r) {
  return r < 0 ? error(errno) : ok();
}

bool valid_signal(std::uint64_t data) {
  return data <= static_cast<std::uint64_t>(_NSIG - 1);
}

PtraceCreds ptrace_creds(pid_t tid) {
  const TaskCreds c = read_task_creds(tid);
  PtraceCreds out;
  out.ruid = c.ruid;
  out.euid = c.euid;
  out.suid = c.suid;
  out.rgid = c.rgid;
  out.egid = c.egid;
  out.sgid = c.sgid;
  out.cap_permitted = c.permitted;
  out.cap_effective = c.caps;
  char path[64];
  struct stat st;
  std::snprintf(path, sizeof(path), "/proc/%d/ns/user", tid);
  if (::stat(path, &st) == 0) out.user_ns = st.st_ino;
  // procfs makes the files of a task that is not dumpable root's (task_dump_owner), all but its
  // directory: `environ`'s owner tells. (For a task whose euid is 0 it cannot tell; such a target
  // is traceable only by root anyway.)
  std::snprintf(path, sizeof(path), "/proc/%d/environ", tid);
  if (::stat(path, &st) == 0) out.dumpable = st.st_uid == c.euid || c.euid == 0;
  return out;
}

}  // namespace

Outcome EmulatedPtrace::serve_ptrace(pid_t caller, const Call& call) {
  const long request = static_cast<long>(call.args[0]);
  const Pid vpid = static_cast<Pid>(static_cast<std::int32_t>(call.args[1]));
  const std::uint64_t addr = call.args[2];
  const std::uint64_t data = call.args[3];
  if (request == PTRACE_TRACEME) return traceme(caller);
  // Only the box's tasks exist for a box task.
  const std::optional<Pid> real =
      vpid > 0 ? table_.to_real(vpid, table_.level_of(caller)) : std::nullopt;
  if (!real || !table_.task(*real)) return error(ESRCH);
  if (request == PTRACE_ATTACH || request == PTRACE_SEIZE)
    return attach(caller, request, *real, addr, data);
  const bool needs_stop = request != PTRACE_KILL && request != PTRACE_INTERRUPT;
  if (const int e = model_.check_request(caller, *real, needs_stop)) return error(e);
  switch (request) {
    case PTRACE_KILL:
      if (!model_.find(*real)->exit)
        ::syscall(SYS_tgkill, model_.find(*real)->tgid, *real, SIGKILL);
      return ok();
    case PTRACE_INTERRUPT:
      return interrupt(*real);
    case PTRACE_CONT:
    case PTRACE_SYSCALL:
    case PTRACE_SINGLESTEP:
      return resume_request(caller, request, *real, data);
    case PTRACE_DETACH:
      return detach(caller, *real, data);
    case PTRACE_LISTEN:
      return listen(*real);
    default:
      return on_stopped_tracee(caller, request, *real, addr, data);
  }
}

Outcome EmulatedPtrace::traceme(pid_t caller) {
  if (model_.find(caller)) return error(EPERM);  // traced already
  const Task* me = table_.task(caller);
  if (!me) return error(ESRCH);
  const RealOrErrno parent = kernel_.parent_of(me->real_tgid);
  // A parent outside the box (init's) is nobody the box can see: as with a parent that is
  // exiting, the kernel says 0 and the caller is not traced.
  if (!parent.ok() || !table_.task(parent.value)) return ok();
  // The tracer is the thread that forked it, while that thread is still its parent's.
  Pid tracer = parent.value;
  if (auto creator = creator_.find(me->real_tgid); creator != creator_.end()) {
    const Task* thread = table_.task(creator->second);
    if (thread && thread->real_tgid == parent.value && !thread->exited) tracer = creator->second;
  }
  if (const int e = model_.attach(describe(caller), tracer, parent.value, false, 0))
    return error(e);
  note_attached(caller);
  set_real_options(caller);  // it is stopped at this call
  kick_waits_of(parent.value);
  return ok();
}

Outcome EmulatedPtrace::attach(pid_t caller, long request, Pid target, std::uint64_t addr,
                               std::uint64_t data) {
  const bool seize = request == PTRACE_SEIZE;
  if (seize) {
    // ptrace_attach() says EIO for unknown options, PTRACE_SETOPTIONS EINVAL.
    if (addr != 0 || (data & ~static_cast<std::uint64_t>(kPtraceOptionMask))) return error(EIO);
    if (const int e = ptrace_options_error(data)) return error(e);
  }
  const Task* me = table_.task(caller);
  const Task* task = table_.task(target);
  if (!me || !task) return error(ESRCH);
  if (task->real_tgid == me->real_tgid) return error(EPERM);
  const PtraceCreds caller_creds = ptrace_creds(caller);
  const PtraceCreds target_creds = ptrace_creds(target);
  // The caller's namespace owns the target's if it is the target's, or the supervisor's own (the
  // ancestor of every namespace the box can make).
  const bool owns =
      caller_creds.user_ns == target_creds.user_ns || caller_creds.user_ns == own_user_ns_;
  if (const int e = ptrace_access_error(caller_creds, target_creds, owns)) return error(e);
  if (task->exited) return error(EPERM);  // a zombie
  if (const int e = model_.attach(describe(target), caller, me->real_tgid, seize,
                                  static_cast<std::uint32_t>(data)))
    return error(e);
  note_attached(target);
  // Its real options are set at its next stop, which comes soon: PTRACE_ATTACH sends it a
  // SIGSTOP (SEND_SIG_PRIV: SI_KERNEL, no sender), PTRACE_SEIZE an interrupt that it does not
  // report; a group-stopped task traps again either way, for its new tracer.
  options_dirty_.insert(target);
  if (!seize)
    signals_.send_synthetic_to_thread(task->real_tgid, target, [] {
      siginfo_t info{};
      info.si_signo = SIGSTOP;
      info.si_code = SI_KERNEL;
      return info;
    }());
  if (seize || listening_.contains(target)) ::ptrace(PTRACE_INTERRUPT, target, 0, 0);
  return ok();
}

Outcome EmulatedPtrace::resume_request(pid_t caller, long request, pid_t tracee,
                                       std::uint64_t data) {
  if (!valid_signal(data)) return error(EIO);
  ResumeMode mode = ResumeMode::kCont;
  if (request == PTRACE_SYSCALL) mode = ResumeMode::kSyscall;
  if (request == PTRACE_SINGLESTEP) mode = ResumeMode::kSingleStep;
  const EmulatedStop left = model_.resume(tracee, mode);
  current_.erase(tracee);
  // Leaving its PTRACE_EVENT_EXIT, it dies; a lone leader's death waits for its tracer's wait.
  if (left.kind == StopKind::kEvent && (left.code >> 8) == PTRACE_EVENT_EXIT &&
      exit_holdable(*model_.find(tracee))) {
    hold_exit(tracee, static_cast<int>(model_.find(tracee)->event_msg));
    return ok();
  }
  real_resume(tracee, mode, delivered_signal(tracee, left, static_cast<int>(data), caller),
              left.supervisor_needs_exit_stop);
  return ok();
}

Outcome EmulatedPtrace::detach(pid_t, pid_t tracee, std::uint64_t data) {
  if (!valid_signal(data)) return error(EIO);
  const Pid parent = model_.find(tracee)->real_parent;
  const EmulatedStop left = model_.resume(tracee, ResumeMode::kCont);
  model_.detach(tracee);
  sync_tracer(tracee);
  current_.erase(tracee);
  entry_regs_.erase(tracee);
  set_real_options(tracee);
  if (left.kind == StopKind::kGroupStop) {
    // Detached in a group-stop, it stays stopped, waiting for SIGCONT.
    ::ptrace(PTRACE_LISTEN, tracee, 0, 0);
    listening_.insert(tracee);
  } else {
    ::ptrace(left.supervisor_needs_exit_stop ? PTRACE_SYSCALL : PTRACE_CONT, tracee, 0,
             delivered_signal(tracee, left, static_cast<int>(data), parent));
  }
  return ok();
}

Outcome EmulatedPtrace::interrupt(pid_t tracee) {
  Tracee* t = model_.find(tracee);
  if (!t->seized) return error(EIO);
  if (t->exit) return ok();  // exiting: nothing to interrupt
  t->interrupt_pending = true;
  // Running or listening: trap now. Stopped: at its resume (real_resume).
  if (!t->stop) ::ptrace(PTRACE_INTERRUPT, tracee, 0, 0);
  return ok();
}

Outcome EmulatedPtrace::listen(pid_t tracee) {
  if (const int e = model_.listen_error(tracee)) return error(e);
  model_.listen(tracee);
  current_.erase(tracee);
  if (::ptrace(PTRACE_LISTEN, tracee, 0, 0) != 0) ::ptrace(PTRACE_CONT, tracee, 0, 0);
  return ok();
}

Outcome EmulatedPtrace::on_stopped_tracee(pid_t caller, long request, pid_t tracee,
                                          std::uint64_t addr, std::uint64_t data) {
  // Copies between the tracee (the supervisor's request) and the caller's memory.
  auto copy_out = [&](const void* from, std::size_t size) {
    return tracee::write_memory(caller, data, from, size) ? ok() : error(EFAULT);
  };
  auto copy_in = [&](void* to, std::size_t size) {
    return tracee::read_memory(caller, data, to, size);
  };
  switch (request) {
    case PTRACE_PEEKTEXT:
    case PTRACE_PEEKDATA:
    case PTRACE_PEEKUSER: {
      // The system call stores the word at `data` (glibc's wrapper returns it).
      errno = 0;
      const long word = ::ptrace(static_cast<__ptrace_request>(request), tracee, addr, 0);
      if (errno != 0) return error(errno);
      return copy_out(&word, sizeof(word));
    }
    case PTRACE_POKETEXT:
    case PTRACE_POKEDATA:
    case PTRACE_POKEUSER:
      return real_result(::ptrace(static_cast<__ptrace_request>(request), tracee, addr, data));
    case PTRACE_GETREGS: {
      user_regs_struct regs;
      if (::ptrace(PTRACE_GETREGS, tracee, 0, &regs) != 0) return error(errno);
      return copy_out(&regs, sizeof(regs));
    }
    case PTRACE_SETREGS: {
      user_regs_struct regs;
      if (!copy_in(&regs, sizeof(regs))) return error(EFAULT);
      return real_result(::ptrace(PTRACE_SETREGS, tracee, 0, &regs));
    }
    case PTRACE_GETFPREGS: {
      user_fpregs_struct fp;
      if (::ptrace(PTRACE_GETFPREGS, tracee, 0, &fp) != 0) return error(errno);
      return copy_out(&fp, sizeof(fp));
    }
    case PTRACE_SETFPREGS: {
      user_fpregs_struct fp;
      if (!copy_in(&fp, sizeof(fp))) return error(EFAULT);
      return real_result(::ptrace(PTRACE_SETFPREGS, tracee, 0, &fp));
    }
    case PTRACE_GETREGSET:
    case PTRACE_SETREGSET:
      return regset(caller, request, tracee, addr, data);
    case PTRACE_GETSIGINFO:
      return get_siginfo(caller, tracee, data);
    case PTRACE_SETSIGINFO:
      return set_siginfo(caller, tracee, data);
    case PTRACE_PEEKSIGINFO:
      return peek_siginfo(caller, tracee, addr, data);
    case PTRACE_GETSIGMASK: {
      if (addr != sizeof(std::uint64_t)) return error(EINVAL);
      std::uint64_t mask = 0;
      if (::ptrace(PTRACE_GETSIGMASK, tracee, addr, &mask) != 0) return error(errno);
      return copy_out(&mask, sizeof(mask));
    }
    case PTRACE_SETSIGMASK: {
      if (addr != sizeof(std::uint64_t)) return error(EINVAL);
      std::uint64_t mask = 0;
      if (!copy_in(&mask, sizeof(mask))) return error(EFAULT);
      return real_result(::ptrace(PTRACE_SETSIGMASK, tracee, addr, &mask));
    }
    case PTRACE_GETEVENTMSG: {
      const unsigned long message = model_.find(tracee)->event_msg;
      return copy_out(&message, sizeof(message));
    }
    case PTRACE_SETOPTIONS:
    case kOldSetOptions:
      if (const int e = ptrace_options_error(data)) return error(e);
      model_.find(tracee)->options = static_cast<std::uint32_t>(data);
      set_real_options(tracee);
      return ok();
    case PTRACE_GET_SYSCALL_INFO:
      return syscall_info(caller, tracee, addr, data);
    case PTRACE_ARCH_PRCTL: {
      // arch_prctl on the tracee: `data` is the code, `addr` the value or, for the GET codes,
      // where in the caller's memory the kernel puts the answer.
      if (data == kArchSetFs || data == kArchSetGs)
        return real_result(
            ::ptrace(PTRACE_ARCH_PRCTL, tracee, addr, static_cast<unsigned long>(data)));
      if (data != kArchGetFs && data != kArchGetGs) return error(EINVAL);
      unsigned long base = 0;
      if (::ptrace(PTRACE_ARCH_PRCTL, tracee, &base, static_cast<unsigned long>(data)) != 0)
        return error(errno);
      return tracee::write_memory(caller, addr, &base, sizeof(base)) ? ok() : error(EFAULT);
    }
    case PTRACE_GET_THREAD_AREA: {
      std::uint32_t desc[4] = {};  // struct user_desc
      if (::ptrace(PTRACE_GET_THREAD_AREA, tracee, addr, desc) != 0) return error(errno);
      return copy_out(desc, sizeof(desc));
    }
    case kSetThreadArea: {
      std::uint32_t desc[4];
      if (!copy_in(desc, sizeof(desc))) return error(EFAULT);
      return real_result(
          ::ptrace(static_cast<__ptrace_request>(kSetThreadArea), tracee, addr, desc));
    }
    case PTRACE_SECCOMP_GET_FILTER:
    case PTRACE_SECCOMP_GET_METADATA:
      // The kernel refuses them to a caller under seccomp, which every box task is.
      return error(EACCES);
    case PTRACE_GET_RSEQ_CONFIGURATION: {
      unsigned char config[64] = {};
      const long n = ::ptrace(PTRACE_GET_RSEQ_CONFIGURATION, tracee, sizeof(config), config);
      if (n < 0) return error(errno);
      const std::size_t copied = std::min<std::size_t>(addr, static_cast<std::size_t>(n));
      if (copied && !tracee::write_memory(caller, data, config, copied)) return error(EFAULT);
      return ReturnValue{n};
    }
    default:
      // PTRACE_SYSEMU and PTRACE_SINGLEBLOCK are not emulated; unknown requests are EIO.
      return error(EIO);
  }
}

Outcome EmulatedPtrace::get_siginfo(pid_t caller, pid_t tracee, std::uint64_t data) {
  const EmulatedStop& stop = *model_.find(tracee)->stop;
  siginfo_t info{};
  if (stop.real_siginfo) {
    // A signal-delivery stop: the kernel's siginfo, whose sender the route has made the box's.
    if (::ptrace(PTRACE_GETSIGINFO, tracee, 0, &info) != 0) return error(errno);
  } else if (stop.siginfo) {
    info.si_signo = stop.siginfo->signo;
    info.si_code = stop.siginfo->code;
    info.si_pid = stop.siginfo->pid;
    info.si_uid = stop.siginfo->uid;
  } else {
    return error(EINVAL);  // a group-stop of a tracee that was not seized
  }
  return tracee::write_memory(caller, data, &info, sizeof(info)) ? ok() : error(EFAULT);
}

Outcome EmulatedPtrace::set_siginfo(pid_t caller, pid_t tracee, std::uint64_t data) {
  siginfo_t info;
  if (!tracee::read_memory(caller, data, &info, sizeof(info))) return error(EFAULT);
  EmulatedStop& stop = *model_.find(tracee)->stop;
  if (stop.real_siginfo) return real_result(::ptrace(PTRACE_SETSIGINFO, tracee, 0, &info));
  if (!stop.siginfo) return error(EINVAL);
  stop.siginfo = StopSiginfo{info.si_signo, info.si_code, info.si_pid, info.si_uid};
  return ok();
}

Outcome EmulatedPtrace::regset(pid_t caller, long request, pid_t tracee, std::uint64_t type,
                               std::uint64_t iov_at) {
  iovec iov;
  if (!tracee::read_memory(caller, iov_at, &iov, sizeof(iov))) return error(EFAULT);
  std::vector<unsigned char> buffer(std::min(iov.iov_len, kMaxRegset));
  iovec local{buffer.data(), buffer.size()};
  const auto base = reinterpret_cast<std::uint64_t>(iov.iov_base);
  if (request == PTRACE_GETREGSET) {
    if (::ptrace(PTRACE_GETREGSET, tracee, type, &local) != 0) return error(errno);
    if (local.iov_len && !tracee::write_memory(caller, base, buffer.data(), local.iov_len))
      return error(EFAULT);
  } else {
    if (!buffer.empty() && !tracee::read_memory(caller, base, buffer.data(), buffer.size()))
      return error(EFAULT);
    if (::ptrace(PTRACE_SETREGSET, tracee, type, &local) != 0) return error(errno);
  }
  // The kernel tells the length it copied.
  const std::size_t length = local.iov_len;
  if (!tracee::write_memory(caller, iov_at + offsetof(iovec, iov_len), &length, sizeof(length)))
    return error(EFAULT);
  return ok();
}

Outcome EmulatedPtrace::syscall_info(pid_t caller, pid_t tracee, std::uint64_t size,
                                     std::uint64_t data) {
  __ptrace_syscall_info info{};
  long n = ::ptrace(PTRACE_GET_SYSCALL_INFO, tracee, sizeof(info), &info);
  if (n < 0) return error(errno);
  // The kernel describes a syscall only at a stop its tracer sees as one: a syscall stop with
  // PTRACE_O_TRACESYSGOOD (its si_code is SIGTRAP|0x80). Others show only where the tracee is.
  const EmulatedStop& stop = *model_.find(tracee)->stop;
  const bool syscall_stop =
      (stop.kind == StopKind::kSyscallEntry || stop.kind == StopKind::kSyscallExit) &&
      (stop.code & 0x80);
  if (!syscall_stop) {
    info.op = PTRACE_SYSCALL_INFO_NONE;
    n = offsetof(__ptrace_syscall_info, entry);
  }
  const std::size_t copied = std::min<std::size_t>(size, static_cast<std::size_t>(n));
  if (copied && !tracee::write_memory(caller, data, &info, copied)) return error(EFAULT);
  return ReturnValue{n};
}

Outcome EmulatedPtrace::peek_siginfo(pid_t caller, pid_t tracee, std::uint64_t args_at,
                                     std::uint64_t data) {
  __ptrace_peeksiginfo_args args;
  if (!tracee::read_memory(caller, args_at, &args, sizeof(args))) return error(EFAULT);
  if (args.nr <= 0) return ReturnValue{0};
  args.nr = std::min(args.nr, kMaxPeekSiginfo);
  // The queue from its head: a signal the supervisor sent for a box process is named by its
  // place among those of its number (EmulatedSignals' senders, in the order they were sent).
  // (Deeper than kMaxPeekSiginfo, the window is read as the kernel has it.)
  const std::uint64_t wanted_off = args.off;
  const bool from_head = wanted_off <= static_cast<std::uint64_t>(kMaxPeekSiginfo);
  if (from_head) {
    args.nr += static_cast<std::int32_t>(wanted_off);
    args.off = 0;
  }
  std::vector<siginfo_t> infos(static_cast<std::size_t>(args.nr));
  const long all = ::ptrace(PTRACE_PEEKSIGINFO, tracee, &args, infos.data());
  if (all < 0) return error(errno);
  const Task* task = table_.task(tracee);
  std::map<int, std::size_t> seen;  // supervisor's signals of each number so far
  for (long i = 0; i < all; ++i) {
    siginfo_t& info = infos[static_cast<std::size_t>(i)];
    if (task && signals_.sent_by_supervisor(info.si_code, info.si_pid)) {
      const std::optional<EmulatedSender> sender =
          signals_.peek_sender(task->real_tgid, info.si_signo, seen[info.si_signo]++);
      info.si_pid = sender ? sender->vpid : 0;
      if (sender) info.si_uid = sender->uid;
    } else if (const std::optional<Pid> shown = virtual_si_pid(
                   info.si_signo, info.si_code, info.si_pid, table_, table_.level_of(tracee))) {
      info.si_pid = *shown;
    }
  }
  const long skipped = from_head ? std::min(static_cast<long>(wanted_off), all) : 0;
  const long n = all - skipped;
  if (n > 0 && !tracee::write_memory(caller, data, infos.data() + skipped,
                                     static_cast<std::size_t>(n) * sizeof(siginfo_t)))
    return error(EFAULT);
  return ReturnValue{n};
}

}  // namespace vpidbox
