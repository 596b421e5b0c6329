#!/usr/bin/env bash
# The admin HTTP listener through tests/unit/admin-echo: routes with curl,
# then what curl will not send (admin-client.py): oversized and malformed
# requests, silent and slow clients, 100 connections at once, keep-alive
# and pipelining; a Unix socket; addresses in use or malformed. The
# server's timeout is set to 1 s so that the slow cases take about that.
# Prints TAP.
# usage: admin.sh ADMIN-ECHO
set -u
. "$(dirname "$0")/tap.sh"
echo_bin=$(realpath "$1")
client="$(dirname "$(realpath "$0")")/admin-client.py"
TIMEOUT_MS=1000
work=$(tap_workdir)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  tap_rm_work "$work"
}
trap cleanup EXIT

start() { # NAME ADDRESS: starts admin-echo, sets $addr and $pid
  "$echo_bin" "$2" "$TIMEOUT_MS" >"$work/$1.out" 2>"$work/$1.err" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 100); do
    grep -q '^ready' "$work/$1.out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  addr=$(awk '/^ready/ {print $2}' "$work/$1.out")
}
stop() { # NAME PID: SIGTERM; exit 0 with every handle closed
  kill -TERM "$2"
  local rc=0
  wait "$2" || rc=$?
  if [ "$rc" -eq 0 ]; then ok "$1 stops cleanly at SIGTERM"
  else not_ok "$1 stops cleanly at SIGTERM" "exit $rc" "$(cat "$work/$1.err")"; fi
}
c() { curl -sS --max-time 5 "$@"; }
raw() { # CASE: an admin-client.py case against $addr
  local out
  if out=$(timeout 30 python3 "$client" "$1" "${addr%:*}" "${addr##*:}" "$TIMEOUT_MS" 2>&1); then
    ok "$1"
    [ -n "$out" ] && printf '%s\n' "$out" | grep '^#'
  else
    not_ok "$1" "$out"
  fi
  return 0
}

start tcp 127.0.0.1:0
if [ -z "$addr" ]; then
  not_ok "admin-echo listens on 127.0.0.1:0" "$(cat "$work/tcp.err")"
  tap_done
  exit
fi
tcp_pid=$pid
base="http://$addr"

expect "GET /ok" 0 "ok" -- c -f "$base/ok"
expect "POST /echo: body length, header, peer, query" 0 "len=11 x-echo=hé there loopback=1 query=a=1&b" \
  -- c -f -X POST -H 'X-Echo: hé there  ' --data-binary 'hello world' "$base/echo?a=1&b"
expect "unknown path: 404" 0 "404" -- c -o /dev/null -w '%{http_code}' "$base/nope"
expect "wrong method: 405 with Allow" 0 "Allow: GET, HEAD" \
  -- c -i -X DELETE "$base/ok"
expect "HEAD: Content-Length without a body" 0 "Content-Length: 3" -- c -I "$base/ok"
out=$(c -I "$base/ok" | tr -d '\r' | sed -n '/^$/,$p' | wc -c)
if [ "$out" -le 1 ]; then ok "HEAD sends no body"; else not_ok "HEAD sends no body" "$out bytes"; fi
# curl sends "Expect: 100-continue" for a body this size and waits a second
# for the go-ahead unless the server gives it.
head -c 200000 /dev/urandom >"$work/body"
t0=$(date +%s%N)
expect "a large body with Expect: 100-continue" 0 "len=200000" \
  -- c -f -X POST --data-binary @"$work/body" "$base/echo"
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$ms" -lt 900 ]; then ok "100-continue answered at once (${ms} ms)"
else not_ok "100-continue answered at once" "${ms} ms"; fi
head -c 2000000 /dev/zero >"$work/big"
expect "a body over 1 MiB: 413 (curl)" 0 "413" \
  -- c -o /dev/null -w '%{http_code}' -X POST --data-binary @"$work/big" "$base/echo"
expect "two requests on one connection (curl)" 0 "Re-using existing connection" \
  -- c -v "$base/ok" "$base/ok"

raw big_header
raw big_body
raw garbage
raw silent
raw drip
raw many
raw keepalive
raw not_reading
raw later
expect "still answering after all that" 0 "ok" -- c -f "$base/ok"

# The same port again.
expect "an address in use: a clear error, exit 1" 1 "address already in use" \
  -- "$echo_bin" "$addr"
for bad in example.org:80 127.0.0.1 127.0.0.1:99999 127.0.0.1:8x '[::1:80' '[::1]' ':80' 1:80; do
  expect "a bad address ($bad): a clear error, exit 1" 1 "expected IP:PORT" -- "$echo_bin" "$bad"
done
stop tcp "$tcp_pid"

# IPv6 loopback, where the system has it.
start v6 '[::1]:0'
if [ -n "$addr" ]; then
  expect "[::1]: GET /ok" 0 "loopback=1" -- c -f -g -X POST "http://$addr/echo"
  stop v6 "$pid"
else
  ok "[::1]: # SKIP no IPv6 loopback here: $(cat "$work/v6.err")"
fi

# "localhost" is 127.0.0.1, never resolved.
start localhost localhost:0
case $addr in
127.0.0.1:*) ok "localhost:0 listens on 127.0.0.1" ;;
*) not_ok "localhost:0 listens on 127.0.0.1" "ready: $addr" "$(cat "$work/localhost.err")" ;;
esac
[ -n "$addr" ] && stop localhost "$pid"

# A Unix socket: mode 0660, stale files replaced, live ones and other
# files left alone, removed at the end.
sock="$work/admin.sock"
start unix "$sock"
if [ "$addr" = "$sock" ]; then
  expect "Unix socket: GET /ok" 0 "ok" -- c -f --unix-socket "$sock" http://admin/ok
  expect "Unix socket: the peer counts as loopback" 0 "loopback=1" \
    -- c -f --unix-socket "$sock" -X POST http://admin/echo
  expect "Unix socket: mode 0660" 0 "660" -- stat -c %a "$sock"
  expect "Unix socket in use: a clear error, exit 1" 1 "already in use" -- "$echo_bin" "$sock"
  addr=127.0.0.1:1 # the raw client speaks TCP; the socket's cases are curl's
  unix_pid=$pid
  kill -KILL "$unix_pid"
  wait "$unix_pid" 2>/dev/null
  start unix2 "$sock"
  if [ "$addr" = "$sock" ]; then ok "a stale socket is replaced"
  else not_ok "a stale socket is replaced" "$(cat "$work/unix2.err")"; fi
  # the handler closes the listener while answering: the answer is dropped
  expect "closed from inside the handler: no answer" 52 "" \
    -- c --unix-socket "$sock" -X POST http://admin/quit
  rc=0
  wait "$pid" || rc=$?
  if [ "$rc" -eq 0 ]; then ok "closed from inside the handler: exit 0, every handle closed"
  else not_ok "closed from inside the handler: exit 0, every handle closed" "exit $rc" \
    "$(cat "$work/unix2.err")"; fi
  if [ -e "$sock" ]; then not_ok "the socket is removed at the end"
  else ok "the socket is removed at the end"; fi
else
  not_ok "admin-echo listens on a Unix socket" "$(cat "$work/unix.err")"
fi
echo "not a socket" >"$work/file"
expect "a file in the way: refused, exit 1" 1 "not a socket" -- "$echo_bin" "$work/file"
expect "the file is left alone" 0 "not a socket" -- cat "$work/file"
long="/$(printf 'd%.0s' $(seq 120))/admin.sock"
expect "a path too long for a socket: refused" 1 "too long" -- "$echo_bin" "$long"

tap_done
