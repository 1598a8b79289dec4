// dockerlike: runs a command in an environment like a container started with Docker's defaults,
// without Docker, for the test suites (tests/*/run.sh, VPIDBOX_WRAP):
//
//   dockerlike [--user UID[:GID]] [--no-new-privileges] -- COMMAND [ARG...]
//
// What it applies, from moby's defaults (profiles/seccomp/default.json, oci/defaults.go,
// oci/caps/defaults.go):
//  - a mount namespace of its own, with Docker's /dev: a tmpfs holding null, zero, full, random,
//    urandom and tty, a new devpts instance, a 64 MiB tmpfs on /dev/shm, an mqueue filesystem on
//    /dev/mqueue, and the fd, stdin, stdout, stderr and ptmx links. There is no /dev/fuse;
//  - Docker's masked paths (/proc/kcore, /proc/keys, ... bound to /dev/null; /proc/acpi,
//    /proc/scsi, /sys/firmware under an empty read-only tmpfs) and read-only paths (/proc/sys,
//    /proc/bus, /proc/fs, /proc/irq, /proc/sysrq-trigger);
//  - the default seccomp profile: every system call it does not list fails with EPERM; clone
//    with any namespace flag fails with EPERM and clone3 with ENOSYS; the calls it allows only
//    with capabilities the default set lacks (mount, umount2, unshare, setns, open_tree, fsopen,
//    pidfd_getfd, kcmp, perf_event_open, reboot, ...) fail with EPERM. Installed as Docker's
//    runtime installs it: while CAP_SYS_ADMIN is still held, so no_new_privs stays unset
//    (--no-new-privileges sets it, as docker run --security-opt no-new-privileges);
//  - Docker's default capability set (CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID,
//    SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE) as the bounding
//    set, and as the effective and permitted sets for root; a plain uid (--user) has none.
// Then it execs COMMAND, which keeps the caller's pid (as the init of `unshare --pid --fork` it
// stays pid 1). Must start as root. Exits 125 when it cannot set something up.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static void die(const char* what) {
  fprintf(stderr, "dockerlike: %s: %s\n", what, strerror(errno));
  exit(125);
}

// The profile's unconditional allow list (x86_64 names; the 32-bit names of the list have no
// x86_64 number and are left out).
static const char* const kAllowed[] = {
    "accept",
    "accept4",
    "access",
    "adjtimex",
    "alarm",
    "bind",
    "brk",
    "capget",
    "capset",
    "chdir",
    "chmod",
    "chown",
    "clock_adjtime",
    "clock_getres",
    "clock_gettime",
    "clock_nanosleep",
    "close",
    "close_range",
    "connect",
    "copy_file_range",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_ctl_old",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_wait",
    "epoll_wait_old",
    "eventfd",
    "eventfd2",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "faccessat",
    "faccessat2",
    "fadvise64",
    "fallocate",
    "fanotify_mark",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchown",
    "fchownat",
    "fcntl",
    "fdatasync",
    "fgetxattr",
    "flistxattr",
    "flock",
    "fork",
    "fremovexattr",
    "fsetxattr",
    "fstat",
    "fstatfs",
    "fsync",
    "ftruncate",
    "futex",
    "futex_waitv",
    "futimesat",
    "getcpu",
    "getcwd",
    "getdents",
    "getdents64",
    "getegid",
    "geteuid",
    "getgid",
    "getgroups",
    "getitimer",
    "getpeername",
    "getpgid",
    "getpgrp",
    "getpid",
    "getppid",
    "getpriority",
    "getrandom",
    "getresgid",
    "getresuid",
    "getrlimit",
    "get_robust_list",
    "getrusage",
    "getsid",
    "getsockname",
    "getsockopt",
    "get_thread_area",
    "gettid",
    "gettimeofday",
    "getuid",
    "getxattr",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "inotify_rm_watch",
    "io_cancel",
    "ioctl",
    "io_destroy",
    "io_getevents",
    "io_pgetevents",
    "ioprio_get",
    "ioprio_set",
    "io_setup",
    "io_submit",
    "io_uring_enter",
    "io_uring_register",
    "io_uring_setup",
    "kill",
    "landlock_add_rule",
    "landlock_create_ruleset",
    "landlock_restrict_self",
    "lchown",
    "lgetxattr",
    "link",
    "linkat",
    "listen",
    "listxattr",
    "llistxattr",
    "lremovexattr",
    "lseek",
    "lsetxattr",
    "lstat",
    "madvise",
    "membarrier",
    "memfd_create",
    "memfd_secret",
    "mincore",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "mlock",
    "mlock2",
    "mlockall",
    "mmap",
    "mprotect",
    "mq_getsetattr",
    "mq_notify",
    "mq_open",
    "mq_timedreceive",
    "mq_timedsend",
    "mq_unlink",
    "mremap",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "msync",
    "munlock",
    "munlockall",
    "munmap",
    "name_to_handle_at",
    "nanosleep",
    "newfstatat",
    "open",
    "openat",
    "openat2",
    "pause",
    "pidfd_open",
    "pidfd_send_signal",
    "pipe",
    "pipe2",
    "pkey_alloc",
    "pkey_free",
    "pkey_mprotect",
    "poll",
    "ppoll",
    "prctl",
    "pread64",
    "preadv",
    "preadv2",
    "prlimit64",
    "process_mrelease",
    "pselect6",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "read",
    "readahead",
    "readlink",
    "readlinkat",
    "readv",
    "recvfrom",
    "recvmmsg",
    "recvmsg",
    "remap_file_pages",
    "removexattr",
    "rename",
    "renameat",
    "renameat2",
    "restart_syscall",
    "rmdir",
    "rseq",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_tgsigqueueinfo",
    "sched_getaffinity",
    "sched_getattr",
    "sched_getparam",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getscheduler",
    "sched_rr_get_interval",
    "sched_setaffinity",
    "sched_setattr",
    "sched_setparam",
    "sched_setscheduler",
    "sched_yield",
    "seccomp",
    "select",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "sendfile",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "setfsgid",
    "setfsuid",
    "setgid",
    "setgroups",
    "setitimer",
    "setpgid",
    "setpriority",
    "setregid",
    "setresgid",
    "setresuid",
    "setreuid",
    "setrlimit",
    "set_robust_list",
    "setsid",
    "setsockopt",
    "set_thread_area",
    "set_tid_address",
    "setuid",
    "setxattr",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
    "shutdown",
    "sigaltstack",
    "signalfd",
    "signalfd4",
    "socketpair",
    "splice",
    "stat",
    "statfs",
    "statx",
    "symlink",
    "symlinkat",
    "sync",
    "sync_file_range",
    "syncfs",
    "sysinfo",
    "tee",
    "tgkill",
    "time",
    "timer_create",
    "timer_delete",
    "timer_getoverrun",
    "timer_gettime",
    "timer_settime",
    "timerfd_create",
    "timerfd_gettime",
    "timerfd_settime",
    "times",
    "tkill",
    "truncate",
    "umask",
    "uname",
    "unlink",
    "unlinkat",
    "utime",
    "utimensat",
    "utimes",
    "vfork",
    "vmsplice",
    "wait4",
    "waitid",
    "write",
    "writev",
    // minKernel 4.8
    "process_vm_readv",
    "process_vm_writev",
    "ptrace",
    // allowed with CAP_SYS_CHROOT, which the default set has
    "chroot",
    // amd64 only
    "arch_prctl",
    "modify_ldt",
};

// Docker's default capability set.
static const int kDockerCaps[] = {
    CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
    CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
    CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
    CAP_KILL,    CAP_AUDIT_WRITE,
};

static int in_docker_set(int cap) {
  for (size_t i = 0; i < sizeof(kDockerCaps) / sizeof(kDockerCaps[0]); ++i)
    if (kDockerCaps[i] == cap) return 1;
  return 0;
}

static void install_profile(int no_new_privs) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  if (!ctx) die("seccomp_init");
  if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, no_new_privs ? 1 : 0) != 0) die("seccomp nnp");
  for (size_t i = 0; i < sizeof(kAllowed) / sizeof(kAllowed[0]); ++i) {
    const int nr = seccomp_syscall_resolve_name(kAllowed[i]);
    if (nr == __NR_SCMP_ERROR) continue;  // a name this libseccomp does not know
    if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) != 0) die(kAllowed[i]);
  }
  // clone without any namespace flag (CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET).
  if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                       SCMP_A0(SCMP_CMP_MASKED_EQ, 0x7E020000ULL, 0)) != 0)
    die("clone rule");
  if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) != 0) die("clone3 rule");
  // socket, except AF_VSOCK.
  if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_NE, 40)) != 0)
    die("socket rule");
  // personality with the values the profile lists.
  const unsigned long personas[] = {0, 8, 131072, 131080, 4294967295UL};
  for (size_t i = 0; i < sizeof(personas) / sizeof(personas[0]); ++i)
    if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(personality), 1,
                         SCMP_A0(SCMP_CMP_EQ, personas[i])) != 0)
      die("personality rule");
  if (seccomp_load(ctx) != 0) die("seccomp_load");
  seccomp_release(ctx);
}

static void mount_or_die(const char* source, const char* target, const char* type,
                         unsigned long flags, const char* data) {
  if (mount(source, target, type, flags, data) != 0) {
    fprintf(stderr, "dockerlike: mount %s on %s: %s\n", type ? type : source, target,
            strerror(errno));
    exit(125);
  }
}

static void make_node(const char* path, unsigned major_nr, unsigned minor_nr) {
  if (mknod(path, S_IFCHR | 0666, makedev(major_nr, minor_nr)) != 0) die(path);
  chmod(path, 0666);  // past the umask
}

// Docker's /dev: a tmpfs with the nodes runc creates, devpts, shm and mqueue.
static void docker_dev(void) {
  mount_or_die("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  make_node("/dev/null", 1, 3);
  make_node("/dev/zero", 1, 5);
  make_node("/dev/full", 1, 7);
  make_node("/dev/random", 1, 8);
  make_node("/dev/urandom", 1, 9);
  make_node("/dev/tty", 5, 0);
  mkdir("/dev/pts", 0755);
  mount_or_die("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
               "newinstance,ptmxmode=0666,mode=0620,gid=5");
  mkdir("/dev/shm", 01777);
  mount_or_die("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
               "mode=1777,size=65536k");
  mkdir("/dev/mqueue", 0755);
  mount_or_die("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  const char* links[][2] = {{"/proc/self/fd", "/dev/fd"},       {"/proc/self/fd/0", "/dev/stdin"},
                            {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
                            {"pts/ptmx", "/dev/ptmx"},          {"/proc/kcore", "/dev/core"}};
  for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); ++i)
    if (symlink(links[i][0], links[i][1]) != 0) die(links[i][1]);
}

// Docker's masked and read-only paths, where they exist.
static void docker_proc_paths(void) {
  const char* masked[] = {"/proc/asound",
                          "/proc/acpi",
                          "/proc/kcore",
                          "/proc/keys",
                          "/proc/latency_stats",
                          "/proc/timer_list",
                          "/proc/timer_stats",
                          "/proc/sched_debug",
                          "/proc/scsi",
                          "/sys/firmware",
                          "/sys/devices/virtual/powercap"};
  for (size_t i = 0; i < sizeof(masked) / sizeof(masked[0]); ++i) {
    struct stat st;
    if (lstat(masked[i], &st) != 0) continue;
    if (S_ISDIR(st.st_mode))
      mount_or_die("tmpfs", masked[i], "tmpfs", MS_RDONLY, NULL);
    else
      mount_or_die("/dev/null", masked[i], NULL, MS_BIND, NULL);
  }
  const char* readonly[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                            "/proc/sysrq-trigger"};
  for (size_t i = 0; i < sizeof(readonly) / sizeof(readonly[0]); ++i) {
    struct stat st;
    if (lstat(readonly[i], &st) != 0) continue;
    mount_or_die(readonly[i], readonly[i], NULL, MS_BIND | MS_REC, NULL);
    mount_or_die(NULL, readonly[i], NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL);
  }
}

static void drop_capabilities(uid_t uid, gid_t gid, int as_user) {
  FILE* f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  int last = CAP_LAST_CAP;
  if (f) {
    if (fscanf(f, "%d", &last) != 1) last = CAP_LAST_CAP;
    fclose(f);
  }
  for (int cap = 0; cap <= last; ++cap)
    if (!in_docker_set(cap) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) die("PR_CAPBSET_DROP");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) die("PR_CAP_AMBIENT");
  if (as_user) {
    // A plain uid: the id changes clear every capability (no keepcaps).
    if (setgroups(0, NULL) != 0) die("setgroups");
    if (setresgid(gid, gid, gid) != 0) die("setresgid");
    if (setresuid(uid, uid, uid) != 0) die("setresuid");
    return;
  }
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof(data));
  for (size_t i = 0; i < sizeof(kDockerCaps) / sizeof(kDockerCaps[0]); ++i) {
    const int cap = kDockerCaps[i];
    data[cap / 32].effective |= 1u << (cap % 32);
    data[cap / 32].permitted |= 1u << (cap % 32);
  }
  if (syscall(SYS_capset, &header, data) != 0) die("capset");
}

int main(int argc, char** argv) {
  int as_user = 0, no_new_privs = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  int i = 1;
  for (; i < argc; ++i) {
    if (strcmp(argv[i], "--") == 0) {
      ++i;
      break;
    }
    if (strcmp(argv[i], "--user") == 0 && i + 1 < argc) {
      char* end = NULL;
      uid = (uid_t)strtoul(argv[++i], &end, 10);
      gid = *end == ':' ? (gid_t)strtoul(end + 1, NULL, 10) : (gid_t)uid;
      as_user = 1;
    } else if (strcmp(argv[i], "--no-new-privileges") == 0) {
      no_new_privs = 1;
    } else {
      fprintf(stderr, "usage: dockerlike [--user UID[:GID]] [--no-new-privileges] -- COMMAND...\n");
      return 125;
    }
  }
  if (i >= argc) {
    fprintf(stderr, "dockerlike: missing COMMAND\n");
    return 125;
  }
  if (geteuid() != 0) {
    fprintf(stderr, "dockerlike: must start as root\n");
    return 125;
  }
  if (unshare(CLONE_NEWNS) != 0) die("unshare(CLONE_NEWNS)");
  mount_or_die(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
  docker_dev();
  docker_proc_paths();
  install_profile(no_new_privs);
  drop_capabilities(uid, gid, as_user);
  execvp(argv[i], argv + i);
  fprintf(stderr, "dockerlike: %s: %s\n", argv[i], strerror(errno));
  return errno == ENOENT ? 127 : 126;
}
