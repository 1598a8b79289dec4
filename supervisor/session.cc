// The box's lifecycle: set-up, the event loop, signals sent to vpidbox, exits and teardown.
#include "supervisor/session.h"

#include <dirent.h>
#include <sys/epoll.h>
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
#include "supervisor/low_latency.h"
#include "supervisor/nested_box.h"
#include "supervisor/pid_max.h"
#include "translate/invariant.h"

namespace vpidbox {
namespace {

constexpr int kSiKernel = 0x80;

void print_error(const std::string& line) {
  std::fprintf(stderr, "vpidbox: %s\n", line.c_str());
}

}  // namespace

BoxSession::BoxSession(const RunOptions& options)
    : options_(options),
      tasks_(new_namespace_pid_max()),
      kernel_([this](Pid tgid) { return tasks_.leader_pidfd(tgid); },
              [this](Pid tgid) { return tasks_.waited_signals(tgid); }),
      signals_(tasks_, kernel_, ::getpid()),
      emulated_ptrace_(tasks_, signals_, kernel_, trace_),
      control_channel_(tasks_),
      queued_signals_(tasks_, signals_, kernel_, emulated_ptrace_),
      ptrace_(tasks_, signals_, emulated_ptrace_, kernel_, trace_, stats_, *this, control_channel_,
              queued_signals_) {
  tasks_.on_process_forgotten([this](Pid tgid) { signals_.forget_receiver(tgid); });
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

bool BoxSession::set_up() {
  stats_.by_syscall = options_.stats;
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
  launch_channel_ = std::move(init.channel);
  if (::ptrace(PTRACE_SEIZE, init.pid, 0, kTraceOptions) != 0) {
    print_error(std::string("ptrace is not permitted here (") + std::strerror(errno) +
                "); see 'vpidbox check'");
    ::kill(init.pid, SIGKILL);
    ::waitpid(init.pid, nullptr, 0);
    return false;
  }
  tasks_.adopt_init(init.pid);

  std::string error;
  if (!start_routes(error)) {
    print_error(error.empty() ? "box init failed during set-up" : error);
    ::kill(init.pid, SIGKILL);
    ::waitpid(init.pid, nullptr, __WALL);
    return false;
  }
  watch(signal_fd_.get());
  watch(launch_channel_.get());
  watch(kill_after_timer_.get());
  start_control_server();
  return true;
}

// `vpidbox ps` and `vpidbox exec` reach the box through it; a box whose socket cannot be made
// (no usable runtime directory) runs without.
void BoxSession::start_control_server() {
  BoxConfinement confinement;
  confinement.with_listener = !unotify_.empty();
  confinement.routed_opens = proc_mode_ == ProcMode::kFuse || proc_mode_ == ProcMode::kIntercept;
  confinement.every_path = proc_mode_ == ProcMode::kIntercept;
  confinement.own_mount_ns =
      proc_mode_ == ProcMode::kFuse || proc_mode_ == ProcMode::kNone || own_mount_ns_;
  ControlServer::Hooks hooks{[this](int fd) { watch(fd); }, [this](int fd) { unwatch(fd); },
                             [this](UniqueFd listener) { add_listener(std::move(listener)); }};
  std::string error;
  control_ = ControlServer::start(tasks_, confinement, std::move(hooks), error);
  if (!control_) trace_.note("no control socket: " + error);
}

void BoxSession::add_listener(UniqueFd listener) {
  unotify_.push_back(std::make_unique<UnotifyRoute>(
      UnotifyChannel(std::move(listener)), tasks_.table(), kernel_, trace_, stats_, proc_.get(),
      control_channel_, queued_signals_, paths_.get()));
  unotify_.back()->set_call_look(&ptrace_.call_look());
  watch(unotify_.back()->fd());
}

// Init tells which /proc it got (and hands over the FUSE descriptor of its own), then the seccomp
// listener, if the hybrid engine has one.
bool BoxSession::start_routes(std::string& error) {
  const int channel = launch_channel_.get();
  if (!send_go(channel)) return false;
  std::optional<ProcChannel> proc = receive_proc(channel, error);
  if (!proc) return false;
  proc_mode_ = proc->mode;
  own_mount_ns_ = proc->own_mount_namespace;
  char user_ns[64];
  const std::string link = "/proc/" + std::to_string(tasks_.init_pid()) + "/ns/user";
  const ssize_t n = ::readlink(link.c_str(), user_ns, sizeof(user_ns));
  const std::string box_user_ns = n > 0 ? std::string(user_ns, static_cast<std::size_t>(n)) : "";
  if (proc->mode == ProcMode::kFuse) {
    proc_ = ProcRoute::start(std::move(*proc), tasks_.table(), box_user_ns, error);
    if (!proc_) return false;
    ptrace_.set_proc_route(proc_.get());
    watch(proc_->fuse_fd());
  } else if (proc->mode == ProcMode::kIntercept) {
    paths_ = std::make_unique<ProcPathRoute>(tasks_.table(), *proc, box_user_ns, stats_, trace_);
    if (!paths_->ready()) {
      error = "cannot serve the box's /proc: the supervisor's /proc cannot be opened";
      return false;
    }
    if (!proc->guarded) trace_.note("the box's /proc is not guarded: " + proc->unguarded_because);
    ptrace_.set_path_route(paths_.get());
  }
  std::optional<UniqueFd> listener = receive_listener(channel, error);
  if (!listener) return false;
  if (listener->valid()) {
    add_listener(std::move(*listener));
    ptrace_.set_listener_present(true);
  }
  return true;
}

void BoxSession::loop() {
  epoll_event events[8];
  // No busy polling before sleeping: on the 2-vCPU development VMs a polling supervisor slowed a
  // ptrace stop from ~55 us to ~100 us (bench/RESULTS.md).
  while (!finished()) {
    // With a sweep owed (child_waits.h), sleep no longer than until it is due.
    timespec until{};
    const std::optional<SweepSchedule::Clock::duration> wait =
        sweeps_.until_due(SweepSchedule::Clock::now());
    if (wait) {
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(*wait).count();
      until.tv_sec = ns / 1000000000;
      until.tv_nsec = ns % 1000000000;
    }
    const int n = ::epoll_pwait2(epoll_.get(), events, 8, wait ? &until : nullptr, nullptr);
    if (n < 0) {
      VPIDBOX_INVARIANT(errno == EINTR, "epoll_wait failed");
      continue;
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (UnotifyRoute* route = unotify_route_of(fd)) {
        if (events[i].events & (EPOLLHUP | EPOLLERR) && !(events[i].events & EPOLLIN)) {
          // Every task that could notify on it is gone.
          unwatch(fd);
          std::erase_if(unotify_, [route](const auto& r) { return r.get() == route; });
          continue;
        }
        route->serve_one();
      } else if (control_ && control_->owns(fd)) {
        control_->on_ready(fd);
      } else if (proc_ && fd == proc_->fuse_fd()) {
        if (!proc_->serve_fuse()) unwatch(fd);  // the mount is gone with the box
      } else if (fd == signal_fd_.get()) {
        on_signalfd();
      } else if (fd == launch_channel_.get()) {
        on_launch_channel();
      } else if (fd == kill_after_timer_.get()) {
        on_kill_after_timer();
      }
    }
    if (sweeps_.due(SweepSchedule::Clock::now())) sweep_children();
  }
}

UnotifyRoute* BoxSession::unotify_route_of(int fd) {
  for (const std::unique_ptr<UnotifyRoute>& route : unotify_)
    if (route->fd() == fd) return route.get();
  return nullptr;
}

void BoxSession::on_launch_channel() {
  exec_error_ = receive_exec_error(launch_channel_.get());
  unwatch(launch_channel_.get());
  launch_channel_.reset();
}

void BoxSession::on_signalfd() {
  signalfd_siginfo info;
  while (::read(signal_fd_.get(), &info, sizeof(info)) == sizeof(info)) {
    if (info.ssi_signo != SIGCHLD) {
      on_control_signal(info);
      continue;
    }
    // The task it names has an event (or had one, taken by a sweep since); others may be merged
    // into it.
    sweeps_.on_sigchld();
    wait_for(static_cast<pid_t>(info.ssi_pid));
  }
}

void BoxSession::on_control_signal(const signalfd_siginfo& info) {
  const int signo = static_cast<int>(info.ssi_signo);
  if (init_status_ || tearing_down_) return;
  // kill(0, sig) from inside reaches the supervisor too when it shares the process group, as it
  // reaches `unshare` in a pid namespace; that is not the user asking to stop the box.
  if (info.ssi_code != kSiKernel && tasks_.table().contains(static_cast<Pid>(info.ssi_pid))) return;
  const bool from_terminal = info.ssi_code == kSiKernel;
  const ForwardAction action = forward_policy_.on_signal(
      signo, from_terminal, has_handler(tasks_.init_pid(), signo), ForwardPolicy::Clock::now());
  switch (action) {
    case ForwardAction::kIgnore:
      return;
    case ForwardAction::kKillBox:
      trace_.note("second stop signal: killing the box");
      kill_box();
      return;
    case ForwardAction::kForward:
      abi::pidfd_send_signal(tasks_.leader_pidfd(tasks_.init_pid()), signo, nullptr, 0);
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
  abi::pidfd_send_signal(tasks_.leader_pidfd(tasks_.init_pid()), SIGKILL, nullptr, 0);
}

void BoxSession::end_box_as(int as_signal) {
  init_death_override_ = as_signal;
  kill_box();
}

void BoxSession::wait_for(pid_t tid) {
  int status = 0;
  pid_t got;
  do {
    got = ::waitpid(tid, &status, __WALL | WNOHANG);
  } while (got < 0 && errno == EINTR);
  // 0: its event was taken by a sweep already; ECHILD: reaped since, or not the supervisor's.
  if (got > 0) {
    ++stats_.events_named;
    on_child_event(got, status);
  }
}

void BoxSession::sweep_children() {
  ++stats_.sweeps;
  for (;;) {
    int status = 0;
    const auto start = SweepSchedule::Clock::now();
    const pid_t tid = ::waitpid(-1, &status, __WALL | WNOHANG);
    if (tid == 0) {
      // A preemption during the walk only lengthens the interval (bounded: child_waits.h).
      const auto end = SweepSchedule::Clock::now();
      sweeps_.swept(end, end - start);
      return;
    }
    if (tid < 0) {
      VPIDBOX_INVARIANT(errno == ECHILD || errno == EINTR, "waitpid failed");
      if (errno == EINTR) continue;
      no_children_ = true;
      sweeps_.swept(SweepSchedule::Clock::now(), {});
      return;
    }
    ++stats_.events_swept;
    on_child_event(tid, status);
  }
}

void BoxSession::on_child_event(pid_t tid, int status) {
  if (WIFSTOPPED(status)) {
    ptrace_.on_stop(tid, status);
  } else if (WIFEXITED(status) || WIFSIGNALED(status)) {
    on_exit(tid, status);
  }
}

void BoxSession::on_exit(pid_t tid, int status) {
  emulated_ptrace_.on_task_exit(tid, status);
  if (tid == tasks_.init_pid()) {
    init_status_ = status;
    begin_teardown();
  } else {
    // A nested box's init: as with a nested pid namespace, its box ends with it.
    const ProcessTable& table = tasks_.table();
    if (const Task* task = table.task(tid);
        task && task->level != kTopLevel && table.init_of(task->level) == tid)
      tasks_.kill_level(task->level);
    if (tearing_down_) kill_untraced_children();  // the orphans of this one are the supervisor's
  }
  tasks_.on_exit(tid);
}

void BoxSession::begin_teardown() {
  // As when a pid namespace's init exits: every other process of the box is killed, and the box
  // is over only when all of them are gone.
  tearing_down_ = true;
  tasks_.kill_all();
  kill_untraced_children();
}

void BoxSession::kill_untraced_children() {
  // Once init is gone, the box's orphans become the supervisor's children (it is a subreaper),
  // so every child it has is of the box. One it does not trace has escaped it (see
  // PtraceRoute::contain_escaped_child) and has neither EXITKILL nor a pidfd here: it is killed
  // by number, which stays its own until the supervisor reaps it.
  DIR* tasks = ::opendir("/proc/self/task");
  if (!tasks) return;
  while (const dirent* task = ::readdir(tasks)) {
    if (task->d_name[0] == '.') continue;
    const std::string path = std::string("/proc/self/task/") + task->d_name + "/children";
    std::FILE* f = std::fopen(path.c_str(), "re");
    if (!f) continue;
    int child = 0;
    while (std::fscanf(f, "%d", &child) == 1)
      if (!tasks_.follows(child)) ::kill(child, SIGKILL);
    std::fclose(f);
  }
  ::closedir(tasks);
}

int BoxSession::run() {
  if (!set_up()) return kExitInternal;
  loop();
  if (launch_channel_.valid()) on_launch_channel();
  if (!exec_error_.empty()) print_error(exec_error_);
  if (options_.stats) std::fputs(format_stats(stats_).c_str(), stderr);
  const int status = *init_status_;
  if (init_death_override_) return 128 + init_death_override_;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

int run_box(const RunOptions& options) {
  // Held until the box is over, by the supervisor or a nested box's front end alike.
  std::optional<UniqueFd> latency_request;
  if (options.low_latency) {
    std::string error;
    latency_request = hold_cpu_latency_request(error);
    if (!latency_request) {
      print_error(error);
      return kExitInternal;
    }
  }
  // Inside a box, the supervisor that serves it serves a nested box too.
  if (const std::optional<control::BoxInfo> outer = enclosing_box())
    return run_nested_box(options, *outer);
  BoxSession session(options);
  return session.run();
}

}  // namespace vpidbox
