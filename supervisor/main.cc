// vpidbox: the command line. Exceptions stop here; everything below reports errors as values.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "supervisor/check.h"
#include "supervisor/control_client.h"
#include "supervisor/duration.h"
#include "supervisor/launcher.h"
#include "supervisor/session.h"

namespace {

int usage_error(const std::string& message) {
  std::fprintf(stderr, "vpidbox: %s (try 'vpidbox --help')\n", message.c_str());
  return vpidbox::kExitInternal;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vpidbox: run a process tree in its own pid space, without a pid namespace",
               "vpidbox"};
  app.set_version_flag("--version", "vpidbox 0.1.0");
  app.require_subcommand(1);

  CLI::App* run = app.add_subcommand("run", "run COMMAND as pid 1 of a new virtual pid space");
  std::string trace_target;
  std::string kill_after_text;
  std::string engine = "auto";
  std::string proc = "auto";
  run->add_flag("--trace{-}", trace_target,
                "print one line per intercepted syscall to stderr, or to FILE with --trace=FILE");
  bool stats = false;
  run->add_flag("--stats", stats,
                "when the box is over, print how many notifications and ptrace stops it cost");
  bool low_latency = false;
  run->add_flag("--low-latency", low_latency,
                "hold the CPU latency request at 0 while the box runs (root): idle CPUs poll "
                "instead of sleeping, so the supervisor and the box wake sooner");
  run->add_option("--kill-after", kill_after_text,
                  "kill the box DURATION after the first forwarded stop signal (e.g. 10s, 500ms)");
  run->add_option("--engine", engine,
                  "auto (default), hybrid (unotify for queries + ptrace), or ptrace (everything)")
      ->check(CLI::IsMember({"auto", "hybrid", "ptrace"}));
  run->add_option("--proc", proc,
                  "auto (default: fuse where FUSE and a mount namespace can be had, intercept "
                  "otherwise), fuse (the box's own /proc, mounted), intercept (the box's own /proc "
                  "without a mount: the calls that name /proc paths are served), host (the host's "
                  "/proc), or none (an empty /proc)")
      ->check(CLI::IsMember({"auto", "fuse", "intercept", "host", "none"}));
  run->prefix_command();

  app.add_subcommand("check", "report the kernel features vpidbox needs and exit");

  CLI::App* ps = app.add_subcommand(
      "ps", "list the running boxes, or with BOX the processes of one (box pid and host pid)");
  bool quiet = false;
  std::string ps_box;
  ps->add_flag("-q,--quiet", quiet, "print box ids (or, with BOX, box pids) only");
  ps->add_option("BOX", ps_box, "a box id (or a unique prefix), ID/N for a box nested in it");

  CLI::App* exec = app.add_subcommand(
      "exec", "run COMMAND in the running box BOX, as nsenter or docker exec would");
  std::string exec_box;
  exec->add_option("BOX", exec_box, "a box id (or a unique prefix), ID/N for a box nested in it")
      ->required();
  exec->prefix_command();

  // Everything after the first "--" is the command, untouched by option parsing.
  std::vector<std::string> command;
  std::vector<std::string> ours;
  for (int i = 1; i < argc; ++i) {
    if (command.empty() && std::string_view(argv[i]) == "--") {
      command.assign(argv + i + 1, argv + argc);
      command.insert(command.begin(), "--");
      break;
    }
    ours.emplace_back(argv[i]);
  }
  std::reverse(ours.begin(), ours.end());  // CLI11 takes the arguments last-first

  // CLI11 reports a missing subcommand before an unknown option; name the option, which is what
  // the user got wrong.
  // Without "--", the command starts at the first word after "run" that is not an option.
  static const std::set<std::string> kKnown = {
      "-h",     "--help",  "--version",     "--trace", "--kill-after", "--engine",
      "--proc", "--stats", "--low-latency", "-q",      "--quiet"};
  // After "run" the command starts at the first word that is not an option; after "exec", at the
  // first word after BOX.
  int words_before_command = -1;
  for (auto it = ours.rbegin(); it != ours.rend(); ++it) {
    const std::string& arg = *it;
    if (arg.size() > 1 && arg[0] == '-') {
      if (!kKnown.contains(arg.substr(0, arg.find('='))))
        return usage_error("unknown option '" + arg + "'");
    } else if (words_before_command == 0) {
      break;
    } else if (words_before_command > 0) {
      --words_before_command;
    } else if (arg == "run") {
      words_before_command = 0;
    } else if (arg == "exec") {
      words_before_command = 1;
    }
  }

  try {
    app.parse(ours);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }

  if (app.got_subcommand("check")) return vpidbox::run_check();
  if (app.got_subcommand("ps"))
    return vpidbox::run_ps(quiet, ps_box.empty() ? std::nullopt : std::optional(ps_box));
  if (app.got_subcommand("exec")) {
    std::vector<std::string> argv =
        command.empty() ? exec->remaining()
                        : std::vector<std::string>(command.begin() + 1, command.end());
    if (!command.empty() && !exec->remaining().empty())
      return usage_error("exec: unexpected argument '" + exec->remaining().front() + "' before --");
    if (argv.empty()) return usage_error("exec: missing COMMAND");
    return vpidbox::run_exec(exec_box, argv);
  }

  vpidbox::RunOptions options;
  options.argv = command.empty() ? run->remaining()
                                 : std::vector<std::string>(command.begin() + 1, command.end());
  if (!command.empty() && !run->remaining().empty())
    return usage_error("run: unexpected argument '" + run->remaining().front() + "' before --");
  if (options.argv.empty()) return usage_error("run: missing COMMAND");
  if (run->count("--trace")) options.trace_target = trace_target;
  options.stats = stats;
  options.low_latency = low_latency;
  options.engine = engine == "hybrid"   ? vpidbox::Engine::kHybrid
                   : engine == "ptrace" ? vpidbox::Engine::kPtrace
                                        : vpidbox::Engine::kAuto;
  options.proc = proc == "fuse"        ? vpidbox::ProcMode::kFuse
                 : proc == "intercept" ? vpidbox::ProcMode::kIntercept
                 : proc == "host"      ? vpidbox::ProcMode::kHost
                 : proc == "none"      ? vpidbox::ProcMode::kNone
                                       : vpidbox::ProcMode::kAuto;
  if (!kill_after_text.empty()) {
    options.kill_after = vpidbox::parse_duration(kill_after_text);
    if (!options.kill_after)
      return usage_error("--kill-after: invalid duration '" + kill_after_text + "'");
  }
  return vpidbox::run_box(options);
}
