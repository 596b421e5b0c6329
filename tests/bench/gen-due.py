#!/usr/bin/env python3
"""A content tree for the service benchmarks: N occurrences on C webhook
channels, all due in the hour before --due-before (so one `jade run --once`
sends them all), and P more pending in the days after it.

usage: gen-due.py DIR URL N CHANNELS [--pending P] [--due-before T] [--spread-from T]
--spread-from: due times one second apart from T instead (precision runs)."""
import argparse
import datetime
import json
import os

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("url")
ap.add_argument("n", type=int)
ap.add_argument("channels", type=int)
ap.add_argument("--pending", type=int, default=0)
ap.add_argument("--due-before", default="2026-12-02T12:00:00")
ap.add_argument("--spread-from", default=None)
a = ap.parse_args()

def w(path, obj):
    full = os.path.join(a.dir, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(obj if isinstance(obj, str) else json.dumps(obj))

w("jade.json", {"programme": "Bench", "timezone": "UTC",
                "policy": {"min_gap_minutes": 0, "catch_up_minutes": 10080}})
w("regions.json", {"regions": [{"id": "r", "name": "R", "languages": ["fr"], "ambassadors_target": 1}]})
w("people.json", {"ambassadors": [{"id": "a", "name": "A", "region": "r"}], "coaches": []})
w("channels.json", {"channels": [{"id": "ch%03d" % i, "network": "webhook", "regions": ["r"],
                                  "secret": "hook", "account": {"url": "%s/ch%03d" % (a.url, i)}}
                                 for i in range(a.channels)]})
w("c/campaign.json", {"id": "c", "title": "B", "objective": "B", "status": "active",
                      "window": {"start": "2026-11-01T00:00"}, "regions": ["all"]})
end = datetime.datetime.fromisoformat(a.due_before)
spread = datetime.datetime.fromisoformat(a.spread_from) if a.spread_from else None

def times(count, first, step):
    return [(first + step * i).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(count)]

# Every channel gets every time: times = N / channels, per post at most 1000.
per_channel = (a.n + a.channels - 1) // a.channels
all_times = (times(per_channel, spread, datetime.timedelta(seconds=1)) if spread else
             times(per_channel, end - datetime.timedelta(seconds=per_channel % 3600 or 3599),
                   datetime.timedelta(seconds=1)))
pending = (a.pending + a.channels - 1) // a.channels
later = times(pending, end + datetime.timedelta(days=1), datetime.timedelta(seconds=5))
chunks = [all_times[i:i + 1000] for i in range(0, len(all_times), 1000)]
chunks += [later[i:i + 1000] for i in range(0, len(later), 1000)]
for k, chunk in enumerate(chunks):
    w("c/posts/p%05d.json" % k, {"id": "p%05d" % k, "kind": "story", "authors": ["a"],
                                  "schedule": {"at": chunk}})
    w("c/posts/p%05d.fr.txt" % k, "Texte %d." % k)
