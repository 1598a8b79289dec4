// Golden tests for the /proc renderers. The inputs are real files captured on a development
// machine (Linux 6.18, x86_64) with the command named above each; the expected outputs state
// exactly which lines change, and everything else must come back byte for byte.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "procfs-fuse/render.h"

namespace vpidbox::procfs {
namespace {

// --- Captured files ------------------------------------------------------------------------
// python3 with prctl(PR_SET_NAME) and children, reading its own files. Real numbers: the
// process 31637, its parent shell 31633 (also its pgrp), the session 29949.
//   kStatusSelf: /proc/self/status (whole file)
//   kStatParen: /proc/self/stat with comm "a) (b c) x"; kSchedParen: /proc/self/sched, same comm
//   kPidfdFdinfo: fdinfo of os.pidfd_open(os.getpid())
//   kPidfdFdinfoExited: fdinfo of a pidfd whose child has exited and been reaped
//   kChildren: /proc/self/task/<tid>/children with three children 31679..31681
//   kLoadavg: /proc/loadavg
// strace -f -o /dev/null cat /proc/self/status: cat 31705 traced by strace 31702 (first 17
// lines: the pid lines; the rest is the same kind as kStatusSelf).
// python3 thread 32173 of process 32132 (parent 32130): /proc/self/task/32173/{status,stat}.
// script -qc "cat /proc/self/stat" /dev/null: cat 31708 on a pty (tty_nr 34816), its own
// process group in the foreground; its parent is 31707.
// unshare --pid --fork sh -c 'sleep 1000 & sleep 1000': /proc/31713/status of the first sleep,
// number 2 in the new namespace, its pgrp 31700 and session 29949 outside that namespace; and
// the fdinfo of a pidfd on it.
// /proc/locks and the fdinfo of a locked file, with python3 31867 holding a POSIX read lock, an
// OFD lock, a POSIX write lock with two waiters (31908 blocked on 31867, 31909 on 31908) and a
// flock.

constexpr std::string_view kStatusSelf =
    "Name:\tpython3\n"
    "Umask:\t0022\n"
    "State:\tR (running)\n"
    "Tgid:\t31637\n"
    "Ngid:\t0\n"
    "Pid:\t31637\n"
    "PPid:\t31633\n"
    "TracerPid:\t0\n"
    "Uid:\t0\t0\t0\t0\n"
    "Gid:\t0\t0\t0\t0\n"
    "FDSize:\t256\n"
    "Groups:\t \n"
    "NStgid:\t31637\n"
    "NSpid:\t31637\n"
    "NSpgid:\t31633\n"
    "NSsid:\t29949\n"
    "Kthread:\t0\n"
    "VmPeak:\t   18128 kB\n"
    "VmSize:\t   18128 kB\n"
    "VmLck:\t       0 kB\n"
    "VmPin:\t       0 kB\n"
    "VmHWM:\t   14564 kB\n"
    "VmRSS:\t   14564 kB\n"
    "RssAnon:\t    7640 kB\n"
    "RssFile:\t    6924 kB\n"
    "RssShmem:\t       0 kB\n"
    "VmData:\t    9268 kB\n"
    "VmStk:\t     132 kB\n"
    "VmExe:\t       4 kB\n"
    "VmLib:\t    4788 kB\n"
    "VmPTE:\t      72 kB\n"
    "VmSwap:\t       0 kB\n"
    "HugetlbPages:\t       0 kB\n"
    "CoreDumping:\t0\n"
    "THP_enabled:\t1\n"
    "untag_mask:\t0xffffffffffffffff\n"
    "Threads:\t1\n"
    "SigQ:\t1/96365\n"
    "SigPnd:\t0000000000000000\n"
    "ShdPnd:\t0000000000000000\n"
    "SigBlk:\t0000000000000000\n"
    "SigIgn:\t0000000001001000\n"
    "SigCgt:\t0000000000000002\n"
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t000001fffeffffff\n"
    "CapEff:\t000001fffeffffff\n"
    "CapBnd:\t000001fffeffffff\n"
    "CapAmb:\t0000000000000000\n"
    "NoNewPrivs:\t0\n"
    "Seccomp:\t0\n"
    "Seccomp_filters:\t0\n"
    "Speculation_Store_Bypass:\tvulnerable\n"
    "SpeculationIndirectBranch:\talways enabled\n"
    "Cpus_allowed:\t3\n"
    "Cpus_allowed_list:\t0-1\n"
    "Mems_allowed:\t00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,"
    "00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,"
    "00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,"
    "00000000,00000000,00000000,00000000,00000000,00000001\n"
    "Mems_allowed_list:\t0\n"
    "voluntary_ctxt_switches:\t130\n"
    "nonvoluntary_ctxt_switches:\t5\n";

constexpr std::string_view kStatusTraced =
    "Name:\tcat\n"
    "Umask:\t0022\n"
    "State:\tR (running)\n"
    "Tgid:\t31705\n"
    "Ngid:\t0\n"
    "Pid:\t31705\n"
    "PPid:\t31702\n"
    "TracerPid:\t31702\n"
    "Uid:\t0\t0\t0\t0\n"
    "Gid:\t0\t0\t0\t0\n"
    "FDSize:\t256\n"
    "Groups:\t \n"
    "NStgid:\t31705\n"
    "NSpid:\t31705\n"
    "NSpgid:\t31700\n"
    "NSsid:\t29949\n"
    "Kthread:\t0\n";

constexpr std::string_view kStatusThread =
    "Name:\tpython3\n"
    "Umask:\t0022\n"
    "State:\tR (running)\n"
    "Tgid:\t32132\n"
    "Ngid:\t0\n"
    "Pid:\t32173\n"
    "PPid:\t32130\n"
    "TracerPid:\t0\n"
    "Uid:\t0\t0\t0\t0\n"
    "Gid:\t0\t0\t0\t0\n"
    "FDSize:\t256\n"
    "Groups:\t \n"
    "NStgid:\t32132\n"
    "NSpid:\t32173\n"
    "NSpgid:\t32130\n"
    "NSsid:\t29949\n"
    "Kthread:\t0\n";

constexpr std::string_view kStatusNested =
    "Name:\tsleep\n"
    "Umask:\t0022\n"
    "State:\tS (sleeping)\n"
    "Tgid:\t31713\n"
    "Ngid:\t0\n"
    "Pid:\t31713\n"
    "PPid:\t31712\n"
    "TracerPid:\t0\n"
    "Uid:\t0\t0\t0\t0\n"
    "Gid:\t0\t0\t0\t0\n"
    "FDSize:\t256\n"
    "Groups:\t \n"
    "NStgid:\t31713\t2\n"
    "NSpid:\t31713\t2\n"
    "NSpgid:\t31700\t0\n"
    "NSsid:\t29949\t0\n"
    "Kthread:\t0\n";

constexpr std::string_view kStatParen =
    "31637 (a) (b c) x) R 31633 31633 29949 0 -1 4194304 3048 6547 18 0 6 3 11 12 20 0 1 0 "
    "299088 18563072 3605 18446744073709551615 94815158829056 94815158829397 140734553025296 "
    "0 0 0 0 16781312 2 0 0 0 17 1 0 0 0 0 0 94815158840752 94815158841368 94815527997440 "
    "140734553032654 140734553032711 140734553032711 140734553034703 0\n";

constexpr std::string_view kStatTty =
    "31708 (cat) R 31707 31708 31708 34816 31708 4194304 226 0 0 0 0 1 0 0 20 0 1 0 299568 "
    "3133440 418 18446744073709551615 94049204051968 94049204071849 140732164420944 0 0 0 0 "
    "0 0 0 0 0 17 0 0 0 0 0 0 94049204087856 94049204089472 94049345978368 140732164426174 "
    "140732164426194 140732164426194 140732164427755 0\n";

constexpr std::string_view kStatThread =
    "32173 (python3) R 32130 32130 29949 0 -1 4194368 7 6560 0 2 0 0 12 23 20 0 2 0 309015 "
    "92479488 3341 18446744073709551615 93918829367296 93918829367637 140737195572096 0 0 0 "
    "0 16781312 2 0 0 0 -1 0 0 0 0 0 0 93918829378992 93918829379608 93919678279680 "
    "140737195579356 140737195579399 140737195579399 140737195581391 0\n";

constexpr std::string_view kChildren = "31679 31680 31681 ";

constexpr std::string_view kSchedParen =
    "a) (b c) x (31637, #threads: 1)\n"
    "-------------------------------------------------------------------\n"
    "se.exec_start                                :       2991226.529926\n"
    "se.vruntime                                  :          1502.598879\n"
    "se.sum_exec_runtime                          :           105.706296\n"
    "se.nr_migrations                             :                    1\n"
    "nr_switches                                  :                  128\n"
    "nr_voluntary_switches                        :                  123\n"
    "nr_involuntary_switches                      :                    5\n"
    "se.load.weight                               :              1048576\n"
    "se.avg.load_sum                              :                32467\n"
    "se.avg.runnable_sum                          :             32696539\n"
    "se.avg.util_sum                              :             32601355\n"
    "se.avg.load_avg                              :                  708\n"
    "se.avg.runnable_avg                          :                  696\n"
    "se.avg.util_avg                              :                  694\n"
    "se.avg.last_update_time                      :        2991225807872\n"
    "se.avg.util_est                              :                  722\n"
    "policy                                       :                    0\n"
    "prio                                         :                  120\n"
    "se.slice                                     :              1400000\n"
    "clock-delta                                  :                   20\n"
    "mm->numa_scan_seq                            :                    0\n"
    "numa_pages_migrated                          :                    0\n"
    "numa_preferred_nid                           :                   -1\n"
    "total_numa_faults                            :                    0\n"
    "current_node=0, numa_group_id=0\n"
    "numa_faults node=0 task_private=0 task_shared=0 group_private=0 group_shared=0\n";

constexpr std::string_view kLoadavg = "0.03 0.68 1.19 1/97 31681\n";

constexpr std::string_view kPidfdFdinfo =
    "pos:\t0\n"
    "flags:\t02000002\n"
    "mnt_id:\t4\n"
    "ino:\t96558\n"
    "Pid:\t31637\n"
    "NSpid:\t31637\n";

constexpr std::string_view kPidfdFdinfoExited =
    "pos:\t0\n"
    "flags:\t02000002\n"
    "mnt_id:\t4\n"
    "ino:\t96599\n"
    "Pid:\t-1\n"
    "NSpid:\t-1\n";

constexpr std::string_view kPidfdFdinfoNested =
    "pos:\t0\n"
    "flags:\t02000002\n"
    "mnt_id:\t4\n"
    "ino:\t96634\n"
    "Pid:\t31713\n"
    "NSpid:\t31713\t2\n";

constexpr std::string_view kFdinfoLock =
    "pos:\t0\n"
    "flags:\t02100001\n"
    "mnt_id:\t26\n"
    "ino:\t10952994\n"
    "lock:\t1: POSIX  ADVISORY  WRITE 31867 fe:00:10952994 0 EOF\n";

constexpr std::string_view kLocks =
    "1: POSIX  ADVISORY  READ 31867 fe:00:10953000 5 14\n"
    "2: OFDLCK ADVISORY  WRITE -1 fe:00:10952999 0 EOF\n"
    "3: POSIX  ADVISORY  WRITE 31867 fe:00:10952994 0 EOF\n"
    "3: -> POSIX  ADVISORY  WRITE 31908 fe:00:10952994 0 EOF\n"
    "3:  -> POSIX  ADVISORY  WRITE 31909 fe:00:10952994 0 EOF\n"
    "4: FLOCK  ADVISORY  WRITE 31867 fe:00:10952992 0 EOF\n";

// --- Helpers -------------------------------------------------------------------------------

// A view from a table of box members; every other number is outside the box.
NumberView view_of(std::map<int, int> table, int last_allocated = 0) {
  return NumberView{[table = std::move(table)](int real) {
                      const auto it = table.find(real);
                      return it == table.end() ? 0 : it->second;
                    },
                    last_allocated};
}

const NumberView kIdentity{[](int real) { return real; }, 0};

// `text` with each whole line `from` (without its newline) replaced by `to`. Each `from` must
// occur exactly once, so a typo in a test cannot pass silently.
std::string with_lines(std::string_view text,
                       const std::vector<std::pair<std::string_view, std::string_view>>& changes) {
  std::string out(text);
  for (const auto& change : changes) {
    const std::string_view from = change.first;
    const std::string line = "\n" + std::string(from) + "\n";
    // Searching "\n" + out for "\n<line>\n" finds whole lines only, the first one included.
    const std::size_t at = ("\n" + out).find(line);
    REQUIRE_MESSAGE(at != std::string::npos, "no line ", from);
    REQUIRE_MESSAGE(("\n" + out).find(line, at + 1) == std::string::npos, "twice: ", from);
    out.replace(at, from.size(), change.second);
  }
  return out;
}

// `text` with its beginning `from` replaced by `to`.
std::string with_prefix(std::string_view text, std::string_view from, std::string_view to) {
  REQUIRE(text.starts_with(from));
  return std::string(to) + std::string(text.substr(from.size()));
}

using Renderer = std::string (*)(std::string_view, const NumberView&) noexcept;

// --- status --------------------------------------------------------------------------------

TEST_CASE("status: own numbers are virtual, a parent and session outside read 0") {
  // The box's init is the shell 31633; the session leader 29949 is outside the box.
  const auto view = view_of({{31637, 3}, {31633, 1}});
  CHECK(render_status(kStatusSelf, view) ==
        with_lines(kStatusSelf, {
                                    {"Tgid:\t31637", "Tgid:\t3"},
                                    {"Pid:\t31637", "Pid:\t3"},
                                    {"PPid:\t31633", "PPid:\t1"},
                                    {"NStgid:\t31637", "NStgid:\t3"},
                                    {"NSpid:\t31637", "NSpid:\t3"},
                                    {"NSpgid:\t31633", "NSpgid:\t1"},
                                    {"NSsid:\t29949", "NSsid:\t0"},
                                }));
}

TEST_CASE("status: a tracer outside the box reads 0, one inside reads its number") {
  const std::map<int, int> members = {{31705, 2}, {31700, 1}};
  CHECK(render_status(kStatusTraced, view_of(members)) ==
        with_lines(kStatusTraced, {
                                      {"Tgid:\t31705", "Tgid:\t2"},
                                      {"Pid:\t31705", "Pid:\t2"},
                                      {"PPid:\t31702", "PPid:\t0"},
                                      {"TracerPid:\t31702", "TracerPid:\t0"},
                                      {"NStgid:\t31705", "NStgid:\t2"},
                                      {"NSpid:\t31705", "NSpid:\t2"},
                                      {"NSpgid:\t31700", "NSpgid:\t1"},
                                      {"NSsid:\t29949", "NSsid:\t0"},
                                  }));
  auto with_tracer = members;
  with_tracer[31702] = 5;
  CHECK(render_status(kStatusTraced, view_of(with_tracer)) ==
        with_lines(kStatusTraced, {
                                      {"Tgid:\t31705", "Tgid:\t2"},
                                      {"Pid:\t31705", "Pid:\t2"},
                                      {"PPid:\t31702", "PPid:\t5"},
                                      {"TracerPid:\t31702", "TracerPid:\t5"},
                                      {"NStgid:\t31705", "NStgid:\t2"},
                                      {"NSpid:\t31705", "NSpid:\t2"},
                                      {"NSpgid:\t31700", "NSpgid:\t1"},
                                      {"NSsid:\t29949", "NSsid:\t0"},
                                  }));
}

TEST_CASE("status: the supervisor traces every task; a tracer inside shows as TracerPid") {
  // The real TracerPid is the supervisor (outside: 0), whatever the emulated tracer is.
  const std::map<int, int> members = {{31705, 2}, {31700, 1}};
  NumberView view = view_of(members);
  view.tracer = 4;
  const std::string text = render_status(kStatusTraced, view);
  CHECK(text.find("TracerPid:\t4\n") != std::string::npos);
  CHECK(text.find("PPid:\t0\n") != std::string::npos);  // the other fields keep their rule
  view.tracer = 0;
  CHECK(render_status(kStatusTraced, view).find("TracerPid:\t0\n") != std::string::npos);
}

TEST_CASE("status: a thread shows its own Pid and its leader's Tgid") {
  const auto view = view_of({{32132, 4}, {32173, 5}, {32130, 1}, {29949, 1}});
  CHECK(render_status(kStatusThread, view) ==
        with_lines(kStatusThread, {
                                      {"Tgid:\t32132", "Tgid:\t4"},
                                      {"Pid:\t32173", "Pid:\t5"},
                                      {"PPid:\t32130", "PPid:\t1"},
                                      {"NStgid:\t32132", "NStgid:\t4"},
                                      {"NSpid:\t32173", "NSpid:\t5"},
                                      {"NSpgid:\t32130", "NSpgid:\t1"},
                                      {"NSsid:\t29949", "NSsid:\t1"},
                                  }));
}

TEST_CASE("status: NS lines with several levels translate the first and keep the deeper ones") {
  // 31713 is 2 in a real pid namespace created inside the box: the kernel lists the box's
  // number, then 2. Its pgrp and session are outside the box (and outside that namespace, hence
  // the real trailing 0).
  const auto view = view_of({{31713, 7}, {31712, 6}});
  CHECK(render_status(kStatusNested, view) ==
        with_lines(kStatusNested, {
                                      {"Tgid:\t31713", "Tgid:\t7"},
                                      {"Pid:\t31713", "Pid:\t7"},
                                      {"PPid:\t31712", "PPid:\t6"},
                                      {"NStgid:\t31713\t2", "NStgid:\t7\t2"},
                                      {"NSpid:\t31713\t2", "NSpid:\t7\t2"},
                                      {"NSpgid:\t31700\t0", "NSpgid:\t0\t0"},
                                      {"NSsid:\t29949\t0", "NSsid:\t0\t0"},
                                  }));
}

TEST_CASE("status: Ngid and numbers in other lines are not translated") {
  // Ngid is a NUMA group id, printed raw by the kernel even when it equals a pid; the Name line
  // is the task's comm, whatever it says (status escapes tabs and newlines in it, not spaces).
  const std::string real = with_lines(kStatusSelf, {
                                                       {"Name:\tpython3", "Name:\tPid: 31637"},
                                                       {"Ngid:\t0", "Ngid:\t31637"},
                                                   });
  CHECK(render_status(real, view_of({{31637, 3}, {31633, 1}})) ==
        with_lines(real, {
                             {"Tgid:\t31637", "Tgid:\t3"},
                             {"Pid:\t31637", "Pid:\t3"},
                             {"PPid:\t31633", "PPid:\t1"},
                             {"NStgid:\t31637", "NStgid:\t3"},
                             {"NSpid:\t31637", "NSpid:\t3"},
                             {"NSpgid:\t31633", "NSpgid:\t1"},
                             {"NSsid:\t29949", "NSsid:\t0"},
                         }));
}

// --- stat ----------------------------------------------------------------------------------

TEST_CASE("stat: comm with spaces and parentheses; the session outside reads 0") {
  const auto view = view_of({{31637, 3}, {31633, 1}});
  CHECK(render_stat(kStatParen, view) == with_prefix(kStatParen,
                                                     "31637 (a) (b c) x) R 31633 31633 29949 0 -1 ",
                                                     "3 (a) (b c) x) R 1 1 0 0 -1 "));
}

TEST_CASE("stat: tpgid is translated, tty_nr is a device number and is not") {
  // 34816 (the pty's device number) is also made a box pid here, to show field (7) stays.
  const auto view = view_of({{31708, 2}, {31707, 1}, {34816, 9}});
  CHECK(render_stat(kStatTty, view) == with_prefix(kStatTty,
                                                   "31708 (cat) R 31707 31708 31708 34816 31708 ",
                                                   "2 (cat) R 1 2 2 34816 2 "));
}

TEST_CASE("stat: a foreground group outside the box reads 0, no tty stays -1") {
  const std::string real = with_prefix(kStatTty, "31708 (cat) R 31707 31708 31708 34816 31708 ",
                                       "31708 (cat) R 31707 31708 31708 34816 31999 ");
  CHECK(render_stat(real, view_of({{31708, 2}, {31707, 1}})) ==
        with_prefix(kStatTty, "31708 (cat) R 31707 31708 31708 34816 31708 ",
                    "2 (cat) R 1 2 2 34816 0 "));
  CHECK(render_stat(kStatParen, view_of({})) ==
        with_prefix(kStatParen, "31637 (a) (b c) x) R 31633 31633 29949 0 -1 ",
                    "0 (a) (b c) x) R 0 0 0 0 -1 "));
}

TEST_CASE("stat: a thread's stat; exit_signal -1 and later fields stay") {
  const auto view = view_of({{32173, 5}, {32130, 1}});
  CHECK(render_stat(kStatThread, view) == with_prefix(kStatThread,
                                                      "32173 (python3) R 32130 32130 29949 0 -1 ",
                                                      "5 (python3) R 1 1 0 0 -1 "));
}

TEST_CASE("stat: comm holding ')', a newline and digits; a dead task's 0 and -1 fields") {
  // prctl(PR_SET_NAME) accepts any bytes; the kernel prints the comm raw in stat. A task whose
  // sighand is gone shows ppid 0, pgrp -1 and session -1 (do_task_stat's initial values).
  const std::string real = with_prefix(kStatParen, "31637 (a) (b c) x) R 31633 31633 29949 ",
                                       "31637 () 31633\n) ) X 0 -1 -1 ");
  CHECK(render_stat(real, view_of({{31637, 3}, {31633, 1}})) ==
        with_prefix(kStatParen, "31637 (a) (b c) x) R 31633 31633 29949 ",
                    "3 () 31633\n) ) X 0 -1 -1 "));
}

// --- children ------------------------------------------------------------------------------

TEST_CASE("children: box children by virtual number, outside ones dropped") {
  CHECK(render_children(kChildren, view_of({{31679, 4}, {31680, 5}, {31681, 6}})) == "4 5 6 ");
  CHECK(render_children(kChildren, view_of({{31679, 4}, {31681, 6}})) == "4 6 ");
  CHECK(render_children(kChildren, view_of({{31681, 6}})) == "6 ");
  CHECK(render_children(kChildren, view_of({})) == "");
  CHECK(render_children("", view_of({})) == "");
}

// --- sched ---------------------------------------------------------------------------------

TEST_CASE("sched: the header pid; comm with parentheses; the rest stays") {
  CHECK(render_sched(kSchedParen, view_of({{31637, 3}})) ==
        with_lines(kSchedParen,
                   {{"a) (b c) x (31637, #threads: 1)", "a) (b c) x (3, #threads: 1)"}}));
  CHECK(render_sched(kSchedParen, view_of({})) ==
        with_lines(kSchedParen,
                   {{"a) (b c) x (31637, #threads: 1)", "a) (b c) x (0, #threads: 1)"}}));
}

TEST_CASE("sched: a comm that imitates the header, or holds a newline, is not taken for it") {
  const auto view = view_of({{31637, 3}, {1, 8}});
  // 15 bytes, the longest comm: "(1, #threads: 1" cannot be completed by the comm alone.
  const std::string forged = with_lines(
      kSchedParen, {{"a) (b c) x (31637, #threads: 1)", "(1, #threads: 1 (31637, #threads: 1)"}});
  CHECK(render_sched(forged, view) ==
        with_lines(kSchedParen,
                   {{"a) (b c) x (31637, #threads: 1)", "(1, #threads: 1 (3, #threads: 1)"}}));
  const std::string newline = with_lines(
      kSchedParen, {{"a) (b c) x (31637, #threads: 1)", "(1, #t\n(1) (31637, #threads: 1)"}});
  CHECK(render_sched(newline, view) == with_lines(kSchedParen, {{"a) (b c) x (31637, #threads: 1)",
                                                                 "(1, #t\n(1) (3, #threads: 1)"}}));
}

// --- loadavg -------------------------------------------------------------------------------

TEST_CASE("loadavg: the last pid is the box's last allocated number") {
  CHECK(render_loadavg(kLoadavg, view_of({}, 7)) == "0.03 0.68 1.19 1/97 7\n");
  CHECK(render_loadavg(kLoadavg, view_of({}, 0)) == "0.03 0.68 1.19 1/97 0\n");
}

// --- fdinfo --------------------------------------------------------------------------------

TEST_CASE("pidfd fdinfo: Pid and NSpid of a box process") {
  CHECK(render_pidfd_fdinfo(kPidfdFdinfo, view_of({{31637, 3}})) ==
        with_lines(kPidfdFdinfo, {{"Pid:\t31637", "Pid:\t3"}, {"NSpid:\t31637", "NSpid:\t3"}}));
}

TEST_CASE("pidfd fdinfo: an exited task stays -1") {
  CHECK(render_pidfd_fdinfo(kPidfdFdinfoExited, view_of({{31637, 3}})) == kPidfdFdinfoExited);
}

TEST_CASE("pidfd fdinfo: deeper levels kept for a box task, dropped with a 0 for an outside one") {
  CHECK(render_pidfd_fdinfo(kPidfdFdinfoNested, view_of({{31713, 7}})) ==
        with_lines(kPidfdFdinfoNested,
                   {{"Pid:\t31713", "Pid:\t7"}, {"NSpid:\t31713\t2", "NSpid:\t7\t2"}}));
  // pidfd_show_fdinfo() prints the deeper levels only when the first number is positive.
  CHECK(render_pidfd_fdinfo(kPidfdFdinfoNested, view_of({})) ==
        with_lines(kPidfdFdinfoNested,
                   {{"Pid:\t31713", "Pid:\t0"}, {"NSpid:\t31713\t2", "NSpid:\t0"}}));
}

TEST_CASE("fdinfo: lock lines of a locked file") {
  CHECK(render_pidfd_fdinfo(kFdinfoLock, view_of({{31867, 5}})) ==
        with_lines(kFdinfoLock, {{"lock:\t1: POSIX  ADVISORY  WRITE 31867 fe:00:10952994 0 EOF",
                                  "lock:\t1: POSIX  ADVISORY  WRITE 5 fe:00:10952994 0 EOF"}}));
  // fdinfo lists the fd's locks whoever owns them: an outside owner reads 0.
  CHECK(render_pidfd_fdinfo(kFdinfoLock, view_of({})) ==
        with_lines(kFdinfoLock, {{"lock:\t1: POSIX  ADVISORY  WRITE 31867 fe:00:10952994 0 EOF",
                                  "lock:\t1: POSIX  ADVISORY  WRITE 0 fe:00:10952994 0 EOF"}}));
}

// --- locks ---------------------------------------------------------------------------------

TEST_CASE("locks: owners and waiters translated, OFD -1 kept, a waiter outside reads 0") {
  CHECK(render_locks(kLocks, view_of({{31867, 1}, {31908, 2}})) ==
        "1: POSIX  ADVISORY  READ 1 fe:00:10953000 5 14\n"
        "2: OFDLCK ADVISORY  WRITE -1 fe:00:10952999 0 EOF\n"
        "3: POSIX  ADVISORY  WRITE 1 fe:00:10952994 0 EOF\n"
        "3: -> POSIX  ADVISORY  WRITE 2 fe:00:10952994 0 EOF\n"
        "3:  -> POSIX  ADVISORY  WRITE 0 fe:00:10952994 0 EOF\n"
        "4: FLOCK  ADVISORY  WRITE 1 fe:00:10952992 0 EOF\n");
}

TEST_CASE("locks: an entry whose owner is outside is dropped with its waiters") {
  // As locks_show() does: ids keep their gaps (the iterator counts the skipped entries).
  CHECK(render_locks(kLocks, view_of({{31908, 2}, {31909, 3}})) ==
        "2: OFDLCK ADVISORY  WRITE -1 fe:00:10952999 0 EOF\n");
  CHECK(render_locks(kLocks, view_of({})) == "2: OFDLCK ADVISORY  WRITE -1 fe:00:10952999 0 EOF\n");
}

TEST_CASE("locks: leases, inode-less locks and remote (negative) owners") {
  // Line shapes from lock_get_status(); not captured (no lease or NFS lock on this machine).
  constexpr std::string_view real =
      "5: LEASE  ACTIVE    READ 31867 fe:00:10952994 0 EOF\n"
      "6: DELEG  BREAKING  UNLCK 31867 fe:00:10952994 0 EOF\n"
      "7: POSIX  *NOINODE* WRITE 31867 <none>:0 0 EOF\n"
      "8: POSIX  ADVISORY  WRITE -42 00:2e:1234 0 EOF\n"
      "9: ACCESS ADVISORY  READ 31867 fe:00:10952994 0 99\n";
  CHECK(render_locks(real, view_of({{31867, 4}})) ==
        "5: LEASE  ACTIVE    READ 4 fe:00:10952994 0 EOF\n"
        "6: DELEG  BREAKING  UNLCK 4 fe:00:10952994 0 EOF\n"
        "7: POSIX  *NOINODE* WRITE 4 <none>:0 0 EOF\n"
        "8: POSIX  ADVISORY  WRITE -42 00:2e:1234 0 EOF\n"
        "9: ACCESS ADVISORY  READ 4 fe:00:10952994 0 99\n");
}

// --- robustness ----------------------------------------------------------------------------

struct Sample {
  const char* name;
  Renderer render;
  std::string_view text;
};

const std::vector<Sample> kSamples = {
    {"status", render_status, kStatusSelf},
    {"status traced", render_status, kStatusTraced},
    {"status thread", render_status, kStatusThread},
    {"status nested", render_status, kStatusNested},
    {"stat", render_stat, kStatParen},
    {"stat tty", render_stat, kStatTty},
    {"stat thread", render_stat, kStatThread},
    {"children", render_children, kChildren},
    {"sched", render_sched, kSchedParen},
    {"fdinfo", render_pidfd_fdinfo, kPidfdFdinfo},
    {"fdinfo exited", render_pidfd_fdinfo, kPidfdFdinfoExited},
    {"fdinfo nested", render_pidfd_fdinfo, kPidfdFdinfoNested},
    {"fdinfo lock", render_pidfd_fdinfo, kFdinfoLock},
    {"locks", render_locks, kLocks},
};

TEST_CASE("every prefix of every capture: no exception, identity view gives the input back") {
  const auto boxed = view_of({{31637, 3}, {31633, 1}, {31713, 7}, {31867, 2}, {32173, 5}});
  for (const auto& sample : kSamples) {
    for (std::size_t size = 0; size <= sample.text.size(); ++size) {
      const std::string_view prefix = sample.text.substr(0, size);
      CAPTURE(sample.name);
      CAPTURE(size);
      CHECK(sample.render(prefix, kIdentity) == prefix);
      const std::string rendered = sample.render(prefix, boxed);
      // Only children and locks drop items; every other file keeps its last newline or lack of it.
      if (sample.render != render_children && sample.render != render_locks) {
        CHECK(rendered.ends_with('\n') == prefix.ends_with('\n'));
      }
    }
  }
  for (std::size_t size = 0; size <= kLoadavg.size(); ++size) {
    CHECK_NOTHROW(render_loadavg(kLoadavg.substr(0, size), view_of({}, 3)));
  }
}

TEST_CASE("truncated input: what is there is translated") {
  const auto view = view_of({{31637, 3}, {31633, 1}});
  CHECK(render_stat("31637 (python3) R 31633 316", view) == "3 (python3) R 1 0");
  CHECK(render_stat("31637 (pyth", view) == "31637 (pyth");
  CHECK(render_status("Name:\tx\nPid:\t31637\nPPid:\t316", view) == "Name:\tx\nPid:\t3\nPPid:\t0");
  CHECK(render_sched("python3 (31637, #thr", view) == "python3 (31637, #thr");
  CHECK(render_loadavg("0.03 0.68 1.19 1/97", view) == "0.03 0.68 1.19 1/97");
  CHECK(render_locks("3: POSIX  ADVISORY  WRITE 31867", view_of({{31867, 2}})) ==
        "3: POSIX  ADVISORY  WRITE 2");
}

TEST_CASE("malformed input: numbers the kernel never prints are left alone") {
  const auto view = view_of({{7, 3}, {31637, 3}});
  for (const std::string_view line :
       {"Pid:", "Pid:\t", "Pid:\tabc", "Pid:\t007", "Pid:\t-0", "Pid:\t99999999999", "Pid:\t+7",
        "Pid:\t7x", ":\t7", "Pid\t7"}) {
    CAPTURE(line);
    CHECK(render_status(line, view) == line);
    CHECK(render_pidfd_fdinfo(line, view) == line);
  }
  // Found by the fuzzer: deeper levels after a first number that is not a pid are kept.
  CHECK(render_pidfd_fdinfo("NSpid:\t-1\t31637\nNSpid:0 (d", view) ==
        "NSpid:\t-1\t31637\nNSpid:0 (d");
  CHECK(render_children("7 abc 007 99999999999 ", view) == "3 abc 007 99999999999 ");
  CHECK(render_stat("abc (x) R 7 7 7 0 7\n", view) == "abc (x) R 3 3 3 0 3\n");
  CHECK(render_stat("7 x) R 7\n", view) == "7 x) R 7\n");
  CHECK(render_stat(")7 (x\n", view) == ")7 (x\n");
  CHECK(render_loadavg("a b c d e\n", view) == "a b c d e\n");
  CHECK(render_locks("no colon WRITE 7\n7: WRITE\n7: READ 31637x\n", view) ==
        "no colon WRITE 7\n7: WRITE\n7: READ 31637x\n");
  const std::string binary("Pid:\t7\0\xff\n)(\0", 12);
  CHECK_NOTHROW(render_status(binary, view));
  CHECK_NOTHROW(render_stat(binary, view));
  CHECK_NOTHROW(render_sched(binary, view));
}

TEST_CASE("a view that is empty or throws hides numbers and throws nothing") {
  const NumberView empty{};
  CHECK(render_status(kStatusSelf, empty).find("\nPid:\t0\n") != std::string::npos);
  const NumberView throwing{[](int) -> int { throw std::runtime_error("table gone"); }, 0};
  CHECK(render_stat(kStatParen, throwing) ==
        with_prefix(kStatParen, "31637 (a) (b c) x) R 31633 31633 29949 0 -1 ",
                    "0 (a) (b c) x) R 0 0 0 0 -1 "));
  CHECK(render_children(kChildren, throwing) == "");
}

}  // namespace
}  // namespace vpidbox::procfs

TEST_CASE("a task reading its own stat or status sees itself running") {
  using namespace vpidbox::procfs;
  CHECK(show_reader_running_stat("7 (a) b) S 1 7") == "7 (a) b) R 1 7");
  CHECK(show_reader_running_stat("7 (sh) Z 1 7") == "7 (sh) Z 1 7");
  CHECK(show_reader_running_stat("garbage") == "garbage");
  CHECK(show_reader_running_status("Name:\tsh\nState:\tS (sleeping)\nTgid:\t7\n") ==
        "Name:\tsh\nState:\tR (running)\nTgid:\t7\n");
  CHECK(show_reader_running_status("State:\tT (stopped)\n") == "State:\tT (stopped)\n");
  // Read at a ptrace stop (the ptrace engine without a mount of the box's /proc).
  CHECK(show_reader_running_stat("7 (sh) t 1 7") == "7 (sh) R 1 7");
  CHECK(show_reader_running_status("State:\tt (tracing stop)\n") == "State:\tR (running)\n");
}

TEST_CASE("timers: the task a POSIX timer notifies") {
  using namespace vpidbox::procfs;
  const NumberView view{[](int real) { return real == 19416 ? 1 : 0; }, 0};
  const std::string real =
      "ID: 1\nsignal: 10/0000000000000000\nnotify: signal/tid.19416\nClockID: 0\n"
      "ID: 0\nsignal: 10/0000000000000000\nnotify: signal/pid.19416\nClockID: 1\n"
      "ID: 2\nsignal: 0/0000000000000000\nnotify: none/pid.777\nClockID: 1\n";
  CHECK(render_timers(real, view) ==
        "ID: 1\nsignal: 10/0000000000000000\nnotify: signal/tid.1\nClockID: 0\n"
        "ID: 0\nsignal: 10/0000000000000000\nnotify: signal/pid.1\nClockID: 1\n"
        "ID: 2\nsignal: 0/0000000000000000\nnotify: none/pid.0\nClockID: 1\n");
  CHECK(render_timers("notify: x", view) == "notify: x");
  CHECK(render_timers("", view).empty());
}

TEST_CASE("sysvipc: creator and last pids, right-aligned as the kernel prints them") {
  using namespace vpidbox::procfs;
  const NumberView view{[](int real) { return real == 30036 ? 7 : 0; }, 0};
  const std::string header =
      "       key      shmid perms                  size  cpid  lpid nattch   uid\n";
  const std::string row =
      "         0         36   600                  4096 30036 31000      0     0\n";
  CHECK(render_sysvipc(header + row, view) ==
        header + "         0         36   600                  4096     7     0      0     0\n");
  const std::string msg =
      "       key      msqid perms      cbytes       qnum lspid lrpid   uid\n"
      "         5          0   644           0          0 30036     0     0\n";
  CHECK(render_sysvipc(msg, view) ==
        "       key      msqid perms      cbytes       qnum lspid lrpid   uid\n"
        "         5          0   644           0          0     7     0     0\n");
  // Identity view: byte for byte.
  const NumberView same{[](int real) { return real; }, 0};
  CHECK(render_sysvipc(header + row, same) == header + row);
  CHECK(render_sysvipc(
            header + "         0         36   600                  4096 300360     0      0\n",
            view) ==
        header + "         0         36   600                  4096     0     0      0\n");
  CHECK(render_sysvipc("", view).empty());
  CHECK(render_sysvipc("garbage\nno header", view) == "garbage\nno header");
}
