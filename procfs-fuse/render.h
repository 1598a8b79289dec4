// Renderers for the box's /proc: the text of a real procfs file, read from the supervisor's
// /proc, turned into the text the box must see. Pure functions: no syscalls, no I/O.
//
// The model is the kernel's own pid namespaces: the box's /proc behaves like a procfs mounted
// for a pid namespace at the box's level, so every pid the kernel prints with pid_nr_ns() (or
// task_*_nr_ns()) is shown as the box's number, 0 when it names a task outside the box, and the
// numbers the kernel prints raw (Ngid, numa_group_id, tty device numbers) stay as they are.
//
// Contract shared by every renderer:
//  - Only pid fields change; every other byte, tab and newline is kept, and the output ends as
//    the input does (except where a renderer drops whole items, as the kernel would: children,
//    /proc/locks entries).
//  - Only positive numbers are translated. 0 and negative values are not pids (no tty is -1, an
//    OFD lock's owner is -1, a dead task's pgrp is -1, an exited pidfd is -1) and pass unchanged.
//  - A number written in a form the kernel never prints (leading zeros, "-0", overflow) is left
//    alone, so an identity view gives back the input byte for byte.
//  - Malformed or truncated input never crashes or throws: what can be parsed is translated,
//    the rest is copied. If to_virtual is empty or throws, the number reads as 0 (fail closed:
//    no real number is shown for it). If the renderer itself cannot allocate, it returns "".
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace vpidbox::procfs {

// How the box sees host numbers.
struct NumberView {
  // The virtual number of a real pid/tid that belongs to the box, or 0 when it names something
  // outside the box (the kernel's "not visible in this namespace" reads as 0).
  std::function<int(int real)> to_virtual;
  // What loadavg's 5th field ("last pid") shows: the last number allocated in the box.
  int last_allocated = 0;
  // The numbers a real pid has in the box's levels nested below the reader's (a box started
  // inside the box), outermost first: what NStgid, NSpid, NSpgid and NSsid list after the
  // reader's own number. Empty (or unset) for a task of the reader's own level.
  std::function<std::vector<int>(int real)> nested = {};
  // status's TracerPid when a tracer inside the box traces the task: its box number (the real
  // tracer, the supervisor, is outside). 0 when none does.
  int tracer = 0;
};

// /proc/<pid>/status and task/<tid>/status: Tgid, Pid, PPid, TracerPid, and the first number of
// NStgid, NSpid, NSpgid, NSsid (fs/proc/array.c task_state), followed there by the numbers of the
// box's nested levels (view.nested). Ngid is printed raw by the kernel and is not translated.
std::string render_status(std::string_view real_text, const NumberView& view) noexcept;

// /proc/<pid>/stat and task/<tid>/stat: fields (1) pid, (4) ppid, (5) pgrp, (6) session and
// (8) tpgid (fs/proc/array.c do_task_stat). Field (7) is a device number and stays.
std::string render_stat(std::string_view real_text, const NumberView& view) noexcept;

// task/<tid>/children: "%d " per child (fs/proc/array.c children_seq_show); children outside
// the box are dropped.
std::string render_children(std::string_view real_text, const NumberView& view) noexcept;

// /proc/<pid>/sched and task/<tid>/sched: the header "comm (pid, #threads: N)"
// (kernel/sched/debug.c proc_sched_show_task). numa_group_id is raw in the kernel and stays.
std::string render_sched(std::string_view real_text, const NumberView& view) noexcept;

// /proc/loadavg: the 5th field, the reader's namespace's last allocated pid
// (fs/proc/loadavg.c), becomes view.last_allocated. The 4th field is global in the kernel too.
std::string render_loadavg(std::string_view real_text, const NumberView& view) noexcept;

// /proc/<pid>/fdinfo/<fd>. A pidfd's "Pid:" and "NSpid:" lines (fs/pidfs.c pidfd_show_fdinfo),
// and the "lock:" lines of a file holding locks (fs/locks.c show_fd_locks). Safe on the fdinfo
// of any fd: other lines are copied.
std::string render_pidfd_fdinfo(std::string_view real_text, const NumberView& view) noexcept;

// /proc/locks (fs/locks.c locks_show/lock_get_status): the owner pid of each lock. An entry
// whose owner is outside the box is dropped with the "->" lines of its waiters, as the kernel
// drops locks whose owner is invisible in the reader's namespace; a waiter outside reads 0.
std::string render_locks(std::string_view real_text, const NumberView& view) noexcept;

// /proc/<pid>/timers (fs/proc/base.c show_timer): the number after "pid." or "tid." on each
// "notify:" line, the process or thread a POSIX timer signals.
std::string render_timers(std::string_view real_text, const NumberView& view) noexcept;

// /proc/sysvipc/shm and /proc/sysvipc/msg (ipc/util.c sysvipc_proc_show, translated into the
// opener's pid namespace by the kernel): the columns the header names cpid, lpid, lspid and
// lrpid, printed "%5u" as the kernel prints them.
std::string render_sysvipc(std::string_view real_text, const NumberView& view) noexcept;

// A task reading its own stat or status is running as the kernel renders it; served by the
// supervisor, it is asleep waiting for the answer (or stopped for it at a ptrace stop). These set
// the state back to running: the "State:" line of status, field (3) of stat. Other text is
// returned unchanged.
std::string show_reader_running_status(std::string text) noexcept;
std::string show_reader_running_stat(std::string text) noexcept;

}  // namespace vpidbox::procfs
