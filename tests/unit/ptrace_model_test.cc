// The emulated ptrace relationships (translate/ptrace_model.h), on plain data: the kernel's
// access rules, the stops a tracer sees and their wait statuses, and what its waits report.
#include <doctest/doctest.h>
#include <linux/capability.h>
#include <sys/wait.h>

#include <cerrno>
#include <csignal>

#include "translate/ptrace_model.h"

using namespace vpidbox;

namespace {

struct GroupsKernel final : KernelView {
  RealOrErrno parent_of(Pid) override { return {0, ESRCH}; }
  RealOrErrno pgid_of(Pid tid) override { return {tid == 610 ? 600 : tid, 0}; }
  RealOrErrno sid_of(Pid) override { return {0, ESRCH}; }
  RealOrErrno pidfd_target(Pid, int) override { return {0, EBADF}; }
  bool catches_or_blocks(Pid, int) override { return false; }
};

// A tracee as the supervisor describes it before attaching: real 610 (box number 3) of process
// 610, uid 1000.
Tracee tracee_610() {
  Tracee t;
  t.tid = 610;
  t.tgid = 610;
  t.vtid = 3;
  t.uid = 1000;
  return t;
}

// Tracer thread 500 of process 500 seizes 610 with `options`.
PtraceModel seized_610(std::uint32_t options) {
  PtraceModel model;
  REQUIRE(model.attach(tracee_610(), 500, 500, true, options) == 0);
  return model;
}

RealStopInfo real(RealStop kind, int signo = 0) {
  RealStopInfo info;
  info.kind = kind;
  info.signo = signo;
  return info;
}

WaitQuery wait_any(Pid caller = 500, Pid caller_tgid = 500) {
  WaitQuery q;
  q.caller = caller;
  q.caller_tgid = caller_tgid;
  return q;
}

// Reports the stop as the supervisor does: the decision, then entering it.
StopDecision stop_at(PtraceModel& model, const RealStopInfo& info) {
  StopDecision d = model.decide_stop(610, info);
  if (d.report) model.enter_stop(610, d.stop, info.message);
  return d;
}

PtraceCreds user(std::uint32_t uid) {
  PtraceCreds c;
  c.ruid = c.euid = c.suid = uid;
  c.rgid = c.egid = c.sgid = uid;
  c.user_ns = 1;
  return c;
}

}  // namespace

TEST_CASE("access: the same ids, or CAP_SYS_PTRACE over the target's user namespace") {
  const PtraceCreds alice = user(1000);
  CHECK(ptrace_access_error(alice, alice, true) == 0);
  CHECK(ptrace_access_error(alice, user(1001), true) == EPERM);
  // Every one of the target's ids must be the caller's real one: a setuid program is not
  // traceable by its caller.
  PtraceCreds setuid_root = alice;
  setuid_root.euid = 0;
  CHECK(ptrace_access_error(alice, setuid_root, true) == EPERM);
  PtraceCreds setgid = alice;
  setgid.sgid = 5;
  CHECK(ptrace_access_error(alice, setgid, true) == EPERM);
  // Not dumpable (it changed its ids, or prctl(PR_SET_DUMPABLE, 0)).
  PtraceCreds undumpable = alice;
  undumpable.dumpable = false;
  CHECK(ptrace_access_error(alice, undumpable, true) == EPERM);
  // A target with capabilities its caller lacks (commoncap).
  PtraceCreds capable = alice;
  capable.cap_permitted = 1ull << CAP_NET_ADMIN;
  CHECK(ptrace_access_error(alice, capable, true) == EPERM);
  PtraceCreds more = alice;
  more.cap_permitted = (1ull << CAP_NET_ADMIN) | (1ull << CAP_CHOWN);
  CHECK(ptrace_access_error(more, capable, true) == 0);
  // Another user namespace: the caps do not compare.
  PtraceCreds elsewhere = alice;
  elsewhere.user_ns = 2;
  CHECK(ptrace_access_error(alice, elsewhere, true) == EPERM);

  PtraceCreds root = user(0);
  root.cap_effective = root.cap_permitted = ~0ull;
  CHECK(ptrace_access_error(root, user(1001), true) == 0);
  CHECK(ptrace_access_error(root, undumpable, true) == 0);
  CHECK(ptrace_access_error(root, elsewhere, true) == 0);
  // ...but only in a namespace it owns.
  CHECK(ptrace_access_error(root, elsewhere, false) == EPERM);
  // Only the effective set counts for CAP_SYS_PTRACE.
  PtraceCreds dropped = root;
  dropped.cap_effective = 0;
  CHECK(ptrace_access_error(dropped, user(1001), true) == EPERM);
}

TEST_CASE("options: unknown bits are EINVAL, PTRACE_O_SUSPEND_SECCOMP is EPERM under seccomp") {
  CHECK(ptrace_options_error(0) == 0);
  CHECK(ptrace_options_error(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL) == 0);
  CHECK(ptrace_options_error(1u << 25) == EINVAL);
  CHECK(ptrace_options_error(PTRACE_O_SUSPEND_SECCOMP) == EPERM);
}

TEST_CASE("wait options: what the kernel refuses is left to it") {
  REQUIRE(wait4_options(__WALL | WNOHANG));
  CHECK(wait4_options(__WALL | WNOHANG)->nohang);
  CHECK(wait4_options(0)->exited);
  CHECK_FALSE(wait4_options(WNOWAIT));   // waitid only
  CHECK_FALSE(waitid_options(WNOHANG));  // none of WEXITED, WSTOPPED, WCONTINUED
  REQUIRE(waitid_options(WSTOPPED | WNOWAIT));
  CHECK_FALSE(waitid_options(WSTOPPED | WNOWAIT)->exited);
  CHECK(waitid_options(WSTOPPED | WNOWAIT)->nowait);
  CHECK(waitid_options(WEXITED | __WNOTHREAD)->nothread);
}

TEST_CASE("status words and waitid fields, as wait4 and waitid give them") {
  CHECK(stop_status(SIGTRAP | 0x80) == 0x857f);
  CHECK(WIFSTOPPED(stop_status(SIGSTOP)));
  CHECK(WSTOPSIG(stop_status(SIGSTOP)) == SIGSTOP);
  const int fork_event = stop_status(SIGTRAP | (PTRACE_EVENT_FORK << 8));
  CHECK(WSTOPSIG(fork_event) == SIGTRAP);
  CHECK((fork_event >> 16) == PTRACE_EVENT_FORK);
  CHECK(exit_si_code(3 << 8) == CLD_EXITED);
  CHECK(exit_si_status(3 << 8) == 3);
  CHECK(exit_si_code(SIGKILL) == CLD_KILLED);
  CHECK(exit_si_status(SIGKILL) == SIGKILL);
  CHECK(exit_si_code(SIGSEGV | 0x80) == CLD_DUMPED);
}

TEST_CASE("attach: one tracer per tracee, never its own thread group") {
  PtraceModel model;
  Tracee t = tracee_610();
  CHECK(model.attach(t, 610, 610, false, 0) == EPERM);  // itself
  CHECK(model.attach(t, 700, 610, false, 0) == EPERM);  // a thread of its own process
  CHECK(model.attach(t, 500, 500, false, PTRACE_O_TRACEFORK) == 0);
  CHECK(model.find(610)->options == 0);  // PTRACE_ATTACH takes no options
  CHECK_FALSE(model.find(610)->seized);
  CHECK(model.attach(t, 501, 501, true, 0) == EPERM);  // traced already
  CHECK(model.is_tracer_process(500));
  CHECK(model.tracees_of(500) == std::vector<Pid>{610});

  PtraceModel seized = seized_610(PTRACE_O_TRACESYSGOOD);
  CHECK(seized.find(610)->seized);
  CHECK(seized.find(610)->options == PTRACE_O_TRACESYSGOOD);
}

TEST_CASE("requests: only the tracer thread, and (most) only while the tracee is stopped") {
  PtraceModel model = seized_610(0);
  CHECK(model.check_request(500, 610, false) == 0);      // PTRACE_INTERRUPT, PTRACE_KILL
  CHECK(model.check_request(500, 610, true) == ESRCH);   // running
  CHECK(model.check_request(501, 610, false) == ESRCH);  // another thread of the tracer
  CHECK(model.check_request(500, 611, false) == ESRCH);  // not a tracee
  stop_at(model, real(RealStop::kSignal, SIGUSR1));
  CHECK(model.check_request(500, 610, true) == 0);
  CHECK(model.check_request(501, 610, true) == ESRCH);
}

TEST_CASE("signal-delivery stops: every signal, reported once to the tracer's waits") {
  PtraceModel model = seized_610(0);
  GroupsKernel kernel;
  StopDecision d = stop_at(model, real(RealStop::kSignal, SIGUSR1));
  REQUIRE(d.report);
  CHECK(d.stop.kind == StopKind::kSignal);
  CHECK(d.stop.cld == CLD_TRAPPED);
  CHECK(d.stop.real_siginfo);
  PtraceModel::WaitMatch m = model.match_wait(wait_any(), kernel);
  REQUIRE(m.report);
  CHECK(m.report->tracee == 610);
  CHECK(m.report->status == stop_status(SIGUSR1));
  CHECK(m.report->cld_code == CLD_TRAPPED);
  CHECK(m.report->cld_status == SIGUSR1);
  CHECK_FALSE(model.consume(wait_any(), *m.report));
  // Reported: a second wait finds nothing, but the tracee still counts (no ECHILD).
  m = model.match_wait(wait_any(), kernel);
  CHECK_FALSE(m.report);
  CHECK(m.any_eligible);
  // The stop stays usable until the tracer resumes it.
  CHECK(model.check_request(500, 610, true) == 0);
  model.resume(610, ResumeMode::kCont);
  CHECK(model.check_request(500, 610, true) == ESRCH);
}

TEST_CASE("WNOWAIT reports without consuming") {
  PtraceModel model = seized_610(0);
  GroupsKernel kernel;
  stop_at(model, real(RealStop::kSignal, SIGUSR2));
  WaitQuery peek = wait_any();
  peek.nowait = true;
  PtraceModel::WaitMatch m = model.match_wait(peek, kernel);
  REQUIRE(m.report);
  model.consume(peek, *m.report);
  CHECK(model.match_wait(wait_any(), kernel).report);
}

TEST_CASE("waits select by pid, group and tracer thread; only the tracer's process may wait") {
  PtraceModel model = seized_610(0);
  GroupsKernel kernel;
  stop_at(model, real(RealStop::kSignal, SIGUSR1));
  WaitQuery q = wait_any();
  q.select = WaitQuery::Select::kPid;
  q.id = 611;
  CHECK_FALSE(model.match_wait(q, kernel).any_eligible);
  q.id = 610;
  CHECK(model.match_wait(q, kernel).report);
  q.select = WaitQuery::Select::kPgid;
  q.id = 600;  // GroupsKernel: 610 is in group 600
  CHECK(model.match_wait(q, kernel).report);
  q.id = 610;
  CHECK_FALSE(model.match_wait(q, kernel).any_eligible);
  // Another thread of the tracer's process may wait, unless __WNOTHREAD.
  WaitQuery other_thread = wait_any(501, 500);
  CHECK(model.match_wait(other_thread, kernel).report);
  other_thread.nothread = true;
  CHECK_FALSE(model.match_wait(other_thread, kernel).any_eligible);
  // Another process never sees them.
  CHECK_FALSE(model.match_wait(wait_any(700, 700), kernel).any_eligible);
}

TEST_CASE("syscall stops: only after PTRACE_SYSCALL; SIGTRAP|0x80 with TRACESYSGOOD") {
  PtraceModel model = seized_610(PTRACE_O_TRACESYSGOOD);
  GroupsKernel kernel;
  CHECK_FALSE(model.decide_stop(610, real(RealStop::kSyscallEntry)).report);
  stop_at(model, real(RealStop::kSignal, SIGUSR1));
  model.resume(610, ResumeMode::kSyscall);
  StopDecision d = stop_at(model, real(RealStop::kSyscallEntry));
  REQUIRE(d.report);
  CHECK(d.stop.kind == StopKind::kSyscallEntry);
  CHECK(d.stop.code == (SIGTRAP | 0x80));
  REQUIRE(d.stop.siginfo);
  CHECK(d.stop.siginfo->signo == SIGTRAP);
  CHECK(d.stop.siginfo->code == (SIGTRAP | 0x80));
  CHECK(d.stop.siginfo->pid == 3);  // the tracee's own box number
  CHECK(d.stop.siginfo->uid == 1000);
  CHECK(model.find(610)->event_msg == 1);  // PTRACE_EVENTMSG_SYSCALL_ENTRY
  CHECK(model.match_wait(wait_any(), kernel).report->status == 0x857f);
  model.resume(610, ResumeMode::kSyscall);
  // The supervisor's own seccomp stop in between is not the tracer's.
  d = model.decide_stop(610, real(RealStop::kSeccomp));
  CHECK_FALSE(d.report);
  CHECK(d.mode == ResumeMode::kSyscall);
  d = stop_at(model, real(RealStop::kSyscallExit));
  REQUIRE(d.report);
  CHECK(d.stop.kind == StopKind::kSyscallExit);
  CHECK(model.find(610)->event_msg == 2);  // PTRACE_EVENTMSG_SYSCALL_EXIT
  model.resume(610, ResumeMode::kCont);
  CHECK_FALSE(model.decide_stop(610, real(RealStop::kSyscallExit)).report);

  PtraceModel plain = seized_610(0);
  stop_at(plain, real(RealStop::kSignal, SIGUSR1));
  plain.resume(610, ResumeMode::kSyscall);
  d = plain.decide_stop(610, real(RealStop::kSyscallEntry));
  CHECK(d.stop.code == SIGTRAP);
}

TEST_CASE("fork events: with the option, reported with the child's number, which is attached") {
  PtraceModel model = seized_610(PTRACE_O_TRACEFORK | PTRACE_O_TRACESYSGOOD);
  RealStopInfo fork = real(RealStop::kFork);
  fork.event = PTRACE_EVENT_FORK;
  fork.message = 4;
  fork.supervisor_needs_exit_stop = true;
  StopDecision d = model.decide_stop(610, fork);
  REQUIRE(d.report);
  CHECK(d.auto_attach_child);
  CHECK(d.stop.code == (SIGTRAP | (PTRACE_EVENT_FORK << 8)));
  CHECK(d.stop.supervisor_needs_exit_stop);
  model.enter_stop(610, d.stop, fork.message);
  CHECK(model.find(610)->event_msg == 4);
  // Every later stop has its own message: 0 for a signal-delivery stop.
  model.resume(610, ResumeMode::kCont);
  stop_at(model, real(RealStop::kSignal, SIGCHLD));
  CHECK(model.find(610)->event_msg == 0);
  model.resume(610, ResumeMode::kCont);
  model.enter_stop(610, d.stop, fork.message);
  // The child inherits tracer, options and seizedness, and stops with PTRACE_EVENT_STOP first.
  Tracee child;
  child.tid = 620;
  child.tgid = 620;
  child.vtid = 4;
  model.auto_attach(child, *model.find(610));
  const Tracee* attached = model.find(620);
  REQUIRE(attached);
  CHECK(attached->tracer == 500);
  CHECK(attached->seized);
  CHECK(attached->options == model.find(610)->options);
  StopDecision first = model.decide_stop(620, real(RealStop::kFirst));
  REQUIRE(first.report);
  CHECK(first.stop.kind == StopKind::kEventStop);
  CHECK(first.stop.code == (SIGTRAP | (PTRACE_EVENT_STOP << 8)));
  CHECK((stop_status(first.stop.code) >> 16) == PTRACE_EVENT_STOP);

  // No option for clones; and a clone made with CLONE_UNTRACED is never the tracer's.
  RealStopInfo clone = fork;
  clone.event = PTRACE_EVENT_CLONE;
  CHECK_FALSE(model.decide_stop(610, clone).report);
  PtraceModel all = seized_610(PTRACE_O_TRACECLONE);
  clone.untraced_clone = true;
  CHECK_FALSE(all.decide_stop(610, clone).report);
  CHECK_FALSE(all.decide_stop(610, clone).auto_attach_child);
}

TEST_CASE("a child auto-attached by a tracer that did not seize gets a SIGSTOP first") {
  PtraceModel model;
  REQUIRE(model.attach(tracee_610(), 500, 500, false, 0) == 0);
  Tracee child;
  child.tid = 620;
  model.auto_attach(child, *model.find(610));
  StopDecision first = model.decide_stop(620, real(RealStop::kFirst));
  CHECK_FALSE(first.report);
  CHECK(first.send_initial_sigstop);
}

TEST_CASE("exec: PTRACE_EVENT_EXEC with the option, else a SIGTRAP unless seized") {
  PtraceModel with = seized_610(PTRACE_O_TRACEEXEC);
  RealStopInfo exec = real(RealStop::kExec);
  exec.message = 3;
  StopDecision d = with.decide_stop(610, exec);
  CHECK(d.report);
  CHECK(d.stop.code == (SIGTRAP | (PTRACE_EVENT_EXEC << 8)));
  PtraceModel seized = seized_610(0);
  d = seized.decide_stop(610, exec);
  CHECK_FALSE(d.report);
  CHECK_FALSE(d.send_exec_sigtrap);
  PtraceModel attached;
  REQUIRE(attached.attach(tracee_610(), 500, 500, false, 0) == 0);
  d = attached.decide_stop(610, exec);
  CHECK_FALSE(d.report);
  CHECK(d.send_exec_sigtrap);
}

TEST_CASE("group-stops: PTRACE_EVENT_STOP with the signal when seized, siginfo-less otherwise") {
  PtraceModel model = seized_610(0);
  StopDecision d = model.decide_stop(610, real(RealStop::kGroupStop, SIGTSTP));
  REQUIRE(d.report);
  CHECK(d.stop.kind == StopKind::kGroupStop);
  CHECK(d.stop.cld == CLD_STOPPED);
  CHECK((stop_status(d.stop.code) >> 16) == PTRACE_EVENT_STOP);
  CHECK(WSTOPSIG(stop_status(d.stop.code)) == SIGTSTP);
  REQUIRE(d.stop.siginfo);
  CHECK(d.stop.siginfo->signo == SIGTSTP);

  PtraceModel attached;
  REQUIRE(attached.attach(tracee_610(), 500, 500, false, 0) == 0);
  d = attached.decide_stop(610, real(RealStop::kGroupStop, SIGSTOP));
  REQUIRE(d.report);
  CHECK(stop_status(d.stop.code) == 0x137f);
  CHECK_FALSE(d.stop.siginfo);  // PTRACE_GETSIGINFO: EINVAL
}

TEST_CASE("PTRACE_LISTEN: seized and in a PTRACE_EVENT_STOP; the tracee is then not waitable") {
  PtraceModel model = seized_610(0);
  GroupsKernel kernel;
  stop_at(model, real(RealStop::kSignal, SIGUSR1));
  CHECK(model.listen_error(610) == EIO);  // a signal-delivery stop
  model.resume(610, ResumeMode::kCont);
  stop_at(model, real(RealStop::kGroupStop, SIGSTOP));
  CHECK(model.listen_error(610) == 0);
  model.consume(wait_any(), *model.match_wait(wait_any(), kernel).report);
  model.listen(610);
  CHECK(model.check_request(500, 610, true) == ESRCH);  // listening
  CHECK(model.check_request(500, 610, false) == 0);     // but PTRACE_INTERRUPT works
  CHECK_FALSE(model.match_wait(wait_any(), kernel).report);
  CHECK(model.match_wait(wait_any(), kernel).any_eligible);
  // SIGCONT ends the group-stop: the tracee traps again, and the tracer sees it.
  StopDecision d = stop_at(model, real(RealStop::kTrap, SIGTRAP));
  REQUIRE(d.report);
  CHECK(d.stop.kind == StopKind::kEventStop);
  CHECK(model.match_wait(wait_any(), kernel).report->status ==
        stop_status(SIGTRAP | (PTRACE_EVENT_STOP << 8)));

  PtraceModel attached;
  REQUIRE(attached.attach(tracee_610(), 500, 500, false, 0) == 0);
  attached.enter_stop(610, attached.decide_stop(610, real(RealStop::kGroupStop, SIGSTOP)).stop, 0);
  CHECK(attached.listen_error(610) == EIO);  // not seized
}

TEST_CASE("PTRACE_INTERRUPT: the next stop of any kind is the tracer's PTRACE_EVENT_STOP") {
  PtraceModel model = seized_610(0);
  // A trap nobody asked for (the supervisor's own interrupt) is not reported.
  CHECK_FALSE(model.decide_stop(610, real(RealStop::kTrap, SIGTRAP)).report);
  model.find(610)->interrupt_pending = true;
  StopDecision d = model.decide_stop(610, real(RealStop::kTrap, SIGTRAP));
  CHECK(d.report);
  CHECK(d.stop.kind == StopKind::kEventStop);
  // A stop the supervisor makes for itself consumes the kernel's pending trap: it becomes the
  // tracer's PTRACE_EVENT_STOP...
  d = model.decide_stop(610, real(RealStop::kSyscallExit));
  CHECK(d.report);
  CHECK(d.stop.kind == StopKind::kEventStop);
  // ...except a seccomp stop, where the arguments are translated already: registers the tracer
  // changed there would reach the kernel as they are.
  d = model.decide_stop(610, real(RealStop::kSeccomp));
  CHECK_FALSE(d.report);
  // A stop the tracer sees anyway satisfies it.
  model.enter_stop(610, model.decide_stop(610, real(RealStop::kSignal, SIGUSR1)).stop, 0);
  CHECK_FALSE(model.find(610)->interrupt_pending);
}

TEST_CASE("exits: PTRACE_EVENT_EXIT with the option; a lone leader's exit waits for its tracer") {
  PtraceModel with = seized_610(PTRACE_O_TRACEEXIT);
  RealStopInfo exit = real(RealStop::kExit);
  exit.message = 3 << 8;
  exit.exit_holdable = true;
  StopDecision d = with.decide_stop(610, exit);
  CHECK(d.report);
  CHECK(d.stop.code == (SIGTRAP | (PTRACE_EVENT_EXIT << 8)));

  PtraceModel model = seized_610(0);
  GroupsKernel kernel;
  d = model.decide_stop(610, exit);
  CHECK_FALSE(d.report);
  CHECK(d.hold_at_exit);
  model.post_exit(610, 3 << 8, true);
  CHECK(model.check_request(500, 610, true) == ESRCH);  // not in a ptrace-stop any more
  // A waitid without WEXITED does not reap it.
  WaitQuery stopped_only = wait_any();
  stopped_only.exited = false;
  CHECK_FALSE(model.match_wait(stopped_only, kernel).report);
  PtraceModel::WaitMatch m = model.match_wait(wait_any(), kernel);
  REQUIRE(m.report);
  CHECK(m.report->exit);
  CHECK(WIFEXITED(m.report->status));
  CHECK(WEXITSTATUS(m.report->status) == 3);
  CHECK(m.report->cld_code == CLD_EXITED);
  CHECK(m.report->cld_status == 3);
  CHECK(model.consume(wait_any(), *m.report));  // held: the supervisor lets it go now
  CHECK(model.find(610) == nullptr);
  CHECK_FALSE(model.match_wait(wait_any(), kernel).any_eligible);  // now ECHILD
}

TEST_CASE("a program's own SECCOMP_RET_TRACE is never the tracer's") {
  PtraceModel model = seized_610(PTRACE_O_TRACESECCOMP);
  model.find(610)->interrupt_pending = true;
  CHECK_FALSE(model.decide_stop(610, real(RealStop::kForeignSeccomp)).report);
}

TEST_CASE("a thread's execve: the tracing goes on under the leader's tid") {
  PtraceModel model = seized_610(PTRACE_O_TRACEEXEC);
  model.rekey(610, 600);
  CHECK(model.find(610) == nullptr);
  REQUIRE(model.find(600));
  CHECK(model.find(600)->tid == 600);
  CHECK(model.find(600)->tracer == 500);
}

TEST_CASE("several tracees: the newest attached is reported first, each once") {
  PtraceModel model = seized_610(0);
  GroupsKernel kernel;
  Tracee second = tracee_610();
  second.tid = second.tgid = 605;
  second.vtid = 2;
  REQUIRE(model.attach(second, 500, 500, true, 0) == 0);
  model.enter_stop(610, model.decide_stop(610, real(RealStop::kSignal, SIGUSR1)).stop, 0);
  model.enter_stop(605, model.decide_stop(605, real(RealStop::kSignal, SIGUSR2)).stop, 0);
  PtraceModel::WaitMatch m = model.match_wait(wait_any(), kernel);
  REQUIRE(m.report);
  CHECK(m.report->tracee == 605);
  model.consume(wait_any(), *m.report);
  m = model.match_wait(wait_any(), kernel);
  REQUIRE(m.report);
  CHECK(m.report->tracee == 610);
  CHECK(model.would_report(wait_any(), 610, kernel));
  CHECK_FALSE(model.would_report(wait_any(), 605, kernel));
}

TEST_CASE("a traced init: its tracer sees every signal, then init drops what it would not take") {
  CHECK(traced_init_takes(SIGSTOP, SI_KERNEL, false));  // PTRACE_ATTACH's SIGSTOP stops init
  CHECK(traced_init_takes(SIGSTOP, SI_USER, false));
  CHECK_FALSE(traced_init_takes(SIGTERM, SI_USER, false));
  CHECK(traced_init_takes(SIGTERM, SI_USER, true));         // handled
  CHECK(traced_init_takes(SIGSEGV, SEGV_MAPERR, false));    // its own fault
  CHECK_FALSE(traced_init_takes(SIGTRAP, SI_USER, false));  // the SIGTRAP of an exec
  CHECK(traced_init_takes(SIGCHLD, CLD_EXITED, false));     // default: nothing, so harmless
}
