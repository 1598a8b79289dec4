#define FUSE_USE_VERSION 34
#include "procfs-fuse/proc_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <vector>

#include "procfs-fuse/proc_tree.h"
#include "procfs-fuse/render.h"

namespace vpidbox::procfs {
namespace {

// How long the kernel may keep an answer. Names whose meaning changes with the caller or with a
// task's life are never kept (self, /proc/<n>, task/<t>, fd/<n>): the kernel asks again, as
// procfs revalidates them on every walk. Everything else is as stable as procfs makes it.
constexpr double kKeepStable = 1.0;
constexpr double kKeepNever = 0.0;
// A rewritten file is rendered whole at open; procfs files are far smaller than this.
constexpr std::size_t kMaxRendered = 64 << 20;

struct Inode {
  NodeSpec spec;
  std::uint64_t lookups = 0;
};

struct DirEntry {
  std::string name;
  mode_t type;  // S_IF* bits
};

struct DirHandle {
  NodeSpec spec;
  bool listed = false;
  std::vector<DirEntry> entries;
};

struct FileHandle {
  int fd = -1;       // a host procfs file passed through
  NodeSpec spec;     // its node; for a rendered file,
  std::string text;  // and its text, rendered again at every read from the start as seq_file
                     // files are generated anew
  ~FileHandle() {
    if (fd >= 0) ::close(fd);
  }
};

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

struct ProcFs::State {
  const ProcessTable& table;
  const std::uint64_t mount_id;
  const std::function<int(Pid, Pid)> write_last_pid;
  const AsCaller as_caller;
  int host = -1;  // the supervisor's /proc
  fuse_session* session = nullptr;
  fuse_buf buffer{};
  std::unordered_map<fuse_ino_t, Inode> inodes;
  std::unordered_map<std::string, fuse_ino_t> by_key;
  fuse_ino_t next_ino = FUSE_ROOT_ID + 1;

  State(const ProcessTable& t, std::uint64_t mnt, std::function<int(Pid, Pid)> write_last,
        AsCaller as)
      : table(t), mount_id(mnt), write_last_pid(std::move(write_last)), as_caller(std::move(as)) {
    inodes[FUSE_ROOT_ID] = Inode{root_node(), 1};
  }
  ~State() {
    if (session) fuse_session_destroy(session);  // closes the /dev/fuse fd
    std::free(buffer.mem);
    if (host >= 0) ::close(host);
  }

  static State& of(fuse_req_t req) { return *static_cast<State*>(fuse_req_userdata(req)); }

  // Runs `op` (0 or an errno) as procfs would judge it made by the task that asked `req`.
  int as_requester(fuse_req_t req, const NodeSpec& spec, const std::function<int()>& op) const {
    const Pid caller = fuse_req_ctx(req)->pid;
    const Task* me = table.task(caller);
    const Task* owner = spec.bound_real ? table.task(spec.bound_real) : nullptr;
    return as_caller(caller, me && owner && me->real_tgid == owner->real_tgid, op);
  }

  const char* host_path(const NodeSpec& spec) const {
    return spec.host_path.empty() ? "." : spec.host_path.c_str();
  }

  const Inode* inode(fuse_ino_t ino) const {
    auto it = inodes.find(ino);
    return it == inodes.end() ? nullptr : &it->second;
  }

  fuse_ino_t intern(const NodeSpec& spec) {
    const std::string key = spec.key();
    auto found = by_key.find(key);
    if (found != by_key.end()) {
      ++inodes[found->second].lookups;
      return found->second;
    }
    const fuse_ino_t ino = next_ino++;
    inodes[ino] = Inode{spec, 1};
    by_key[key] = ino;
    return ino;
  }

  void forget(fuse_ino_t ino, std::uint64_t count) {
    if (ino == FUSE_ROOT_ID) return;
    auto it = inodes.find(ino);
    if (it == inodes.end()) return;
    if (it->second.lookups > count) {
      it->second.lookups -= count;
      return;
    }
    by_key.erase(it->second.spec.key());
    inodes.erase(it);
  }

  // The fd in `fd_dir` (a host path ".../fd") whose link text is `name`: the object a followed
  // fd link names.
  std::optional<std::string> fd_named(const std::string& fd_dir, std::string_view name) const {
    int dfd = ::openat(host, fd_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return std::nullopt;
    DIR* dir = ::fdopendir(dfd);
    if (!dir) {
      ::close(dfd);
      return std::nullopt;
    }
    std::optional<std::string> found;
    char target[PATH_MAX];
    while (dirent* d = ::readdir(dir)) {
      if (!all_digits(d->d_name)) continue;
      ssize_t n = ::readlinkat(dfd, d->d_name, target, sizeof(target));
      if (n > 0 && std::string_view(target, static_cast<std::size_t>(n)) == name) {
        found = fd_dir + "/" + d->d_name;
        break;
      }
    }
    ::closedir(dir);
    return found;
  }

  // The attributes the box sees for a node, or an errno.
  int attributes(const NodeSpec& spec, Pid caller, struct stat& st) const {
    if (!still_valid(spec, table)) return ENOENT;
    switch (spec.kind) {
      case NodeKind::kSelfLink:
      case NodeKind::kThreadSelfLink:
        if (!self_link(caller, table)) return ENOENT;
        break;
      case NodeKind::kFdTarget: {
        const std::size_t slash = spec.host_path.rfind('/');
        std::optional<std::string> link =
            fd_named(spec.host_path.substr(0, slash), spec.host_path.substr(slash + 1));
        if (!link) return ENOENT;
        // Following the link may lead onto this very filesystem; DONT_SYNC answers from the
        // kernel's cache instead of asking us, who are busy asking.
        struct statx sx {};
        if (::statx(host, link->c_str(), AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &sx) != 0)
          return errno;
        st = {};
        st.st_ino = sx.stx_ino;  // the object's own: stat(2) through the link must match fstat
        st.st_mode = sx.stx_mode;
        st.st_nlink = sx.stx_nlink;
        st.st_uid = sx.stx_uid;
        st.st_gid = sx.stx_gid;
        st.st_size = static_cast<off_t>(sx.stx_size);
        st.st_blksize = sx.stx_blksize;
        st.st_atim = {sx.stx_atime.tv_sec, sx.stx_atime.tv_nsec};
        st.st_mtim = {sx.stx_mtime.tv_sec, sx.stx_mtime.tv_nsec};
        st.st_ctim = {sx.stx_ctime.tv_sec, sx.stx_ctime.tv_nsec};
        return 0;
      }
      default:
        break;
    }
    if (::fstatat(host, host_path(spec), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno;
    return 0;
  }

  // Files the supervisor installs in box tasks for opens of the box's /proc
  // (supervisor/proc_open.h) are host procfs files, whose paths name real numbers, and memfds
  // holding rendered text, named by the box's path: fd links show the box's path for both, as
  // the box's procfs would.
  void hide_host_proc_path(const NodeSpec& spec, std::string& text) const {
    constexpr std::string_view kMemfd = "/memfd:/proc/";
    constexpr std::string_view kDeleted = " (deleted)";
    if (spec.place != Place::kOther || spec.kind != NodeKind::kHost) return;
    const std::size_t fd_at = spec.host_path.rfind("/fd/");
    if (fd_at == std::string::npos) return;
    if (text.starts_with(kMemfd) && text.ends_with(kDeleted)) {
      text = text.substr(7, text.size() - 7 - kDeleted.size());
      return;
    }
    if (!text.starts_with("/proc/")) return;
    const std::string fdinfo =
        spec.host_path.substr(0, fd_at) + "/fdinfo/" + spec.host_path.substr(fd_at + 4);
    int fd = ::openat(host, fdinfo.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char info[4096];
    const ssize_t n = ::read(fd, info, sizeof(info) - 1);
    ::close(fd);
    if (n <= 0) return;
    info[n] = '\0';
    const char* mnt = std::strstr(info, "mnt_id:");
    if (!mnt || std::strtoull(mnt + 7, nullptr, 10) == mount_id) return;
    // "/proc/<real>[/task/<real>]/...": both numbers become the box's.
    auto translate_at = [&](std::size_t at) -> std::size_t {
      const std::size_t end = std::min(text.find('/', at), text.size());
      std::optional<Pid> real = parse_pid_name(std::string_view(text).substr(at, end - at));
      if (!real) return std::string::npos;
      const std::string box = std::to_string(table.to_virtual(*real).value_or(0));
      text.replace(at, end - at, box);
      return at + box.size();
    };
    const std::size_t after = translate_at(6);
    if (after != std::string::npos && text.compare(after, 6, "/task/") == 0)
      translate_at(after + 6);
  }

  // Attributes may be kept a while even where names may not: a name is looked up again at
  // every walk, and each lookup brings fresh attributes (stat of /proc/<n> then costs one round
  // trip, not two). The object behind an fd link changes with the fd.
  static double keep_attributes_for(const NodeSpec& spec) {
    return spec.kind == NodeKind::kFdTarget ? kKeepNever : kKeepStable;
  }

  static double keep_for(const NodeSpec& spec) {
    if (spec.kind != NodeKind::kHost) return kKeepNever;
    if (spec.place == Place::kTaskDir) return kKeepNever;  // task/<t>: threads come and go
    // fd/<n> and fdinfo/<n>: fds come and go.
    const std::size_t slash = spec.host_path.rfind('/');
    const std::string_view dir = std::string_view(spec.host_path).substr(0, slash);
    if (dir.ends_with("/fd") || dir.ends_with("/fdinfo")) return kKeepNever;
    return kKeepStable;
  }

  // ---- operations ----

  static void lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    State& s = of(req);
    const Inode* dir = s.inode(parent);
    if (!dir) return (void)fuse_reply_err(req, ENOENT);
    std::optional<NodeSpec> spec = child_of(dir->spec, name, s.table);
    if (!spec) return (void)fuse_reply_err(req, ENOENT);
    fuse_entry_param e{};
    if (int err = s.attributes(*spec, fuse_req_ctx(req)->pid, e.attr))
      return (void)fuse_reply_err(req, err);
    e.ino = s.intern(*spec);
    if (spec->kind != NodeKind::kFdTarget) e.attr.st_ino = e.ino;
    e.generation = 1;
    e.entry_timeout = keep_for(*spec);
    e.attr_timeout = keep_attributes_for(*spec);
    if (fuse_reply_entry(req, &e) != 0) s.forget(e.ino, 1);
  }

  static void forget_one(fuse_req_t req, fuse_ino_t ino, std::uint64_t count) {
    of(req).forget(ino, count);
    fuse_reply_none(req);
  }

  static void forget_multi(fuse_req_t req, std::size_t count, fuse_forget_data* list) {
    State& s = of(req);
    for (std::size_t i = 0; i < count; ++i) s.forget(list[i].ino, list[i].nlookup);
    fuse_reply_none(req);
  }

  static void getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
    State& s = of(req);
    const Inode* node = s.inode(ino);
    if (!node) return (void)fuse_reply_err(req, ENOENT);
    struct stat st {};
    if (int err = s.attributes(node->spec, fuse_req_ctx(req)->pid, st))
      return (void)fuse_reply_err(req, err);
    if (node->spec.kind != NodeKind::kFdTarget) st.st_ino = ino;
    fuse_reply_attr(req, &st, keep_attributes_for(node->spec));
  }

  // Truncation is all a box may ask (open with O_TRUNC, as `echo 1 > /proc/sys/...` does), and
  // procfs ignores it; owners and modes of procfs files are not for changing.
  static void setattr(fuse_req_t req, fuse_ino_t ino, struct stat*, int to_set,
                      fuse_file_info* fi) {
    if (to_set & ~(FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
                   FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME))
      return (void)fuse_reply_err(req, EPERM);
    getattr(req, ino, fi);
  }

  static void readlink(fuse_req_t req, fuse_ino_t ino) {
    State& s = of(req);
    const Inode* node = s.inode(ino);
    if (!node || !still_valid(node->spec, s.table)) return (void)fuse_reply_err(req, ENOENT);
    const Pid caller = fuse_req_ctx(req)->pid;
    std::optional<std::string> text;
    if (node->spec.kind == NodeKind::kSelfLink) {
      text = self_link(caller, s.table);
    } else if (node->spec.kind == NodeKind::kThreadSelfLink) {
      text = thread_self_link(caller, s.table);
    } else {
      char buf[PATH_MAX];
      ssize_t n = -1;
      if (int err = s.as_requester(req, node->spec, [&] {
            n = ::readlinkat(s.host, s.host_path(node->spec), buf, sizeof(buf) - 1);
            return n < 0 ? errno : 0;
          }))
        return (void)fuse_reply_err(req, err);
      text.emplace(buf, static_cast<std::size_t>(n));
      s.hide_host_proc_path(node->spec, *text);
    }
    if (!text) return (void)fuse_reply_err(req, ENOENT);
    fuse_reply_readlink(req, text->c_str());
  }

  // The entries of a directory, read when the caller reads it: at open time the caller's own
  // fd for it does not exist yet, and /proc/self/fd must list it.
  int list(fuse_req_t req, const NodeSpec& spec, std::vector<DirEntry>& entries) const {
    entries.clear();
    if (!still_valid(spec, table)) return ENOENT;
    if (spec.kind == NodeKind::kTaskList) {
      entries.push_back({".", S_IFDIR});
      entries.push_back({"..", S_IFDIR});
      for (Pid t : listed_threads(spec.bound_real, table))
        entries.push_back({std::to_string(t), S_IFDIR});
      return 0;
    }
    if (int err = as_requester(req, spec, [&] {
          int dfd = ::openat(host, host_path(spec), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          if (dfd < 0) return errno;
          DIR* dir = ::fdopendir(dfd);
          if (!dir) {
            const int err = errno;
            ::close(dfd);
            return err;
          }
          while (dirent* d = ::readdir(dir)) {
            // The root's pid entries are the host's; the box's own come after the named
            // entries, where procfs puts them.
            if (spec.kind == NodeKind::kRoot && all_digits(d->d_name)) continue;
            entries.push_back({d->d_name, static_cast<mode_t>(DTTOIF(d->d_type))});
          }
          ::closedir(dir);
          return 0;
        }))
      return err;
    if (spec.kind == NodeKind::kRoot)
      for (Pid p : listed_processes(table)) entries.push_back({std::to_string(p), S_IFDIR});
    return 0;
  }

  static void opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    State& s = of(req);
    const Inode* node = s.inode(ino);
    if (!node || !still_valid(node->spec, s.table)) return (void)fuse_reply_err(req, ENOENT);
    auto handle = std::make_unique<DirHandle>();
    handle->spec = node->spec;
    fi->fh = reinterpret_cast<std::uint64_t>(handle.release());
    if (fuse_reply_open(req, fi) != 0) delete reinterpret_cast<DirHandle*>(fi->fh);
  }

  static void readdir(fuse_req_t req, fuse_ino_t, std::size_t size, off_t off, fuse_file_info* fi) {
    auto* handle = reinterpret_cast<DirHandle*>(fi->fh);
    if (off == 0 || !handle->listed) {
      if (int err = of(req).list(req, handle->spec, handle->entries))
        return (void)fuse_reply_err(req, err);
      handle->listed = true;
    }
    std::vector<char> buf(size);
    std::size_t used = 0;
    for (std::size_t i = static_cast<std::size_t>(off); i < handle->entries.size(); ++i) {
      struct stat st {};
      st.st_mode = handle->entries[i].type;
      st.st_ino = 0xffffffff;  // "unknown", as later libfuse spells it
      const std::size_t need =
          fuse_add_direntry(req, buf.data() + used, size - used, handle->entries[i].name.c_str(),
                            &st, static_cast<off_t>(i + 1));
      if (need > size - used) break;
      used += need;
    }
    fuse_reply_buf(req, buf.data(), used);
  }

  static void releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    delete reinterpret_cast<DirHandle*>(fi->fh);
    fuse_reply_err(req, 0);
  }

  static void open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    State& s = of(req);
    const Inode* node = s.inode(ino);
    if (!node || !still_valid(node->spec, s.table)) return (void)fuse_reply_err(req, ENOENT);
    const NodeSpec& spec = node->spec;
    if (spec.kind == NodeKind::kFdTarget) return (void)fuse_reply_err(req, ENXIO);
    const int access = fi->flags & O_ACCMODE;
    const int flags = access | (fi->flags & (O_APPEND | O_TRUNC)) | O_NONBLOCK | O_NOCTTY |
                      O_CLOEXEC | O_NOFOLLOW;
    auto handle = std::make_unique<FileHandle>();
    handle->spec = spec;  // rendered at the first read, or judged by at every read and write
    if (spec.rewrite != Rewrite::kNone) {
      // ns_last_pid is the one rewritten file that takes writes (checked in write()).
      if (access != O_RDONLY && spec.rewrite != Rewrite::kLastPid)
        return (void)fuse_reply_err(req, EACCES);
    } else {
      if (int err = s.as_requester(req, spec, [&] {
            handle->fd = ::openat(s.host, s.host_path(spec), flags);
            return handle->fd < 0 ? errno : 0;
          }))
        return (void)fuse_reply_err(req, err);
    }
    fi->direct_io = 1;
    fi->keep_cache = 0;
    fi->fh = reinterpret_cast<std::uint64_t>(handle.release());
    if (fuse_reply_open(req, fi) != 0) delete reinterpret_cast<FileHandle*>(fi->fh);
  }

  // The text of a rendered file, from the host file now.
  int render_into(fuse_req_t req, FileHandle& handle) const {
    if (!still_valid(handle.spec, table)) return ESRCH;
    const Pid reader = fuse_req_ctx(req)->pid;
    std::string real;
    if (int err = as_requester(req, handle.spec, [&] {
          int fd = ::openat(host, host_path(handle.spec),
                            O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
          if (fd < 0) return errno;
          char chunk[16384];
          for (;;) {
            ssize_t n = ::read(fd, chunk, sizeof(chunk));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0 || real.size() > kMaxRendered) break;
            real.append(chunk, static_cast<std::size_t>(n));
          }
          ::close(fd);
          return 0;
        }))
      return err;
    const Pid task =
        handle.spec.bound_thread_real ? handle.spec.bound_thread_real : handle.spec.bound_real;
    handle.text = render_for_reader(handle.spec, real, table, task != 0 && task == reader);
    return 0;
  }

  static void read(fuse_req_t req, fuse_ino_t, std::size_t size, off_t off, fuse_file_info* fi) {
    auto* handle = reinterpret_cast<FileHandle*>(fi->fh);
    if (handle->fd < 0) {
      if (off == 0)
        if (int err = of(req).render_into(req, *handle)) return (void)fuse_reply_err(req, err);
      const std::size_t from = std::min(static_cast<std::size_t>(off), handle->text.size());
      const std::size_t n = std::min(size, handle->text.size() - from);
      return (void)fuse_reply_buf(req, handle->text.data() + from, n);
    }
    // Some files check the reader at every read (syscall, wchan, io): judged as the reader.
    std::vector<char> buf(size);
    ssize_t n = -1;
    if (int err = of(req).as_requester(req, handle->spec, [&] {
          do {
            n = ::pread(handle->fd, buf.data(), size, off);
            // Some procfs files cannot be read at an offset, only in sequence.
            if (n < 0 && errno == ESPIPE) n = ::read(handle->fd, buf.data(), size);
          } while (n < 0 && errno == EINTR);
          return n < 0 ? errno : 0;
        }))
      return (void)fuse_reply_err(req, err);
    fuse_reply_buf(req, buf.data(), static_cast<std::size_t>(n));
  }

  static void write(fuse_req_t req, fuse_ino_t, const char* data, std::size_t size, off_t off,
                    fuse_file_info* fi) {
    const auto* handle = reinterpret_cast<const FileHandle*>(fi->fh);
    if (handle->spec.rewrite == Rewrite::kLastPid) return write_last_pid_file(req, data, size);
    if (handle->fd < 0) return (void)fuse_reply_err(req, EBADF);
    ssize_t n = -1;
    if (int err = of(req).as_requester(req, handle->spec, [&] {
          do {
            n = ::pwrite(handle->fd, data, size, off);
            if (n < 0 && errno == ESPIPE) n = ::write(handle->fd, data, size);
          } while (n < 0 && errno == EINTR);
          return n < 0 ? errno : 0;
        }))
      return (void)fuse_reply_err(req, err);
    fuse_reply_write(req, static_cast<std::size_t>(n));
  }

  static void write_last_pid_file(fuse_req_t req, const char* data, std::size_t size) {
    std::string_view text(data, size);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    std::optional<Pid> nr = text == "0" ? std::optional<Pid>(0) : parse_pid_name(text);
    if (!nr) return (void)fuse_reply_err(req, EINVAL);
    if (int err = of(req).write_last_pid(fuse_req_ctx(req)->pid, *nr))
      return (void)fuse_reply_err(req, err);
    fuse_reply_write(req, size);
  }

  static void release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    delete reinterpret_cast<FileHandle*>(fi->fh);
    fuse_reply_err(req, 0);
  }

  static void statfs(fuse_req_t req, fuse_ino_t) {
    struct statvfs st {};
    if (::fstatvfs(of(req).host, &st) != 0) return (void)fuse_reply_err(req, errno);
    fuse_reply_statfs(req, &st);
  }

  static void init(void*, fuse_conn_info* conn) {
    if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
    conn->want &= ~static_cast<unsigned>(FUSE_CAP_READDIRPLUS);
  }
};

ProcFs::ProcFs(const ProcessTable& table, std::uint64_t mount_id,
               std::function<int(Pid, Pid)> write_last_pid, AsCaller as_caller)
    : state_(std::make_unique<State>(table, mount_id, std::move(write_last_pid),
                                     std::move(as_caller))) {}

ProcFs::~ProcFs() = default;

int ProcFs::fd() const {
  return state_->session ? fuse_session_fd(state_->session) : -1;
}

bool ProcFs::start(int fuse_fd, std::string& error) {
  State& s = *state_;
  s.host = ::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (s.host < 0) {
    error = std::string("cannot open the supervisor's /proc: ") + std::strerror(errno);
    ::close(fuse_fd);
    return false;
  }
  static const fuse_lowlevel_ops ops = [] {
    fuse_lowlevel_ops o{};
    o.init = State::init;
    o.lookup = State::lookup;
    o.forget = State::forget_one;
    o.forget_multi = State::forget_multi;
    o.getattr = State::getattr;
    o.setattr = State::setattr;
    o.readlink = State::readlink;
    o.opendir = State::opendir;
    o.readdir = State::readdir;
    o.releasedir = State::releasedir;
    o.open = State::open;
    o.read = State::read;
    o.write = State::write;
    o.release = State::release;
    o.statfs = State::statfs;
    return o;
  }();
  char program[] = "vpidbox";
  char* argv[] = {program, nullptr};
  fuse_args args = FUSE_ARGS_INIT(1, argv);
  s.session = fuse_session_new(&args, &ops, sizeof(ops), &s);
  if (!s.session) {
    error = "cannot start the /proc filesystem (libfuse)";
    ::close(fuse_fd);
    return false;
  }
  // "/dev/fd/N": libfuse serves a descriptor that somebody else mounted.
  const std::string mountpoint = "/dev/fd/" + std::to_string(fuse_fd);
  if (fuse_session_mount(s.session, mountpoint.c_str()) != 0) {
    error = "cannot attach to the /proc mount";
    ::close(fuse_fd);
    return false;
  }
  ::fcntl(fuse_fd, F_SETFL, ::fcntl(fuse_fd, F_GETFL) | O_NONBLOCK);
  return true;
}

bool ProcFs::serve_ready() {
  State& s = *state_;
  if (!s.session) return false;
  for (;;) {
    const int n = fuse_session_receive_buf(s.session, &s.buffer);
    if (n == -EAGAIN) return true;
    if (n == -EINTR) continue;
    if (n <= 0 || fuse_session_exited(s.session)) return false;
    fuse_session_process_buf(s.session, &s.buffer);
  }
}

}  // namespace vpidbox::procfs
