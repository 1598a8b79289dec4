# Real clients of the pids that objects and messages carry (issue 14): service notification with
# credentials over a UNIX socket (systemd-notify, and a sender of its own in Python), a Python
# server asking who its client is (SO_PEERCRED), lock owners (fcntl in Python, util-linux flock
# and lslocks), an interactive bash under a terminal of its own whose ps output must match a pid
# namespace's byte for byte, and ps after the box's pid_max is lowered. Cases of
# tests/clients/run.sh, which sources this file and provides the helpers.
# shellcheck shell=bash disable=SC2016,SC2154  # $ in single quotes is the box's; run.sh's vars

# A notification receiver as a service manager is one: a datagram socket with SO_PASSCRED, which
# prints every message and the pid its credentials name, until STOP=1.
notify_receiver='
import os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
with open(sys.argv[2], "w") as ready:
    ready.write("ready\n")
while True:
    data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = [struct.unpack("3i", d[:12])[0] for l, t, d in anc
           if l == socket.SOL_SOCKET and t == socket.SCM_CREDENTIALS]
    text = data.decode().strip()
    print("got %r from %s" % (text, pid), flush=True)
    if text == "STOP=1":
        break
'

# The sender side of sd_pid_notify(): the message, with credentials naming a pid (systemd's
# --pid), sent explicitly.
notify_sender='
import os, socket, struct, sys
pid = int(sys.argv[2])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
creds = struct.pack("3i", pid, os.getuid(), os.getgid())
try:
    s.sendmsg([sys.argv[3].encode()], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, creds)], 0,
              sys.argv[1])
    print("sent", sys.argv[3], "as", pid, flush=True)
except OSError as e:
    print("refused", sys.argv[3], "as", pid, e.strerror, flush=True)
'

# Notifications with credentials, to a receiver in the box: init's own pid, a shell's, no
# process's (refused), an unprivileged sender naming init (refused), and systemd-notify itself.
# (The socket and the programs are where an unprivileged sender reaches them.)
t_notify_credentials() {
  [ -n "$PYTHON" ] || { fail_because "python3 not found"; return; }
  # Naming another process's pid (the shell's) takes CAP_SYS_ADMIN, and setpriv root.
  box_is_full_root || return 0
  local pub
  pub=$(mktemp -d "${TMPDIR:-/tmp}/vpidbox-notify.XXXXXX") || return
  chmod 755 "$pub"
  printf '%s' "$notify_receiver" >"$pub/receiver.py"
  printf '%s' "$notify_sender" >"$pub/sender.py"
  chmod 644 "$pub/receiver.py" "$pub/sender.py"
  cat >"$work/notify.sh" <<NOTIFY
sock=$pub/notify.sock
rm -f \$sock $pub/ready
mkfifo $pub/ready
"$PYTHON" "$pub/receiver.py" \$sock $pub/ready >"$work/notify.out" &
r=\$!
read -r _ <$pub/ready
"$PYTHON" "$pub/sender.py" \$sock \$\$ MAINPID=\$\$
sh -c '"$PYTHON" "$pub/sender.py" '\$sock' \$\$ READY=1'
"$PYTHON" "$pub/sender.py" \$sock 4000 NOBODY=1
setpriv --reuid=65534 --regid=65534 --clear-groups "$PYTHON" "$pub/sender.py" \$sock 1 NOTROOT=1
if command -v systemd-notify >/dev/null; then
  NOTIFY_SOCKET=\$sock systemd-notify STATUS=plain
  NOTIFY_SOCKET=\$sock sh -c 'systemd-notify --pid=\$\$ STATUS=for-my-shell'
fi
"$PYTHON" "$pub/sender.py" \$sock \$\$ STOP=1
wait \$r
cat "$work/notify.out"
NOTIFY
  EXPECT_STATUS=0 differential bash "$work/notify.sh"
  rm -rf "$pub"
  grep -q "^got 'MAINPID=1' from \[1\]$" "$work/$name.box" ||
    fail_because "the receiver did not see init's credentials as pid 1: $(head -c 400 "$work/$name.box")"
  grep -q "^refused NOTROOT=1 as 1 Operation not permitted$" "$work/$name.box" ||
    fail_because "an unprivileged sender could name init: $(head -c 400 "$work/$name.box")"
}

# A server that asks who its client is, as daemons do (SO_PEERCRED); the client says who it is.
t_python_peercred_server() {
  [ -n "$PYTHON" ] || { fail_because "python3 not found"; return; }
  cat >"$work/peercred.py" <<'PEERCRED'
import os, socket, struct, subprocess, sys
path = sys.argv[1]
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
client = subprocess.Popen([sys.executable, "-c",
    "import os, socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); "
    "s.sendall(str(os.getpid()).encode()); s.recv(1)", path])
conn, _ = server.accept()
pid, uid, gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                   struct.calcsize("3i")))
print("server %d sees client pid %d uid %d; client says %s" % (os.getpid(), pid, uid,
                                                                conn.recv(16).decode()))
conn.close()
client.wait()
os.unlink(path)
PEERCRED
  EXPECT_OUT="server 1 sees client pid 2 uid $BOX_UID; client says 2" EXPECT_STATUS=0 \
    differential "$PYTHON" "$work/peercred.py" "$work/peercred.sock"
}

# Who holds a lock: fcntl's F_GETLK and F_OFD_GETLK from Python, util-linux flock(1) holding one,
# and lslocks(8) listing both (it reads the box's /proc/locks).
t_lock_owners() {
  [ -n "$PYTHON" ] && command -v flock >/dev/null && command -v lslocks >/dev/null || return 0
  cat >"$work/locks.py" <<'LOCKS'
import fcntl, os, struct, subprocess, sys, time
path = sys.argv[1]
open(path, "w").close()
r, w = os.pipe()
holder = os.fork()
if holder == 0:
    f = open(path, "r+")
    fcntl.lockf(f, fcntl.LOCK_EX, 1, 0)
    os.write(w, b"x")
    time.sleep(30)
    os._exit(0)
os.read(r, 1)
f = open(path, "r+")
fmt = "hhqqi"  # struct flock: l_type, l_whence, l_start, l_len, l_pid
res = fcntl.fcntl(f, fcntl.F_GETLK, struct.pack(fmt, fcntl.F_WRLCK, 0, 0, 1, 0))
print("holder %d; F_GETLK l_pid %d" % (holder, struct.unpack(fmt, res)[4]))
res = fcntl.fcntl(f, fcntl.F_OFD_GETLK, struct.pack(fmt, fcntl.F_WRLCK, 0, 0, 1, 0))
print("F_OFD_GETLK l_pid %d" % struct.unpack(fmt, res)[4])
flock = subprocess.Popen(["flock", path, "sleep", "30"])
for _ in range(400):
    locks = subprocess.run(["lslocks", "--noheadings", "--raw", "-o",
                            "COMMAND,PID,TYPE,MODE,START,END"],
                           capture_output=True, text=True).stdout
    if "FLOCK" in locks:
        break
    time.sleep(0.05)
print("flock(1) is %d; lslocks:" % flock.pid)
print("\n".join(sorted(l for l in locks.splitlines() if l)))
flock.kill()
flock.wait()
os.kill(holder, 9)
os.waitpid(holder, 0)
LOCKS
  EXPECT_OUT='holder 2; F_GETLK l_pid 2
F_OFD_GETLK l_pid 2
flock(1) is 3; lslocks:
flock 3 FLOCK WRITE 0 0
python3 2 POSIX WRITE 0 0' EXPECT_STATUS=0 differential "$PYTHON" "$work/locks.py" "$work/lockfile"
}

# An interactive bash on a terminal of its own (a devpts instance of the run's mount namespace,
# so that it is pts/0 both ways), a job in the background, then ps of the session: the whole
# transcript must be the same, byte for byte (ps sizes its PID column from pid_max).
t_pty_bash_ps() {
  [ -n "$PYTHON" ] && [ "$(id -u)" = 0 ] || return 0
  # The devpts mount needs CAP_SYS_ADMIN and a mount namespace of the box's own, which the box's
  # /proc without a mount does not make (README, Known differences).
  box_is_full_root && [ "$PROC_MODE" != intercept ] || return 0
  cat >"$work/bash_pty.py" <<'BASHPTY'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.environ.update(PS1="$ ", TERM="dumb")
    os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])
out = b""
def until(marker, timeout=15):
    global out
    start, end = len(out), time.time() + timeout
    while time.time() < end and marker not in out[start:]:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return
            if not data:
                return
            out += data
def run(line, marker):
    os.write(fd, line + b"\n")
    until(marker)
until(b"$ ")
run(b"sleep 100 &", b"$ ")
run(b'while read -r _ _ s _ </proc/$!/stat; [ "$s" != S ]; do :; done; echo SLEEPING',
    b"SLEEPING\r\n$ ")
run(b"ps -o pid,ppid,pgid,sid,tpgid,stat,tty,comm; echo END", b"END\r\n$ ")
run(b"ps; echo END", b"END\r\n$ ")
run(b"disown %1; kill -9 $!; exit", b"exit\r\n")
until(b"never", 1)
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
BASHPTY
  cat >"$work/pty.sh" <<PTY
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts &&
  mount --bind /dev/pts/ptmx /dev/ptmx || exit 3
exec "$PYTHON" "$work/bash_pty.py"
PTY
  EXPECT_STATUS=0 differential sh "$work/pty.sh"
  grep -qE '^ +[0-9]+ +1 +[0-9]+ +[0-9]+ +[0-9]+ Ss   pts/0    bash$' "$work/$name.box" ||
    fail_because "no interactive bash on pts/0 in the box's ps: $(head -c 600 "$work/$name.box")"
}

# ps sizes its PID column from /proc/sys/kernel/pid_max: root lowers the box's as in a namespace.
# (Only where pid_max belongs to the namespace, Linux 6.14 and later: the oracle's write would
# change the machine's before.)
t_pid_max_ps_width() {
  # Root's write (a read-only /proc/sys, as in Docker, refuses it).
  box_is_full_root || return 0
  local release major minor
  release=$(uname -r)
  major=${release%%.*}
  minor=${release#*.}
  minor=${minor%%[!0-9]*}
  [ "$major" -gt 6 ] || { [ "$major" = 6 ] && [ "$minor" -ge 14 ]; } || return 0
  EXPECT_OUT='99999
  PID COMMAND
    1 sh
    3 ps' EXPECT_STATUS=0 differential sh -c \
    'echo 99999 >/proc/sys/kernel/pid_max && cat /proc/sys/kernel/pid_max && ps -o pid,comm'
}
