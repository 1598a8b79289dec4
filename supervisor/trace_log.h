// --trace: one strace-like line per intercepted syscall, with virtual and real numbers.
#pragma once

#include <cstdio>
#include <string>

#include "translate/outcome.h"
#include "translate/rules.h"

namespace vpidbox {

// Pure formatting, unit-tested: "[v3 r41234] getpgid(0) = 1".
std::string format_trace_line(Pid vtid, const Call& call, const Outcome& outcome);

class TraceLog {
 public:
  TraceLog() = default;
  // Opens FILE for writing, or stderr for "-" / empty. False when the file cannot be opened.
  bool open(const std::string& target);
  bool enabled() const { return out_ != nullptr; }
  void write(Pid vtid, const Call& call, const Outcome& outcome);
  void note(const std::string& line);
  ~TraceLog();

 private:
  std::FILE* out_ = nullptr;
  bool owned_ = false;
};

}  // namespace vpidbox
