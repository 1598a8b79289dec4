// signal_permissions: who may signal whom, asked with signal 0 (the box answers these questions
// itself, from the credentials) and sent with a real signal (kill's the box's supervisor checks
// before it sends it; tkill's and tgkill's the kernel answers in the caller's context): all must
// agree with the kernel's kill_ok_by_cred(). A target of uid 1000
// is asked about by a process of another uid (EPERM), by one whose real uid is the target's saved
// uid (allowed), by one holding CAP_KILL without being root (allowed), by a thread that alone
// took another uid (credentials are per thread: EPERM for it, not for its process), by a process
// in a user namespace of its own (CAP_KILL there is not CAP_KILL over the target's: EPERM), and
// through the target's process group (EPERM when no member may be signalled).
// docs/pid-semantics.md F.42 (what a process names it reaches: kill, tkill, tgkill, by its
// credentials), F.44 (kill(-1): EPERM does not count), F.48 (kill(-pgid)), G.57.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>

#include "common.h"

static pid_t target;

// Every way of asking about `pid` (a process leading its own group) with signal 0, and one real
// signal the target ignores, so that a success changes nothing.
static void ask(const char* who, pid_t pid) {
  char key[96];
  snprintf(key, sizeof(key), "%s_kill_0", who);
  show(key, kill(pid, 0));
  snprintf(key, sizeof(key), "%s_tkill_0", who);
  show(key, syscall(SYS_tkill, pid, 0));
  snprintf(key, sizeof(key), "%s_tgkill_0", who);
  show(key, syscall(SYS_tgkill, pid, pid, 0));
  snprintf(key, sizeof(key), "%s_kill_group_0", who);
  show(key, kill(-pid, 0));
  snprintf(key, sizeof(key), "%s_kill_urg", who);
  show(key, kill(pid, SIGURG));
  // The supervisor sends these for the box: the caller's permission is its to check.
  snprintf(key, sizeof(key), "%s_kill_group_urg", who);
  show(key, kill(-pid, SIGURG));
  snprintf(key, sizeof(key), "%s_kill_all_urg", who);
  show(key, kill(-1, SIGURG));  // EPERM does not count: 0 while anything is there
  // SIGCONT may be sent within one's session whatever the ids.
  snprintf(key, sizeof(key), "%s_kill_cont", who);
  show(key, kill(pid, SIGCONT));
  snprintf(key, sizeof(key), "%s_kill_group_cont", who);
  show(key, kill(-pid, SIGCONT));
}

static void as_ids(uid_t r, uid_t e, uid_t s) {
  if (setresuid(r, e, s) != 0) die("setresuid");
}

// A child that runs `check` and exits; the parent waits for it.
static void in_child(void (*check)(void)) {
  if (fork_flushed() == 0) {
    check();
    fflush(stdout);
    _exit(0);
  }
  wait_one("checker");
}

static void other_user(void) {
  as_ids(1001, 1001, 1001);
  ask("other_user", target);
  show("other_user_kill_init_0", kill(1, 0));
  show("other_user_kill_self_0", kill(getpid(), 0));
}

static void saved_uid_match(void) {
  as_ids(1002, 1002, 1000);  // its saved uid is the target's real uid: not enough
  ask("own_saved_uid", target);
  as_ids(1000, 1002, 1002);  // its real uid is the target's: enough
  ask("real_uid_match", target);
}

static void cap_kill_holder(void) {
  if (prctl(PR_SET_KEEPCAPS, 1) != 0) die("keepcaps");
  as_ids(1003, 1003, 1003);
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {{0}};
  data[0].effective = data[0].permitted = 1u << CAP_KILL;
  show("cap_kill_capset", syscall(SYS_capset, &header, data));
  ask("cap_kill", target);
}

static void* thread_with_other_ids(void* arg) {
  (void)arg;
  // The raw syscall changes this thread's credentials only (glibc's wrapper would change all).
  show("thread_setresuid", syscall(SYS_setresuid, 1004, 1004, 1004));
  ask("thread_other_user", target);
  show("thread_other_user_kill_own_process_0", kill(getpid(), 0));
  return NULL;
}

static void per_thread_credentials(void) {
  pthread_t thread;
  if (pthread_create(&thread, NULL, thread_with_other_ids, NULL) != 0) die("pthread_create");
  pthread_join(thread, NULL);
  ask("thread_root_sibling", target);
}

static void own_user_namespace(void) {
  as_ids(1005, 1005, 1005);
  const int made = unshare(CLONE_NEWUSER);
  show("userns_unshare", made);
  if (made != 0) return;
  ask("userns_cap_kill", target);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  alarm(15);
  int gate[2], ready[2];
  if (pipe(ready) != 0) die("pipe");
  target = fork_gated(gate);
  if (target == 0) {
    // The target: uid 1000, leading a group of its own, ignoring SIGURG (its default, too).
    close(ready[0]);
    if (setpgid(0, 0) != 0) die("setpgid");
    signal(SIGURG, SIG_IGN);
    as_ids(1000, 1000, 1000);
    close(ready[1]);
    await_eof(gate[0]);
    _exit(0);
  }
  close(ready[1]);
  await_eof(ready[0]);
  ask("root", target);
  in_child(other_user);
  in_child(saved_uid_match);
  in_child(cap_kill_holder);
  in_child(per_thread_credentials);
  in_child(own_user_namespace);
  close(gate[1]);
  wait_one("target");
  return 0;
}
