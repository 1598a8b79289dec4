// The small filters the supervisor gives a box process on top of the box's own, when it needs
// calls stopped that the box's filter cannot single out (supervisor/filter_injection.h): the
// reads of one descriptor (a signalfd), or every recvmsg() of a process that asked to receive
// credentials (SO_PASSCRED). Each returns SECCOMP_RET_TRACE with kStackedTraceData for those
// calls, and allows everything else (the box's filter still decides about the rest). Pure: the
// program is plain classic BPF.
#pragma once

#include <linux/filter.h>

#include <vector>

namespace vpidbox {

// The data of the SECCOMP_RET_TRACE these filters return (the box's own is kBoxTraceData).
constexpr unsigned kStackedTraceData = 0xb0c6;

enum class StackedFilter : unsigned char {
  kReadsOfFd,  // read() and readv() of one descriptor, and the calls that duplicate it
  kRecvmsg,    // recvmsg() and recvmmsg() of any descriptor
};

std::vector<sock_filter> stacked_filter_program(StackedFilter what, int fd);

}  // namespace vpidbox
