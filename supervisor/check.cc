#include "supervisor/check.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <functional>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "supervisor/kernel_abi.h"
#include "supervisor/landlock_guard.h"
#include "supervisor/mount_info.h"
#include "supervisor/nested_box.h"
#include "supervisor/unique_fd.h"

namespace vpidbox {
namespace {

// Each probe runs in a child so that filters and namespaces do not stick to this process; the
// child's exit code is the answer (0 yes, 1 no).
bool probe(const std::function<bool()>& body) {
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) ::_exit(body() ? 0 : 1);
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// A filter that notifies on getppid and allows everything else; returns the listener or -1.
int install_probe_listener() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{sizeof(code) / sizeof(code[0]), code};
  return static_cast<int>(
      ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog));
}

bool has_unotify() {
  return probe([] { return install_probe_listener() >= 0; });
}

bool has_sync_wakeup() {
  return probe([] {
    UniqueFd fd(install_probe_listener());
    return fd.valid() && ::ioctl(fd.get(), SECCOMP_IOCTL_NOTIF_SET_FLAGS,
                                 SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
  });
}

bool has_addfd() {
  return probe([] {
    UniqueFd fd(install_probe_listener());
    seccomp_notif_addfd addfd{};
    addfd.id = 1;  // no such notification: a kernel with ADDFD says ENOENT
    addfd.srcfd = 0;
    return fd.valid() && ::ioctl(fd.get(), SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) != 0 &&
           errno == ENOENT;
  });
}

bool ptrace_allowed() {
  return probe([] {
    const pid_t child = ::fork();
    if (child == 0) {
      ::pause();
      ::_exit(0);
    }
    const bool ok = ::ptrace(PTRACE_SEIZE, child, 0, PTRACE_O_EXITKILL) == 0;
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, __WALL);
    return ok;
  });
}

bool has_pidfd_info() {
  return probe([] {
    UniqueFd fd(abi::pidfd_open(::getpid(), 0));
    abi::PidfdInfo info{};
    info.mask = abi::kPidfdInfoPid;
    return fd.valid() && ::ioctl(fd.get(), abi::kPidfdGetInfo, &info) == 0;
  });
}

// /dev/fuse as the kernel's FUSE device: a character device 10:229 that opens read-write.
bool fuse_available() {
  UniqueFd fd(::open("/dev/fuse", O_RDWR | O_CLOEXEC));
  struct stat st {};
  return fd.valid() && ::fstat(fd.get(), &st) == 0 && S_ISCHR(st.st_mode) &&
         major(st.st_rdev) == 10 && minor(st.st_rdev) == 229;
}

// Whether the Landlock guard of --proc=intercept can be applied here (in a child, where it stays).
bool landlock_guard_possible() {
  return probe([] {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
    GuardPlan plan = plan_proc_guard(procfs_mount_points(read_own_mounts()));
    return apply_guard_rules(collect_guard_rules(plan), false).applied;
  });
}

bool mount_namespace_possible() {
  return probe([] {
    if (::unshare(CLONE_NEWNS) == 0) return true;
    return ::unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0;
  });
}

void line(const char* what, bool present, const char* detail) {
  std::printf("%-34s %-3s  %s\n", what, present ? "yes" : "no", detail);
}

}  // namespace

int run_check() {
  utsname uts{};
  ::uname(&uts);
  std::printf("kernel: %s %s\n", uts.sysname, uts.release);
  // Inside a box every probe would meet the enclosing supervisor's listener and tracer; what
  // matters is that it serves nested boxes.
  if (const std::optional<control::BoxInfo> outer = enclosing_box()) {
    std::printf("inside a box, at level %u of at most %u\n", outer->depth + 1,
                outer->max_depth + 1);
    std::printf("'run' here: a box nested in this one, served by its supervisor%s\n",
                outer->depth + 1 < outer->max_depth + 1 ? "" : " (none: the deepest level)");
    return 0;
  }
  const bool unotify = has_unotify();
  const bool sync = unotify && has_sync_wakeup();
  const bool addfd = unotify && has_addfd();
  const bool ptrace = ptrace_allowed();
  const bool pidfd_info = has_pidfd_info();
  const bool fuse = fuse_available();
  const bool mountns = mount_namespace_possible();
  const int landlock = landlock_abi();
  const bool guard = landlock_guard_possible();
  line("seccomp user notification (unotify)", unotify, "needed: answers pid queries (5.5+)");
  line("unotify sync wake-up", sync, "optional: same-CPU wake-up, ~20x lower latency (6.6+)");
  line("unotify ADDFD", addfd, "needed by --proc=fuse and intercept: installs /proc files (5.14+)");
  line("ptrace allowed", ptrace, "needed: follows forks, rewrites results, fails closed");
  line("pidfd PIDFD_GET_INFO", pidfd_info, "optional: fast parent lookup (6.13+)");
  line("FUSE (/dev/fuse)", fuse, "needed by --proc=fuse: the box's own /proc");
  line("mount namespace possible", mountns, "needed by --proc=fuse|none: mounts over /proc");
  char landlock_detail[96];
  std::snprintf(landlock_detail, sizeof(landlock_detail),
                "guards --proc=intercept against racing threads (ABI %d; 2+ needed)", landlock);
  line("Landlock", guard, landlock_detail);
  const char* engine = unotify && ptrace ? "hybrid (unotify + ptrace)" : "none";
  std::printf("engine for 'run': %s\n", engine);
  if (fuse && mountns) {
    std::printf("/proc for 'run': fuse (the box's own, mounted in a private mount namespace)\n");
  } else {
    std::printf("/proc for 'run': intercept (the box's own, without a mount: no %s here; %s)\n",
                !fuse ? "FUSE (/dev/fuse cannot be opened)" : "mount namespace",
                guard ? "guarded by Landlock" : "NOT guarded by Landlock (see README)");
  }
  if (!unotify || !ptrace) {
    std::fprintf(stderr, "vpidbox: cannot work here: %s\n",
                 !ptrace ? "ptrace is not permitted" : "seccomp user notification is missing");
    return 1;
  }
  return 0;
}

}  // namespace vpidbox
