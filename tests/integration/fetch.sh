#!/usr/bin/env bash
# jade_fetch (through tests/unit/fetch-tool) against real servers on
# loopback that this script starts and stops: git daemon (git://), the
# file:// and path forms, git http-backend behind a small CGI server with
# Basic auth (http://), and an sshd on an unprivileged port (ssh://). Every
# server listens on 127.0.0.1 only and is killed on exit; every fetch is
# bounded by timeout. Prints TAP.
# usage: fetch.sh FETCH-TOOL
set -u
. "$(dirname "$0")/tap.sh"
tool=$(realpath "$1")
work=$(tap_workdir)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  tap_rm_work "$work"
}
trap cleanup EXIT
export GIT_AUTHOR_NAME=jade GIT_AUTHOR_EMAIL=jade@example.org
export GIT_COMMITTER_NAME=jade GIT_COMMITTER_EMAIL=jade@example.org
export GIT_CONFIG_NOSYSTEM=1 HOME="$work/home"
mkdir -p "$HOME"

fetch() { timeout 30 "$tool" "$@"; }
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_for NAME COMMAND...: retries COMMAND for up to 10 seconds.
wait_for() {
  local name=$1; shift
  for _ in $(seq 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "# $name did not come up" >&2
  return 1
}
# same NAME EXPECTED-TIP COMMAND...: the command prints EXPECTED-TIP.
same() {
  local name=$1 want=$2 out; shift 2
  out=$("$@" 2>"$work/same.err")
  if [ "$out" = "$want" ]; then ok "$name"
  else not_ok "$name" "want $want" "got $out" "$(tail -n 20 "$work/same.err")"; fi
}
tip_of() { git --git-dir="$1" rev-parse "refs/remotes/origin/${2:-main}"; }

# -- the content repository: a bare one served, a clone that pushes ---------
srv=$work/srv
git init -q --bare -b main "$srv/content.git"
git -C "$srv/content.git" config receive.denyNonFastForwards false
git init -q -b main "$work/wc"
git -C "$work/wc" remote add origin "$srv/content.git"
commit() { # MESSAGE: one commit on the work clone, pushed; prints its id
  echo "$1" >"$work/wc/file.txt"
  git -C "$work/wc" add file.txt && git -C "$work/wc" commit -q -m "$1"
  git -C "$work/wc" push -q origin HEAD:main 2>/dev/null
  git -C "$work/wc" rev-parse HEAD
}
c1=$(commit one)
git -C "$work/wc" push -q origin HEAD:refs/heads/draft 2>/dev/null

# -- git daemon ---------------------------------------------------------------
dport=$(free_port)
start_daemon() {
  git daemon --export-all --base-path="$srv" --port="$dport" --listen=127.0.0.1 \
    --reuseaddr "$srv" >"$work/daemon.log" 2>&1 &
  daemon_pid=$!
  pids+=("$daemon_pid")
  wait_for "git daemon" git ls-remote "git://127.0.0.1:$dport/content.git"
}
start_daemon
url=git://127.0.0.1:$dport/content.git
m=$work/state/content.git

same "git://: the first fetch creates the mirror and gives the tip" "$c1" fetch "$url" main "$m"
if [ "$(git --git-dir="$m" rev-parse --is-bare-repository 2>/dev/null)" = true ] &&
  [ "$(tip_of "$m")" = "$c1" ]; then
  ok "the mirror is a bare repository with refs/remotes/origin/main"
else not_ok "the mirror is a bare repository with refs/remotes/origin/main"; fi
if git --git-dir="$m" rev-parse -q --verify refs/remotes/origin/draft >/dev/null; then
  not_ok "only the followed branch is fetched"
else ok "only the followed branch is fetched"; fi
c2=$(commit two)
same "a new commit pushed: the next fetch gives it" "$c2" fetch "$url" main "$m"
same "fetching again without a change gives the same tip" "$c2" fetch "$url" main "$m"

# A rewritten history: an orphan commit, force-pushed over main.
git -C "$work/wc" checkout -q --orphan rewritten
echo rewritten >"$work/wc/file.txt"
git -C "$work/wc" add file.txt && git -C "$work/wc" commit -q -m rewritten
git -C "$work/wc" push -q -f origin HEAD:main 2>/dev/null
c3=$(git -C "$work/wc" rev-parse HEAD)
same "a force-push of an unrelated history is followed" "$c3" fetch "$url" main "$m"
git -C "$work/wc" reset -q --hard "$c2"
git -C "$work/wc" push -q -f origin HEAD:main 2>/dev/null
same "a force-push back to an older commit (rewind) is followed" "$c2" fetch "$url" main "$m"

expect "a branch missing on the remote is a clear error listing those there" 1 \
  "branch nope not found at git://127.0.0.1:$dport/content.git (branches there: " -- \
  fetch "$url" nope "$m"
same "after that error the mirror still holds the last tip" "$c2" tip_of "$m"
expect "a repository missing on the server is an error naming the URL" 1 \
  "git://127.0.0.1:$dport/none.git" -- fetch "git://127.0.0.1:$dport/none.git" main "$work/m-none"

kill "$daemon_pid" && wait "$daemon_pid" 2>/dev/null
c4=$(commit four)
expect "the daemon stopped: an error is returned, naming the URL" 1 "git://127.0.0.1:$dport" -- \
  fetch "$url" main "$m"
same "the mirror still holds the last tip fetched" "$c2" tip_of "$m"
start_daemon
same "the daemon back up: the fetch works again and gives the new tip" "$c4" fetch "$url" main "$m"

same "eight fetches at once, each into its own mirror, from eight threads" "$c4" \
  fetch "$url" main "$work/m-threads" --threads 8
same "... and again, into the mirrors they made" "$c4" fetch "$url" main "$work/m-threads" --threads 8

# -- local forms --------------------------------------------------------------
same "file:// URL" "$c4" fetch "file://$srv/content.git" main "$work/m-file"
same "a local path" "$c4" fetch "$srv/content.git" main "$work/m-path"
same "the same mirror re-used with another URL for the same repository" "$c4" \
  fetch "$srv/content.git" main "$m"
expect "a mirror folder that holds other files is refused, not taken over" 1 \
  "exists and is not a git repository" -- fetch "$srv/content.git" main "$work/wc/.git/hooks"

# -- ownership ----------------------------------------------------------------
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
  chown -R nobody "$work/m-path"
  expect "a mirror owned by another user: the message says so and how to allow it" 1 \
    "belongs to user nobody" -- fetch "$srv/content.git" main "$work/m-path"
  expect "... and names the chown to run" 1 "chown -R root $work/m-path" -- \
    fetch "$srv/content.git" main "$work/m-path"
  chown -R root "$work/m-path"
  same "chowned back, it works" "$c4" fetch "$srv/content.git" main "$work/m-path"
else
  ok "# SKIP ownership: needs root and a user nobody"
fi

# -- http, through git http-backend with Basic auth --------------------------
cat >"$work/cgi.py" <<'PY'
# A CGI server for git http-backend on 127.0.0.1 that checks Basic auth.
import base64, http.server, os, subprocess, sys
root, user, password_file, port_file, log = sys.argv[1:6]
password = open(password_file).read().strip()
want = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.serve()

    def do_POST(self):
        self.serve()

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def serve(self):
        auth = self.headers.get("Authorization")
        with open(log, "a") as f:
            f.write(f"{self.command} {self.path} {'with' if auth else 'without'} auth\n")
        data = self.body()
        if auth != want:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="jade"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        env = dict(os.environ, GIT_PROJECT_ROOT=root, GIT_HTTP_EXPORT_ALL="1", PATH_INFO=path,
                   QUERY_STRING=query, REQUEST_METHOD=self.command, REMOTE_USER=user,
                   REMOTE_ADDR="127.0.0.1", CONTENT_TYPE=self.headers.get("Content-Type", ""),
                   CONTENT_LENGTH=str(len(data)))
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        out = subprocess.run(["git", "http-backend"], input=data, env=env,
                             capture_output=True, timeout=30).stdout
        sep = b"\r\n\r\n" if b"\r\n\r\n" in out else b"\n\n"
        head, _, rest = out.partition(sep)
        status, headers = 200, []
        for line in head.decode().splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(rest)))
        self.end_headers()
        self.wfile.write(rest)

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
PY
tap_secret "$work/password" >/dev/null
wrong=$(tap_secret "$work/wrong-password")
python3 "$work/cgi.py" "$srv" alice "$work/password" "$work/http.port" "$work/http.log" \
  2>"$work/http.err" &
pids+=("$!")
if wait_for "the http server" test -s "$work/http.port"; then
  hurl=http://127.0.0.1:$(cat "$work/http.port")/content.git
  same "http: the right password fetches the tip" "$c4" \
    fetch "$hurl" main "$work/m-http" --user alice --password-file "$work/password"
  : >"$work/http.log"
  expect "http: a wrong password is refused with \"authentication failed\"" 1 \
    "authentication failed at $hurl" -- \
    fetch "$hurl" main "$work/m-http" --user alice --password-file "$work/wrong-password"
  tries=$(grep -c "with auth" "$work/http.log")
  if [ "$tries" -eq 1 ]; then ok "http: the refused password was sent once, not again and again"
  else not_ok "http: the refused password was sent once, not again and again" "$tries tries"; fi
  out=$(fetch "$hurl" main "$work/m-http" --user alice --password-file "$work/wrong-password" 2>&1)
  if printf '%s' "$out" | grep -qF "$wrong"; then not_ok "http: the message does not hold the password" "$out"
  else ok "http: the message does not hold the password"; fi
  # Credentials written into the URL: used, and kept out of messages.
  wurl=http://alice:$wrong@127.0.0.1:$(cat "$work/http.port")/content.git
  out=$(fetch "$wurl" main "$work/m-http" 2>&1)
  if printf '%s' "$out" | grep -q "authentication failed at http://\*\*\*@127.0.0.1" &&
    ! printf '%s' "$out" | grep -qF "$wrong"; then
    ok "http: a password in the URL is refused without showing it"
  else not_ok "http: a password in the URL is refused without showing it" "$out"; fi
  expect "http: no credentials configured: a clear message" 1 \
    "asks for a password or token and none is configured" -- fetch "$hurl" main "$work/m-http"
  same "http: the mirror still holds the tip after the refusals" "$c4" tip_of "$work/m-http"
else
  for _ in 1 2 3 4 5 6 7; do ok "# SKIP http: the CGI server did not start: $(tail -n 1 "$work/http.err")"; done
fi

# -- ssh, through an sshd of our own on an unprivileged port ----------------
sshd_bin=/usr/sbin/sshd
ssh_dir=$work/ssh
mkdir -p "$ssh_dir"
ssh-keygen -q -t ed25519 -N '' -C host -f "$ssh_dir/host_key"
ssh-keygen -q -t ed25519 -N '' -C other -f "$ssh_dir/other_key"
ssh-keygen -q -t ed25519 -N '' -C client -f "$ssh_dir/client_key"
cp "$ssh_dir/client_key.pub" "$ssh_dir/authorized_keys"
sport=$(free_port)
cat >"$ssh_dir/sshd_config" <<CONF
Port $sport
ListenAddress 127.0.0.1
HostKey $ssh_dir/host_key
AuthorizedKeysFile $ssh_dir/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PidFile $ssh_dir/sshd.pid
LogLevel ERROR
CONF
ssh_skip=
if [ ! -x "$sshd_bin" ]; then ssh_skip="no $sshd_bin (openssh-server)"
else
  [ "$(id -u)" -eq 0 ] && mkdir -p /run/sshd
  "$sshd_bin" -D -e -f "$ssh_dir/sshd_config" -p "$sport" 2>"$ssh_dir/sshd.log" &
  pids+=("$!")
  probe() { python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).recv(4)' "$sport"; }
  wait_for sshd probe || ssh_skip="sshd did not start: $(tail -n 1 "$ssh_dir/sshd.log")"
fi
me=$(id -un)
surl=ssh://$me@127.0.0.1:$sport$srv/content.git
printf '[127.0.0.1]:%s %s\n' "$sport" "$(cut -d' ' -f1,2 "$ssh_dir/host_key.pub")" >"$ssh_dir/known_hosts"
printf '[127.0.0.1]:%s %s\n' "$sport" "$(cut -d' ' -f1,2 "$ssh_dir/other_key.pub")" >"$ssh_dir/wrong_hosts"
cp "$ssh_dir/known_hosts" "$ssh_dir/hashed_hosts" && ssh-keygen -q -H -f "$ssh_dir/hashed_hosts" >/dev/null 2>&1
: >"$ssh_dir/empty_hosts"
ssh_cases=9
# libgit2 1.5.1 leaks a few bytes on every ssh connection while it loads
# ~/.ssh/known_hosts (a git_str cleared, not freed; fixed in later
# releases). Under the sanitizers, leaks made inside its connect are
# ignored for the ssh cases only: the same code of ours runs unsuppressed
# over git:// and http:// above.
printf 'leak:libssh2_knownhost_init\nleak:git_remote_connect_ext\n' >"$work/lsan.supp"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$work/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
if [ -n "$ssh_skip" ]; then
  for _ in $(seq $ssh_cases); do ok "# SKIP ssh: $ssh_skip"; done
else
  key=(--key "$ssh_dir/client_key")
  same "ssh: with the server's key in known_hosts, the fetch gives the tip" "$c4" \
    fetch "$surl" main "$work/m-ssh" "${key[@]}" --known-hosts "$ssh_dir/known_hosts"
  c5=$(commit five)
  same "ssh: a hashed known_hosts entry works too, and the new tip comes" "$c5" \
    fetch "$surl" main "$work/m-ssh" "${key[@]}" --known-hosts "$ssh_dir/hashed_hosts"
  same "ssh: four fetches at once from four threads" "$c5" fetch "$surl" main "$work/m-ssh-threads" \
    "${key[@]}" --known-hosts "$ssh_dir/known_hosts" --threads 4
  expect "ssh: an empty known_hosts: refused, naming the host and the file" 1 \
    "ssh host [127.0.0.1]:$sport is not in the known_hosts file $ssh_dir/empty_hosts" -- \
    fetch "$surl" main "$work/m-ssh" "${key[@]}" --known-hosts "$ssh_dir/empty_hosts"
  expect "ssh: a different key in known_hosts: refused, naming the host and the file" 1 \
    "ssh host [127.0.0.1]:$sport presented a key that the known_hosts file $ssh_dir/wrong_hosts does not list" -- \
    fetch "$surl" main "$work/m-ssh" "${key[@]}" --known-hosts "$ssh_dir/wrong_hosts"
  expect "ssh: no known_hosts at all is refused before connecting" 1 "needs a known_hosts file" -- \
    fetch "$surl" main "$work/m-ssh" "${key[@]}"
  expect "ssh: a key the server does not know: authentication failed" 1 \
    "authentication failed at $surl" -- \
    fetch "$surl" main "$work/m-ssh" --key "$ssh_dir/other_key" --known-hosts "$ssh_dir/known_hosts"
  expect "ssh: no key configured: a clear message" 1 "asks for an ssh key and none is configured" -- \
    fetch "$surl" main "$work/m-ssh" --known-hosts "$ssh_dir/known_hosts"
  same "ssh: the mirror still holds the tip after the refusals" "$c5" tip_of "$work/m-ssh"
fi

tap_done
