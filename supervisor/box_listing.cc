#include "supervisor/box_listing.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>

#include "supervisor/kernel_facts.h"
#include "translate/level_paths.h"

namespace vpidbox {
namespace {

// A field of one line: tabs separate fields and newlines rows, so neither may be inside one.
std::string field(std::string_view text) {
  std::string out(text);
  std::replace(out.begin(), out.end(), '\t', ' ');
  std::replace(out.begin(), out.end(), '\n', ' ');
  return out;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    const std::size_t at = text.find(sep);
    out.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return out;
    text.remove_prefix(at + 1);
  }
}

template <class T>
T number(std::string_view text) {
  T value{};
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  for (std::string_view line : split(text, '\n'))
    if (!line.empty()) out.push_back(line);
  return out;
}

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

}  // namespace

std::string encode_box_rows(const std::vector<BoxRow>& rows) {
  std::string out;
  for (const BoxRow& row : rows)
    out += field(row.id) + '\t' + std::to_string(row.init_pid) + '\t' +
           std::to_string(row.processes) + '\t' + std::to_string(row.started) + '\t' +
           field(row.command) + '\n';
  return out;
}

std::vector<BoxRow> decode_box_rows(std::string_view text) {
  std::vector<BoxRow> rows;
  for (std::string_view line : lines(text)) {
    const std::vector<std::string_view> f = split(line, '\t');
    if (f.size() != 5) continue;
    rows.push_back({std::string(f[0]), number<Pid>(f[1]), number<std::uint64_t>(f[2]),
                    number<std::int64_t>(f[3]), std::string(f[4])});
  }
  return rows;
}

std::string encode_process_rows(const std::vector<ProcessRow>& rows) {
  std::string out;
  for (const ProcessRow& row : rows)
    out += std::to_string(row.box_pid) + '\t' + std::to_string(row.outer_pid) + '\t' +
           field(row.command) + '\n';
  return out;
}

std::vector<ProcessRow> decode_process_rows(std::string_view text) {
  std::vector<ProcessRow> rows;
  for (std::string_view line : lines(text)) {
    const std::vector<std::string_view> f = split(line, '\t');
    if (f.size() != 3) continue;
    rows.push_back({number<Pid>(f[0]), number<Pid>(f[1]), std::string(f[2])});
  }
  return rows;
}

std::string format_start_time(std::int64_t started, std::int64_t now, long utc_offset_seconds) {
  const std::time_t start_local = static_cast<std::time_t>(started + utc_offset_seconds);
  const std::time_t now_local = static_cast<std::time_t>(now + utc_offset_seconds);
  std::tm start{}, today{};
  ::gmtime_r(&start_local, &start);
  ::gmtime_r(&now_local, &today);
  char text[16];
  if (start.tm_year == today.tm_year && start.tm_yday == today.tm_yday)
    std::strftime(text, sizeof(text), "%H:%M:%S", &start);
  else
    std::strftime(text, sizeof(text), "%b%d", &start);
  return text;
}

std::string format_box_table(std::vector<BoxRow> rows, bool ids_only) {
  // A box's id is a prefix of the ids of the boxes nested in it: sorted by id's components, each
  // nested box follows its parent.
  auto components = [](const std::string& id) {
    std::vector<std::string_view> parts = split(id, '/');
    std::vector<std::pair<std::size_t, std::string_view>> key;
    for (std::string_view p : parts) key.emplace_back(p.size(), p);  // 4 before 12
    return key;
  };
  std::sort(rows.begin(), rows.end(),
            [&](const BoxRow& a, const BoxRow& b) { return components(a.id) < components(b.id); });
  std::string out;
  if (ids_only) {
    for (const BoxRow& row : rows) out += row.id + '\n';
    return out;
  }
  std::size_t id_width = 2;
  for (const BoxRow& row : rows) id_width = std::max(id_width, row.id.size());
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  std::tm local{};
  const std::time_t t = static_cast<std::time_t>(now);
  ::localtime_r(&t, &local);
  out += pad("ID", id_width) + "  " + pad("PID", 8) + "  " + pad("PROCS", 5) + "  " +
         pad("STARTED", 8) + "  COMMAND\n";
  for (const BoxRow& row : rows)
    out += pad(row.id, id_width) + "  " + pad(std::to_string(row.init_pid), 8) + "  " +
           pad(std::to_string(row.processes), 5) + "  " +
           pad(format_start_time(row.started, now, local.tm_gmtoff), 8) + "  " + row.command + '\n';
  return out;
}

std::string format_process_table(const std::vector<ProcessRow>& rows, std::string_view pid_header) {
  std::string out = pad("PID", 7) + "  " + pad(std::string(pid_header), 8) + "  COMMAND\n";
  for (const ProcessRow& row : rows)
    out += pad(std::to_string(row.box_pid), 7) + "  " + pad(std::to_string(row.outer_pid), 8) +
           "  " + row.command + '\n';
  return out;
}

std::string command_of(Pid real) {
  const std::string path = "/proc/" + std::to_string(real) + "/cmdline";
  std::string text;
  if (std::optional<std::string> read = read_proc_file(path.c_str())) text = std::move(*read);
  while (!text.empty() && text.back() == '\0') text.pop_back();
  std::replace(text.begin(), text.end(), '\0', ' ');
  if (!text.empty()) return text;
  const std::string comm = "/proc/" + std::to_string(real) + "/comm";
  std::string name = read_proc_file(comm.c_str()).value_or("");
  while (!name.empty() && name.back() == '\n') name.pop_back();
  return "[" + name + "]";
}

std::vector<BoxRow> gather_boxes(const BoxTasks& tasks, LevelId from, const std::string& id,
                                 const std::function<Pid(Pid real)>& asker_number) {
  const ProcessTable& table = tasks.table();
  std::vector<BoxRow> rows;
  for (LevelId level : table.level_and_descendants(from)) {
    const std::optional<Pid> init = table.init_of(level);
    const std::optional<std::string> path = level_path(table, from, level);
    if (!init || !path) continue;  // a box that is ending
    BoxRow row;
    row.id = id.empty() ? *path : path->empty() ? id : id + "/" + *path;
    if (row.id.empty()) continue;  // the asker's own box, inside it: not a box it can name
    row.init_pid = asker_number(*init);
    for (const auto& [real, task] : table.tasks())
      if (task.real_tid == task.real_tgid && table.sees(level, task.level)) ++row.processes;
    row.started = std::chrono::duration_cast<std::chrono::seconds>(
                      tasks.level_started(level).time_since_epoch())
                      .count();
    row.command = command_of(*init);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<ProcessRow> gather_processes(const BoxTasks& tasks, LevelId level,
                                         const std::function<Pid(Pid real)>& asker_number) {
  const ProcessTable& table = tasks.table();
  std::vector<ProcessRow> rows;
  for (const auto& [real, task] : table.tasks()) {
    if (task.real_tid != task.real_tgid) continue;
    const std::optional<Pid> vnr = table.to_virtual(real, level);
    if (!vnr) continue;
    rows.push_back({*vnr, asker_number(real), command_of(real)});
  }
  std::sort(rows.begin(), rows.end(),
            [](const ProcessRow& a, const ProcessRow& b) { return a.box_pid < b.box_pid; });
  return rows;
}

}  // namespace vpidbox
