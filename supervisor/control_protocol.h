// How a program in a box speaks to the supervisor that serves it, and how vpidbox speaks to a
// running box from outside. Shared by both ends.
//
// Inside a box: prctl(kPrctlOption, op, arg, size, 0). The filter traps that one prctl option
// and the supervisor answers it; outside any box the kernel answers EINVAL, which is how
// `vpidbox run` knows whether it is nested. It needs no inherited descriptor or environment, so
// a process that closed its files or cleared its environment can still nest a box.
//
// Outside: a SOCK_SEQPACKET unix socket per top-level box (runtime_dir.h), one request and one
// answer per message, both text.
#pragma once

#include <cstdint>

namespace vpidbox::control {

// "VPID": no prctl option of the kernel, as PR_SET_PTRACER is "Yama" and PR_SET_VMA "SVMA".
constexpr unsigned long kPrctlOption = 0x56504944;

enum Op : unsigned long {
  // arg: a BoxInfo to fill. Answers 0.
  kQuery = 1,
  // The caller's children from now on start a new box nested in the caller's level, the first
  // of them its init. arg: kNestOwnProc or kNestParentProc (which level's /proc the new box sees).
  // Answers 0, or -ENOSPC when 32 levels are nested already, -EBUSY when the caller did so before.
  kNestChildren = 2,
  // arg, size: a buffer for the listing of the boxes nested in the caller's level (the lines a
  // control socket answers to "ps", box paths relative to the caller's level). Answers the
  // length, or -ERANGE when the buffer is too small.
  kListBoxes = 3,
  // arg, size: a box path relative to the caller's level ("4", "4/2"). The caller's children
  // from now on are made in that box, as `nsenter` makes them in a pid namespace. Answers 0, or
  // -ENOENT when no such box is nested in the caller's level.
  kChildrenInto = 4,
  // arg, size: a box path relative to the caller's level, then a buffer: the processes of that
  // box (the lines a control socket answers to "procs"). Answers the length, -ERANGE, -ENOENT.
  kListProcesses = 5,
};

enum NestProc : unsigned long {
  kNestOwnProc = 0,     // the new box's /proc shows the new box (as --mount-proc)
  kNestParentProc = 1,  // it shows the level it is nested in (--proc=host inside a box)
};

struct BoxInfo {
  std::uint32_t version = 1;
  std::uint32_t depth = 0;      // of the caller's level: 0 in a top-level box
  std::uint32_t max_depth = 0;  // the deepest level a box may have (31: 32 levels)
  std::uint32_t reserved = 0;
};

}  // namespace vpidbox::control
