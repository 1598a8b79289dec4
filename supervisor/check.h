// `vpidbox check`: which kernel features vpidbox relies on are present here.
#pragma once

namespace vpidbox {

// Prints one line per feature and the engine `run` would use; returns 0 when vpidbox can work.
int run_check();

}  // namespace vpidbox
