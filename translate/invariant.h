// Broken invariants abort in every build: a supervisor that is wrong must not keep a box running.
#pragma once

#include <cstdio>
#include <cstdlib>

#define VPIDBOX_INVARIANT(cond, what)                                                            \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      std::fprintf(stderr, "vpidbox: internal error: %s (%s at %s:%d)\n", what, #cond, __FILE__, \
                   __LINE__);                                                                    \
      std::abort();                                                                              \
    }                                                                                            \
  } while (0)
