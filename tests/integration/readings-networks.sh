#!/usr/bin/env bash
# Follow-up readings on X and Facebook, against their fakes: the names each
# plugin reports (and reach, engagement) at +1 h and +24 h on a simulated
# clock; Facebook's insights one metric at a time, a retired one (#100)
# dropped once and never asked again while the others are read; a 429
# from X (x-rate-limit-reset) and Facebook's Business Use Case throttle
# (80001) on a metrics call waited out, with no request early.
# usage: readings-networks.sh JADE SRCDIR X.so FACEBOOK.so. Prints TAP.
set -u
. "$(dirname "$0")/tap.sh"
jade=$(realpath "$1")
src=$(realpath "$2")
xso=$(realpath "$3")
fbso=$(realpath "$4")
work=$(tap_workdir)
fakes=()
cleanup() {
  for pid in "${fakes[@]}"; do kill "$pid" 2>/dev/null; done
  tap_rm_work "$work"
}
trap cleanup EXIT
mkdir -p "$work/plugins" "$work/secrets" && cp "$xso" "$fbso" "$work/plugins/"
chmod 700 "$work/secrets"
for net in x facebook; do
  python3 -c "import json,sys; sys.stdout.write(json.load(open(sys.argv[1]))['secret'] + '\n')" \
    "$src/tests/fakes/$net.json" >"$work/secrets/$net"
  chmod 600 "$work/secrets/$net"
  [ -n "${JADE_SWEEP_DIR:-}" ] && realpath "$work/secrets/$net" >>"$JADE_SWEEP_DIR/secret-files"
  python3 "$src/tests/fakes/$net.py" --port-file "$work/$net.port" --record "$work/$net.record" &
  fakes+=($!)
done
for net in x facebook; do
  for _ in $(seq 200); do [ -s "$work/$net.port" ] && break; sleep 0.05; done
done
xport=$(cat "$work/x.port") fbport=$(cat "$work/facebook.port")

# make_case NAME POST... : a tree with an X and a Facebook channel in Gao,
# posts on each at 08:00 on 2 December (POST: NAME:NETWORK), readings at
# +1 h and +24 h; Facebook asks a retired metric first.
make_case() {
  local name=$1; shift
  rm -rf "$work/$name-tree" && cp -a "$src/tests/bad/base" "$work/$name-tree"
  python3 - "$work" "$name" "$xport" "$fbport" "$src" "$@" <<'PY'
import json, os, sys
work, name, xport, fbport, src, specs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:]
root = "%s/%s-tree" % (work, name)
for f in ("c1/posts/p1.json", "c1/posts/p1.fr.txt", "c1/posts/p1.bm.txt"):
    os.remove(os.path.join(root, f))
jade = json.load(open(os.path.join(root, "jade.json")))
jade["policy"] = {"quiet_hours": ["23:00", "00:30"], "min_gap_minutes": 0, "catch_up_minutes": 60}
json.dump(jade, open(os.path.join(root, "jade.json"), "w"))
fb = json.load(open(src + "/tests/fakes/facebook.json"))["account"]
x = json.load(open(src + "/tests/fakes/x.json"))["account"]
json.dump({"channels": [
    {"id": "x-gao", "network": "x", "regions": ["gao"], "secret": "x", "account": x},
    {"id": "fb-gao", "network": "facebook", "regions": ["gao"], "secret": "facebook",
     "account": fb}]}, open(os.path.join(root, "channels.json"), "w"))
for spec in specs:
    post, network = spec.split(":")
    json.dump({"id": post, "kind": "story", "authors": ["moussa"], "regions": ["gao"],
               "networks": [network], "schedule": {"at": ["2026-12-02T08:00"]}},
              open(os.path.join(root, "c1/posts/%s.json" % post), "w"))
    open(os.path.join(root, "c1/posts/%s.fr.txt" % post), "w").write("Texte %s.\n" % post)
json.dump({"source": {"dir": root}, "state_dir": "%s/%s" % (work, name),
           "listen": "%s/%s.sock" % (work, name), "plugin_dir": work + "/plugins",
           "secrets_dir": work + "/secrets", "metrics": {"readings": ["1h", "24h"]},
           "networks": {"x": {"api_base": "http://127.0.0.1:%s" % xport},
                        "facebook": {"api_base": "http://127.0.0.1:%s" % fbport,
                                     "graph_version": "v24.0",
                                     "insights_metrics": "post_impressions_unique,post_media_view,"
                                     "post_total_media_view_unique,post_reactions_by_type_total,"
                                     "post_clicks"}},
           "bindings": {"x": {"channels": ["x-gao"]}, "facebook": {"channels": ["fb-gao"]}},
           "outbound": {"allow_http": ["127.0.0.1"], "allow_addresses": ["127.0.0.1"]}},
          open("%s/%s.json" % (work, name), "w"), indent=1)
PY
}
# check NAME CASE PYTHON: by[(channel, reading)] = {name: value}; rows;
# out (the log); x, fb (the fakes' records)
check() {
  sqlite3 -json "$work/$2/ledger.sqlite" \
    "SELECT o.channel, m.reading, m.read_at, o.sent_at, m.name, m.value FROM metrics m
     JOIN occurrences o ON o.key = m.key" >"$work/$2-rows.json"
  if python3 - "$work/$2-rows.json" "$work/$2.out" "$work/x.record" "$work/facebook.record" \
    <<PY >"$work/py.out" 2>&1
import collections, json, sys
text = open(sys.argv[1]).read().strip()
rows = json.loads(text) if text else []
out = open(sys.argv[2]).read()
x = [json.loads(l) for l in open(sys.argv[3])]
fb = [json.loads(l) for l in open(sys.argv[4])]
by = collections.defaultdict(dict)
for r in rows:
    by[(r["channel"], r["reading"])][r["name"]] = r["value"]
$3
PY
  then ok "$1"; else not_ok "$1" "$(cat "$work/py.out")" "$(grep -E 'level=(error|warning)' "$work/$2.out" | tail -5)"; fi
}

make_case a x1:x f1:facebook
"$jade" run --config "$work/a.json" --clock sim:2026-12-02T07:59:00Z:36000 \
  --until 2026-12-03T09:00:00Z >"$work/a.out" 2>&1 || not_ok "the run ends well" "$(tail -3 "$work/a.out")"
check "X: public metrics at +1 h and +24 h; reach is impression_count" a '
assert by[("x-gao", 3600)] == {"like_count": 2, "retweet_count": 1, "reply_count": 0, "quote_count": 0,
    "impression_count": 50, "reach": 50, "engagement": 3}, by
assert by[("x-gao", 86400)] == {"like_count": 4, "retweet_count": 2, "reply_count": 1, "quote_count": 1,
    "impression_count": 100, "reach": 100, "engagement": 8}, by
assert all(r["read_at"] == r["sent_at"] + r["reading"] for r in rows), rows
gets = [e for e in x if e["op"] == "metrics"]
assert len(gets) == 2 and all(e["status"] == 200 for e in gets), gets'
check "Facebook: insights one metric at a time, comments and shares; reach is post_total_media_view_unique" a '
assert by[("fb-gao", 3600)] == {"post_media_view": 100, "post_total_media_view_unique": 60,
    "post_reactions_by_type_total": 3, "post_clicks": 4, "comments": 1, "shares": 0, "reach": 60,
    "engagement": 4}, by
assert by[("fb-gao", 86400)] == {"post_media_view": 200, "post_total_media_view_unique": 120,
    "post_reactions_by_type_total": 6, "post_clicks": 8, "comments": 2, "shares": 1, "reach": 120,
    "engagement": 9}, by
asked = [e.get("metric") for e in fb if e["op"] == "metrics" and e["path"].endswith("/insights")]
assert all("," not in m for m in asked), asked'
check "Facebook: a retired metric (#100) is dropped once, never asked again; the others are read" a '
retired = [e for e in fb if e.get("metric") == "post_impressions_unique"]
assert len(retired) == 1 and retired[0]["status"] == 400, retired
assert not any(r["name"] == "post_impressions_unique" for r in rows), rows
assert "no longer has the insights metric post_impressions_unique" in out, out
assert out.count("event=metrics_read") == 4, out'
check "no request was early" a '
assert not [e for e in x + fb if e.get("early")], [e for e in x + fb if e.get("early")]'

# -- rate limits on metrics calls, waited out (the clock at real speed) -----------------
make_case b x2:x f2:facebook
"$jade" run --config "$work/b.json" --clock sim:2026-12-02T07:59:00Z:36000 \
  --until 2026-12-02T08:30:00Z >"$work/b.out" 2>&1 || not_ok "the run ends well" "$(tail -3 "$work/b.out")"
curl -sS -X POST --data '[{"fault": "rate_limit", "op": "metrics", "seconds": 4}]' \
  "http://127.0.0.1:$xport/_fake/faults" >/dev/null
curl -sS -X POST --data '[{"fault": "rate_limit", "op": "metrics", "code": 80001, "seconds": 4}]' \
  "http://127.0.0.1:$fbport/_fake/faults" >/dev/null
"$jade" run --config "$work/b.json" --clock sim:2026-12-02T09:00:30Z:1 \
  --until 2026-12-02T09:00:50Z >>"$work/b.out" 2>&1 || not_ok "the run ends well" "$(tail -3 "$work/b.out")"
check "a 429 from X and Facebook's 80001 on a metrics call: the readings wait, then are taken" b '
assert by[("x-gao", 3600)]["like_count"] >= 2 and by[("fb-gao", 3600)]["post_media_view"] >= 100, by
assert out.count("event=metrics_wait") == 2, out
for record in (x, fb):
    m = [e for e in record if e["op"] == "metrics"]
    i = max(k for k, e in enumerate(m) if e.get("fault") == "rate_limit")
    after = m[i + 1:]
    assert after and after[-1]["status"] == 200, m
    assert after[0]["arrived"] - m[i]["t"] >= 3, (m[i], after)
assert not [e for e in x + fb if e.get("early")], [e for e in x + fb if e.get("early")]'

tap_done
