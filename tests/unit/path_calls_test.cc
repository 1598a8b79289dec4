#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/syscall.h>

#include <set>
#include <string>

#include "translate/path_calls.h"
#include "translate/syscall_table.h"

using namespace vpidbox;

TEST_CASE("path-call rows: numbers, arguments and names hold together") {
  std::set<int> numbers;
  std::set<std::string_view> names;
  for (const PathCallRow& row : path_call_table()) {
    INFO(std::string(row.name));
    CHECK(numbers.insert(row.nr).second);
    CHECK(names.insert(row.name).second);
    CHECK(find_path_call(row.nr) == &row);
    CHECK(find_path_call(row.name) == &row);
    for (int i = 0; i < row.path_count(); ++i) {
      const PathArg& arg = row.paths[i];
      CHECK(arg.path >= 0);
      CHECK(arg.path < 6);
      CHECK(arg.dirfd < 6);
      CHECK(arg.dirfd != arg.path);
      CHECK(arg.path != row.flags_arg);
    }
    for (const MemArg& mem : row.memory) {
      if (mem.kind == MemKind::kNone) continue;
      CHECK(mem.arg >= 0);
      CHECK(mem.arg < 6);
      for (int i = 0; i < row.path_count(); ++i) CHECK(mem.arg != row.paths[i].path);
      const bool sized = mem.size_arg >= 0 || mem.fixed_size > 0;
      if (mem.kind != MemKind::kString) CHECK(sized);
    }
    // Ops that act on a path read at least one; the others take none.
    const bool takes_paths =
        row.op != PathOp::kGetcwd && row.op != PathOp::kNamespace && row.op != PathOp::kMqOpen;
    CHECK((row.path_count() > 0) == takes_paths);
    // The opens are the syscall table's too (its filter rows route them); nothing else is.
    const SyscallRow* main_row = find_syscall(row.nr);
    if (row.op == PathOp::kOpen)
      CHECK((main_row && main_row->route == Route::kProcOpen));
    else
      CHECK(main_row == nullptr);
  }
  CHECK(find_path_call(SYS_getpid) == nullptr);
  CHECK(find_path_call(9999) == nullptr);
}

TEST_CASE("path-call numbers are the x86_64 numbers") {
  CHECK(find_path_call("stat")->nr == SYS_stat);
  CHECK(find_path_call("newfstatat")->nr == SYS_newfstatat);
  CHECK(find_path_call("statx")->nr == SYS_statx);
  CHECK(find_path_call("readlinkat")->nr == SYS_readlinkat);
  CHECK(find_path_call("execveat")->nr == SYS_execveat);
  CHECK(find_path_call("faccessat2")->nr == SYS_faccessat2);
  CHECK(find_path_call("renameat2")->nr == SYS_renameat2);
  CHECK(find_path_call("inotify_add_watch")->nr == SYS_inotify_add_watch);
  CHECK(find_path_call("fanotify_mark")->nr == SYS_fanotify_mark);
  CHECK(find_path_call("mq_open")->nr == SYS_mq_open);
  CHECK(find_path_call("getcwd")->nr == SYS_getcwd);
}

TEST_CASE("the calls the kernel must make in the caller are rewritten at a ptrace stop") {
  for (std::string_view name :
       {"chdir", "chroot", "execve", "execveat", "inotify_add_watch", "fanotify_mark"})
    CHECK(find_path_call(name)->rewritten());
  for (std::string_view name : {"stat", "open", "readlink", "getcwd", "mkdir", "mount"})
    CHECK_FALSE(find_path_call(name)->rewritten());
}

TEST_CASE("which last components are followed") {
  const PathCallRow* stat = find_path_call("stat");
  const PathCallRow* lstat = find_path_call("lstat");
  const PathCallRow* fstatat = find_path_call("newfstatat");
  const PathCallRow* linkat = find_path_call("linkat");
  const PathCallRow* openat = find_path_call("openat");
  const PathCallRow* inotify = find_path_call("inotify_add_watch");
  CHECK(follows_last(stat->paths[0], 0));
  CHECK_FALSE(follows_last(lstat->paths[0], 0));
  CHECK(follows_last(fstatat->paths[0], 0));
  CHECK_FALSE(follows_last(fstatat->paths[0], AT_SYMLINK_NOFOLLOW));
  CHECK_FALSE(follows_last(linkat->paths[0], 0));
  CHECK(follows_last(linkat->paths[0], AT_SYMLINK_FOLLOW));
  CHECK_FALSE(follows_last(linkat->paths[1], AT_SYMLINK_FOLLOW));  // the new name never
  CHECK(follows_last(openat->paths[0], O_RDONLY));
  CHECK_FALSE(follows_last(openat->paths[0], O_RDONLY | O_NOFOLLOW));
  CHECK(follows_last(inotify->paths[0], IN_MODIFY));
  CHECK_FALSE(follows_last(inotify->paths[0], IN_MODIFY | IN_DONT_FOLLOW));
  CHECK(find_path_call("readlink")->paths[0].follow == Follow::kNever);
  CHECK(find_path_call("unlinkat")->paths[0].follow == Follow::kNever);
}

TEST_CASE("an empty path names the directory fd only where the call says so") {
  const PathCallRow* fstatat = find_path_call("newfstatat");
  CHECK_FALSE(empty_path_names_dirfd(fstatat->paths[0], 0));
  CHECK(empty_path_names_dirfd(fstatat->paths[0], AT_EMPTY_PATH));
  CHECK(empty_path_names_dirfd(find_path_call("readlinkat")->paths[0], 0));
  CHECK(empty_path_names_dirfd(find_path_call("utimensat")->paths[0], 0));
  CHECK_FALSE(empty_path_names_dirfd(find_path_call("stat")->paths[0], AT_EMPTY_PATH));
}

TEST_CASE("the calls that make a name say so, and their second path") {
  CHECK(find_path_call("mkdir")->paths[0].creates);
  CHECK(find_path_call("open")->paths[0].creates);
  CHECK_FALSE(find_path_call("rename")->paths[0].creates);
  CHECK(find_path_call("rename")->paths[1].creates);
  CHECK(find_path_call("renameat2")->path_count() == 2);
  CHECK(find_path_call("renameat2")->paths[1].dirfd == 2);
  CHECK(find_path_call("symlinkat")->paths[0].path == 2);  // the target (0) is text, not a path
  CHECK(find_path_call("symlinkat")->memory[0].kind == MemKind::kString);
}
