# tap.sh - TAP helpers the integration scripts share (sourced, not run).
# ok NAME; not_ok NAME [DETAIL...]; expect NAME STATUS FRAGMENT -- COMMAND...
# (runs COMMAND, checks its exit status and that its output holds FRAGMENT);
# tap_done prints the plan and returns the status.
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
  n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift
  for line in "$@"; do printf '%s\n' "$line" | sed 's/^/#   /'; done
}
expect() {
  local name=$1 want=$2 fragment=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then not_ok "$name" "exit $rc, expected $want" "$(printf '%s' "$out" | tail -n 20)"
  elif [ -n "$fragment" ] && ! printf '%s' "$out" | grep -qF -- "$fragment"; then
    not_ok "$name" "output lacks: $fragment" "$(printf '%s' "$out" | tail -n 20)"
  else ok "$name"; fi
}
tap_done() {
  echo "1..$n"
  [ "$failed" -eq 0 ]
}
