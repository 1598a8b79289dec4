// A small box for the /proc unit tests: init (real 500, box 1) with a thread (real 501, box 2),
// and a child process (real 600, box 3).
#pragma once

#include "translate/process_table.h"

namespace vpidbox::procfs::testing {

inline ProcessTable sample_box() {
  ProcessTable table(32768);
  table.add_task(500, 500);
  table.add_task(501, 500);
  table.add_task(600, 600);
  return table;
}

}  // namespace vpidbox::procfs::testing
