// randprog: a seeded random program for differential testing of vpidbox.
//
//   randprog SEED            runs the program SEED generates (as init of a box or a pid namespace)
//   randprog --print SEED    prints that program in readable form, with the model's predictions
//
// The seed drives a small PRNG (splitmix64) that generates a script: a list of steps, each one
// operation (fork, exit, wait4/waitid, kill, tgkill, setpgid, setsid, getpgid/getsid, sigaction,
// sigprocmask, sigwaitinfo, sigpending, threads, exec) done by one process of the tree. A model of
// the tree (states, parents, groups, sessions, dispositions, masks, pending signals) is updated as
// the script is generated, so that only steps whose outcome does not depend on scheduling are
// chosen (no blocking wait without a zombie to reap, no two deaths racing to notify one parent).
//
// Running: init (slot 0) is the coordinator. It hands each step to its actor through the actor's
// command pipe and waits for the actor's acknowledgement, so exactly one process runs at a time
// and the order of the printed lines is fixed. Every line starts with the printer's slot ("p3:")
// and shows the numbers the process observed. Signal handlers only record their siginfo; the
// process prints the records at fixed points (after each step it runs, and when it is handed a
// step), by when every signal sent to it has been delivered (a signal pending at a blocked
// process is delivered before the syscall that wakes it returns to user space). After a step
// that ends processes, the coordinator has each one's parent wait for it with
// waitid(WNOWAIT), which returns once it is a zombie, without reaping it.
//
// exec re-executes this program with --resume SEED SLOT STEP TABLE; the script is generated
// again from the seed, and TABLE carries the numbers the coordinator has learned.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kMaxProcs = 10, kMaxXthreads = 8, kXthreadsPerProc = 2, kMaxSteps = 96, kBogusPid = 4000 };

// Fixed fds, inherited by every process and kept across exec: slot s reads its commands from
// kCmdRead + s; every process writes acknowledgements to kAckWrite.
enum { kAckRead = 98, kAckWrite = 99, kCmdRead = 100, kCmdWrite = 120 };

// The signals the programs use: indices 0..4 can be handled, blocked and ignored; kSigKill and
// kSigNull (signal 0) only be sent.
enum { kNumSigs = 5, kSigChldIndex = 3, kSigRtIndex = 4, kSigKill = 5, kSigNull = 6 };

static int signal_number(int index) {
  switch (index) {
    case 0:
      return SIGUSR1;
    case 1:
      return SIGUSR2;
    case 2:
      return SIGTERM;
    case 3:
      return SIGCHLD;
    case 4:
      return SIGRTMIN + 2;
    case kSigKill:
      return SIGKILL;
    default:
      return 0;
  }
}

static const char* signal_name(int sig) {
  static char rt[2][16];
  static int which;
  if (sig == 0) return "0";
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
    which ^= 1;
    snprintf(rt[which], sizeof rt[which], "RTMIN+%d", sig - SIGRTMIN);
    return rt[which];
  }
  const char* name = sigabbrev_np(sig);
  return name ? name : "?";
}

// ---------------------------------------------------------------------------------------------
// PRNG

static uint64_t rng_state;

static uint64_t next_random(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static int pick(int n) {
  return (int)(next_random() % (uint64_t)n);
}

// ---------------------------------------------------------------------------------------------
// The script

enum op {
  OP_IDS,
  OP_FORK,
  OP_EXIT,
  OP_WAIT,
  OP_KILL,
  OP_TGKILL,
  OP_SETPGID,
  OP_SETSID,
  OP_QUERY,
  OP_SIGACTION,
  OP_SIGMASK,
  OP_SIGWAIT,
  OP_SIGPENDING,
  OP_THREAD,
  OP_XSPAWN,
  OP_XSTOP,
  OP_EXEC,
  OP_FINAL,
  OP_COUNT
};

static const char* const op_names[OP_COUNT] = {
    "ids",        "fork",   "exit",          "wait",         "kill",        "tgkill",
    "setpgid",    "setsid", "query",         "sigaction",    "sigprocmask", "sigwait",
    "sigpending", "thread", "xthread-spawn", "xthread-stop", "exec",        "final"};

// Kinds of each operation.
enum { W4_PID, W4_ANY, W4_ZERO, W4_NEGPG, WID_PID, WID_ALL, WID_PGID, WID_PGID0, W_KINDS };
enum { K_PID, K_GETPPID, K_SELF, K_ZERO, K_NEGPG, K_MINUS1, K_BOGUS, K_KINDS };
enum { TG_SELF, TG_MAIN, TG_XTHREAD, TG_MISMATCH, TG_KINDS };
enum {
  SP_00,
  SP_SELF_TO,
  SP_CHILD_SELF,
  SP_CHILD_MINE,
  SP_CHILD_TO,
  SP_OTHER,
  SP_XTHREAD,
  SP_KINDS
};
enum { Q_ZERO, Q_PID, Q_XTHREAD, Q_BOGUS, Q_KINDS };
enum { D_DFL, D_HANDLER, D_HANDLER_RESTART, D_IGN, D_KINDS };
enum { M_BLOCK, M_UNBLOCK, M_UNBLOCK_ALL, M_KINDS };
enum { T_IDS, T_TGKILL, T_KILL, T_KINDS };
enum { F_REAP, F_LEAVE };
enum { kWnohang = 1, kWnowait = 2 };
enum { kNoSlot = -1, kBogusSlot = -2 };

struct step {
  int actor;
  int op;
  int kind;
  int t;     // target slot (kNoSlot, kBogusSlot)
  int g;     // slot whose pid names a process group
  int x;     // global xthread index
  int sig;   // signal index (or disposition target for sigaction)
  int disp;  // sigaction disposition
  int flags;
  int code;       // exit code
  int new_slot;   // fork
  int predicted;  // wait: slot reaped (or kNoSlot); sigwait: 1 if a signal is pending
  int nsyncs;
  int sync[kMaxProcs];  // processes that must run (their handlers) before the next step
  int ndeaths;
  int death[kMaxProcs];
  int confirmer[kMaxProcs];
  int actor_dies;
};

static struct step steps[kMaxSteps];
static int nsteps;

// ---------------------------------------------------------------------------------------------
// The model

enum pstate { UNUSED, ALIVE, ZOMBIE, REAPED };

struct mproc {
  int state;
  int parent;
  int seq;   // order among the parent's children (the kernel's children list order)
  int pgid;  // slot whose pid is the group's number; kNoSlot: init's group, outside
  int sid;   // likewise
  int did_exec;
  int disp[kNumSigs];
  unsigned blocked;
  int pend_private[kNumSigs];  // pending on the main thread (tgkill)
  int pend_shared[kNumSigs];   // pending on the process (kill)
  int dying;
  int needs_sync;  // got a signal its handler takes while it waits for a command
};

struct model {
  struct mproc p[kMaxProcs];
  int nprocs;
  int seq;
  int nxthreads;
  int xthread_owner[kMaxXthreads];
  int xthread_alive[kMaxXthreads];
};

static int exists(const struct model* m, int s) {
  return s >= 0 && (m->p[s].state == ALIVE || m->p[s].state == ZOMBIE);
}

static int is_child(const struct model* m, int parent, int s) {
  return exists(m, s) && m->p[s].parent == parent;
}

static int group_exists(const struct model* m, int g) {
  for (int s = 0; s < m->nprocs; s++)
    if (exists(m, s) && m->p[s].pgid == g) return 1;
  return 0;
}

static int live_xthreads(const struct model* m, int s) {
  int n = 0;
  for (int x = 0; x < m->nxthreads; x++)
    if (m->xthread_alive[x] && m->xthread_owner[x] == s) n++;
  return n;
}

static int fatal_by_default(int sig_index) {
  return sig_index != kSigChldIndex;
}

// A signal sent to process s (shared: to the process; else to its main thread).
static void deliver(struct model* m, int s, int sig_index, int shared) {
  struct mproc* p = &m->p[s];
  if (p->state != ALIVE || sig_index == kSigNull) return;
  if (sig_index == kSigKill) {
    if (s != 0) p->dying = 1;  // init ignores SIGKILL from inside its namespace
    return;
  }
  if (p->blocked & (1u << sig_index)) {  // blocked signals are queued, even ignored ones
    int* pending = shared ? &p->pend_shared[sig_index] : &p->pend_private[sig_index];
    if (sig_index == kSigRtIndex)
      (*pending)++;
    else
      *pending = 1;
    return;
  }
  if (p->disp[sig_index] == D_DFL && fatal_by_default(sig_index) && s != 0) p->dying = 1;
  // A handler runs when its process next gets the CPU: two signals of one number sent to a
  // waiting process in two steps merge or not, by timing, unless it runs in between.
  if (p->disp[sig_index] == D_HANDLER || p->disp[sig_index] == D_HANDLER_RESTART) p->needs_sync = 1;
}

// SIGCHLD can be observed (a handler records it, or it is queued while blocked): then the
// number of SIGCHLDs and the first one's si_pid depend on timing when several children die at
// once.
static int sigchld_observable(const struct model* m) {
  for (int s = 0; s < m->nprocs; s++) {
    const struct mproc* p = &m->p[s];
    if (p->state != ALIVE) continue;
    if (p->disp[kSigChldIndex] == D_HANDLER || p->disp[kSigChldIndex] == D_HANDLER_RESTART ||
        (p->blocked & (1u << kSigChldIndex)))
      return 1;
  }
  return 0;
}

static int has_children(const struct model* m, int s) {
  for (int c = 0; c < m->nprocs; c++)
    if (is_child(m, s, c)) return 1;
  return 0;
}

// Turns the dying processes into zombies, parents first, and records who confirms each (its
// parent when it has died). Returns 0 if the outcome would depend on timing.
static int settle_deaths(struct model* m, struct step* st, int sigchld_seen_before) {
  int ndying = 0, with_children = 0;
  for (int s = 0; s < m->nprocs; s++) {
    if (!m->p[s].dying) continue;
    ndying++;
    if (has_children(m, s)) with_children++;
  }
  if (ndying >= 2 && (sigchld_seen_before || with_children >= 2)) return 0;
  // One death can still send init several SIGCHLDs at once: one per zombie child handed to it,
  // and its own if init is its parent. Whether they merge into one pending SIGCHLD depends on
  // timing (in the box, the exit of a traced process reaches its parent only once the supervisor
  // has seen it): not generated while init can observe SIGCHLD.
  const struct mproc* init = &m->p[0];
  if (ndying == 1 &&
      (init->disp[kSigChldIndex] == D_HANDLER || init->disp[kSigChldIndex] == D_HANDLER_RESTART ||
       (init->blocked & (1u << kSigChldIndex)))) {
    int notifications = 0;
    for (int s = 0; s < m->nprocs; s++) {
      if (!m->p[s].dying) continue;
      notifications += m->p[s].parent == 0;
      for (int c = 0; c < m->nprocs; c++)
        notifications += is_child(m, s, c) && m->p[c].state == ZOMBIE;
    }
    if (notifications >= 2) return 0;
  }
  st->nsyncs = 0;
  for (int s = 1; s < m->nprocs; s++) {
    if (m->p[s].needs_sync && !m->p[s].dying && m->p[s].state == ALIVE && s != st->actor)
      st->sync[st->nsyncs++] = s;
    m->p[s].needs_sync = 0;
  }
  m->p[0].needs_sync = 0;  // init waits in read(): it runs its handlers before the next step
  st->ndeaths = 0;
  while (ndying > 0) {
    int d = -1;
    for (int s = 0; s < m->nprocs && d < 0; s++)
      if (m->p[s].dying && !m->p[m->p[s].parent].dying) d = s;
    struct mproc* p = &m->p[d];
    st->death[st->ndeaths] = d;
    st->confirmer[st->ndeaths] = p->parent;
    st->ndeaths++;
    if (d == st->actor) st->actor_dies = 1;
    p->dying = 0;
    p->state = ZOMBIE;
    memset(p->pend_private, 0, sizeof p->pend_private);
    memset(p->pend_shared, 0, sizeof p->pend_shared);
    for (int x = 0; x < m->nxthreads; x++)
      if (m->xthread_owner[x] == d) m->xthread_alive[x] = 0;
    // Orphans go to init, in the order of the dead parent's children list.
    for (;;) {
      int next = -1;
      for (int c = 0; c < m->nprocs; c++)
        if (is_child(m, d, c) && (next < 0 || m->p[c].seq < m->p[next].seq)) next = c;
      if (next < 0) break;
      m->p[next].parent = 0;
      m->p[next].seq = ++m->seq;
    }
    ndying--;
  }
  return 1;
}

static int random_alive(const struct model* m) {
  int candidates[kMaxProcs] = {0}, n = 0;
  for (int s = 0; s < m->nprocs; s++)
    if (m->p[s].state == ALIVE) candidates[n++] = s;
  return candidates[pick(n)];
}

// A random slot that is a child of a (alive or zombie) if any and by chance; else any slot.
static int random_target(const struct model* m, int a) {
  int children[kMaxProcs], n = 0;
  for (int s = 0; s < m->nprocs; s++)
    if (is_child(m, a, s)) children[n++] = s;
  if (n > 0 && pick(3) != 0) return children[pick(n)];
  return pick(m->nprocs);
}

// A slot naming an existing group (by chance), else any slot but init's... init's own number
// names a group only if init made one.
static int random_group(const struct model* m) {
  int groups[kMaxProcs], n = 0;
  for (int s = 0; s < m->nprocs; s++)
    if (group_exists(m, s)) groups[n++] = s;
  if (n > 0 && pick(4) != 0) return groups[pick(n)];
  return pick(m->nprocs);
}

static int random_signal(void) {
  int r = pick(20);
  if (r < 2) return kSigKill;
  if (r < 4) return kSigNull;
  return pick(kNumSigs);
}

static int wait_matches(const struct model* m, int a, int kind, int t, int g, int c) {
  switch (kind) {
    case W4_PID:
    case WID_PID:
      return c == t;
    case W4_ANY:
    case WID_ALL:
      return 1;
    case W4_ZERO:
    case WID_PGID0:
      return m->p[c].pgid == m->p[a].pgid;
    default:
      return m->p[c].pgid == g;
  }
}

// The result of setpgid(pid of t, pid of g (kNoSlot: 0)) by a, as the kernel decides it; on
// success, applies it. Returns 0 or an errno.
static int model_setpgid(struct model* m, int a, int t, int g) {
  if (!exists(m, t) || t < 0) return ESRCH;
  if (m->p[t].state != ALIVE) return -1;  // not generated: zombies
  if (g == kNoSlot) g = t;
  if (t == a || m->p[t].parent == a) {
    if (t != a && m->p[t].sid != m->p[a].sid) return EPERM;
    if (t != a && m->p[t].did_exec) return EACCES;
  } else {
    return ESRCH;
  }
  if (m->p[t].sid == t) return EPERM;
  if (g != t) {
    int member = -1;
    for (int s = 0; s < m->nprocs && member < 0; s++)
      if (exists(m, s) && m->p[s].pgid == g) member = s;
    if (member < 0 || m->p[member].sid != m->p[a].sid) return EPERM;
  }
  m->p[t].pgid = g;
  return 0;
}

// Generates one step by a random living actor into *st, updating *m. Returns 0 if the step
// drawn is not allowed (the caller draws again with the model unchanged).
static int generate_step(struct model* m, struct step* st) {
  static const int weights[OP_COUNT] = {
      [OP_IDS] = 3,     [OP_FORK] = 14,   [OP_EXIT] = 6,       [OP_WAIT] = 12,  [OP_KILL] = 14,
      [OP_TGKILL] = 6,  [OP_SETPGID] = 8, [OP_SETSID] = 4,     [OP_QUERY] = 5,  [OP_SIGACTION] = 10,
      [OP_SIGMASK] = 8, [OP_SIGWAIT] = 5, [OP_SIGPENDING] = 2, [OP_THREAD] = 5, [OP_XSPAWN] = 3,
      [OP_XSTOP] = 2,   [OP_EXEC] = 4};
  int total = 0;
  for (int o = 0; o < OP_COUNT; o++) total += weights[o];
  int r = pick(total), op = 0;
  while (r >= weights[op]) r -= weights[op++];

  memset(st, 0, sizeof *st);
  int a = random_alive(m);
  struct mproc* pa = &m->p[a];
  int sigchld_seen = sigchld_observable(m);
  st->actor = a;
  st->op = op;
  st->t = st->g = st->x = st->new_slot = st->predicted = kNoSlot;

  switch (op) {
    case OP_IDS:
      break;
    case OP_FORK: {
      if (m->nprocs >= kMaxProcs) return 0;
      int c = m->nprocs++;
      struct mproc* pc = &m->p[c];
      *pc = *pa;
      pc->state = ALIVE;
      pc->parent = a;
      pc->seq = ++m->seq;
      pc->did_exec = 0;
      memset(pc->pend_private, 0, sizeof pc->pend_private);
      memset(pc->pend_shared, 0, sizeof pc->pend_shared);
      st->new_slot = c;
      break;
    }
    case OP_EXIT:
      if (a == 0) return 0;
      st->code = pick(4) == 0 ? pick(256) : pick(4);
      pa->dying = 1;
      break;
    case OP_WAIT: {
      st->kind = pick(W_KINDS);
      if (st->kind == W4_PID || st->kind == WID_PID)
        st->t = pick(10) == 0 ? kBogusSlot : random_target(m, a);
      if (st->kind == W4_NEGPG || st->kind == WID_PGID) {
        st->g = random_group(m);
        if (st->kind == W4_NEGPG && st->g == 0) return 0;  // -1 is "any child"
      }
      st->flags = pick(2) ? kWnohang : 0;
      if (st->kind >= WID_PID && pick(4) == 0) st->flags |= kWnowait;
      int reaped = -1, any = 0;
      for (int c = 0; c < m->nprocs; c++) {
        if (!is_child(m, a, c) || !wait_matches(m, a, st->kind, st->t, st->g, c)) continue;
        any = 1;
        if (m->p[c].state == ZOMBIE && (reaped < 0 || m->p[c].seq < m->p[reaped].seq)) reaped = c;
      }
      if (reaped < 0 && any && !(st->flags & kWnohang)) return 0;  // would block for good
      st->predicted = reaped;
      if (reaped >= 0 && !(st->flags & kWnowait)) m->p[reaped].state = REAPED;
      break;
    }
    case OP_KILL: {
      st->kind = pick(K_KINDS);
      st->sig = random_signal();
      switch (st->kind) {
        case K_PID:
          st->t = random_target(m, a);
          if (exists(m, st->t)) deliver(m, st->t, st->sig, 1);
          break;
        case K_GETPPID:
          if (a == 0) return 0;  // getppid() is 0 there: kill(0)
          deliver(m, pa->parent, st->sig, 1);
          break;
        case K_SELF:
          deliver(m, a, st->sig, 1);
          break;
        case K_ZERO:
        case K_NEGPG: {
          // kill(0) from init's original group would reach the runner's processes in the
          // oracle (README: "kill(0, sig) reaches only the box's members"): not generated.
          int g = st->kind == K_ZERO ? pa->pgid : random_group(m);
          if (g == kNoSlot || (g == 0 && st->kind == K_NEGPG)) return 0;
          st->g = g;
          for (int s = 0; s < m->nprocs; s++)
            if (m->p[s].state == ALIVE && m->p[s].pgid == g) deliver(m, s, st->sig, 1);
          break;
        }
        case K_MINUS1:
          for (int s = 1; s < m->nprocs; s++)
            if (s != a && m->p[s].state == ALIVE) deliver(m, s, st->sig, 1);
          break;
        case K_BOGUS:
          break;
      }
      break;
    }
    case OP_TGKILL:
      st->kind = pick(TG_KINDS);
      st->sig = random_signal();
      switch (st->kind) {
        case TG_SELF:
          deliver(m, a, st->sig, 0);
          break;
        case TG_MAIN:
          st->t = random_target(m, a);
          if (exists(m, st->t)) deliver(m, st->t, st->sig, 0);
          break;
        case TG_XTHREAD:
          // Only living xthreads: in the box, a thread that has ended stays signalable (a traced
          // zombie) until the supervisor has reaped it, a window the oracle barely has.
          if (m->nxthreads == 0) return 0;
          st->x = pick(m->nxthreads);
          if (!m->xthread_alive[st->x]) return 0;
          st->t = m->xthread_owner[st->x];
          // The xthread blocks every signal: only SIGKILL does something (to the process).
          if (m->xthread_alive[st->x] && st->sig == kSigKill) deliver(m, st->t, kSigKill, 0);
          break;
        case TG_MISMATCH:
          st->t = pick(m->nprocs);
          if (st->t == a) return 0;
          if (st->sig == kSigNull) st->sig = 0;
          break;
      }
      break;
    case OP_SETPGID: {
      st->kind = pick(SP_KINDS);
      int t = a, g = kNoSlot;
      switch (st->kind) {
        case SP_00:
          break;
        case SP_SELF_TO:
          g = st->g = random_group(m);
          // init in a group named by another process: when that process is gone, init's exit
          // never ends in the oracle (the kernel waits for every number of the namespace to be
          // freed, and init's group holds one). Not generated.
          if (a == 0 && g != 0) return 0;
          break;
        case SP_CHILD_SELF:
        case SP_CHILD_MINE:
        case SP_CHILD_TO:
          t = st->t = random_target(m, a);
          if (st->t == a) return 0;
          if (st->kind == SP_CHILD_MINE) g = pa->pgid;  // kNoSlot (getpgid 0): t's own group
          if (st->kind == SP_CHILD_TO) g = st->g = random_group(m);
          break;
        case SP_OTHER:
          t = st->t = pick(m->nprocs);
          if (st->t == a || is_child(m, a, st->t)) return 0;
          break;
        case SP_XTHREAD:
          if (live_xthreads(m, a) == 0) return 0;
          for (int x = 0; x < m->nxthreads; x++)
            if (m->xthread_alive[x] && m->xthread_owner[x] == a) st->x = x;
          return 1;  // EINVAL: not a thread group leader
      }
      if (exists(m, t) && m->p[t].state != ALIVE) return 0;  // zombies: not generated
      int r = model_setpgid(m, a, t, g);
      if (r < 0) return 0;
      st->predicted = r;
      break;
    }
    case OP_SETSID:
      if (group_exists(m, a)) {
        st->predicted = EPERM;
      } else {
        pa->sid = pa->pgid = a;
        st->predicted = 0;
      }
      break;
    case OP_QUERY:
      st->kind = pick(Q_KINDS);
      if (st->kind == Q_PID) st->t = pick(m->nprocs);
      if (st->kind == Q_XTHREAD) {
        if (m->nxthreads == 0) return 0;
        st->x = pick(m->nxthreads);
        if (!m->xthread_alive[st->x]) return 0;  // see TG_XTHREAD
      }
      break;
    case OP_SIGACTION: {
      int s = st->sig = pick(kNumSigs);
      st->disp = pick(D_KINDS);
      if (s == kSigChldIndex && st->disp == D_IGN) return 0;  // would change how children reap
      pa->disp[s] = st->disp;
      // Setting a disposition that ignores the signal discards it when pending.
      if (st->disp == D_IGN || (st->disp == D_DFL && !fatal_by_default(s)))
        pa->pend_private[s] = pa->pend_shared[s] = 0;
      break;
    }
    case OP_SIGMASK: {
      st->kind = pick(M_KINDS);
      st->sig = pick(kNumSigs);
      unsigned unblocked = 0;
      if (st->kind == M_BLOCK) pa->blocked |= 1u << st->sig;
      if (st->kind == M_UNBLOCK) unblocked = pa->blocked & (1u << st->sig);
      if (st->kind == M_UNBLOCK_ALL) unblocked = pa->blocked;
      pa->blocked &= ~unblocked;
      for (int s = 0; s < kNumSigs; s++) {
        if (!(unblocked & (1u << s)) || !(pa->pend_private[s] + pa->pend_shared[s])) continue;
        pa->pend_private[s] = pa->pend_shared[s] = 0;
        if (pa->disp[s] == D_DFL && fatal_by_default(s) && a != 0) pa->dying = 1;
      }
      break;
    }
    case OP_SIGWAIT: {
      // sigwaitinfo if a blocked signal is pending (the kernel takes the thread's own queue
      // first, the lowest number first), else sigtimedwait with a zero timeout.
      int taken = -1;
      for (int s = 0; s < kNumSigs && taken < 0; s++)
        if ((pa->blocked & (1u << s)) && pa->pend_private[s]) taken = s, pa->pend_private[s]--;
      for (int s = 0; s < kNumSigs && taken < 0; s++)
        if ((pa->blocked & (1u << s)) && pa->pend_shared[s]) taken = s, pa->pend_shared[s]--;
      st->predicted = taken >= 0;
      break;
    }
    case OP_SIGPENDING:
      break;
    case OP_THREAD: {
      st->kind = pick(T_KINDS);
      st->sig = pick(kNumSigs + 2) < kNumSigs ? pick(kNumSigs) : kSigNull;
      if (st->kind == T_IDS) break;
      int s = st->sig;
      if (s == kSigNull) break;
      int blocked = pa->blocked & (1u << s);
      // A signal that would end the process while the thread prints is not generated.
      if (!blocked && pa->disp[s] == D_DFL && fatal_by_default(s) && a != 0) return 0;
      if (st->kind == T_KILL) deliver(m, a, s, 1);
      // T_TGKILL while blocked: queued on the thread, lost when it ends.
      break;
    }
    case OP_XSPAWN:
      if (live_xthreads(m, a) >= kXthreadsPerProc || m->nxthreads >= kMaxXthreads) return 0;
      st->x = m->nxthreads++;
      m->xthread_owner[st->x] = a;
      m->xthread_alive[st->x] = 1;
      break;
    case OP_XSTOP:
      for (int x = 0; x < m->nxthreads; x++)
        if (m->xthread_alive[x] && m->xthread_owner[x] == a) st->x = x;
      if (st->x < 0) return 0;
      m->xthread_alive[st->x] = 0;
      break;
    case OP_EXEC:
      pa->did_exec = 1;
      for (int s = 0; s < kNumSigs; s++)
        if (pa->disp[s] != D_IGN) pa->disp[s] = D_DFL;
      for (int x = 0; x < m->nxthreads; x++)
        if (m->xthread_owner[x] == a) m->xthread_alive[x] = 0;
      break;
  }
  return settle_deaths(m, st, sigchld_seen);
}

static uint64_t script_seed;
static int final_kind, final_code;

static void generate(uint64_t seed) {
  struct model m;
  memset(&m, 0, sizeof m);
  rng_state = seed;
  script_seed = seed;
  m.nprocs = 1;
  m.p[0].state = ALIVE;
  m.p[0].parent = 0;
  m.p[0].pgid = m.p[0].sid = kNoSlot;
  nsteps = 0;
  int wanted = 8 + pick(24);
  for (int i = 0; i < wanted && nsteps < kMaxSteps - 2 * kMaxProcs - 4; i++) {
    for (int tries = 0; tries < 200; tries++) {
      struct model trial = m;
      struct step st;
      if (!generate_step(&trial, &st)) continue;
      m = trial;
      steps[nsteps++] = st;
      if (st.op == OP_FORK) {  // the child shows what it sees, first thing
        memset(&st, 0, sizeof st);
        st.actor = steps[nsteps - 1].new_slot;
        st.op = OP_IDS;
        st.t = st.g = st.x = st.new_slot = st.predicted = kNoSlot;
        steps[nsteps++] = st;
      }
      break;
    }
  }
  // The end: every other process exits, the youngest first; init reaps them all (or exits and
  // leaves the last ones to be killed with it).
  final_kind = pick(5) == 0 ? F_LEAVE : F_REAP;
  final_code = pick(3) == 0 ? pick(120) : 0;  // not 124 or 137: timeout(1)'s codes
  int keep = final_kind == F_LEAVE ? pick(3) : 0;
  for (int s = m.nprocs - 1; s > 0; s--) {
    if (m.p[s].state != ALIVE) continue;
    if (keep > 0) {
      keep--;
      continue;
    }
    // Its zombie children first, so that its exit hands none to init (see settle_deaths).
    for (;;) {
      int c = -1;
      for (int z = 0; z < m.nprocs; z++)
        if (is_child(&m, s, z) && m.p[z].state == ZOMBIE && (c < 0 || m.p[z].seq < m.p[c].seq))
          c = z;
      if (c < 0) break;
      struct step st;
      memset(&st, 0, sizeof st);
      st.actor = s;
      st.op = OP_WAIT;
      st.kind = W4_PID;
      st.t = st.predicted = c;
      st.g = st.x = st.new_slot = kNoSlot;
      m.p[c].state = REAPED;
      steps[nsteps++] = st;
    }
    struct step st;
    memset(&st, 0, sizeof st);
    st.actor = s;
    st.op = OP_EXIT;
    st.code = pick(4);
    st.t = st.g = st.x = st.new_slot = st.predicted = kNoSlot;
    m.p[s].dying = 1;
    settle_deaths(&m, &st, 0);
    steps[nsteps++] = st;
  }
  struct step st;
  memset(&st, 0, sizeof st);
  st.op = OP_FINAL;
  st.kind = final_kind;
  st.code = final_code;
  st.t = st.g = st.x = st.new_slot = st.predicted = kNoSlot;
  steps[nsteps++] = st;
}

static void describe_slot(char* buf, size_t size, int s) {
  if (s == kBogusSlot)
    snprintf(buf, size, "%d", kBogusPid);
  else if (s == kNoSlot)
    snprintf(buf, size, "-");
  else
    snprintf(buf, size, "pid(p%d)", s);
}

static void print_script(void) {
  static const char* const wait_kinds[W_KINDS] = {
      "wait4(T)",        "wait4(-1)",     "wait4(0)",         "wait4(-pgid G)",
      "waitid(P_PID T)", "waitid(P_ALL)", "waitid(P_PGID G)", "waitid(P_PGID 0)"};
  static const char* const kill_kinds[K_KINDS] = {"kill(T)",   "kill(getppid())", "kill(getpid())",
                                                  "kill(0)",   "kill(-pgid G)",   "kill(-1)",
                                                  "kill(4000)"};
  static const char* const tg_kinds[TG_KINDS] = {"tgkill(self, self)", "tgkill(T, T)",
                                                 "tgkill(owner, xthread X)", "tgkill(T, own tid)"};
  static const char* const sp_kinds[SP_KINDS] = {
      "setpgid(0, 0)", "setpgid(0, G)",           "setpgid(T, T)",        "setpgid(T, getpgid(0))",
      "setpgid(T, G)", "setpgid(T, T) non-child", "setpgid(xthread X, X)"};
  static const char* const q_kinds[Q_KINDS] = {"getpgid/getsid(0)", "getpgid/getsid(T)",
                                               "getpgid/getsid(xthread X)", "getpgid/getsid(4000)"};
  static const char* const d_kinds[D_KINDS] = {"SIG_DFL", "handler", "handler SA_RESTART",
                                               "SIG_IGN"};
  static const char* const m_kinds[M_KINDS] = {"block", "unblock", "unblock all"};
  static const char* const t_kinds[T_KINDS] = {"ids", "tgkill(getpid(), gettid())",
                                               "kill(getpid())"};
  printf("seed %" PRIu64 ": %d steps\n", script_seed, nsteps);
  for (int i = 0; i < nsteps; i++) {
    const struct step* st = &steps[i];
    char t[32], g[32], what[160];
    describe_slot(t, sizeof t, st->t);
    describe_slot(g, sizeof g, st->g);
    const char* sig = st->sig == kSigNull ? "0" : signal_name(signal_number(st->sig));
    what[0] = 0;
    switch (st->op) {
      case OP_FORK:
        snprintf(what, sizeof what, "-> p%d", st->new_slot);
        break;
      case OP_EXIT:
        snprintf(what, sizeof what, "code %d", st->code);
        break;
      case OP_WAIT:
        snprintf(what, sizeof what, "%s%s%s T=%s G=%s -> %s%s", wait_kinds[st->kind],
                 st->flags & kWnohang ? " WNOHANG" : "", st->flags & kWnowait ? " WNOWAIT" : "", t,
                 g, st->predicted >= 0 ? "reaps p" : "nothing",
                 st->predicted >= 0 ? (char[]){(char)('0' + st->predicted), 0} : "");
        break;
      case OP_KILL:
        snprintf(what, sizeof what, "%s %s T=%s G=%s", kill_kinds[st->kind], sig, t, g);
        break;
      case OP_TGKILL:
        snprintf(what, sizeof what, "%s %s T=%s X=%d", tg_kinds[st->kind], sig, t, st->x);
        break;
      case OP_SETPGID:
        snprintf(what, sizeof what, "%s T=%s G=%s X=%d -> %s", sp_kinds[st->kind], t, g, st->x,
                 st->kind == SP_XTHREAD ? "EINVAL"
                 : st->predicted        ? strerrorname_np(st->predicted)
                                        : "0");
        break;
      case OP_SETSID:
        snprintf(what, sizeof what, "-> %s", st->predicted ? "EPERM" : "new session");
        break;
      case OP_QUERY:
        snprintf(what, sizeof what, "%s T=%s X=%d", q_kinds[st->kind], t, st->x);
        break;
      case OP_SIGACTION:
        snprintf(what, sizeof what, "%s %s", sig, d_kinds[st->disp]);
        break;
      case OP_SIGMASK:
        snprintf(what, sizeof what, "%s %s", m_kinds[st->kind],
                 st->kind == M_UNBLOCK_ALL ? "" : sig);
        break;
      case OP_SIGWAIT:
        snprintf(what, sizeof what, "%s", st->predicted ? "sigwaitinfo" : "sigtimedwait(0)");
        break;
      case OP_THREAD:
        snprintf(what, sizeof what, "%s %s", t_kinds[st->kind], sig);
        break;
      case OP_XSPAWN:
      case OP_XSTOP:
        snprintf(what, sizeof what, "X=%d", st->x);
        break;
      case OP_FINAL:
        snprintf(what, sizeof what, "%s, exit %d",
                 st->kind == F_REAP ? "reap all" : "leave the rest", st->code);
        break;
    }
    printf("%2d p%d %s %s", i, st->actor, op_names[st->op], what);
    for (int d = 0; d < st->ndeaths; d++)
      printf("%s p%d (by p%d)", d ? "," : "; ends", st->death[d], st->confirmer[d]);
    for (int k = 0; k < st->nsyncs; k++) printf("%s p%d", k ? "," : "; then runs", st->sync[k]);
    printf("\n");
  }
}

// ---------------------------------------------------------------------------------------------
// Running

static int my_slot;
static pid_t pids[kMaxProcs];     // the coordinator's: each slot's pid
static pid_t tids[kMaxXthreads];  // the coordinator's: each xthread's tid
static const char* self_path;

// Writes one line "p<slot>: ..." to stdout in one write(2): several processes share it, strictly
// in turn, and nothing stays in a buffer across fork or exec.
static void out(const char* fmt, ...) {
  char line[512];
  int n = snprintf(line, sizeof line, "p%d: ", my_slot);
  va_list ap;
  va_start(ap, fmt);
  n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
  line[n++] = '\n';
  const char* p = line;
  while (n > 0) {
    ssize_t w = write(1, p, (size_t)n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) _exit(95);
    p += w;
    n -= (int)w;
  }
}

static void fail(const char* what) {
  fprintf(stderr, "randprog p%d: %s: %s\n", my_slot, what, strerror(errno));
  _exit(99);
}

// "r" or the errno's name.
static const char* result(long r) {
  static char buf[4][24];
  static int which;
  which = (which + 1) % 4;
  if (r < 0)
    snprintf(buf[which], sizeof buf[which], "%s", strerrorname_np(errno));
  else
    snprintf(buf[which], sizeof buf[which], "%ld", r);
  return buf[which];
}

static const char* code_name(int sig, int code) {
  static char buf[16];
  if (sig == SIGCHLD) {
    switch (code) {
      case CLD_EXITED:
        return "CLD_EXITED";
      case CLD_KILLED:
        return "CLD_KILLED";
      case CLD_DUMPED:
        return "CLD_DUMPED";
      case CLD_STOPPED:
        return "CLD_STOPPED";
      case CLD_CONTINUED:
        return "CLD_CONTINUED";
    }
  }
  switch (code) {
    case SI_USER:
      return "SI_USER";
    case SI_TKILL:
      return "SI_TKILL";
    case SI_QUEUE:
      return "SI_QUEUE";
    case SI_KERNEL:
      return "SI_KERNEL";
  }
  snprintf(buf, sizeof buf, "code %d", code);
  return buf;
}

static const char* status_text(int status) {
  static char buf[32];
  if (WIFEXITED(status))
    snprintf(buf, sizeof buf, "exited %d", WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    snprintf(buf, sizeof buf, "killed %s", signal_name(WTERMSIG(status)));
  else
    snprintf(buf, sizeof buf, "status 0x%x", status);
  return buf;
}

// Signal records: handlers only store; the process prints them at fixed points.
struct record {
  int signo, pid, code, status;
};
static struct record records[64];
static int nrecords;

static void on_signal(int sig, siginfo_t* si, void* context) {
  (void)context;
  int i = __atomic_fetch_add(&nrecords, 1, __ATOMIC_SEQ_CST);
  if (i >= 64) return;
  records[i].signo = sig;
  records[i].pid = si->si_pid;
  records[i].code = si->si_code;
  records[i].status = sig == SIGCHLD ? si->si_status : 0;
}

static void show_siginfo(const char* what, const siginfo_t* si) {
  if (si->si_signo == SIGCHLD)
    out("%s %s si_pid=%d %s si_status=%d", what, signal_name(si->si_signo), si->si_pid,
        code_name(si->si_signo, si->si_code), si->si_status);
  else
    out("%s %s si_pid=%d %s", what, signal_name(si->si_signo), si->si_pid,
        code_name(si->si_signo, si->si_code));
}

static void flush_records(void) {
  int n = __atomic_load_n(&nrecords, __ATOMIC_SEQ_CST);
  if (n > 64) n = 64;
  for (int i = 0; i < n; i++) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = records[i].signo;
    si.si_pid = records[i].pid;
    si.si_code = records[i].code;
    si.si_status = records[i].status;
    show_siginfo("handled", &si);
  }
  __atomic_store_n(&nrecords, 0, __ATOMIC_SEQ_CST);
}

// Commands and acknowledgements.
struct command {
  int step;  // -1: confirm that v[0] is a zombie; -2: nothing (print the records)
  int v[3];
};
struct ack {
  int step;
  int value;
};

static void read_full(int fd, void* buf, size_t size) {
  char* p = buf;
  while (size > 0) {
    ssize_t r = read(fd, p, size);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) fail("read");
    p += r;
    size -= (size_t)r;
  }
}

static void write_full(int fd, const void* buf, size_t size) {
  for (;;) {
    ssize_t w = write(fd, buf, size);
    if (w < 0 && errno == EINTR) continue;
    if (w != (ssize_t)size) fail("write");
    return;
  }
}

static void send_ack(int step, int value) {
  struct ack a = {step, value};
  write_full(kAckWrite, &a, sizeof a);
}

static int await_ack(int step) {
  struct ack a;
  read_full(kAckRead, &a, sizeof a);
  if (a.step != step) {
    fprintf(stderr, "randprog: desynchronized: ack for step %d, expected %d\n", a.step, step);
    _exit(94);
  }
  return a.value;
}

// Blocks until pid is a zombie (its parent calls this), without reaping it.
static void confirm_zombie(pid_t pid) {
  for (;;) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) == 0) return;
    if (errno != EINTR) fail("waitid WNOWAIT (confirming a death)");
  }
}

// Extra threads that stay: they block every signal and wait for their quit pipe.
struct xthread {
  pthread_t thread;
  int quit[2];
  int report[2];
};
static struct xthread xthreads[kMaxXthreads];

static void* xthread_main(void* arg) {
  struct xthread* x = arg;
  pid_t tid = gettid();
  write_full(x->report[1], &tid, sizeof tid);
  char c;
  while (read(x->quit[0], &c, 1) < 0 && errno == EINTR) {
  }
  return NULL;
}

struct oneshot {
  int kind, sig;
};

static void* oneshot_main(void* arg) {
  const struct oneshot* o = arg;
  int sig = signal_number(o->sig);
  out("thread tid=%d getpid=%d getppid=%d", (int)gettid(), (int)getpid(), (int)getppid());
  if (o->kind == T_TGKILL)
    out("thread tgkill(%d, %d, %s)=%s", (int)getpid(), (int)gettid(), signal_name(sig),
        result(syscall(SYS_tgkill, getpid(), gettid(), sig)));
  if (o->kind == T_KILL)
    out("thread kill(%d, %s)=%s", (int)getpid(), signal_name(sig), result(kill(getpid(), sig)));
  return NULL;
}

static void show_ids(const char* what) {
  out("%s pid=%d ppid=%d pgid=%s sid=%s tid=%d", what, (int)getpid(), (int)getppid(),
      result(getpgid(0)), result(getsid(0)), (int)gettid());
}

static void worker_loop(void) __attribute__((noreturn));

static void do_wait(const struct step* st, const int* v) {
  int options = st->flags & kWnohang ? WNOHANG : 0;
  if (st->kind < WID_PID) {
    pid_t arg = st->kind == W4_PID    ? v[0]
                : st->kind == W4_ANY  ? -1
                : st->kind == W4_ZERO ? 0
                                      : -v[1];
    int status = 0;
    pid_t r = wait4(arg, &status, options, NULL);
    if (r > 0)
      out("wait4(%d%s)=%d %s", arg, options ? ", WNOHANG" : "", r, status_text(status));
    else
      out("wait4(%d%s)=%s", arg, options ? ", WNOHANG" : "", result(r));
    return;
  }
  idtype_t type = st->kind == WID_PID ? P_PID : st->kind == WID_ALL ? P_ALL : P_PGID;
  id_t id = st->kind == WID_PID ? (id_t)v[0] : st->kind == WID_PGID ? (id_t)v[1] : 0;
  if (st->flags & kWnowait) options |= WNOWAIT;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int r = waitid(type, id, &si, WEXITED | options);
  const char* type_name = type == P_PID ? "P_PID" : type == P_ALL ? "P_ALL" : "P_PGID";
  if (r < 0)
    out("waitid(%s, %d%s%s)=%s", type_name, (int)id, options & WNOHANG ? ", WNOHANG" : "",
        options & WNOWAIT ? ", WNOWAIT" : "", result(r));
  else
    out("waitid(%s, %d%s%s)=0 si_pid=%d %s si_status=%d", type_name, (int)id,
        options & WNOHANG ? ", WNOHANG" : "", options & WNOWAIT ? ", WNOWAIT" : "", si.si_pid,
        si.si_pid ? code_name(SIGCHLD, si.si_code) : "-", si.si_status);
}

static void do_exec(int step_index) {
  char seed[32], slot[16], step[16], table[512];
  snprintf(seed, sizeof seed, "%" PRIu64, script_seed);
  snprintf(slot, sizeof slot, "%d", my_slot);
  snprintf(step, sizeof step, "%d", step_index);
  int n = 0;
  for (int s = 0; s < kMaxProcs; s++)
    n += snprintf(table + n, sizeof table - (size_t)n, "%d,", pids[s]);
  for (int x = 0; x < kMaxXthreads; x++)
    n += snprintf(table + n, sizeof table - (size_t)n, "%d,", tids[x]);
  char* argv[] = {(char*)self_path, "--resume", seed, slot, step, table, NULL};
  out("exec");
  flush_records();
  execv(self_path, argv);
  fail("execv");
}

// Runs step `index` in this process with the numbers v the coordinator resolved; returns the
// value to acknowledge (a fork's pid, an xthread's tid).
static int execute(int index, const int* v) {
  const struct step* st = &steps[index];
  int sig = signal_number(st->sig);
  switch (st->op) {
    case OP_IDS:
      show_ids("ids");
      return 0;
    case OP_FORK: {
      pid_t child = fork();
      if (child < 0) fail("fork");
      if (child == 0) {
        my_slot = st->new_slot;
        nrecords = 0;
        memset(xthreads, 0, sizeof xthreads);
        worker_loop();
      }
      out("fork=%d", (int)child);
      return child;
    }
    case OP_EXIT:
      out("exit %d", st->code);
      flush_records();
      if (my_slot != 0) send_ack(index, 0);
      _exit(st->code);
    case OP_WAIT:
      do_wait(st, v);
      return 0;
    case OP_KILL: {
      pid_t target = 0;
      switch (st->kind) {
        case K_PID:
          target = v[0];
          break;
        case K_GETPPID:
          target = getppid();
          break;
        case K_SELF:
          target = getpid();
          break;
        case K_ZERO:
          target = 0;
          break;
        case K_NEGPG:
          target = -v[1];
          break;
        case K_MINUS1:
          target = -1;
          break;
        case K_BOGUS:
          target = kBogusPid;
          break;
      }
      int r = kill(target, sig);
      out("kill(%d, %s)=%s", (int)target, signal_name(sig), result(r));
      return 0;
    }
    case OP_TGKILL: {
      pid_t tgid = 0, tid = 0;
      switch (st->kind) {
        case TG_SELF:
          tgid = getpid();
          tid = gettid();
          break;
        case TG_MAIN:
          tgid = tid = v[0];
          break;
        case TG_XTHREAD:
          tgid = v[0];
          tid = v[2];
          break;
        case TG_MISMATCH:
          tgid = v[0];
          tid = gettid();
          break;
      }
      long r = syscall(SYS_tgkill, tgid, tid, sig);
      out("tgkill(%d, %d, %s)=%s", (int)tgid, (int)tid, signal_name(sig), result(r));
      return 0;
    }
    case OP_SETPGID: {
      pid_t pid = 0, pgid = 0;
      switch (st->kind) {
        case SP_00:
          break;
        case SP_SELF_TO:
          pgid = v[1];
          break;
        case SP_CHILD_SELF:
        case SP_OTHER:
          pid = pgid = v[0];
          break;
        case SP_CHILD_MINE:
          pid = v[0];
          pgid = getpgid(0);
          break;
        case SP_CHILD_TO:
          pid = v[0];
          pgid = v[1];
          break;
        case SP_XTHREAD:
          pid = pgid = v[2];
          break;
      }
      int r = setpgid(pid, pgid);
      out("setpgid(%d, %d)=%s getpgid=%s", (int)pid, (int)pgid, result(r), result(getpgid(pid)));
      return 0;
    }
    case OP_SETSID: {
      pid_t r = setsid();
      out("setsid()=%s", result(r));
      show_ids("after setsid");
      return 0;
    }
    case OP_QUERY: {
      pid_t pid = st->kind == Q_ZERO      ? 0
                  : st->kind == Q_PID     ? v[0]
                  : st->kind == Q_XTHREAD ? v[2]
                                          : kBogusPid;
      out("getpgid(%d)=%s getsid(%d)=%s", (int)pid, result(getpgid(pid)), (int)pid,
          result(getsid(pid)));
      return 0;
    }
    case OP_SIGACTION: {
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sigemptyset(&sa.sa_mask);
      if (st->disp == D_DFL) sa.sa_handler = SIG_DFL;
      if (st->disp == D_IGN) sa.sa_handler = SIG_IGN;
      if (st->disp == D_HANDLER || st->disp == D_HANDLER_RESTART) {
        sa.sa_sigaction = on_signal;
        sa.sa_flags = SA_SIGINFO | (st->disp == D_HANDLER_RESTART ? SA_RESTART : 0);
      }
      if (sigaction(sig, &sa, NULL) < 0) fail("sigaction");
      return 0;  // prints nothing: the records show what it changed
    }
    case OP_SIGMASK: {
      sigset_t set;
      sigemptyset(&set);
      int how = st->kind == M_BLOCK ? SIG_BLOCK : SIG_UNBLOCK;
      if (st->kind == M_UNBLOCK_ALL)
        for (int s = 0; s < kNumSigs; s++) sigaddset(&set, signal_number(s));
      else
        sigaddset(&set, sig);
      if (sigprocmask(how, &set, NULL) < 0) fail("sigprocmask");
      out("sigprocmask %s %s", st->kind == M_BLOCK ? "block" : "unblock",
          st->kind == M_UNBLOCK_ALL ? "all" : signal_name(sig));
      return 0;
    }
    case OP_SIGWAIT: {
      sigset_t blocked, set;
      sigprocmask(SIG_BLOCK, NULL, &blocked);
      sigemptyset(&set);
      for (int s = 0; s < kNumSigs; s++)
        if (sigismember(&blocked, signal_number(s))) sigaddset(&set, signal_number(s));
      siginfo_t si;
      memset(&si, 0, sizeof si);
      int r;
      if (st->predicted) {
        do r = sigwaitinfo(&set, &si);
        while (r < 0 && errno == EINTR);
      } else {
        struct timespec zero = {0, 0};
        r = sigtimedwait(&set, &si, &zero);
      }
      if (r < 0)
        out("sigwait=%s", result(r));
      else
        show_siginfo("sigwait", &si);
      return 0;
    }
    case OP_SIGPENDING: {
      sigset_t set;
      sigpending(&set);
      char names[80] = "";
      for (int s = 0; s < kNumSigs; s++)
        if (sigismember(&set, signal_number(s))) {
          strcat(names, " ");
          strcat(names, signal_name(signal_number(s)));
        }
      out("sigpending:%s", names[0] ? names : " none");
      return 0;
    }
    case OP_THREAD: {
      struct oneshot o = {st->kind, st->sig};
      pthread_t thread;
      if (pthread_create(&thread, NULL, oneshot_main, &o) != 0) fail("pthread_create");
      pthread_join(thread, NULL);
      return 0;
    }
    case OP_XSPAWN: {
      struct xthread* x = &xthreads[st->x];
      if (pipe2(x->quit, O_CLOEXEC) < 0 || pipe2(x->report, O_CLOEXEC) < 0) fail("pipe2");
      sigset_t all, old;
      sigfillset(&all);
      pthread_sigmask(SIG_BLOCK, &all, &old);  // the thread starts with everything blocked
      if (pthread_create(&x->thread, NULL, xthread_main, x) != 0) fail("pthread_create");
      pthread_sigmask(SIG_SETMASK, &old, NULL);
      pid_t tid;
      read_full(x->report[0], &tid, sizeof tid);
      out("xthread %d tid=%d", st->x, (int)tid);
      return tid;
    }
    case OP_XSTOP: {
      struct xthread* x = &xthreads[st->x];
      write_full(x->quit[1], "q", 1);
      pthread_join(x->thread, NULL);
      close(x->quit[0]);
      close(x->quit[1]);
      close(x->report[0]);
      close(x->report[1]);
      out("xthread %d joined", st->x);
      return 0;
    }
    case OP_EXEC:
      do_exec(index);
      return 0;
    case OP_FINAL: {
      flush_records();
      if (st->kind == F_REAP) {
        for (;;) {
          int status = 0;
          pid_t r = wait4(-1, &status, 0, NULL);
          if (r < 0) {
            out("reap wait4(-1)=%s", result(r));
            break;
          }
          out("reap wait4(-1)=%d %s", (int)r, status_text(status));
        }
        flush_records();
      }
      out("exit %d", st->code);
      exit(st->code);
    }
  }
  return 0;
}

static void worker_loop(void) {
  for (;;) {
    struct command c;
    read_full(kCmdRead + my_slot, &c, sizeof c);
    flush_records();
    int value = 0;
    if (c.step == -1) confirm_zombie(c.v[0]);  // -2: only run, to print the records
    if (c.step >= 0) value = execute(c.step, c.v);
    flush_records();
    send_ack(c.step, value);
  }
}

static void resolve(const struct step* st, int* v) {
  v[0] = st->t == kBogusSlot ? kBogusPid : st->t >= 0 ? pids[st->t] : 0;
  v[1] = st->g >= 0 ? pids[st->g] : 0;
  v[2] = st->x >= 0 ? tids[st->x] : 0;
}

static void coordinate(int from) {
  for (int i = from; i < nsteps; i++) {
    const struct step* st = &steps[i];
    int v[3], value;
    resolve(st, v);
    if (st->actor == 0) {
      value = execute(i, v);
    } else {
      struct command c = {i, {v[0], v[1], v[2]}};
      write_full(kCmdWrite + st->actor, &c, sizeof c);
      // An exiting actor acknowledges before it exits, so that its last line comes first; one
      // killed by a signal prints nothing more.
      value = st->actor_dies && st->op != OP_EXIT ? 0 : await_ack(i);
    }
    if (st->op == OP_FORK) pids[st->new_slot] = value;
    if (st->op == OP_XSPAWN) tids[st->x] = value;
    // While processes are dying, a SIGCHLD for a reparented zombie may still be on its way to
    // init: its records wait until the deaths are confirmed.
    if (st->ndeaths == 0) flush_records();
    for (int d = 0; d < st->ndeaths; d++) {
      int confirmer = st->confirmer[d];
      if (confirmer == 0) {
        confirm_zombie(pids[st->death[d]]);
      } else {
        struct command c = {-1, {pids[st->death[d]], 0, 0}};
        write_full(kCmdWrite + confirmer, &c, sizeof c);
        await_ack(-1);
      }
      flush_records();
    }
    for (int k = 0; k < st->nsyncs; k++) {
      struct command c = {-2, {0, 0, 0}};
      write_full(kCmdWrite + st->sync[k], &c, sizeof c);
      await_ack(-2);
    }
  }
}

static void setup_pipes(void) {
  int fds[2];
  if (pipe(fds) < 0 || dup2(fds[0], kAckRead) < 0 || dup2(fds[1], kAckWrite) < 0) fail("pipe");
  close(fds[0]);
  close(fds[1]);
  for (int s = 0; s < kMaxProcs; s++) {
    if (pipe(fds) < 0 || dup2(fds[0], kCmdRead + s) < 0 || dup2(fds[1], kCmdWrite + s) < 0)
      fail("pipe");
    close(fds[0]);
    close(fds[1]);
  }
}

static uint64_t parse_seed(const char* text) {
  char* end;
  errno = 0;
  uint64_t seed = strtoull(text, &end, 10);
  if (errno || *end || end == text) {
    fprintf(stderr, "randprog: bad seed '%s'\n", text);
    exit(2);
  }
  return seed;
}

int main(int argc, char** argv) {
  self_path = argv[0][0] == '/' ? argv[0] : "/proc/self/exe";
  if (argc == 3 && strcmp(argv[1], "--print") == 0) {
    generate(parse_seed(argv[2]));
    print_script();
    return 0;
  }
  if (argc == 6 && strcmp(argv[1], "--resume") == 0) {
    generate(parse_seed(argv[2]));
    my_slot = atoi(argv[3]);
    int step = atoi(argv[4]);
    char* p = argv[5];
    for (int s = 0; s < kMaxProcs; s++) pids[s] = (pid_t)strtol(p, &p, 10), p++;
    for (int x = 0; x < kMaxXthreads; x++) tids[x] = (pid_t)strtol(p, &p, 10), p++;
    show_ids("after exec");
    if (my_slot != 0) {
      send_ack(step, 0);
      worker_loop();
    }
    flush_records();
    coordinate(step + 1);
    return 0;  // not reached: the script ends with OP_FINAL
  }
  if (argc != 2) {
    fprintf(stderr, "usage: %s SEED | --print SEED\n", argv[0]);
    return 2;
  }
  generate(parse_seed(argv[1]));
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  setup_pipes();
  my_slot = 0;
  pids[0] = getpid();
  show_ids("init");
  coordinate(0);
  return 0;
}
