// What `vpidbox ps` shows: the running boxes (and the boxes nested in them), and the processes of
// one box. The rows travel as text from the supervisor that knows them (over the control socket,
// or the in-box control channel) to the vpidbox process that prints them. Encoding, decoding and
// the printed tables are pure; gathering the rows reads the supervisor's /proc.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "supervisor/box_tasks.h"

namespace vpidbox {

struct BoxRow {
  std::string id;               // "3f2a9c1b7d4e", "3f2a9c1b7d4e/4" for a box nested in it
  Pid init_pid = 0;             // the box's init as the asker numbers it (the host's pid outside)
  std::uint64_t processes = 0;  // processes in the box and the boxes nested in it
  std::int64_t started = 0;     // seconds since the epoch
  std::string command;          // the init's command line, arguments joined by spaces
};

struct ProcessRow {
  Pid box_pid = 0;    // as the box numbers it
  Pid outer_pid = 0;  // as the asker numbers it (the host's pid outside)
  std::string command;
};

// One line per row, fields separated by tabs (a command's tabs and newlines become spaces).
std::string encode_box_rows(const std::vector<BoxRow>& rows);
std::vector<BoxRow> decode_box_rows(std::string_view text);
std::string encode_process_rows(const std::vector<ProcessRow>& rows);
std::vector<ProcessRow> decode_process_rows(std::string_view text);

// The tables `vpidbox ps` prints; `ids_only` (-q) prints the ids alone. A nested box comes
// right after the box it is nested in; start times are local.
std::string format_box_table(std::vector<BoxRow> rows, bool ids_only);
std::string format_process_table(const std::vector<ProcessRow>& rows, std::string_view pid_header);
// "10:31:02" for a start today, "Dec03" before (as ps prints STIME); pure, from a broken-down
// local time of the start and of now.
std::string format_start_time(std::int64_t started, std::int64_t now, long utc_offset_seconds);

// ---- gathered by the supervisor ----
// The command line of a real process (its arguments joined by spaces), or its comm in brackets
// when it has none (a kernel-made or exiting process), as ps shows it.
std::string command_of(Pid real);
// The rows for level `from` and every box nested in it. `id` names `from` (the top-level box's id
// outside, "" inside); `asker_number(real)` numbers a task as the asker sees it.
std::vector<BoxRow> gather_boxes(const BoxTasks& tasks, LevelId from, const std::string& id,
                                 const std::function<Pid(Pid real)>& asker_number);
// The processes (thread-group leaders, zombies included) that level `level` sees.
std::vector<ProcessRow> gather_processes(const BoxTasks& tasks, LevelId level,
                                         const std::function<Pid(Pid real)>& asker_number);

}  // namespace vpidbox
