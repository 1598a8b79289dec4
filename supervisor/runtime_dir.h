// Where running boxes keep their control sockets (control_server.h), one `<id>.sock` per
// top-level box: $VPIDBOX_RUNTIME_DIR when set; else $XDG_RUNTIME_DIR/vpidbox; else /run/vpidbox
// for root; else /tmp/vpidbox-<uid>. The directory is the user's own, mode 0700; the sockets are
// 0600, and every request is checked against the asker's uid besides.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace vpidbox {

// This user's directory (not created).
std::string own_runtime_dir();
// Creates the directory if it is missing and checks that it is this user's alone (a real
// directory, owned by the caller, no access for group and others): nullopt, or what is wrong.
std::optional<std::string> prepare_runtime_dir(const std::string& dir);
// The directories `vpidbox ps` looks in: the user's own; root also looks in every user's
// (unless $VPIDBOX_RUNTIME_DIR names one).
std::vector<std::string> runtime_dirs_to_scan();

}  // namespace vpidbox
