// --low-latency: the PM QoS CPU latency request held at 0 us for the box's life. Every ptrace
// stop and every notification wakes a task that sleeps, often on a CPU that has nothing else to
// run; a CPU that halts when idle takes long to wake (on a quiet 2-vCPU VM, most of a 112 us
// kill(getpid(), 0) round trip was waking halted vCPUs, twice). With the request held, idle CPUs
// poll instead of halting. Its price: they spin, drawing power (on a VM, host CPU time) while the
// box runs; and /dev/cpu_dma_latency is root's. Closing the descriptor withdraws the request.
#pragma once

#include <optional>
#include <string>

#include "supervisor/unique_fd.h"

namespace vpidbox {

// Makes the request and returns the descriptor that holds it, or nullopt with `error` set.
std::optional<UniqueFd> hold_cpu_latency_request(std::string& error);

}  // namespace vpidbox
