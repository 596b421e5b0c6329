#!/usr/bin/env bash
# Review in signed mode, through a git daemon and the push hook: a tip is
# adopted only when signed (git's gpg.format=ssh) by a key of the
# operator's allowed_signers; what waits is said, publishing goes on from
# the last adopted commit; each publication records its signer. A push
# notification (GitHub's, Gitea's or GitLab's form) makes the service fetch
# at once; a forged one is refused.
# usage: review.sh JADE SRCDIR OUTBOX.so. Prints TAP.
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
outbox=$(realpath "$3")
work=$(tap_workdir)
pid= daemon_pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null; tap_rm_work "$work"' EXIT
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 TZ=UTC
export GIT_AUTHOR_NAME=coach GIT_AUTHOR_EMAIL=coach@example.org
export GIT_COMMITTER_NAME=coach GIT_COMMITTER_EMAIL=coach@example.org
mkdir -p "$HOME" "$work/plugins" "$work/secrets" "$work/keys" && cp "$outbox" "$work/plugins/"
for k in coach intruder expired files; do ssh-keygen -q -t ed25519 -N '' -C "$k" -f "$work/keys/$k"; done
ssh-keygen -q -t rsa -b 2048 -N '' -C rsa -f "$work/keys/rsa"
{
  echo "coach@example.org $(cat "$work/keys/coach.pub")"
  echo "rsa@example.org $(cat "$work/keys/rsa.pub")"
  echo "expired@example.org valid-before=\"20200101Z\" $(cat "$work/keys/expired.pub")"
  echo "files@example.org namespaces=\"file\" $(cat "$work/keys/files.pub")"
} >"$work/allowed_signers"
hook_secret=$(tap_secret "$work/secrets/hook")

# the content repository: a bare one served by git daemon, a clone that pushes
git init -q --bare -b main "$work/srv/content.git"
git -C "$work/srv/content.git" config receive.denyNonFastForwards false
git init -q -b main "$work/wc" && tap_example "$work/wc"
git -C "$work/wc" remote add origin "$work/srv/content.git"
push() { # KEY|"" MESSAGE: commit what changed, signed with KEY, push; prints the commit
  git -C "$work/wc" add -A
  local sign=(commit)
  [ -n "$1" ] && sign=(-c gpg.format=ssh -c user.signingkey="$work/keys/$1" commit -S)
  git -C "$work/wc" "${sign[@]}" -q -m "$2" && git -C "$work/wc" push -qf origin HEAD:main 2>/dev/null
  git -C "$work/wc" rev-parse HEAD
}
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
git daemon --export-all --base-path="$work/srv" --port="$port" --listen=127.0.0.1 --reuseaddr "$work/srv" >"$work/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do git ls-remote "git://127.0.0.1:$port/content.git" >/dev/null 2>&1 && break; sleep 0.1; done
c1=$(push coach "the example content")

cat >"$work/config.json" <<JSON
{"source": {"url": "git://127.0.0.1:$port/content.git", "branch": "main", "poll_seconds": 3600,
            "verify": "signed", "allowed_signers": "allowed_signers", "hook_secret": "hook"},
 "state_dir": "state", "plugin_dir": "plugins", "secrets_dir": "secrets", "listen": "$work/admin.sock"}
JSON
history() { "$jade" history --config "$work/config.json" --format json >"$work/history.json"; }
check() { # NAME PYTHON
  history
  if python3 - "$work/history.json" <<PY >"$work/py.out" 2>&1
import json, sys
rows = json.load(open(sys.argv[1]))
def by_post(p): return [r for r in rows if r["post"] == p]
$2
PY
  then ok "$1"; grep '^#' "$work/py.out"; else not_ok "$1" "$(cat "$work/py.out")"; fi
}
seen() { # FRAGMENT SECONDS: the service's log holds FRAGMENT
  for _ in $(seq 1 $(($2 * 20))); do grep -qF -- "$1" "$work/run.log" && return 0; sleep 0.05; done
  return 1
}
seen_re() { # PATTERN SECONDS: a line of the service's log matches PATTERN
  for _ in $(seq 1 $(($2 * 20))); do grep -q -- "$1" "$work/run.log" && return 0; sleep 0.05; done
  return 1
}
# hook HEADER-KIND [SECRET]: a push notification for main, signed with SECRET
hook() {
  local body='{"ref": "refs/heads/main"}' secret=${2:-$hook_secret} header
  local mac
  mac=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" | sed 's/.* //')
  case $1 in
    github) header="X-Hub-Signature-256: sha256=$mac" ;;
    gitea) header="X-Gitea-Signature: $mac" ;;
    gitlab) header="X-Gitlab-Token: $secret" ;;
  esac
  curl -s -o "$work/hook.out" -w '%{http_code}' --unix-socket "$work/admin.sock" \
    -H "Content-Type: application/json" -H "$header" --data "$body" http://jade/hooks/git
}

# 08:59:58: the 09:00 posts go out two seconds after the start.
"$jade" run --config "$work/config.json" --clock sim:2026-12-01T08:59:58Z:1 >"$work/run.log" 2>&1 &
pid=$!
if seen_re "event=adopted commit=${c1:0:12}[0-9a-f]* signer=coach@example.org" 20; then ok "a signed tip is adopted, naming its signer"
else not_ok "a signed tip is adopted, naming its signer" "$(cat "$work/run.log")"; fi
for _ in $(seq 100); do [ -S "$work/admin.sock" ] && break; sleep 0.1; done
sleep 3
check "each publication records its commit and who signed it" "
sent = [r for r in rows if r['state'] == 'sent']
assert len(sent) == 6, sent
assert all(r['commit'] == '$c1' and r['signer'] == 'coach@example.org' for r in sent), sent"
"$jade" history --config "$work/config.json" >"$work/history.txt"
if grep -q "coach@example.org" "$work/history.txt"; then ok "history shows the signer"; else not_ok "history shows the signer" "$(head -5 "$work/history.txt")"; fi

# -- a forged notification changes nothing -----------------------------------------
printf 'x\n' >"$work/wc/extra.txt"
c2=$(push coach "a signed change")
code=$(hook github "not the secret")
if [ "$code" = 403 ]; then ok "a notification signed with another secret is refused (403)"; else not_ok "a notification signed with another secret is refused (403)" "HTTP $code"; fi
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$work/admin.sock" --data '{}' http://jade/hooks/git)
if [ "$code" = 401 ]; then ok "an unsigned notification is refused (401)"; else not_ok "an unsigned notification is refused (401)" "HTTP $code"; fi
sleep 1
if grep -q "${c2:0:12}" "$work/run.log"; then not_ok "nothing was fetched for them" "$(tail -3 "$work/run.log")"; else ok "nothing was fetched for them"; fi

# -- the hook: adopted within a second ---------------------------------------------------
start=$(date +%s%N)
code=$(hook github)
if [ "$code" = 202 ] && seen "event=adopted commit=${c2:0:12}" 5; then
  ok "GitHub's notification: 202, and the signed commit adopted ($(( ($(date +%s%N) - start) / 1000000 )) ms)"
else not_ok "GitHub's notification: 202, and the signed commit adopted" "HTTP $code" "$(tail -5 "$work/run.log")"; fi

# -- commits that wait --------------------------------------------------------------------
wait_case() { # NAME KEY FRAGMENT HOOK-KIND
  printf '%s\n' "$1" >"$work/wc/extra.txt"
  local c
  c=$(push "$2" "$1")
  code=$(hook "$4")
  if [ "$code" = 202 ] && seen "event=refused commit=${c:0:12}" 5 && grep "event=refused commit=${c:0:12}" "$work/run.log" | grep -qF -- "$3"; then
    ok "$1: not adopted, saying why"
  else not_ok "$1: not adopted, saying why" "HTTP $code" "$(tail -5 "$work/run.log")"; fi
}
wait_case "an unsigned commit after signed ones" "" "not signed" gitea
wait_case "a commit signed by an unknown key" intruder "not in" gitlab
wait_case "a commit signed with an RSA key" rsa "unsupported key type" github
wait_case "a commit signed by a key past its valid-before" expired "valid only until" github
wait_case "a commit signed by a key allowed for another namespace" files "only for namespaces" gitea
check "publishing went on from the last adopted commit" "
assert all(r['commit'] in ('$c1', '$c2') for r in rows if r['commit']), set(r['commit'] for r in rows)"

# -- a signed commit on top is adopted, with what came before it ------------------------------
printf 'y\n' >"$work/wc/extra.txt"
c3=$(push coach "reviewed")
code=$(hook github)
if [ "$code" = 202 ] && seen_re "event=adopted commit=${c3:0:12}[0-9a-f]* signer=coach@example.org" 5; then ok "a signed commit on top is adopted"
else not_ok "a signed commit on top is adopted" "HTTP $code" "$(tail -5 "$work/run.log")"; fi

# -- a retraction, after the post was sent ------------------------------------------------------
python3 - "$work/wc/verifier-avant-de-partager/posts/appel-a-verifier.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["retracted"] = {"reason": "une source erronée"}
json.dump(d, open(sys.argv[1], "w"), ensure_ascii=False, indent=2)
PY
c4=$(push coach "retract appel-a-verifier")
code=$(hook github)
seen "event=adopted commit=${c4:0:12}" 5 || not_ok "the retraction is adopted" "HTTP $code" "$(tail -5 "$work/run.log")"
for _ in $(seq 50); do [ "$(ls "$work"/state/outbox/*/retracted/*.json 2>/dev/null | wc -l)" -eq 6 ] && break; sleep 0.1; done
sleep 0.5
check "retracted: the six sent are removed (retracted, with the time), the ones to come cancelled" "
post = by_post('appel-a-verifier')
sent = [r for r in post if r['due'] == '2026-12-01T09:00:00Z']
assert len(sent) == 6 and all(r['state'] == 'retracted' for r in sent), sent
later = [r for r in post if r['due'] > '2026-12-01T09:00:00Z']
assert later and all(r['state'] == 'cancelled' and r['reason'] == 'post retracted' for r in later), later"
moved=$(ls "$work"/state/outbox/*/retracted/*.json 2>/dev/null | wc -l)
left=$(grep -l '"appel-a-verifier"' "$work"/state/outbox/*/*.json 2>/dev/null | wc -l)
if [ "$moved" -eq 6 ] && [ "$left" -eq 0 ]; then ok "the outbox moved each file into retracted/ beside it"
else not_ok "the outbox moved each file into retracted/ beside it" "$moved moved, $left left"; fi

kill -TERM "$pid"; wait "$pid"; status=$?
pid=
if [ "$status" -eq 0 ]; then ok "SIGTERM stops it cleanly"; else not_ok "SIGTERM stops it cleanly" "exit $status"; fi
tap_done
