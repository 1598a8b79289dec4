#include "supervisor/session.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "supervisor/kernel_abi.h"
#include "supervisor/kernel_facts.h"
#include "supervisor/launcher.h"
#include "supervisor/trace_log.h"
#include "supervisor/unique_fd.h"
#include "supervisor/unotify_channel.h"
#include "translate/invariant.h"
#include "translate/process_table.h"
#include "translate/rules.h"
#include "translate/signal_rules.h"

namespace vpidbox {
namespace {

constexpr int kSiKernel = 0x80;

// Fork, vfork and clone events attach every new task before it runs; EXITKILL makes the kernel
// kill every tracee if the supervisor dies, so no box process outlives it.
constexpr long kTraceOptions =
    PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL;

void print_error(const std::string& line) {
  std::fprintf(stderr, "vpidbox: %s\n", line.c_str());
}

bool is_stop_signal(int sig) {
  return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

// Caught-signal mask of a process, from /proc/<pid>/status (SigCgt).
bool has_handler(Pid real_tgid, int signo) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/status", real_tgid);
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  char buf[4096];
  ssize_t n = ::read(fd.get(), buf, sizeof(buf) - 1);
  if (n <= 0) return false;
  buf[n] = 0;
  const char* line = std::strstr(buf, "\nSigCgt:");
  if (!line) return false;
  const unsigned long long mask = std::strtoull(line + 8, nullptr, 16);
  return (mask >> (signo - 1)) & 1;
}

struct TracedTask {
  UniqueFd pidfd;  // held for thread-group leaders
  bool started = false;
};

class Session {
 public:
  explicit Session(const RunOptions& options)
      : options_(options),
        table_(read_pid_max()),
        kernel_([this](Pid tgid) { return leader_pidfd(tgid); }) {}

  int run();

 private:
  static Pid read_pid_max();
  bool set_up();
  void loop();
  bool finished() const { return init_status_.has_value() && no_children_; }

  void on_signalfd();
  void on_control_signal(const signalfd_siginfo& info);
  void drain_children();
  void on_stop(pid_t tid, int status);
  void on_signal_delivery(pid_t tid, int signo);
  void on_exit(pid_t tid, int status);
  void on_unotify();
  void on_launch_channel();
  void on_kill_after_timer();

  void register_task(pid_t tid);
  void sweep_reaped();
  std::set<Pid> group_ids_in_use() const;
  void kill_box();
  void begin_teardown();
  int leader_pidfd(Pid tgid) const;
  void watch(int fd);
  void unwatch(int fd);

  const RunOptions& options_;
  ProcessTable table_;
  SystemKernelView kernel_;
  std::map<Pid, TracedTask> traced_;
  TraceLog trace_;
  ForwardPolicy forward_policy_;

  sigset_t original_mask_{};
  UniqueFd epoll_;
  UniqueFd signal_fd_;
  UniqueFd kill_after_timer_;
  UniqueFd launch_channel_;
  std::optional<UnotifyChannel> unotify_;

  pid_t init_pid_ = -1;
  std::optional<int> init_status_;
  std::string exec_error_;
  bool tearing_down_ = false;
  bool no_children_ = false;
};

Pid Session::read_pid_max() {
  // A pid namespace allocates below the host's pid_max; so does the box.
  Pid pid_max = 32768;
  if (std::FILE* f = std::fopen("/proc/sys/kernel/pid_max", "re")) {
    if (std::fscanf(f, "%d", &pid_max) != 1) pid_max = 32768;
    std::fclose(f);
  }
  return pid_max;
}

int Session::leader_pidfd(Pid tgid) const {
  auto it = traced_.find(tgid);
  return it == traced_.end() ? -1 : it->second.pidfd.get();
}

void Session::watch(int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  VPIDBOX_INVARIANT(::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) == 0, "epoll_ctl add");
}

void Session::unwatch(int fd) {
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

bool Session::set_up() {
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

  LaunchedInit init = fork_init(options_.argv, original_mask_);
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
  VPIDBOX_INVARIANT(table_.add_task(init_pid_, init_pid_) == 1, "init is not pid 1");

  std::string error;
  UniqueFd listener;
  if (send_go(launch_channel_.get())) listener = receive_listener(launch_channel_.get(), error);
  if (!listener.valid()) {
    print_error(error.empty() ? "box init failed during set-up" : error);
    ::kill(init_pid_, SIGKILL);
    ::waitpid(init_pid_, nullptr, __WALL);
    return false;
  }
  unotify_.emplace(std::move(listener));
  unotify_->enable_sync_wakeup();

  watch(signal_fd_.get());
  watch(unotify_->fd());
  watch(launch_channel_.get());
  watch(kill_after_timer_.get());
  return true;
}

void Session::loop() {
  epoll_event events[8];
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
          // Every task that could notify is gone.
          unwatch(fd);
          continue;
        }
        on_unotify();
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

void Session::on_launch_channel() {
  exec_error_ = receive_exec_error(launch_channel_.get());
  unwatch(launch_channel_.get());
  launch_channel_.reset();
}

void Session::on_signalfd() {
  signalfd_siginfo info;
  while (::read(signal_fd_.get(), &info, sizeof(info)) == sizeof(info)) {
    if (info.ssi_signo == SIGCHLD) continue;  // drained below either way
    on_control_signal(info);
  }
  drain_children();
}

void Session::on_control_signal(const signalfd_siginfo& info) {
  const int signo = static_cast<int>(info.ssi_signo);
  if (init_status_ || tearing_down_) return;
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

void Session::on_kill_after_timer() {
  std::uint64_t expirations;
  if (::read(kill_after_timer_.get(), &expirations, sizeof(expirations)) <= 0) return;
  if (!init_status_) {
    trace_.note("--kill-after expired: killing the box");
    kill_box();
  }
}

void Session::kill_box() {
  abi::pidfd_send_signal(leader_pidfd(init_pid_), SIGKILL, nullptr, 0);
}

void Session::drain_children() {
  for (;;) {
    int status = 0;
    const pid_t tid = ::waitpid(-1, &status, __WALL | WNOHANG);
    if (tid == 0) return;
    if (tid < 0) {
      VPIDBOX_INVARIANT(errno == ECHILD || errno == EINTR, "waitpid failed");
      if (errno == ECHILD) no_children_ = true;
      if (errno == ECHILD) return;
      continue;
    }
    if (WIFSTOPPED(status)) {
      on_stop(tid, status);
    } else if (WIFEXITED(status) || WIFSIGNALED(status)) {
      on_exit(tid, status);
    }
  }
}

void Session::register_task(pid_t tid) {
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
  TracedTask& task = traced_[tid];
  task.pidfd = std::move(pidfd);
  if (tearing_down_) ::kill(tid, SIGKILL);
}

void Session::on_stop(pid_t tid, int status) {
  const int signo = WSTOPSIG(status);
  const int event = status >> 16;
  if (!traced_.contains(tid)) register_task(tid);
  auto it = traced_.find(tid);
  if (it == traced_.end()) return;
  TracedTask& task = it->second;
  if (!task.started) {
    // The first stop of an auto-attached task: it has not run yet.
    task.started = true;
    ::ptrace(PTRACE_CONT, tid, 0, 0);
    return;
  }
  switch (event) {
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE: {
      unsigned long child = 0;
      if (::ptrace(PTRACE_GETEVENTMSG, tid, 0, &child) == 0 &&
          !traced_.contains(static_cast<Pid>(child)))
        register_task(static_cast<pid_t>(child));
      ::ptrace(PTRACE_CONT, tid, 0, 0);
      return;
    }
    case PTRACE_EVENT_STOP:
      // A group-stop is kept with LISTEN so that job control (SIGCONT) works as without us.
      if (is_stop_signal(signo))
        ::ptrace(PTRACE_LISTEN, tid, 0, 0);
      else
        ::ptrace(PTRACE_CONT, tid, 0, 0);
      return;
    case 0:
      on_signal_delivery(tid, signo);
      return;
    default:
      ::ptrace(PTRACE_CONT, tid, 0, 0);
      return;
  }
}

void Session::on_signal_delivery(pid_t tid, int signo) {
  siginfo_t info{};
  if (::ptrace(PTRACE_GETSIGINFO, tid, 0, &info) != 0) return;  // it died
  const Task* task = table_.task(tid);
  const bool is_init = task && task->real_tgid == init_pid_;
  if (std::optional<Pid> vpid = virtual_si_pid(signo, info.si_code, info.si_pid, table_);
      vpid && *vpid != info.si_pid) {
    const bool sender_in_box = *vpid != 0;
    if (is_init && !init_receives({signo, info.si_code, sender_in_box}, has_handler(tid, signo))) {
      ::ptrace(PTRACE_CONT, tid, 0, 0);
      return;
    }
    info.si_pid = *vpid;
    ::ptrace(PTRACE_SETSIGINFO, tid, 0, &info);
  } else if (is_init) {
    const bool sender_in_box = vpid && *vpid != 0;
    if (!init_receives({signo, info.si_code, sender_in_box}, has_handler(tid, signo))) {
      ::ptrace(PTRACE_CONT, tid, 0, 0);
      return;
    }
  }
  ::ptrace(PTRACE_CONT, tid, 0, signo);
}

void Session::on_exit(pid_t tid, int status) {
  if (tid == init_pid_) {
    init_status_ = status;
    begin_teardown();
  }
  auto it = traced_.find(tid);
  if (it == traced_.end()) return;
  const int pidfd = it->second.pidfd.get();
  // A process stays a zombie, holding its number, until its parent reaps it; a thread or a
  // reaped process is gone now.
  const bool reaped =
      pidfd < 0 || (abi::pidfd_send_signal(pidfd, 0, nullptr, 0) != 0 && errno == ESRCH);
  if (reaped) {
    table_.remove(tid, group_ids_in_use());
    traced_.erase(it);
  } else {
    table_.mark_exited(tid);
  }
}

std::set<Pid> Session::group_ids_in_use() const {
  std::set<Pid> ids;
  for (Pid tid : table_.live_real_tids()) {
    if (pid_t pgid = ::getpgid(tid); pgid > 0) ids.insert(pgid);
    if (pid_t sid = ::getsid(tid); sid > 0) ids.insert(sid);
  }
  return ids;
}

void Session::sweep_reaped() {
  std::vector<Pid> gone;
  for (Pid tid : table_.exited_real_tids()) {
    const int pidfd = leader_pidfd(tid);
    if (pidfd < 0 || (abi::pidfd_send_signal(pidfd, 0, nullptr, 0) != 0 && errno == ESRCH))
      gone.push_back(tid);
  }
  if (gone.empty()) return;
  const std::set<Pid> groups = group_ids_in_use();
  for (Pid tid : gone) {
    table_.remove(tid, groups);
    traced_.erase(tid);
  }
  table_.release_unused_groups(groups);
}

void Session::begin_teardown() {
  // As when a pid namespace's init exits: every other process of the box is killed, and the box
  // is over only when all of them are gone.
  tearing_down_ = true;
  for (const auto& [tid, task] : traced_)
    if (task.pidfd.valid()) abi::pidfd_send_signal(task.pidfd.get(), SIGKILL, nullptr, 0);
}

void Session::on_unotify() {
  seccomp_notif req;
  if (unotify_->receive(req) != NotifStatus::kOk) return;
  Call call;
  call.real_tid = static_cast<Pid>(req.pid);
  call.row = find_syscall(req.data.nr);
  for (int i = 0; i < 6; ++i) call.args[i] = req.data.args[i];
  // Only the table's syscalls notify; anything else is a filter bug.
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

int Session::run() {
  if (!set_up()) return kExitInternal;
  loop();
  if (launch_channel_.valid()) on_launch_channel();
  if (!exec_error_.empty()) print_error(exec_error_);
  const int status = *init_status_;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

}  // namespace

int run_box(const RunOptions& options) {
  Session session(options);
  return session.run();
}

}  // namespace vpidbox
