#include "supervisor/nested_box.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "supervisor/kernel_facts.h"
#include "supervisor/launcher.h"
#include "supervisor/unique_fd.h"
#include "translate/signal_rules.h"

namespace vpidbox {
namespace {

constexpr int kSiKernel = 0x80;

int fail(const std::string& line) {
  std::fprintf(stderr, "vpidbox: %s\n", line.c_str());
  return kExitInternal;
}

// The nested box's init: set up as the top-level one is (a subreaper that dies with its front
// end), then the command. An exec failure goes back on `errors` as one line. `front_end_alive`
// reads end-of-file once the front end is gone (its parent's number is 0 in the new box whether
// it lives or not, so getppid() cannot tell).
[[noreturn]] void run_nested_init(const std::vector<std::string>& argv, const sigset_t& mask,
                                  int front_end_alive, int errors) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  pollfd alive{front_end_alive, POLLIN, 0};
  if (::poll(&alive, 1, 0) != 0) ::_exit(kExitInternal);
  ::close(front_end_alive);
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
  ::sigprocmask(SIG_SETMASK, &mask, nullptr);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  const int err = errno;
  const bool searched = argv[0].find('/') == std::string::npos;
  const std::string line =
      argv[0] + ": " + (err == ENOENT && searched ? "command not found" : std::strerror(err));
  (void)!::write(errors, line.data(), line.size());
  ::_exit(err == ENOENT ? kExitNotFound : kExitCannotExecute);
}

void arm(int timer, std::chrono::milliseconds after) {
  itimerspec spec{};
  const auto ms = after.count();
  spec.it_value.tv_sec = ms / 1000;
  spec.it_value.tv_nsec = (ms % 1000) * 1000000 + (ms == 0 ? 1 : 0);
  ::timerfd_settime(timer, 0, &spec, nullptr);
}

}  // namespace

std::optional<control::BoxInfo> enclosing_box() {
  control::BoxInfo info;
  if (::prctl(control::kPrctlOption, control::kQuery, &info, sizeof(info), 0) != 0)
    return std::nullopt;
  return info;
}

int run_nested_box(const RunOptions& options, const control::BoxInfo& outer) {
  if (options.trace_target || options.stats)
    return fail(
        "--trace and --stats are not available in a nested box: the supervisor of the enclosing "
        "box serves it");
  if (options.proc == ProcMode::kNone)
    return fail("--proc=none is not available in a nested box: it has no mount of its own");
  // --engine is the enclosing supervisor's affair: it serves the nested box whatever is asked.
  const unsigned long proc =
      options.proc == ProcMode::kHost ? control::kNestParentProc : control::kNestOwnProc;
  if (::prctl(control::kPrctlOption, control::kNestChildren, proc, 0, 0) != 0) {
    if (errno == ENOSPC)
      return fail("cannot start a box here: boxes nest " + std::to_string(outer.max_depth + 1) +
                  " levels deep at most (this one would be level " +
                  std::to_string(outer.depth + 2) + ")");
    return fail(std::string("the enclosing box refused a nested box: ") + std::strerror(errno));
  }
  // When the nested init is gone, its orphans come here to be reaped.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);

  sigset_t handled, original;
  sigemptyset(&handled);
  for (int sig : {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2})
    sigaddset(&handled, sig);
  ::sigprocmask(SIG_BLOCK, &handled, &original);
  UniqueFd signals(::signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK));
  UniqueFd timer(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  int pipe_fds[2], alive_fds[2];
  if (!signals.valid() || !timer.valid() || ::pipe2(pipe_fds, O_CLOEXEC) != 0 ||
      ::pipe2(alive_fds, O_CLOEXEC) != 0)
    return fail(std::string("cannot set up the nested box: ") + std::strerror(errno));
  UniqueFd errors_in(pipe_fds[0]), errors_out(pipe_fds[1]);
  UniqueFd alive_in(alive_fds[0]), alive_out(alive_fds[1]);

  const pid_t init = ::fork();
  if (init < 0) return fail(std::string("cannot start the nested box: ") + std::strerror(errno));
  if (init == 0) {
    alive_out.reset();
    run_nested_init(options.argv, original, alive_in.get(), errors_out.get());
  }
  alive_in.reset();
  errors_out.reset();
  std::string exec_error;
  char buf[512];
  for (ssize_t n; (n = ::read(errors_in.get(), buf, sizeof(buf))) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    exec_error.append(buf, static_cast<std::size_t>(n));
  }

  ForwardPolicy policy;
  std::optional<int> init_status;
  for (;;) {
    // Reap whatever is ready: the init, and the orphans of the nested box after it.
    for (;;) {
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid > 0) {
        if (pid == init) init_status = status;
        continue;
      }
      if (pid < 0 && errno == EINTR) continue;
      if (pid < 0 && init_status) {
        if (!exec_error.empty()) std::fprintf(stderr, "vpidbox: %s\n", exec_error.c_str());
        if (WIFEXITED(*init_status)) return WEXITSTATUS(*init_status);
        return 128 + WTERMSIG(*init_status);
      }
      break;
    }
    pollfd fds[2] = {{signals.get(), POLLIN, 0}, {timer.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) return fail("poll failed");
    if (fds[1].revents & POLLIN) {
      std::uint64_t expirations;
      if (::read(timer.get(), &expirations, sizeof(expirations)) > 0 && !init_status)
        ::kill(init, SIGKILL);
    }
    signalfd_siginfo info;
    while (::read(signals.get(), &info, sizeof(info)) == sizeof(info)) {
      const int signo = static_cast<int>(info.ssi_signo);
      if (signo == SIGCHLD || init_status) continue;
      const bool from_terminal = info.ssi_code == kSiKernel;
      switch (policy.on_signal(signo, from_terminal, has_handler(init, signo),
                               ForwardPolicy::Clock::now())) {
        case ForwardAction::kIgnore:
          break;
        case ForwardAction::kKillBox:
          ::kill(init, SIGKILL);  // from the enclosing level: forced, as from an ancestor
          break;
        case ForwardAction::kForward:
          ::kill(init, signo);
          if (options.kill_after && starts_kill_after(signo)) arm(timer.get(), *options.kill_after);
          break;
      }
    }
  }
}

}  // namespace vpidbox
