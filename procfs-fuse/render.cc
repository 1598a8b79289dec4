// The formats parsed here are the kernel's seq_file output; each function names the kernel
// function whose format it follows (see render.h).
#include "procfs-fuse/render.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

namespace vpidbox::procfs {
namespace {

constexpr std::size_t npos = std::string_view::npos;

// Separators between the values of one status line ("NSpid:\t4242\t7") and between fields.
constexpr std::string_view kBlanks = " \t";
constexpr std::string_view kFieldSeparators = " \n";

struct Token {
  std::size_t begin;
  std::size_t end;
  std::string_view in(std::string_view s) const { return s.substr(begin, end - begin); }
};

// The next run of characters that are not in `separators`, at or after `from`.
std::optional<Token> find_token(std::string_view s, std::size_t from, std::string_view separators) {
  const std::size_t begin = s.find_first_not_of(separators, from);
  if (begin == npos) return std::nullopt;
  return Token{begin, std::min(s.find_first_of(separators, begin), s.size())};
}

// A number in the form the kernel prints ("%d", seq_put_decimal_ll): an optional '-', then
// digits with no leading zero. Anything else, including "-0", "007" and values that overflow
// int, is not ours to rewrite, which keeps every renderer the identity for an identity view.
std::optional<int> parse_decimal(std::string_view s) {
  const std::string_view digits = s.starts_with('-') ? s.substr(1) : s;
  if (digits.empty() || (digits.front() == '0' && s.size() > 1)) return std::nullopt;
  int value = 0;
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (error != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// The box's number for a real one. 0 and negative values are not pids (no tty, OFD lock owner,
// exited task) and pass unchanged. A view that is empty or throws hides the number: showing the
// real one would leak it (fail closed).
int to_box(int real, const NumberView& view) noexcept {
  if (real <= 0) return real;
  if (!view.to_virtual) return 0;
  try {
    return view.to_virtual(real);
  } catch (...) {
    return 0;
  }
}

// The numbers of a real pid in the levels nested below the reader's (see NumberView::nested);
// none when the view has no such function or it throws.
std::vector<int> nested_numbers(int real, const NumberView& view) noexcept {
  if (real <= 0 || !view.nested) return {};
  try {
    return view.nested(real);
  } catch (...) {
    return {};
  }
}

void append_int(std::string& out, int value) {
  std::array<char, 16> buffer{};
  const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), error == std::errc() ? end : buffer.data());
}

// `word` translated when it is a number, copied otherwise.
void append_translated(std::string& out, std::string_view word, const NumberView& view) {
  if (const auto real = parse_decimal(word)) {
    append_int(out, to_box(*real, view));
  } else {
    out += word;
  }
}

// Copies `line` with the token `token` replaced by `value`.
void append_replaced(std::string& out, std::string_view line, Token token, int value) {
  out += line.substr(0, token.begin);
  append_int(out, value);
  out += line.substr(token.end);
}

// Runs `render(body, out)` on every line (without its '\n') and keeps each line's own newline,
// so the output ends as the input does. `render` returns false to drop the line.
template <typename Render>
std::string map_lines(std::string_view text, Render&& render) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    const bool has_newline = newline != npos;
    const std::size_t mark = out.size();
    if (render(text.substr(0, newline), out)) {
      if (has_newline) out += '\n';
    } else {
      out.resize(mark);
    }
    text.remove_prefix(has_newline ? newline + 1 : text.size());
  }
  return out;
}

// Every public renderer runs inside this: nothing may escape into the FUSE loop. The only thing
// that can throw here is allocation; an empty file is the answer that shows no real number.
template <typename Render>
std::string guarded(Render&& render) noexcept {
  try {
    return render();
  } catch (...) {
    return {};
  }
}

// "Key:" at the start of a line: the key and where its value starts.
struct KeyedLine {
  std::string_view key;
  std::size_t value_from;
};

std::optional<KeyedLine> split_key(std::string_view line) {
  const std::size_t colon = line.find(':');
  if (colon == npos) return std::nullopt;
  return KeyedLine{line.substr(0, colon), colon + 1};
}

// The first number of a line's value ("\t4242" or "\t4242\t7") and its real value.
struct FirstNumber {
  Token token;
  int real;
};

std::optional<FirstNumber> first_number(std::string_view line, std::size_t from) {
  const auto token = find_token(line, from, kBlanks);
  if (!token) return std::nullopt;
  const auto real = parse_decimal(token->in(line));
  if (!real) return std::nullopt;
  return FirstNumber{*token, *real};
}

// --- status -------------------------------------------------------------------------------

bool is_status_pid_key(std::string_view key) {
  // Ngid is absent on purpose: task_numa_group_id() is printed untranslated.
  static constexpr std::array<std::string_view, 8> kKeys = {
      "Tgid", "Pid", "PPid", "TracerPid", "NStgid", "NSpid", "NSpgid", "NSsid"};
  return std::ranges::find(kKeys, key) != kKeys.end();
}

// task_state() prints one number, or for NS* one per pid namespace level from the procfs
// mount's level down to the task's. The first is the supervisor's level, which the box's level
// replaces. Any further numbers belong to real pid namespaces created inside the box, which the
// kernel would list under the box's number unchanged, so they stay.
void render_status_line(std::string_view line, const NumberView& view, std::string& out) {
  const auto keyed = split_key(line);
  const auto number =
      keyed && is_status_pid_key(keyed->key) ? first_number(line, keyed->value_from) : std::nullopt;
  if (!number) {
    out += line;
    return;
  }
  // The real TracerPid is the supervisor; a tracer inside the box is the view's.
  const bool traced_inside = keyed->key == "TracerPid" && view.tracer > 0;
  const int box = traced_inside ? view.tracer : to_box(number->real, view);
  out += line.substr(0, number->token.begin);
  append_int(out, box);
  // A box nested in the reader's lists one more number per level, as nested pid namespaces do.
  if (box > 0 && keyed->key.starts_with("NS"))
    for (int deeper : nested_numbers(number->real, view)) {
      out += '\t';
      append_int(out, deeper);
    }
  out += line.substr(number->token.end);
}

// --- stat ---------------------------------------------------------------------------------

// The 1-based field numbers of do_task_stat() that hold pids. (7) tty_nr is a device number.
bool is_stat_pid_field(int field) {
  return field == 1 || field == 4 || field == 5 || field == 6 || field == 8;
}
constexpr int kLastStatPidField = 8;

// Fields (3) onwards: single spaces between them, '\n' at the end.
void render_stat_fields(std::string_view rest, const NumberView& view, std::string& out) {
  int field = 2;  // (2) comm has been copied already
  std::size_t copied = 0;
  for (auto token = find_token(rest, 0, kFieldSeparators); token;
       token = find_token(rest, token->end, kFieldSeparators)) {
    if (++field > kLastStatPidField) break;
    if (!is_stat_pid_field(field)) continue;
    out += rest.substr(copied, token->begin - copied);
    append_translated(out, token->in(rest), view);
    copied = token->end;
  }
  out += rest.substr(copied);
}

// --- sched --------------------------------------------------------------------------------

std::size_t skip_digits(std::string_view s, std::size_t from) {
  while (from < s.size() && std::isdigit(static_cast<unsigned char>(s[from]))) ++from;
  return from;
}

// The pid in the header "%s (%d, #threads: %d)\n". The comm before it may hold spaces,
// parentheses and even a newline, so neither the first '(' nor the first line can be trusted.
// But p->comm is at most 15 bytes (TASK_COMM_LEN), shorter than the shortest complete tail
// "(1, #threads: 1)", so the first complete tail followed by a newline is the real one.
std::optional<Token> find_sched_pid(std::string_view text) {
  constexpr std::string_view kThreads = ", #threads: ";
  for (std::size_t open = text.find('('); open != npos; open = text.find('(', open + 1)) {
    const Token pid{open + 1, skip_digits(text, open + 1)};
    if (pid.end == pid.begin || text.substr(pid.end, kThreads.size()) != kThreads) continue;
    const std::size_t count_begin = pid.end + kThreads.size();
    const std::size_t count_end = skip_digits(text, count_begin);
    const std::string_view after = text.substr(count_end);
    if (count_end > count_begin && (after == ")" || after.starts_with(")\n"))) return pid;
  }
  return std::nullopt;
}

// --- locks --------------------------------------------------------------------------------

// One line of lock_get_status(): "<id>: " then, for a blocked waiter, an indented "-> ", the
// kind words ("POSIX  ADVISORY ", "FLOCK  ADVISORY ", "OFDLCK ADVISORY ", "LEASE  ACTIVE    ",
// "*NOINODE*" ...), the type READ/WRITE/UNLCK, and then the owner pid.
struct LockLine {
  Token pid;
  bool waiter;
};

bool is_lock_type(std::string_view word) {
  return word == "READ" || word == "WRITE" || word == "UNLCK";
}

std::optional<LockLine> parse_lock_line(std::string_view line, std::size_t from) {
  const auto id = find_token(line, from, kBlanks);
  if (!id || !id->in(line).ends_with(':')) return std::nullopt;
  auto word = find_token(line, id->end, kBlanks);
  const bool waiter = word && word->in(line) == "->";
  while (word && !is_lock_type(word->in(line))) word = find_token(line, word->end, kBlanks);
  const auto pid = word ? find_token(line, word->end, kBlanks) : std::nullopt;
  if (!pid) return std::nullopt;
  return LockLine{*pid, waiter};
}

// A lock line whose owner pid parses, with that pid translated.
struct TranslatedLock {
  LockLine lock;
  int real;
  int box;
};

std::optional<TranslatedLock> translate_lock_line(std::string_view line, std::size_t from,
                                                  const NumberView& view) {
  const auto lock = parse_lock_line(line, from);
  const auto real = lock ? parse_decimal(lock->pid.in(line)) : std::nullopt;
  if (!real) return std::nullopt;
  return TranslatedLock{*lock, *real, to_box(*real, view)};
}

void append_lock_line(std::string_view line, const std::optional<TranslatedLock>& lock,
                      std::string& out) {
  if (lock) {
    append_replaced(out, line, lock->lock.pid, lock->box);
  } else {
    out += line;
  }
}

// --- fdinfo -------------------------------------------------------------------------------

void render_fdinfo_line(std::string_view line, const NumberView& view, std::string& out) {
  const auto keyed = split_key(line);
  if (keyed && keyed->key == "lock") {
    append_lock_line(line, translate_lock_line(line, keyed->value_from, view), out);
    return;
  }
  const bool pid_line = keyed && (keyed->key == "Pid" || keyed->key == "NSpid");
  const auto number = pid_line ? first_number(line, keyed->value_from) : std::nullopt;
  if (!number) {
    out += line;
    return;
  }
  const int box = to_box(number->real, view);
  // pidfd_show_fdinfo() lists the deeper levels only when the first number is positive: a task
  // outside the reader's namespace shows a lone 0. (An exited task's -1 is alone already.)
  if (keyed->key == "NSpid" && number->real > 0 && box <= 0) {
    out += line.substr(0, number->token.begin);
    append_int(out, box);
    return;
  }
  out += line.substr(0, number->token.begin);
  append_int(out, box);
  if (keyed->key == "NSpid")
    for (int deeper : nested_numbers(number->real, view)) {
      out += '\t';
      append_int(out, deeper);
    }
  out += line.substr(number->token.end);
}

}  // namespace

std::string render_status(std::string_view real_text, const NumberView& view) noexcept {
  return guarded([&] {
    return map_lines(real_text, [&](std::string_view line, std::string& out) {
      render_status_line(line, view, out);
      return true;
    });
  });
}

std::string render_stat(std::string_view real_text, const NumberView& view) noexcept {
  return guarded([&] {
    // "%d (%s) %c %d ...": the comm may contain spaces, ')' and newlines, but no field after it
    // contains ')', so the last ')' closes it.
    const std::size_t open = real_text.find(" (");
    const std::size_t close = real_text.rfind(')');
    if (open == npos || close == npos || close < open) return std::string(real_text);
    std::string out;
    out.reserve(real_text.size());
    append_translated(out, real_text.substr(0, open), view);
    out += real_text.substr(open, close + 1 - open);
    render_stat_fields(real_text.substr(close + 1), view, out);
    return out;
  });
}

std::string render_children(std::string_view real_text, const NumberView& view) noexcept {
  return guarded([&] {
    std::string out;
    std::size_t copied = 0;  // the separators before a token are copied with it
    for (auto token = find_token(real_text, 0, kFieldSeparators); token;
         token = find_token(real_text, token->end, kFieldSeparators)) {
      out += real_text.substr(copied, token->begin - copied);
      const auto real = parse_decimal(token->in(real_text));
      const int box = real ? to_box(*real, view) : 0;
      if (real && *real > 0 && box == 0) {
        // A child outside the box is not listed; its trailing separator goes with it.
        copied =
            std::min(real_text.find_first_not_of(kFieldSeparators, token->end), real_text.size());
        continue;
      }
      if (real) {
        append_int(out, box);
      } else {
        out += token->in(real_text);
      }
      copied = token->end;
    }
    out += real_text.substr(copied);
    return out;
  });
}

std::string render_sched(std::string_view real_text, const NumberView& view) noexcept {
  return guarded([&] {
    const auto pid = find_sched_pid(real_text);
    const auto real = pid ? parse_decimal(pid->in(real_text)) : std::nullopt;
    if (!real) return std::string(real_text);
    std::string out;
    out.reserve(real_text.size());
    append_replaced(out, real_text, *pid, to_box(*real, view));
    return out;
  });
}

std::string render_timers(std::string_view real_text, const NumberView& view) noexcept {
  return guarded([&] {
    std::string out;
    out.reserve(real_text.size());
    std::size_t line = 0;
    while (line < real_text.size()) {
      const std::size_t end = std::min(real_text.find('\n', line), real_text.size());
      const std::string_view text = real_text.substr(line, end - line);
      // "notify: signal/pid.4242" or "notify: signal/tid.4243"
      const std::size_t dot = text.find_first_of('.');
      const bool notify = text.starts_with("notify:") && dot != npos && dot >= 3 &&
                          (text.substr(dot - 3, 3) == "pid" || text.substr(dot - 3, 3) == "tid");
      const auto real = notify ? parse_decimal(text.substr(dot + 1)) : std::nullopt;
      if (real) {
        out += text.substr(0, dot + 1);
        append_int(out, to_box(*real, view));
      } else {
        out += text;
      }
      if (end < real_text.size()) out += '\n';
      line = end + 1;
    }
    return out;
  });
}

std::string render_sysvipc(std::string_view real_text, const NumberView& view) noexcept {
  return guarded([&] {
    // Which columns hold pids, from the header line.
    std::vector<bool> pid_column;
    const std::size_t header_end = std::min(real_text.find('\n'), real_text.size());
    const std::string_view header = real_text.substr(0, header_end);
    for (auto token = find_token(header, 0, kBlanks); token;
         token = find_token(header, token->end, kBlanks)) {
      const std::string_view name = token->in(header);
      pid_column.push_back(name == "cpid" || name == "lpid" || name == "lspid" || name == "lrpid");
    }
    bool first = true;
    return map_lines(real_text, [&](std::string_view line, std::string& out) {
      if (std::exchange(first, false)) {
        out += line;
        return true;
      }
      std::size_t copied = 0;    // line[0, copied) is in `out`
      std::size_t previous = 0;  // where the previous field ended
      std::size_t column = 0;
      for (auto token = find_token(line, 0, kBlanks); token;
           previous = token->end, token = find_token(line, token->end, kBlanks), ++column) {
        const auto real = column < pid_column.size() && pid_column[column]
                              ? parse_decimal(token->in(line))
                              : std::nullopt;
        if (!real || previous == 0) continue;
        // The kernel prints these columns "%5u" after one separating blank: a number keeps
        // its field's width, except that a wide real number's field narrows to what the
        // kernel would print for the box's (an identity view keeps every byte).
        out += line.substr(copied, previous + 1 - copied);
        std::string number;
        append_int(number, to_box(*real, view));
        const std::size_t span = token->end - (previous + 1);
        const std::size_t digits = token->end - token->begin;
        const std::size_t room =
            digits > 5 ? std::max<std::size_t>(5, number.size()) + (span - digits) : span;
        if (number == token->in(line)) {
          out += line.substr(previous + 1, span);  // unchanged, padding and all
        } else {
          if (number.size() < room) out.append(room - number.size(), ' ');
          out += number;
        }
        copied = token->end;
      }
      out += line.substr(copied);
      return true;
    });
  });
}

std::string render_loadavg(std::string_view real_text, const NumberView& view) noexcept {
  return guarded([&] {
    // "%lu.%02lu %lu.%02lu %lu.%02lu %u/%d %d\n": the 5th field is the last pid allocated in
    // the reader's pid namespace. The 4th (running/total) is global under namespaces too.
    constexpr int kLastPidField = 5;
    auto token = find_token(real_text, 0, kFieldSeparators);
    for (int field = 1; token && field < kLastPidField; ++field) {
      token = find_token(real_text, token->end, kFieldSeparators);
    }
    if (!token || !parse_decimal(token->in(real_text))) return std::string(real_text);
    std::string out;
    append_replaced(out, real_text, *token, view.last_allocated);
    return out;
  });
}

std::string render_pidfd_fdinfo(std::string_view real_text, const NumberView& view) noexcept {
  return guarded([&] {
    return map_lines(real_text, [&](std::string_view line, std::string& out) {
      render_fdinfo_line(line, view, out);
      return true;
    });
  });
}

std::string render_locks(std::string_view real_text, const NumberView& view) noexcept {
  return guarded([&] {
    // locks_show() skips a lock whose owner is invisible in the reader's namespace, and with it
    // the tree of waiters printed under it (the "->" lines that follow).
    bool hiding_entry = false;
    return map_lines(real_text, [&](std::string_view line, std::string& out) {
      const auto lock = translate_lock_line(line, 0, view);
      if (lock && !lock->lock.waiter) hiding_entry = lock->real > 0 && lock->box == 0;
      if (lock && hiding_entry) return false;
      append_lock_line(line, lock, out);
      return true;
    });
  });
}

std::string show_reader_running_status(std::string text) noexcept {
  constexpr std::string_view kRunning = "State:\tR (running)\n";
  // Waiting for a notification's answer, or stopped at a ptrace stop for the supervisor.
  for (std::string_view waiting : {"State:\tS (sleeping)\n", "State:\tt (tracing stop)\n"}) {
    const std::size_t at = text.find(waiting);
    if (at != npos && (at == 0 || text[at - 1] == '\n')) {
      text.replace(at, waiting.size(), kRunning);
      break;
    }
  }
  return text;
}

std::string show_reader_running_stat(std::string text) noexcept {
  // "pid (comm) S ...": the comm may hold spaces and parentheses; the state follows the last ')'.
  const std::size_t close = text.rfind(')');
  if (close != npos && close + 2 < text.size() && text[close + 1] == ' ' &&
      (text[close + 2] == 'S' || text[close + 2] == 't'))
    text[close + 2] = 'R';
  return text;
}

}  // namespace vpidbox::procfs
