// The ptrace relationships between box tasks, emulated: the supervisor is the real tracer of every
// box task, so a tracer inside the box (gdb, strace, LeakSanitizer) is served by this model of
// what the kernel would do (kernel/ptrace.c, kernel/signal.c ptrace_stop, kernel/exit.c
// wait_consider_task). Pure logic on plain data: who traces whom, with which options, which stop
// each tracee is in and whether a wait has reported it, and what a wait of the tracer must
// report. The kernel-facing part (supervisor/emulated_ptrace.h) applies its decisions with the
// supervisor's real ptrace calls.
//
// Numbers here are real tids (the supervisor's view); the box's numbers are given where a value
// is shown to the tracer (event messages, siginfo).
#pragma once

#include <signal.h>
#include <sys/ptrace.h>

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "translate/kernel_view.h"
#include "translate/pid_space.h"

namespace vpidbox {

// ---------------------------------------------------------------------------------------------
// Access: may `caller` attach to `target`? kernel/ptrace.c __ptrace_may_access with
// PTRACE_MODE_ATTACH_REALCREDS, then the commoncap LSM (cap_ptrace_access_check). This kernel has
// no Yama, so PR_SET_PTRACER changes nothing (the kernel answers it EINVAL).
struct PtraceCreds {
  std::uint32_t ruid = 0, euid = 0, suid = 0;
  std::uint32_t rgid = 0, egid = 0, sgid = 0;
  std::uint64_t cap_permitted = 0;
  std::uint64_t cap_effective = 0;
  bool dumpable = true;       // get_dumpable() == SUID_DUMP_USER
  std::uint64_t user_ns = 0;  // which user namespace the task is in (its nsfs inode)
};
// 0 or EPERM. `caller_owns_target_ns`: the caller's user namespace is the target's or an
// ancestor of it, so that its CAP_SYS_PTRACE counts there.
int ptrace_access_error(const PtraceCreds& caller, const PtraceCreds& target,
                        bool caller_owns_target_ns);

// ---------------------------------------------------------------------------------------------
// Stops.

// The options a tracer may set (PTRACE_O_MASK); PTRACE_O_SUSPEND_SECCOMP needs CAP_SYS_ADMIN in a
// tracer that no seccomp filter confines, which no box task is (EPERM).
constexpr std::uint32_t kPtraceOptionMask =
    PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
    PTRACE_O_TRACEEXEC | PTRACE_O_TRACEVFORKDONE | PTRACE_O_TRACEEXIT | PTRACE_O_TRACESECCOMP |
    PTRACE_O_EXITKILL | PTRACE_O_SUSPEND_SECCOMP;
// 0, EINVAL (unknown bits) or EPERM (PTRACE_O_SUSPEND_SECCOMP), as PTRACE_SETOPTIONS and
// PTRACE_SEIZE's options are judged.
int ptrace_options_error(std::uint64_t options);

// What a real stop of a tracee was, as the supervisor saw it.
enum class RealStop : std::uint8_t {
  kNone,            // not stopped
  kFirst,           // an auto-attached task's first stop (the supervisor seizes: EVENT_STOP)
  kSignal,          // signal-delivery stop
  kGroupStop,       // PTRACE_EVENT_STOP with a stop signal
  kTrap,            // PTRACE_EVENT_STOP with SIGTRAP (an interrupt, or SIGCONT while listening)
  kSyscallEntry,    // syscall-entry stop
  kSyscallExit,     // syscall-exit stop
  kSeccomp,         // the box filter's own SECCOMP_RET_TRACE stop
  kForeignSeccomp,  // SECCOMP_RET_TRACE of a filter the program installed
  kFork,            // PTRACE_EVENT_FORK, _VFORK, _CLONE (the `event` says which)
  kExec,            // PTRACE_EVENT_EXEC
  kVforkDone,       // PTRACE_EVENT_VFORK_DONE
  kExit,            // PTRACE_EVENT_EXIT
};

// The kind of a stop the emulated tracer sees.
enum class StopKind : std::uint8_t {
  kSignal,        // signal-delivery-stop: the signal is about to be delivered
  kGroupStop,     // group-stop (seized: reported as PTRACE_EVENT_STOP with the stop signal)
  kEventStop,     // PTRACE_EVENT_STOP with SIGTRAP (PTRACE_INTERRUPT, a seized new tracee)
  kSyscallEntry,  // syscall-entry-stop
  kSyscallExit,   // syscall-exit-stop
  kEvent,         // PTRACE_EVENT_FORK ... _EXIT, _SECCOMP
};

// The siginfo PTRACE_GETSIGINFO shows at a stop, reduced to what any of them carries.
struct StopSiginfo {
  int signo = 0;
  int code = 0;
  Pid pid = 0;  // box number
  std::uint32_t uid = 0;
};

struct EmulatedStop {
  StopKind kind = StopKind::kSignal;
  // The kernel's exit_code: the wait status is (code << 8) | 0x7f; waitid's si_status is code.
  int code = 0;
  // SIGCHLD's si_code for the tracer: CLD_TRAPPED, or CLD_STOPPED for group-stops and
  // PTRACE_EVENT_STOP.
  int cld = 0;
  // PTRACE_GETSIGINFO: nullopt (EINVAL) at the group-stop of a tracee that was not seized. A
  // signal-delivery stop's siginfo is the real one, read by the supervisor (`real_siginfo`).
  std::optional<StopSiginfo> siginfo;
  bool real_siginfo = false;
  bool reported = false;  // a wait has returned it (the kernel clears exit_code)
  // What the supervisor itself needs when the tracee resumes: a syscall-exit stop of its own.
  bool supervisor_needs_exit_stop = false;
};

// How the tracer resumed the tracee last.
enum class ResumeMode : std::uint8_t { kCont, kSyscall, kSingleStep };

struct ExitReport {
  int status = 0;     // the wait status (WIFEXITED / WIFSIGNALED)
  bool held = false;  // the tracee waits at PTRACE_EVENT_EXIT until the tracer reaps this
};

struct Tracee {
  Pid tid = 0;                // real
  Pid tgid = 0;               // real
  Pid vtid = 0;               // its number in its own level (the siginfo of trap stops)
  Pid number_for_tracer = 0;  // its number in its tracer's level (waits, SIGCHLD)
  std::uint32_t uid = 0;      // real uid, for si_uid
  Pid real_parent = 0;        // its process's real parent (tgid), as last seen
  Pid tracer = 0;             // the tracer thread (real tid): only it may make requests
  Pid tracer_tgid = 0;        // its process: any of its threads may wait
  bool seized = false;
  std::uint32_t options = 0;
  ResumeMode mode = ResumeMode::kCont;
  std::optional<EmulatedStop> stop;  // while in a ptrace-stop for the tracer
  bool listening = false;            // PTRACE_LISTEN: stopped, but neither waitable nor usable
  bool interrupt_pending = false;    // PTRACE_INTERRUPT not yet satisfied by a stop
  std::uint64_t event_msg = 0;       // PTRACE_GETEVENTMSG
  std::optional<ExitReport> exit;    // exited (or held at its exit), not reaped by the tracer
  // A new tracee's first stop has not been seen yet (auto-attached at its parent's fork event).
  bool awaiting_first_stop = false;
  std::uint64_t attach_seq = 0;  // the order of attaching: waits look at the newest first
};

// What the supervisor must do at a real stop of a tracee.
struct StopDecision {
  bool report = false;  // keep it stopped: `stop` is what the tracer sees
  EmulatedStop stop;
  // Otherwise resume it: with PTRACE_SYSCALL (also when the supervisor needs the exit stop),
  // PTRACE_SINGLESTEP or PTRACE_CONT.
  ResumeMode mode = ResumeMode::kCont;
  // PTRACE_EVENT_EXEC of a tracee that was attached without PTRACE_SEIZE and without
  // PTRACE_O_TRACEEXEC: the kernel sends it a SIGTRAP (SI_USER from itself).
  bool send_exec_sigtrap = false;
  // PTRACE_EVENT_EXIT: keep it stopped there until the tracer reaps its exit.
  bool hold_at_exit = false;
  // A fork event the tracer sees: the child is traced by the same tracer (auto_attach).
  bool auto_attach_child = false;
  // The first stop of a child auto-attached by a tracer that did not seize: the kernel queues it
  // a SIGSTOP (SI_USER, no sender), whose delivery stop the tracer sees first.
  bool send_initial_sigstop = false;
};

// What a real stop looks like, for decide_stop.
struct RealStopInfo {
  RealStop kind = RealStop::kNone;
  int signo = 0;              // the signal (signal-delivery, group-stop)
  int event = 0;              // PTRACE_EVENT_* for kFork
  std::uint64_t message = 0;  // the box's value for PTRACE_GETEVENTMSG (child, former tid, status)
  bool untraced_clone = false;  // kFork of a clone the program made with CLONE_UNTRACED
  // kExit: whether the tracee's exit may be held there until the tracer reaps it (a lone
  // thread-group leader whose real parent is not its tracer).
  bool exit_holdable = false;
  // The supervisor wants the syscall-exit stop of this call for itself.
  bool supervisor_needs_exit_stop = false;
};

// ---------------------------------------------------------------------------------------------
// Waits of a tracer.

struct WaitQuery {
  Pid caller = 0;  // real tid of the waiting thread
  Pid caller_tgid = 0;
  enum class Select : std::uint8_t { kAny, kPid, kPgid } select = Select::kAny;
  Pid id = 0;          // real tid (kPid) or real pgid (kPgid)
  bool exited = true;  // WEXITED (implied by wait4)
  bool nohang = false;
  bool nowait = false;
  bool nothread = false;  // __WNOTHREAD: only tracees of the calling thread
};

// One wait4()/waitid() answer for a tracee.
struct WaitReport {
  Pid tracee = 0;      // real tid
  int status = 0;      // wait4's status word
  int cld_code = 0;    // waitid's si_code: CLD_TRAPPED, CLD_EXITED, CLD_KILLED, CLD_DUMPED
  int cld_status = 0;  // waitid's si_status
  std::uint32_t uid = 0;
  bool exit = false;
};

// The wait4 status word of a stop, and waitid's si_code and si_status for an exit status.
constexpr int stop_status(int code) {
  return (code << 8) | 0x7f;
}
int exit_si_code(int status);
int exit_si_status(int status);

// The rules of wait4()'s and waitid()'s options the emulation needs; nullopt when the kernel
// rejects them (EINVAL: the call then runs unchanged, for the kernel to say so).
struct WaitOptions {
  bool exited = false, nohang = false, nowait = false, nothread = false;
};
std::optional<WaitOptions> wait4_options(std::uint64_t options);
std::optional<WaitOptions> waitid_options(std::uint64_t options);

// ---------------------------------------------------------------------------------------------
// The relationships.

class PtraceModel {
 public:
  bool empty() const { return tracees_.empty(); }
  const Tracee* find(Pid tid) const;
  Tracee* find(Pid tid);
  const std::map<Pid, Tracee>& tracees() const { return tracees_; }
  // Whether some tracee's fork events may auto-attach children (PTRACE_O_TRACEFORK, ...).
  bool any_auto_attach() const;
  // The tracees of a tracer thread.
  std::vector<Pid> tracees_of(Pid tracer) const;
  bool is_tracer_process(Pid tgid) const;

  // PTRACE_TRACEME, PTRACE_ATTACH, PTRACE_SEIZE: 0 or the errno. The caller has checked that the
  // target exists in the box (ESRCH), is not a zombie, that the access rules allow it and, for
  // PTRACE_SEIZE, the options. `tracee` is filled in except for the tracer.
  int attach(const Tracee& tracee, Pid tracer, Pid tracer_tgid, bool seize, std::uint32_t options);
  // A child created by a tracee at a fork event the tracer sees (or with CLONE_PTRACE): traced
  // by the same tracer, with its options and its seizedness.
  void auto_attach(const Tracee& child, const Tracee& parent);
  void detach(Pid tid) { tracees_.erase(tid); }
  // A thread of a traced process called execve: it goes on with its leader's tid (`to`), and its
  // tracing with it (the leader's own is gone with the leader).
  void rekey(Pid from, Pid to);

  // ESRCH unless `tid` is traced by the calling thread `caller` and, unless the request needs
  // neither (PTRACE_KILL, PTRACE_INTERRUPT), in a ptrace-stop (not listening).
  int check_request(Pid caller, Pid tid, bool needs_stop) const;

  // A real stop of a tracee: what the tracer sees of it, or how to resume it.
  StopDecision decide_stop(Pid tid, const RealStopInfo& real) const;
  // The tracer sees `stop` (the tracee stays stopped).
  void enter_stop(Pid tid, const EmulatedStop& stop, std::uint64_t event_msg);
  // The tracer resumes the tracee from its stop (PTRACE_CONT, _SYSCALL, _SINGLESTEP,
  // _LISTEN): returns the stop it leaves.
  EmulatedStop resume(Pid tid, ResumeMode mode);
  // PTRACE_LISTEN: EIO unless seized and in a PTRACE_EVENT_STOP; then listen() ends the stop for
  // the tracer while the tracee stays stopped.
  int listen_error(Pid tid) const;
  EmulatedStop listen(Pid tid);

  // The tracee exited, or is held at its exit: its exit is for the tracer to reap.
  void post_exit(Pid tid, int status, bool held);

  // The wait of a tracer: a report, or whether some tracee may still give one (then the wait
  // must block, or say 0 with WNOHANG, instead of ECHILD). The kernel view gives a tracee's
  // group for Select::kPgid.
  struct WaitMatch {
    std::optional<WaitReport> report;
    bool any_eligible = false;
  };
  WaitMatch match_wait(const WaitQuery& query, KernelView& kernel) const;
  // The report is consumed (not with WNOWAIT): an exit removes the tracee; returns whether it
  // was held at its exit (then it must be let go).
  bool consume(const WaitQuery& query, const WaitReport& report);
  // Whether `query` could be answered by the tracee `tid` now (to wake a waiting tracer).
  bool would_report(const WaitQuery& query, Pid tid, KernelView& kernel) const;

 private:
  bool eligible(const WaitQuery& query, const Tracee& tracee, KernelView& kernel) const;
  std::map<Pid, Tracee> tracees_;
  std::uint64_t attach_seq_ = 0;
};

// Whether a traced pid-namespace init acts on the signal its tracer resumes it with. The kernel
// queues every signal for a traced init (its tracer sees them all), and then drops, at delivery,
// those init would not receive (get_signal with SIGNAL_UNKILLABLE), except SIGKILL and SIGSTOP:
// ptrace's own SIGSTOP stops init too.
bool traced_init_takes(int signo, int si_code, bool has_handler);

// The stop a tracee enters when attached while it is stopped already, or as an auto-attached
// child's first stop: PTRACE_EVENT_STOP (SIGTRAP, or the stop signal of a group-stop).
EmulatedStop event_stop(const Tracee& tracee, int signo, bool group_stop);

}  // namespace vpidbox
