// The box's lifecycle: set-up, the event loop, signals sent to vpidbox, exits and teardown.
#include "supervisor/session.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "supervisor/box_session.h"
#include "supervisor/kernel_abi.h"
#include "supervisor/launcher.h"
#include "supervisor/pid_max.h"
#include "supervisor/proc_open.h"
#include "translate/invariant.h"

namespace vpidbox {
namespace {

constexpr int kSiKernel = 0x80;

void print_error(const std::string& line) {
  std::fprintf(stderr, "vpidbox: %s\n", line.c_str());
}

bool is_stop_signal(int sig) {
  return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

// A zombie still answers PIDFD_GET_INFO; once reaped, its pidfd says ESRCH. Kernels before 6.13
// lack the ioctl: there the pidfd's fdinfo shows "Pid: -1" once the task is reaped.
bool is_reaped(int pidfd) {
  if (pidfd < 0) return true;
  abi::PidfdInfo info{};
  info.mask = abi::kPidfdInfoPid;
  if (::ioctl(pidfd, abi::kPidfdGetInfo, &info) == 0) return false;
  if (errno == ESRCH) return true;
  return pidfd_fdinfo_pid(0, pidfd).value_or(-1) <= 0;
}

}  // namespace

bool has_handler(Pid real_tgid, int signo) {
  return status_mask_has(real_tgid, "SigCgt", signo).value_or(false);
}

BoxSession::BoxSession(const RunOptions& options)
    : options_(options),
      table_(new_namespace_pid_max()),
      kernel_([this](Pid tgid) { return leader_pidfd(tgid); },
              [this](Pid tgid) { return waited_signals(tgid); }),
      supervisor_pid_(::getpid()) {}

std::uint64_t BoxSession::waited_signals(Pid tgid) const {
  std::uint64_t signals = 0;
  for (const auto& [tid, traced] : traced_) {
    const Task* task = table_.task(tid);
    if (task && task->real_tgid == tgid) signals |= traced.waiting_for;
  }
  return signals;
}

int BoxSession::leader_pidfd(Pid tgid) const {
  auto it = traced_.find(tgid);
  return it == traced_.end() ? -1 : it->second.pidfd.get();
}

void BoxSession::watch(int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  VPIDBOX_INVARIANT(::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) == 0, "epoll_ctl add");
}

void BoxSession::unwatch(int fd) {
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

// A failed ptrace request means the tracee was killed meanwhile: its exit is reported next.
void BoxSession::resume(pid_t tid, int signo) {
  ::ptrace(PTRACE_CONT, tid, 0, signo);
}

bool BoxSession::set_up() {
  if (options_.trace_target && !trace_.open(*options_.trace_target)) {
    print_error("cannot open trace file " + *options_.trace_target + ": " + std::strerror(errno));
    return false;
  }
  sigset_t handled;
  sigemptyset(&handled);
  for (int sig : {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2})
    sigaddset(&handled, sig);
  ::sigprocmask(SIG_BLOCK, &handled, &original_mask_);
  ::signal(SIGPIPE, SIG_IGN);
  signal_fd_.reset(::signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK));
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  kill_after_timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!signal_fd_.valid() || !epoll_.valid() || !kill_after_timer_.valid()) {
    print_error(std::string("cannot set up the supervisor: ") + std::strerror(errno));
    return false;
  }
  // Once init is gone, the box's remaining processes come to the supervisor to be killed and
  // reaped, instead of escaping to the host's init.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);

  LaunchedInit init = fork_init(options_.argv, original_mask_, options_.engine, options_.proc);
  if (init.pid < 0) {
    print_error(std::string("cannot start the box: ") + std::strerror(errno));
    return false;
  }
  init_pid_ = init.pid;
  launch_channel_ = std::move(init.channel);
  if (::ptrace(PTRACE_SEIZE, init_pid_, 0, kTraceOptions) != 0) {
    print_error(std::string("ptrace is not permitted here (") + std::strerror(errno) +
                "); see 'vpidbox check'");
    ::kill(init_pid_, SIGKILL);
    ::waitpid(init_pid_, nullptr, 0);
    return false;
  }
  TracedTask& init_task = traced_[init_pid_];
  init_task.pidfd.reset(abi::pidfd_open(init_pid_, 0));
  init_task.started = true;
  init_task.sid_at_start = ::getsid(init_pid_);
  VPIDBOX_INVARIANT(table_.add_task(init_pid_, init_pid_) == 1, "init is not pid 1");

  std::string error;
  std::optional<UniqueFd> listener;
  if (send_go(launch_channel_.get()) && start_proc(launch_channel_.get(), error))
    listener = receive_listener(launch_channel_.get(), error);
  if (!listener) {
    print_error(error.empty() ? "box init failed during set-up" : error);
    ::kill(init_pid_, SIGKILL);
    ::waitpid(init_pid_, nullptr, __WALL);
    return false;
  }
  if (listener->valid()) {
    unotify_.emplace(std::move(*listener));
    unotify_->enable_sync_wakeup();
    watch(unotify_->fd());
  }
  if (proc_fs_) watch(proc_fs_->fd());
  watch(signal_fd_.get());
  watch(launch_channel_.get());
  watch(kill_after_timer_.get());
  return true;
}

bool BoxSession::start_proc(int channel, std::string& error) {
  std::optional<ProcChannel> proc = receive_proc(channel, error);
  if (!proc) return false;
  if (proc->mode != ProcMode::kFuse) return true;
  proc_mount_id_ = proc->mount_id;
  // As pid_ns_ctl_handler: CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE, a number in [0, pid_max].
  proc_fs_ = std::make_unique<procfs::ProcFs>(table_, proc_mount_id_, [this](Pid caller, Pid nr) {
    constexpr int kCapSysAdmin = 21;
    constexpr int kCapCheckpointRestore = 40;
    const TaskCreds creds = read_task_creds(caller);
    if (!creds.has(kCapSysAdmin) && !creds.has(kCapCheckpointRestore)) return EPERM;
    return table_.set_last_allocated(nr) ? 0 : EINVAL;
  });
  proc_open_.emplace(table_, proc_mount_id_);
  if (!proc_fs_->start(proc->fuse.release(), error)) {
    proc_fs_.reset();
    return false;
  }
  return true;
}

void BoxSession::loop() {
  epoll_event events[8];
  // No busy polling before sleeping: on the 2-vCPU development VMs a polling supervisor slowed a
  // ptrace stop from ~55 us to ~100 us (bench/RESULTS.md).
  while (!finished()) {
    int n = ::epoll_wait(epoll_.get(), events, 8, -1);
    if (n < 0) {
      VPIDBOX_INVARIANT(errno == EINTR, "epoll_wait failed");
      continue;
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (unotify_ && fd == unotify_->fd()) {
        if (events[i].events & (EPOLLHUP | EPOLLERR) && !(events[i].events & EPOLLIN)) {
          unwatch(fd);  // every task that could notify is gone
          continue;
        }
        on_unotify();
      } else if (proc_fs_ && fd == proc_fs_->fd()) {
        if (!proc_fs_->serve_ready()) unwatch(fd);  // the mount is gone with the box
      } else if (fd == signal_fd_.get()) {
        on_signalfd();
      } else if (fd == launch_channel_.get()) {
        on_launch_channel();
      } else if (fd == kill_after_timer_.get()) {
        on_kill_after_timer();
      }
    }
  }
}

void BoxSession::on_launch_channel() {
  exec_error_ = receive_exec_error(launch_channel_.get());
  unwatch(launch_channel_.get());
  launch_channel_.reset();
}

void BoxSession::on_signalfd() {
  signalfd_siginfo info;
  while (::read(signal_fd_.get(), &info, sizeof(info)) == sizeof(info)) {
    if (info.ssi_signo == SIGCHLD) continue;  // drained below either way
    on_control_signal(info);
  }
  drain_children();
}

void BoxSession::on_control_signal(const signalfd_siginfo& info) {
  const int signo = static_cast<int>(info.ssi_signo);
  if (init_status_ || tearing_down_) return;
  // kill(0, sig) from inside reaches the supervisor too when it shares the process group, as it
  // reaches `unshare` in a pid namespace; that is not the user asking to stop the box.
  if (info.ssi_code != kSiKernel && table_.contains(static_cast<Pid>(info.ssi_pid))) return;
  const bool from_terminal = info.ssi_code == kSiKernel;
  const ForwardAction action = forward_policy_.on_signal(
      signo, from_terminal, has_handler(init_pid_, signo), ForwardPolicy::Clock::now());
  switch (action) {
    case ForwardAction::kIgnore:
      return;
    case ForwardAction::kKillBox:
      trace_.note("second stop signal: killing the box");
      kill_box();
      return;
    case ForwardAction::kForward:
      abi::pidfd_send_signal(leader_pidfd(init_pid_), signo, nullptr, 0);
      if (options_.kill_after && starts_kill_after(signo)) {
        itimerspec spec{};
        const auto ms = options_.kill_after->count();
        spec.it_value.tv_sec = ms / 1000;
        spec.it_value.tv_nsec = (ms % 1000) * 1000000 + (ms == 0 ? 1 : 0);
        ::timerfd_settime(kill_after_timer_.get(), 0, &spec, nullptr);
      }
      return;
  }
}

void BoxSession::on_kill_after_timer() {
  std::uint64_t expirations;
  if (::read(kill_after_timer_.get(), &expirations, sizeof(expirations)) <= 0) return;
  if (!init_status_) {
    trace_.note("--kill-after expired: killing the box");
    kill_box();
  }
}

void BoxSession::kill_box() {
  abi::pidfd_send_signal(leader_pidfd(init_pid_), SIGKILL, nullptr, 0);
}

void BoxSession::drain_children() {
  for (;;) {
    int status = 0;
    const pid_t tid = ::waitpid(-1, &status, __WALL | WNOHANG);
    if (tid == 0) return;
    if (tid < 0) {
      VPIDBOX_INVARIANT(errno == ECHILD || errno == EINTR, "waitpid failed");
      if (errno == EINTR) continue;
      no_children_ = true;
      return;
    }
    if (WIFSTOPPED(status)) {
      on_stop(tid, status);
    } else if (WIFEXITED(status) || WIFSIGNALED(status)) {
      on_exit(tid, status);
    }
  }
}

void BoxSession::register_task(pid_t tid) {
  sweep_reaped();
  UniqueFd pidfd(abi::pidfd_open(tid, 0));
  Pid tgid = tid;
  if (!pidfd.valid()) {
    // EINVAL: not a thread-group leader, so a thread; its group is in /proc.
    ProcStatusIds ids = read_status_ids(tid);
    if (!ids.ok) return;  // it died already
    tgid = ids.tgid;
  }
  if (!table_.add_task(tid, tgid)) {
    // The box's pid space is full: the kernel would have failed the fork with EAGAIN.
    ::kill(tid, SIGKILL);
    return;
  }
  // It has not run yet: its session is still its parent's.
  if (pidfd.valid()) traced_[tid].sid_at_start = ::getsid(tid);
  traced_[tid].pidfd = std::move(pidfd);
  if (tearing_down_) ::kill(tid, SIGKILL);
}

void BoxSession::on_stop(pid_t tid, int status) {
  const int signo = WSTOPSIG(status);
  const int event = status >> 16;
  if (!traced_.contains(tid)) register_task(tid);
  auto it = traced_.find(tid);
  if (it == traced_.end()) return;
  if (!it->second.started) {
    // The first stop of an auto-attached task: it has not run yet.
    it->second.started = true;
    const Task* task = table_.task(tid);
    if (task && task->real_tgid != tid) trace_exec_of_threads(tid);
    resume(tid);
    return;
  }
  if (signo == (SIGTRAP | 0x80)) return on_syscall_exit(tid);
  switch (event) {
    case PTRACE_EVENT_SECCOMP:
      return on_seccomp_stop(tid);
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE:
      return on_fork_event(tid);
    case PTRACE_EVENT_EXEC:
      return on_exec_event(tid);
    case PTRACE_EVENT_STOP:
      // A group-stop is kept with LISTEN so that job control (SIGCONT) works as without us.
      if (is_stop_signal(signo))
        ::ptrace(PTRACE_LISTEN, tid, 0, 0);
      else
        resume(tid);
      return;
    case 0:
      return on_signal_delivery(tid, signo);
    default:
      return resume(tid);
  }
}

void BoxSession::on_exit(pid_t tid, int status) {
  if (tid == init_pid_) {
    init_status_ = status;
    begin_teardown();
  }
  auto it = traced_.find(tid);
  if (it == traced_.end()) return;
  it->second.exit.reset();
  // A process stays a zombie, holding its number, until its parent reaps it; a thread or a
  // reaped process is gone now.
  if (is_reaped(it->second.pidfd.get())) {
    // A thread's number is never a process group's or a session's: no need to ask who uses it.
    const Task* task = table_.task(tid);
    const bool leader = task && task->real_tgid == tid;
    table_.remove(tid, leader ? group_ids_in_use({tid}) : std::set<Pid>{});
    traced_.erase(it);
  } else {
    table_.mark_exited(tid);
  }
}

void BoxSession::forget_if_reaped(pid_t tid) {
  auto it = traced_.find(tid);
  if (it == traced_.end() || !table_.task(tid) || !table_.task(tid)->exited) return;
  if (!is_reaped(it->second.pidfd.get())) return;
  table_.remove(tid, group_ids_in_use({tid}));
  traced_.erase(it);
}

std::set<Pid> BoxSession::group_ids_in_use(const std::vector<Pid>& candidates) const {
  std::set<Pid> ids;
  for (Pid real : candidates)
    if (names_group_or_session(real)) ids.insert(real);
  return ids;
}

// Asked at every reap, so it must not cost a call per task of the box (a thousand processes
// exiting would cost a million): one kill(2) answers for the process group, and only the tasks
// born into a session of that number are asked for theirs. Zombies keep their group and
// session until they are reaped, and both answers count them.
bool BoxSession::names_group_or_session(Pid real) const {
  // No task of the box is the supervisor's namespace's init; and kill(-1) would mean every
  // process, so it is never asked.
  if (real <= 1) return false;
  if (::kill(-real, 0) == 0 || errno == EPERM) return true;  // signal 0 sends nothing
  for (const auto& [tid, traced] : traced_)
    if (traced.sid_at_start == real && tid != real && ::getsid(tid) == real) return true;
  return false;
}

void BoxSession::sweep_reaped() {
  std::vector<Pid> gone;
  for (Pid tid : table_.exited_real_tids())
    if (is_reaped(leader_pidfd(tid))) gone.push_back(tid);
  if (gone.empty()) return;
  std::vector<Pid> candidates = table_.held_numbers();
  candidates.insert(candidates.end(), gone.begin(), gone.end());
  const std::set<Pid> groups = group_ids_in_use(candidates);
  for (Pid tid : gone) {
    table_.remove(tid, groups);
    traced_.erase(tid);
  }
  table_.release_unused_groups(groups);
}

void BoxSession::begin_teardown() {
  // As when a pid namespace's init exits: every other process of the box is killed, and the box
  // is over only when all of them are gone.
  tearing_down_ = true;
  for (const auto& [tid, task] : traced_)
    if (task.pidfd.valid()) abi::pidfd_send_signal(task.pidfd.get(), SIGKILL, nullptr, 0);
}

void BoxSession::on_unotify() {
  seccomp_notif req;
  if (unotify_->receive(req) != NotifStatus::kOk) return;
  if (is_fd_open_syscall(req.data.nr)) {
    if (proc_open_)
      proc_open_->serve(*unotify_, req);
    else
      unotify_->answer_continue(req.id);
    return;
  }
  Call call;
  call.real_tid = static_cast<Pid>(req.pid);
  for (int i = 0; i < 6; ++i) call.args[i] = req.data.args[i];
  call.row = find_syscall(req.data.nr, call.args);
  // Only the table's unotify rows notify; anything else is a filter bug.
  VPIDBOX_INVARIANT(call.row != nullptr, "notification for a syscall outside the table");
  const Outcome outcome = decide_query(call, table_, kernel_);
  if (trace_.enabled()) {
    const Task* task = table_.task(call.real_tid);
    trace_.write(task ? task->vtid : 0, call, outcome);
  }
  if (const auto* v = std::get_if<ReturnValue>(&outcome)) {
    unotify_->answer_value(req.id, v->value);
  } else if (const auto* e = std::get_if<ReturnErrno>(&outcome)) {
    unotify_->answer_errno(req.id, e->error);
  } else {
    unotify_->answer_continue(req.id);
  }
}

int BoxSession::run() {
  if (!set_up()) return kExitInternal;
  loop();
  if (launch_channel_.valid()) on_launch_channel();
  if (!exec_error_.empty()) print_error(exec_error_);
  const int status = *init_status_;
  if (init_death_override_) return 128 + init_death_override_;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

int run_box(const RunOptions& options) {
  BoxSession session(options);
  return session.run();
}

}  // namespace vpidbox
