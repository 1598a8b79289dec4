# Shared by the test runners (tests/*/run.sh): sourced, never run. Every runner starts with
#   . "$(dirname "$0")/../lib/runner.sh"; enter_safety_namespace "$@"
# and may use the helpers below.

# Safety first: re-executes the calling runner inside a kernel pid namespace of its own (as root,
# or through a user namespace), so that nothing it starts (a leaked daemon, a misdirected kill)
# can escape into the machine, and /proc shows only its own processes. --kill-child tears the
# namespace down if the runner dies. Returns at once when already inside.
enter_safety_namespace() {
  [ -n "${VPIDBOX_SAFETY_NS:-}" ] && return 0
  local userns=()
  [ "$(id -u)" = 0 ] || userns=(--user --map-root-user)
  exec unshare "${userns[@]}" --pid --fork --mount-proc --kill-child \
    env VPIDBOX_SAFETY_NS=1 "$0" "$@"
}

# True while process $1 exists and is not a zombie.
alive() {
  local line
  { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
  line=${line##*) }
  [ "${line%% *}" != Z ]
}

# Prints the pids whose parent is $1.
children_of() {
  local parent=$1 f line ppid
  for f in /proc/[0-9]*/stat; do
    { read -r line <"$f"; } 2>/dev/null || continue
    read -r _ ppid _ <<<"${line##*) }"  # the fields after "(comm)"
    if [ "$ppid" = "$parent" ]; then
      f=${f#/proc/}
      echo "${f%/stat}"
    fi
  done
}
