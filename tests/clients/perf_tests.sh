# Options that trade something for speed: cases of tests/clients/run.sh, which sources this file
# and provides the helpers (RUN, fail_because, per_run_timeout, work, ...).
# shellcheck shell=bash disable=SC2016,SC2154  # $ in single quotes is the box's; run.sh's vars

# --low-latency holds the PM QoS CPU latency request at 0 while the box runs: the aggregate
# target the kernel reports (reading /dev/cpu_dma_latency) is 0 inside. The command's output and
# status are its own. It needs root: as nobody, a one-line error and status 125.
t_low_latency() {
  if [ "$(id -u)" != 0 ] || ! [ -c /dev/cpu_dma_latency ]; then
    fail_because "needs root and /dev/cpu_dma_latency"
    return
  fi
  local out st err
  out=$(timeout -k 2 "$per_run_timeout" "${RUN[@]}" --low-latency -- \
    sh -c 'od -An -tu4 -N4 /dev/cpu_dma_latency | tr -d " "; echo $$' 2>"$work/ll.err" </dev/null)
  st=$?
  [ "$st" = 0 ] && [ "$out" = $'0\n1' ] ||
    fail_because "status $st, stdout '$out', stderr '$(head -c 300 "$work/ll.err")'"
  err=$(timeout -k 2 "$per_run_timeout" setpriv --reuid=65534 --regid=65534 --clear-groups \
    "${RUN[@]}" --low-latency -- true 2>&1 </dev/null)
  st=$?
  [ "$st" = 125 ] || fail_because "as nobody: status $st, want 125"
  [[ $err == "vpidbox: --low-latency: cannot hold /dev/cpu_dma_latency ("*"); it needs root" ]] ||
    fail_because "as nobody: '$err'"
}
