// proc_escape: every way this program knows to reach a process outside its pid space through
// /proc names nothing, as in a pid namespace: the runner's outside witness
// (VPIDBOX_TEST_OUTSIDE_PID, see isolation.c) by its number, through /proc/<n>, "..", a
// directory fd of /proc, symlinks into /proc, the self, thread-self and root links, and every
// kind of call (open, openat, openat2, stat, lstat, statx, statfs, access, readlink, chdir,
// execve, mkdir, getxattr, inotify_add_watch). The same routes with init's own number (1) reach
// init: the box's /proc answers for the box. docs/pid-semantics.md F.52, F.53.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common.h"

// "key=ok" or "key=ENAME".
static void result(const char* key, long r) {
  if (r < 0)
    printf("%s=%s\n", key, strerrorname_np(errno));
  else
    printf("%s=ok\n", key);
}

static void try_open(const char* key, int dirfd, const char* path) {
  int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  result(key, fd);
  if (fd >= 0) close(fd);
}

static void try_openat2_beneath(const char* key, int dirfd, const char* path) {
  struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_BENEATH};
  int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  result(key, fd);
  if (fd >= 0) close(fd);
}

static void try_stat(const char* key, int dirfd, const char* path, int flags) {
  struct stat st;
  result(key, fstatat(dirfd, path, &st, flags));
}

static void try_readlink(const char* key, int dirfd, const char* path) {
  char buf[256];
  result(key, readlinkat(dirfd, path, buf, sizeof buf));
}

// The calls that take a path, with `number` in place of N in each pattern.
static void routes(const char* who, const char* number) {
  char path[256], key[128];
#define P(fmt) (snprintf(path, sizeof path, fmt, number), path)
#define K(name) (snprintf(key, sizeof key, "%s_%s", who, name), key)
  try_open(K("open_status"), AT_FDCWD, P("/proc/%s/status"));
  try_open(K("open_cmdline"), AT_FDCWD, P("/proc/%s/cmdline"));
  try_open(K("open_environ"), AT_FDCWD, P("/proc/%s/environ"));
  try_open(K("open_self_dotdot"), AT_FDCWD, P("/proc/self/../%s/status"));
  try_open(K("open_thread_self_dotdot"), AT_FDCWD, P("/proc/thread-self/../../%s/status"));
  try_open(K("open_1_dotdot"), AT_FDCWD, P("/proc/1/../%s/stat"));
  try_open(K("open_root_link"), AT_FDCWD, P("/proc/self/root/proc/%s/status"));
  try_open(K("open_slashes"), AT_FDCWD, P("//proc//./%s//status"));
  try_stat(K("stat"), AT_FDCWD, P("/proc/%s"), 0);
  try_stat(K("lstat"), AT_FDCWD, P("/proc/%s"), AT_SYMLINK_NOFOLLOW);
  try_stat(K("stat_self_dotdot"), AT_FDCWD, P("/proc/self/../%s"), 0);
  struct statx sx;
  result(K("statx"), statx(AT_FDCWD, P("/proc/%s/stat"), 0, STATX_BASIC_STATS, &sx));
  struct statfs sf;
  result(K("statfs"), statfs(P("/proc/%s"), &sf));
  result(K("access"), access(P("/proc/%s/status"), R_OK));
  result(K("faccessat2"), (long)syscall(SYS_faccessat2, AT_FDCWD, P("/proc/%s"), F_OK, 0));
  try_readlink(K("readlink_exe"), AT_FDCWD, P("/proc/%s/exe"));
  try_readlink(K("readlink_cwd"), AT_FDCWD, P("/proc/%s/cwd"));
  char value[64];
  result(K("getxattr"), getxattr(P("/proc/%s"), "user.vpidbox", value, sizeof value));
  int in = inotify_init1(IN_CLOEXEC);
  result(K("inotify"), inotify_add_watch(in, P("/proc/%s"), IN_ALL_EVENTS));
  close(in);

  // Relative to a directory fd of /proc, and of /proc/self.
  int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc < 0) die("open /proc");
  int self = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (self < 0) die("open /proc/self");
  try_open(K("openat_dir"), proc, P("%s/status"));
  try_openat2_beneath(K("openat2_beneath"), proc, P("%s/status"));
  int dir = openat(proc, number, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  result(K("openat_dirfd_of_n"), dir);
  if (dir >= 0) {
    try_open(K("openat_n_status"), dir, "status");
    close(dir);
  }
  try_stat(K("fstatat_dir"), proc, number, 0);
  try_readlink(K("readlinkat_dir"), proc, P("%s/exe"));
  try_open(K("openat_self_dotdot"), self, P("../%s/status"));

  // Symlinks into /proc, made by this program.
  char link[128];
  snprintf(link, sizeof link, "/tmp/vpidbox-escape-%d-%s", (int)getpid(), who);
  if (symlink(P("/proc/%s"), link) != 0) die("symlink");
  snprintf(path, sizeof path, "%s/status", link);
  try_open(K("open_via_symlink"), AT_FDCWD, path);
  try_stat(K("stat_via_symlink"), AT_FDCWD, link, 0);
  unlink(link);
  if (symlink(P("/proc/self/../%s"), link) != 0) die("symlink");
  try_stat(K("stat_via_symlink_dotdot"), AT_FDCWD, link, 0);
  unlink(link);

  // chdir into it, by path and relative to the /proc directory fd.
  char cwd[256];
  if (getcwd(cwd, sizeof cwd) == NULL) die("getcwd");
  int r = chdir(P("/proc/%s"));
  result(K("chdir"), r);
  if (r == 0) {
    char here[256];
    printf("%s=%s\n", K("getcwd_after_chdir"), getcwd(here, sizeof here) ? here : "failed");
    try_open(K("open_relative_after_chdir"), AT_FDCWD, "status");
  }
  if (fchdir(proc) != 0) die("fchdir");
  result(K("chdir_relative_to_proc"), chdir(number));
  if (chdir(cwd) != 0) die("chdir back");

  // mkdir of the name: EEXIST only where it exists.
  result(K("mkdir"), mkdir(P("/proc/%s"), 0755));

  // Exec of its executable, in a child.
  fflush(stdout);
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    char* argv[] = {"escape-exec", NULL};  // run as that, this program exits at once
    execv(P("/proc/%s/exe"), argv);
    _exit(errno == ENOENT ? 2 : 3);
  }
  int status;
  if (waitpid(child, &status, 0) != child) die("waitpid");
  printf("%s=%s\n", K("execve_exe"),
         WIFEXITED(status) && WEXITSTATUS(status) == 2   ? "ENOENT"
         : WIFEXITED(status) && WEXITSTATUS(status) == 3 ? "other_error"
                                                         : "executed");
  close(self);
  close(proc);
#undef P
#undef K
}

// Whether the /proc listing has the entry.
static void listed(const char* key, const char* name) {
  DIR* d = opendir("/proc");
  if (!d) die("opendir /proc");
  int found = 0;
  for (struct dirent* e; (e = readdir(d)) != NULL;) found |= strcmp(e->d_name, name) == 0;
  closedir(d);
  printf("%s=%s\n", key, found ? "yes" : "no");
}

int main(int argc, char** argv) {
  if (argc > 0 && strcmp(argv[0], "escape-exec") == 0) return 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  alarm(20);
  const char* outside = getenv("VPIDBOX_TEST_OUTSIDE_PID");
  if (!outside || !*outside) {
    printf("outside=unset\n");
    return 0;
  }
  listed("outside_listed", outside);
  listed("init_listed", "1");
  routes("outside", outside);
  routes("init", "1");
  return 0;
}
