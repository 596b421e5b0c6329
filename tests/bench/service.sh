#!/usr/bin/env bash
# The service benchmarks (issue 4), printed as a table:
# - throughput: 100,000 due occurrences through the webhook plugin over 64
#   channels (64 connections) to nginx answering 200, beside wrk's requests
#   per second on the same endpoint with the same 64 connections, and
#   beside the service's own HTTP layer alone (tests/bench/http-floor.c:
#   libcurl multi on libuv, no ledger, no plugin) and libcurl's own loop
#   (tests/bench/curl-floor.c), the most any libcurl client reaches here; the run's start (load, plan, reconcile into an
#   empty ledger) is timed apart, so the sending rate is given too;
# - precision: with 100,000 occurrences pending, 240 due one second apart
#   on the real clock: (arrival at nginx, which logs the time to the
#   millisecond and the Idempotency-Key, - due), p50 and p99; then the
#   same with /metrics and /status scraped 100 times a second each, and
#   the CPU one scrape costs the service;
# - memory: peak RSS of the service holding 100,000 pending occurrences;
# - CPU per request, of nginx, of libcurl's own loop and of jade (all its
#   threads), and from them the most a client can send here with every
#   core busy: cores / (client + nginx CPU per request), since client and
#   server share this machine's cores.
# usage: bash tests/bench/service.sh
# needs nginx, wrk and GNU time: apt-get install nginx-light wrk time
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in nginx wrk /usr/bin/time python3; do
  command -v "$tool" >/dev/null || { echo "service.sh: $tool is needed" >&2; exit 2; }
done
[ -x build/core/jade ] || bash .ci/setup
meson compile -C build >/dev/null
jade=$PWD/build/core/jade
work=$(mktemp -d)
trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/secrets" "$work/plugins" && printf 's' >"$work/secrets/hook" && chmod 600 "$work/secrets/hook"
cp build/plugins/webhook/webhook.so "$work/plugins/"
cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
error_log $work/nginx-error.log;
pid $work/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work;
  keepalive_requests 10000000;
  log_format arrival '\$msec \$http_idempotency_key';
  server { listen 127.0.0.1:8899; location / { return 200 '{"id":"ok"}'; } }
  server {
    listen 127.0.0.1:8900 backlog=1024;
    access_log $work/arrivals.log arrival;
    location / { return 200 '{"id":"ok"}'; }
  }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work" &
sleep 0.5
config() { # NAME TREE: every channel of TREE bound to the secret, nginx allowed
  python3 - "$work" "$1" "$2" <<'PY'
import json, sys
work, name, tree = sys.argv[1:]
channels = [c["id"] for c in json.load(open(tree + "/channels.json"))["channels"]]
json.dump({"source": {"dir": tree}, "state_dir": "%s/%s-state" % (work, name),
           "listen": "%s/%s.sock" % (work, name), "plugin_dir": work + "/plugins", "secrets_dir": work + "/secrets", "horizon_days": 30,
           "bindings": {"hook": {"channels": channels, "url_prefixes": [
               "http://127.0.0.1:8899/", "http://127.0.0.1:8900/"]}},
           "outbound": {"allow_http": ["127.0.0.1"], "allow_addresses": ["127.0.0.1"]}},
          open("%s/%s.json" % (work, name), "w"))
PY
}
py() { python3 -c "print($1)"; }
# nginx's CPU seconds since the last call, in $nginx_s
nginx_ticks=0
nginx_cpu() {
  local t
  t=$(awk '{print $14 + $15}' "/proc/$(pgrep -P "$(cat "$work/nginx.pid")" | head -1)/stat")
  nginx_s=$(py "($t - $nginx_ticks) / $(getconf CLK_TCK)")
  nginx_ticks=$t
}
cores=$(nproc)

# -- throughput ------------------------------------------------------------------
python3 tests/bench/gen-due.py "$work/due" http://127.0.0.1:8899 100000 64
config start "$work/due"
/usr/bin/time -f "%e %U %S" -o "$work/start.time" "$jade" run --config "$work/start.json" --once \
  --clock sim:2026-12-02T12:00:00Z:1 --until 2026-12-02T12:00:00Z >/dev/null 2>&1
read -r start_s start_user start_sys <"$work/start.time"
config through "$work/due"
nginx_cpu # from here
/usr/bin/time -f "%e %M %U %S" -o "$work/through.time" "$jade" run --config "$work/through.json" --once \
  --clock sim:2026-12-02T12:00:00Z:1 >/dev/null 2>&1
read -r through_s through_rss through_user through_sys <"$work/through.time"
sent=$("$jade" history --config "$work/through.json" --format json |
  python3 -c 'import json,sys; print(sum(r["state"] == "sent" for r in json.load(sys.stdin)))')
cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = string.rep("x", 330)
wrk.headers["Content-Type"] = "application/json"
LUA
nginx_cpu
nginx_jade_s=$nginx_s
wrk -t2 -c64 -d10s -s "$work/post.lua" http://127.0.0.1:8899/ch000 >"$work/wrk.out"
nginx_cpu
nginx_wrk_s=$nginx_s
wrk_rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
wrk_n=$(awk '/requests in/ {print $1}' "$work/wrk.out")
read -r _ _ _ floor_rps < <(build/tests/bench/http-floor http://127.0.0.1:8899/ch000 100000 64)
/usr/bin/time -f "%U %S" -o "$work/curl.time" build/tests/bench/curl-floor \
  http://127.0.0.1:8899/ch000 100000 64 >"$work/curl.out"
read -r _ _ _ curl_rps <"$work/curl.out"
read -r curl_user curl_sys <"$work/curl.time"
# CPU microseconds per request
us_nginx=$(py "'%.1f' % ($nginx_wrk_s / $wrk_n * 1e6)")
us_nginx_jade=$(py "'%.1f' % ($nginx_jade_s / $sent * 1e6)")
us_curl=$(py "'%.1f' % (($curl_user + $curl_sys) / 100000 * 1e6)")
us_jade=$(py "'%.1f' % (($through_user + $through_sys - $start_user - $start_sys) / $sent * 1e6)")
bound_curl=$(py "$cores / ($us_curl + $us_nginx) * 1e6")
bound_jade=$(py "$cores / ($us_jade + $us_nginx) * 1e6")

# -- precision and memory ----------------------------------------------------------
# precision NAME SCRAPE: 100,000 pending, 240 due a second apart from 40 s
# (60 s with scrapes) on; "p50 p99 worst measured rss" in $work/NAME.result.
# With SCRAPE=1 a scraper (tests/bench/scrape.py) asks GET /metrics and
# GET /status 100 times a second each over the admin socket all along; the
# service's CPU over 10 idle seconds without and 10 with it gives the cost
# of one scrape (both requests) in $work/NAME.scrape.
precision() {
  local name=$1 scrape=$2 lead=40
  [ "$scrape" = 1 ] && lead=60
  local start until
  start=$(date -u -d "+$lead seconds" +%Y-%m-%dT%H:%M:%S)
  until=$(date -u -d "+$((lead + 40)) seconds" +%Y-%m-%dT%H:%M:%SZ)
  : >"$work/arrivals.log"
  python3 tests/bench/gen-due.py "$work/$name" "http://127.0.0.1:8900" 240 8 \
    --pending 100000 --spread-from "$start" --due-before "$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%S)"
  config "$name" "$work/$name"
  python3 - "$work/$name.json" "$work/$name.sock" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["listen"] = sys.argv[2]
json.dump(c, open(sys.argv[1], "w"))
PY
  /usr/bin/time -f "%e %M" -o "$work/$name.time" "$jade" run --config "$work/$name.json" \
    --until "$until" >/dev/null 2>&1 &
  local timer=$!
  if [ "$scrape" = 1 ]; then
    for _ in $(seq 600); do
      curl -sf --unix-socket "$work/$name.sock" http://jade/healthz >/dev/null 2>&1 && break
      sleep 0.1
    done
    local pid ticks0 ticks1 ticks2 hz
    pid=$(pgrep -P "$timer" jade)
    hz=$(getconf CLK_TCK)
    cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
    ticks0=$(cpu)
    sleep 10
    ticks1=$(cpu)
    python3 tests/bench/scrape.py "$work/$name.sock" 100 10 >"$work/$name.scrapes"
    ticks2=$(cpu)
    read -r _ scrapes _ errors <"$work/$name.scrapes"
    py "'%.0f %d %d' % ((($ticks2 - $ticks1) - ($ticks1 - $ticks0)) / $hz / max(1, $scrapes) * 1e6, $scrapes, $errors)" \
      >"$work/$name.scrape"
    python3 tests/bench/scrape.py "$work/$name.sock" 100 3600 >"$work/$name.scrapes2" &
    local scraper=$!
  fi
  wait "$timer"
  [ "$scrape" = 1 ] && kill -TERM "$scraper" && wait "$scraper"
  local rss
  read -r _ rss <"$work/$name.time"
  # Each key's due time comes from the plan (jade plan --format json).
  "$jade" plan "$work/$name" --from "${start}Z" --to "$until" --format json \
    --plugin-dir "$work/plugins" >"$work/plan.json"
  python3 - "$work/arrivals.log" "$work/plan.json" "$rss" >"$work/$name.result" <<'PY'
import datetime, json, sys
due = {o["key"]: datetime.datetime.strptime(o["due"], "%Y-%m-%dT%H:%M:%SZ").replace(
    tzinfo=datetime.timezone.utc).timestamp() for o in json.load(open(sys.argv[2]))}
arrivals = [line.split() for line in open(sys.argv[1])]
lat = sorted((float(t) - due[key]) * 1000 for t, key in arrivals if key in due)
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print("%.1f" % p(0.50), "%.1f" % p(0.99), "%.1f" % lat[-1], len(lat), sys.argv[3])
PY
}
precision precise 0
read -r p50 p99 worst measured precise_rss <"$work/precise.result"
precision scraped 1
read -r sp50 sp99 sworst smeasured _ <"$work/scraped.result"
read -r scrape_us scrapes scrape_errors <"$work/scraped.scrape"

printf '\njade service benchmarks\n\n'
printf '%-60s %12s %10s\n' "what" "value" "target"
printf '%s\n' "--------------------------------------------------------------------------------------"
printf '%-60s %12s\n' "throughput: posts/s, start included ($sent sent, 64 channels)" "$(py "'%.0f' % ($sent / $through_s)")"
printf '%-60s %12s\n' "throughput: posts/s, sending only (start: $start_s s)" "$(py "'%.0f' % ($sent / ($through_s - $start_s))")"
printf '%-60s %12s\n' "wrk, same endpoint, 64 connections: requests/s" "$wrk_rps"
printf '%-60s %12s\n' "HTTP layer alone (libcurl on libuv), 64 connections: req/s" "$floor_rps"
printf '%-60s %12s\n' "libcurl's own loop (curl_multi_poll), 64 connections: req/s" "$curl_rps"
printf '%-60s %12s %10s\n' "jade / wrk (start included)" "$(py "'%.3f' % ($sent / $through_s / $wrk_rps)")" ">= 0.5"
printf '%-60s %12s\n' "jade sending / wrk" "$(py "'%.3f' % ($sent / ($through_s - $start_s) / $wrk_rps)")"
printf '%-60s %12s\n' "jade sending / HTTP layer alone" "$(py "'%.3f' % ($sent / ($through_s - $start_s) / $floor_rps)")"
printf '%-60s %12s\n' "HTTP layer alone / wrk" "$(py "'%.3f' % ($floor_rps / $wrk_rps)")"
printf '%-60s %12s\n' "libcurl's own loop / wrk" "$(py "'%.3f' % ($curl_rps / $wrk_rps)")"
printf '%-60s %12s\n' "CPU per request, us: nginx (wrk run)" "$us_nginx"
printf '%-60s %12s\n' "CPU per request, us: nginx (jade run)" "$us_nginx_jade"
printf '%-60s %12s\n' "CPU per request, us: libcurl's own loop (the client alone)" "$us_curl"
printf '%-60s %12s\n' "CPU per post, us: jade sending (all its threads)" "$us_jade"
printf '%-60s %12s\n' "most a libcurl client sends here, $cores cores busy: req/s" "$(py "'%.0f' % $bound_curl")"
printf '%-60s %12s\n' "  the same / wrk" "$(py "'%.3f' % ($bound_curl / $wrk_rps)")"
printf '%-60s %12s\n' "most jade sends here at its CPU per post: posts/s" "$(py "'%.0f' % $bound_jade")"
printf '%-60s %12s\n' "  the same / wrk" "$(py "'%.3f' % ($bound_jade / $wrk_rps)")"
printf '%-60s %12s\n' "precision: occurrences measured (100,000 pending)" "$measured"
printf '%-60s %12s\n' "precision: p50 of (arrival - due), ms" "$p50"
printf '%-60s %12s %10s\n' "precision: p99 of (arrival - due), ms" "$p99" "< 20"
printf '%-60s %12s\n' "precision: worst, ms" "$worst"
printf '%-60s %12s\n' "with /metrics and /status scraped 100/s each: measured" "$smeasured"
printf '%-60s %12s\n' "  p50 of (arrival - due), ms" "$sp50"
printf '%-60s %12s %10s\n' "  p99 of (arrival - due), ms" "$sp99" "< 20"
printf '%-60s %12s\n' "  worst, ms" "$sworst"
printf '%-60s %12s\n' "CPU per scrape (/metrics + /status), us ($scrapes, $scrape_errors errors)" "$scrape_us"
printf '%-60s %12s %10s\n' "memory: peak RSS with 100,000 pending, MiB" "$(py "'%.1f' % ($precise_rss / 1024)")" "< 64"
printf '%-60s %12s\n' "memory: peak RSS sending 100,000 (throughput run), MiB" "$(py "'%.1f' % ($through_rss / 1024)")"
