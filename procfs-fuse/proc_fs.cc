#define FUSE_USE_VERSION 34
#include "procfs-fuse/proc_fs.h"

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
#include <vector>

#include "procfs-fuse/host_nodes.h"
#include "procfs-fuse/inode_table.h"
#include "procfs-fuse/open_plan.h"
#include "procfs-fuse/proc_tree.h"

namespace vpidbox::procfs {

// What the request handlers share: the table, the host side, the inodes and the session.
struct ProcFs::State {
  const ProcessTable& table;
  const ProcFs::WriteTable write_table;
  const AsCaller as_caller;
  HostNodes host;
  InodeTable inodes;
  fuse_session* session = nullptr;
  fuse_buf buffer{};

  State(const ProcessTable& t, std::uint64_t mount_id, ProcFs::WriteTable write, AsCaller as)
      : table(t),
        write_table(std::move(write)),
        as_caller(std::move(as)),
        host(t, BoxProcMount(mount_id)) {}
  ~State() {
    if (session) fuse_session_destroy(session);  // closes the /dev/fuse fd
    std::free(buffer.mem);
  }
};

namespace {

using State = ProcFs::State;
static_assert(InodeTable::kRoot == FUSE_ROOT_ID);

// How long the kernel may keep an answer. Names whose meaning changes with the caller or with a
// task's life are never kept (self, /proc/<n>, task/<t>, fd/<n>): the kernel asks again, as
// procfs revalidates them on every walk. Everything else is as stable as procfs makes it.
constexpr double kKeepStable = 1.0;
constexpr double kKeepNever = 0.0;

struct DirHandle {
  NodeSpec node;
  bool listed = false;
  std::vector<DirEntry> entries;
};

struct FileHandle {
  int fd = -1;       // a host procfs file passed through
  NodeSpec node;     // the node opened, judged by at every read and write
  OpenPlan plan;     // what its open got
  std::string text;  // a rendered file's text, rendered again at every read from the start as
                     // seq_file files are generated anew
  ~FileHandle() {
    if (fd >= 0) ::close(fd);
  }
};

State& state_of(fuse_req_t req) {
  return *static_cast<State*>(fuse_req_userdata(req));
}

Pid requester(fuse_req_t req) {
  return fuse_req_ctx(req)->pid;
}

// The node `ino` stands for, as the task that asked `req` sees it: /proc itself is the root of
// that task's level (each level of nested boxes has its own /proc, as each pid namespace does);
// every other node keeps the view it was looked up in.
std::optional<NodeSpec> seen_node(fuse_req_t req, fuse_ino_t ino) {
  const State& s = state_of(req);
  if (ino == InodeTable::kRoot)
    return root_node(s.table.proc_view_of(s.table.level_of(requester(req))));
  const NodeSpec* node = s.inodes.node(ino);
  if (!node) return std::nullopt;
  return *node;
}

// Runs `op` (0 or an errno) as procfs would judge it made by the task that asked `req`.
int as_requester(fuse_req_t req, const NodeSpec& node, const std::function<int()>& op) {
  const State& s = state_of(req);
  const Pid caller = requester(req);
  return s.as_caller(caller, same_process(caller, node.bound_real, s.table), op);
}

// Attributes may be kept a while even where names may not: a name is looked up again at every
// walk, and each lookup brings fresh attributes (stat of /proc/<n> then costs one round trip,
// not two). The object behind an fd link changes with the fd.
double keep_attributes_for(const NodeSpec& node) {
  return node.kind == NodeKind::kFdTarget ? kKeepNever : kKeepStable;
}

double keep_name_for(const NodeSpec& node) {
  if (node.kind != NodeKind::kHost) return kKeepNever;
  if (node.place == Place::kTaskDir) return kKeepNever;  // task/<t>: threads come and go
  // fd/<n> and fdinfo/<n>: fds come and go.
  const std::size_t slash = node.host_path.rfind('/');
  const std::string_view dir = std::string_view(node.host_path).substr(0, slash);
  if (dir.ends_with("/fd") || dir.ends_with("/fdinfo")) return kKeepNever;
  return kKeepStable;
}

// ---- names and attributes ----

void lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  State& s = state_of(req);
  const std::optional<NodeSpec> dir = seen_node(req, parent);
  if (!dir) return (void)fuse_reply_err(req, ENOENT);
  std::optional<NodeSpec> node = child_of(*dir, name, s.table);
  if (!node) return (void)fuse_reply_err(req, ENOENT);
  fuse_entry_param e{};
  if (int err = s.host.attributes(*node, requester(req), e.attr))
    return (void)fuse_reply_err(req, err);
  e.ino = s.inodes.look_up(*node);
  if (node->kind != NodeKind::kFdTarget) e.attr.st_ino = e.ino;
  e.generation = 1;
  e.entry_timeout = keep_name_for(*node);
  e.attr_timeout = keep_attributes_for(*node);
  if (fuse_reply_entry(req, &e) != 0) s.inodes.forget(e.ino, 1);
}

void forget_one(fuse_req_t req, fuse_ino_t ino, std::uint64_t count) {
  state_of(req).inodes.forget(ino, count);
  fuse_reply_none(req);
}

void forget_multi(fuse_req_t req, std::size_t count, fuse_forget_data* list) {
  State& s = state_of(req);
  for (std::size_t i = 0; i < count; ++i) s.inodes.forget(list[i].ino, list[i].nlookup);
  fuse_reply_none(req);
}

void getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  State& s = state_of(req);
  const NodeSpec* node = s.inodes.node(ino);
  if (!node) return (void)fuse_reply_err(req, ENOENT);
  struct stat st {};
  if (int err = s.host.attributes(*node, requester(req), st)) return (void)fuse_reply_err(req, err);
  if (node->kind != NodeKind::kFdTarget) st.st_ino = ino;
  fuse_reply_attr(req, &st, keep_attributes_for(*node));
}

// Truncation is all a box may ask (open with O_TRUNC, as `echo 1 > /proc/sys/...` does), and
// procfs ignores it; owners and modes of procfs files are not for changing.
void setattr(fuse_req_t req, fuse_ino_t ino, struct stat*, int to_set, fuse_file_info* fi) {
  if (to_set & ~(FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
                 FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME))
    return (void)fuse_reply_err(req, EPERM);
  getattr(req, ino, fi);
}

void readlink(fuse_req_t req, fuse_ino_t ino) {
  State& s = state_of(req);
  const NodeSpec* node = s.inodes.node(ino);
  if (!node || !still_valid(*node, s.table)) return (void)fuse_reply_err(req, ENOENT);
  std::optional<std::string> text;
  if (node->kind == NodeKind::kSelfLink) {
    text = self_link(requester(req), s.table, node->view);
  } else if (node->kind == NodeKind::kThreadSelfLink) {
    text = thread_self_link(requester(req), s.table, node->view);
  } else {
    char buf[PATH_MAX];
    ssize_t n = -1;
    if (int err = as_requester(req, *node, [&] {
          n = ::readlinkat(s.host.dir(), HostNodes::path_of(*node), buf, sizeof(buf) - 1);
          return n < 0 ? errno : 0;
        }))
      return (void)fuse_reply_err(req, err);
    text.emplace(buf, static_cast<std::size_t>(n));
    s.host.show_link_as_box(*node, *text);
  }
  if (!text) return (void)fuse_reply_err(req, ENOENT);
  fuse_reply_readlink(req, text->c_str());
}

// ---- directories ----

// The entries of a directory, read when the caller reads it: at open time the caller's own fd
// for it does not exist yet, and /proc/self/fd must list it.
int list(fuse_req_t req, const NodeSpec& node, std::vector<DirEntry>& entries) {
  const State& s = state_of(req);
  entries.clear();
  if (!still_valid(node, s.table)) return ENOENT;
  if (node.kind == NodeKind::kTaskList) {
    entries.push_back({".", S_IFDIR});
    entries.push_back({"..", S_IFDIR});
    for (Pid t : listed_threads(node.bound_real, s.table, node.view))
      entries.push_back({std::to_string(t), S_IFDIR});
    return 0;
  }
  if (int err = as_requester(req, node, [&] { return s.host.read_dir(node, entries); })) return err;
  if (node.kind == NodeKind::kRoot)
    for (Pid p : listed_processes(s.table, node.view))
      entries.push_back({std::to_string(p), S_IFDIR});
  return 0;
}

void opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  State& s = state_of(req);
  const std::optional<NodeSpec> node = seen_node(req, ino);
  if (!node || !still_valid(*node, s.table)) return (void)fuse_reply_err(req, ENOENT);
  auto handle = std::make_unique<DirHandle>();
  handle->node = *node;
  fi->fh = reinterpret_cast<std::uint64_t>(handle.release());
  if (fuse_reply_open(req, fi) != 0) delete reinterpret_cast<DirHandle*>(fi->fh);
}

void readdir(fuse_req_t req, fuse_ino_t, std::size_t size, off_t off, fuse_file_info* fi) {
  auto* handle = reinterpret_cast<DirHandle*>(fi->fh);
  if (off == 0 || !handle->listed) {
    if (int err = list(req, handle->node, handle->entries)) return (void)fuse_reply_err(req, err);
    handle->listed = true;
  }
  std::vector<char> buf(size);
  std::size_t used = 0;
  for (std::size_t i = static_cast<std::size_t>(off); i < handle->entries.size(); ++i) {
    struct stat st {};
    st.st_mode = handle->entries[i].type;
    st.st_ino = 0xffffffff;  // "unknown", as later libfuse spells it
    const std::size_t need =
        fuse_add_direntry(req, buf.data() + used, size - used, handle->entries[i].name.c_str(), &st,
                          static_cast<off_t>(i + 1));
    if (need > size - used) break;
    used += need;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  delete reinterpret_cast<DirHandle*>(fi->fh);
  fuse_reply_err(req, 0);
}

// ---- files: what an open gets is the open plan's (open_plan.h) ----

void open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  State& s = state_of(req);
  const NodeSpec* node = s.inodes.node(ino);
  if (!node) return (void)fuse_reply_err(req, ENOENT);
  auto handle = std::make_unique<FileHandle>();
  handle->node = *node;
  handle->plan = plan_open(*node, fi->flags, requester(req), s.table);
  switch (handle->plan.serves) {
    case OpenServes::kError:
      return (void)fuse_reply_err(req, handle->plan.error);
    case OpenServes::kNotAFile:
      // The kernel opens directories with opendir and follows links before it opens.
      return (void)fuse_reply_err(req, EISDIR);
    case OpenServes::kRendered:
      break;  // rendered at the first read, and judged by at every read and write
    case OpenServes::kHostFile: {
      const int flags = (fi->flags & (O_ACCMODE | O_APPEND | O_TRUNC)) | O_NONBLOCK | O_NOCTTY |
                        O_CLOEXEC | O_NOFOLLOW;
      if (int err = as_requester(req, *node, [&] {
            handle->fd = ::openat(s.host.dir(), HostNodes::path_of(*node), flags);
            return handle->fd < 0 ? errno : 0;
          }))
        return (void)fuse_reply_err(req, err);
      break;
    }
  }
  fi->direct_io = 1;
  fi->keep_cache = 0;
  fi->fh = reinterpret_cast<std::uint64_t>(handle.release());
  if (fuse_reply_open(req, fi) != 0) delete reinterpret_cast<FileHandle*>(fi->fh);
}

// The text of a rendered file, from the host file now.
int render_into(fuse_req_t req, FileHandle& handle) {
  const State& s = state_of(req);
  if (!still_valid(handle.node, s.table)) return ESRCH;
  std::string real;
  if (int err = as_requester(req, handle.node, [&] {
        const int fd = ::openat(s.host.dir(), HostNodes::path_of(handle.node),
                                O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) return errno;
        // A read that fails midway renders what came before, as a short read would.
        read_whole_file(fd, real);
        ::close(fd);
        return 0;
      }))
    return err;
  handle.text = render_for_reader(as_read_by(handle.node, requester(req), s.table), real, s.table,
                                  handle.plan.read_by_task(requester(req)));
  return 0;
}

void read(fuse_req_t req, fuse_ino_t, std::size_t size, off_t off, fuse_file_info* fi) {
  auto* handle = reinterpret_cast<FileHandle*>(fi->fh);
  if (handle->fd < 0) {
    if (off == 0)
      if (int err = render_into(req, *handle)) return (void)fuse_reply_err(req, err);
    const std::size_t from = std::min(static_cast<std::size_t>(off), handle->text.size());
    const std::size_t n = std::min(size, handle->text.size() - from);
    return (void)fuse_reply_buf(req, handle->text.data() + from, n);
  }
  // Some files check the reader at every read (syscall, wchan, io): judged as the reader.
  std::vector<char> buf(size);
  ssize_t n = -1;
  if (int err = as_requester(req, handle->node, [&] {
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

// ns_last_pid and pid_max, parsed as the kernel parses one int (proc_dointvec_minmax).
void write_table_file(fuse_req_t req, Rewrite file, const char* data, std::size_t size,
                      off_t off) {
  const SysctlIntWrite parsed =
      parse_sysctl_int_write(std::string_view(data, size), static_cast<std::uint64_t>(off));
  if (int err = state_of(req).write_table(requester(req), file, parsed))
    return (void)fuse_reply_err(req, err);
  fuse_reply_write(req, parsed.accepted);
}

void write(fuse_req_t req, fuse_ino_t, const char* data, std::size_t size, off_t off,
           fuse_file_info* fi) {
  const auto* handle = reinterpret_cast<const FileHandle*>(fi->fh);
  if (handle->plan.writes_last_pid || handle->plan.writes_pid_max)
    return write_table_file(req, handle->plan.rewrite, data, size, off);
  if (handle->fd < 0) return (void)fuse_reply_err(req, EBADF);
  ssize_t n = -1;
  if (int err = as_requester(req, handle->node, [&] {
        do {
          n = ::pwrite(handle->fd, data, size, off);
          if (n < 0 && errno == ESPIPE) n = ::write(handle->fd, data, size);
        } while (n < 0 && errno == EINTR);
        return n < 0 ? errno : 0;
      }))
    return (void)fuse_reply_err(req, err);
  fuse_reply_write(req, static_cast<std::size_t>(n));
}

void release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  delete reinterpret_cast<FileHandle*>(fi->fh);
  fuse_reply_err(req, 0);
}

// What procfs answers for the calls that would make or remove a name: its directories have no
// such operations (EPERM), and a pid name that does not exist is not found at all (ENOENT) in
// /proc and in a task list, where procfs's lookup itself fails.
void refuse_new_name(fuse_req_t req, fuse_ino_t parent, const char* name) {
  const NodeSpec* dir = state_of(req).inodes.node(parent);
  const bool pid_list = dir && (dir->kind == NodeKind::kRoot || dir->kind == NodeKind::kTaskList);
  fuse_reply_err(req, pid_list && parse_pid_name(name) ? ENOENT : EPERM);
}
void mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t) {
  refuse_new_name(req, parent, name);
}
void mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t, dev_t) {
  refuse_new_name(req, parent, name);
}
void symlink(fuse_req_t req, const char*, fuse_ino_t parent, const char* name) {
  refuse_new_name(req, parent, name);
}
void refuse_change(fuse_req_t req, fuse_ino_t, const char*) {
  fuse_reply_err(req, EPERM);
}
void rename(fuse_req_t req, fuse_ino_t, const char*, fuse_ino_t, const char*, unsigned) {
  fuse_reply_err(req, EPERM);
}
void link(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) {
  fuse_reply_err(req, EPERM);
}

void statfs(fuse_req_t req, fuse_ino_t) {
  struct statvfs st {};
  if (::fstatvfs(state_of(req).host.dir(), &st) != 0) return (void)fuse_reply_err(req, errno);
  fuse_reply_statfs(req, &st);
}

void init(void*, fuse_conn_info* conn) {
  if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
  conn->want &= ~static_cast<unsigned>(FUSE_CAP_READDIRPLUS);
}

const fuse_lowlevel_ops kOperations = [] {
  fuse_lowlevel_ops o{};
  o.init = init;
  o.lookup = lookup;
  o.forget = forget_one;
  o.forget_multi = forget_multi;
  o.getattr = getattr;
  o.setattr = setattr;
  o.readlink = readlink;
  o.opendir = opendir;
  o.readdir = readdir;
  o.releasedir = releasedir;
  o.open = open;
  o.read = read;
  o.write = write;
  o.release = release;
  o.statfs = statfs;
  o.mkdir = mkdir;
  o.mknod = mknod;
  o.symlink = symlink;
  o.unlink = refuse_change;
  o.rmdir = refuse_change;
  o.rename = rename;
  o.link = link;
  return o;
}();

}  // namespace

ProcFs::ProcFs(const ProcessTable& table, std::uint64_t mount_id,
               WriteTable write_table, AsCaller as_caller)
    : state_(std::make_unique<State>(table, mount_id, std::move(write_table),
                                     std::move(as_caller))) {}

ProcFs::~ProcFs() = default;

int ProcFs::fd() const {
  return state_->session ? fuse_session_fd(state_->session) : -1;
}

bool ProcFs::start(int fuse_fd, std::string& error) {
  State& s = *state_;
  if (int err = s.host.open()) {
    error = std::string("cannot open the supervisor's /proc: ") + std::strerror(err);
    ::close(fuse_fd);
    return false;
  }
  char program[] = "vpidbox";
  char* argv[] = {program, nullptr};
  fuse_args args = FUSE_ARGS_INIT(1, argv);
  s.session = fuse_session_new(&args, &kOperations, sizeof(kOperations), &s);
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
