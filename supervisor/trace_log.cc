#include "supervisor/trace_log.h"

#include <fmt/format.h>

#include <cstring>

namespace vpidbox {

std::string format_trace_line(Pid vtid, const Call& call, const Outcome& outcome) {
  std::string line = fmt::format("[v{} r{}] {}(", vtid, call.real_tid, call.row->name);
  for (int i = 0; i < call.row->arg_count(); ++i) {
    // pid arguments are C ints: show -1, not its 64-bit register image.
    const bool is_pid = carries_pid(call.row->args[i]);
    const std::int64_t shown =
        is_pid ? static_cast<std::int32_t>(call.args[i]) : static_cast<std::int64_t>(call.args[i]);
    line += fmt::format("{}{}", i ? ", " : "", shown);
  }
  line += ")";
  if (const auto* v = std::get_if<ReturnValue>(&outcome)) {
    line += fmt::format(" = {}", v->value);
  } else if (const auto* e = std::get_if<ReturnErrno>(&outcome)) {
    // The kernel's restart codes (ERESTARTSYS and friends) have no name in libc.
    const char* name = strerrorname_np(e->error);
    if (name)
      line += fmt::format(" = -1 {} ({})", name, std::strerror(e->error));
    else
      line += fmt::format(" = -1 (kernel restart code {})", e->error);
  } else {
    line += " = <kernel>";
  }
  return line;
}

bool TraceLog::open(const std::string& target) {
  if (target.empty() || target == "-") {
    out_ = stderr;
    return true;
  }
  out_ = std::fopen(target.c_str(), "we");
  owned_ = out_ != nullptr;
  return out_ != nullptr;
}

void TraceLog::write(Pid vtid, const Call& call, const Outcome& outcome) {
  if (!out_) return;
  note(format_trace_line(vtid, call, outcome));
}

void TraceLog::note(const std::string& line) {
  if (!out_) return;
  std::fprintf(out_, "vpidbox: %s\n", line.c_str());
  std::fflush(out_);
}

TraceLog::~TraceLog() {
  if (owned_) std::fclose(out_);
}

}  // namespace vpidbox
