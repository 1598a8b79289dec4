// libFuzzer target for the /proc renderers: arbitrary bytes into every renderer.
//
// scripts/fuzz.sh [SECONDS | libFuzzer options] builds it with clang in build-fuzz/ and runs it
// with procfs-fuse/fuzz_render.dict and a corpus of this machine's /proc files (scripts/test.sh
// runs it for 25 s). By hand, in a clang build directory: ninja procfs-fuse/procfs_render_fuzz.
// libFuzzer writes a failing input to ./crash-<sha1>: add -artifact_prefix=/tmp/ to keep it out
// of the tree.
//
// Besides crashes and sanitizer reports it checks two properties, and traps when one fails:
//  - with the identity view every renderer except loadavg gives back its input byte for byte
//    (only pid fields may change, and they do not under the identity);
//  - the renderers that never drop items (all but children and locks) keep the input's
//    ending: a final newline, or none.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "procfs-fuse/render.h"

namespace {

using vpidbox::procfs::NumberView;
using Renderer = std::string (*)(std::string_view, const NumberView&) noexcept;

// A fixed box: every third number is outside, the rest map to small numbers, so both the
// translation and the drop paths run.
const NumberView kBoxed{[](int real) { return real % 3 == 0 ? 0 : real % 1000 + 1; }, 42};
const NumberView kIdentity{[](int real) { return real; }, 0};

bool ends_alike(std::string_view a, std::string_view b) {
  return a.ends_with('\n') == b.ends_with('\n');
}

void check(bool property) {
  if (!property) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace vpidbox::procfs;
  for (const Renderer render :
       {render_status, render_stat, render_sched, render_timers, render_pidfd_fdinfo}) {
    check(render(text, kIdentity) == text);
    check(ends_alike(render(text, kBoxed), text));
  }
  for (const Renderer render : {render_children, render_locks, render_sysvipc}) {
    check(render(text, kIdentity) == text);
    render(text, kBoxed);
  }
  check(ends_alike(render_loadavg(text, kBoxed), text));
  return 0;
}
