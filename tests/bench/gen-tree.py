#!/usr/bin/env python3
"""Generates a synthetic, valid content tree for the benchmarks.

usage: gen-tree.py DIR [POSTS]   (default 10,000 posts)

POSTS posts in campaigns of 100, each with a French and a Bambara text
(three files a post), the six JADE regions, 120 ambassadors and one outbox
channel per region. Deterministic: the same arguments give the same tree."""
import json
import os
import random
import sys

out = sys.argv[1]
n_posts = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
rng = random.Random(42)
REGIONS = [("kayes", ["fr", "bm", "snk"]), ("nioro-du-sahel", ["fr", "snk", "bm"]),
           ("mopti", ["fr", "ff", "bm"]), ("bandiagara", ["fr", "dts", "bm"]),
           ("gao", ["fr", "ses", "bm"]), ("bamako", ["fr", "bm"])]
WORDS = ("avant de partager une information vérifions sa source les rumeurs opposent "
         "les communautés alors que la coopération est quotidienne au marché à l'école "
         "et au champ ensemble nous pouvons répondre par des faits").split()
KINDS = ["debunk", "prebunk", "story", "dialogue", "call-to-action"]


def write(path, obj):
    full = os.path.join(out, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        if isinstance(obj, str):
            f.write(obj)
        else:
            json.dump(obj, f, indent=2, ensure_ascii=False)
            f.write("\n")


def sentence(n):
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


write("jade.json", {"programme": "Bench", "timezone": "Africa/Bamako",
                    "policy": {"quiet_hours": ["22:00", "07:00"], "min_gap_minutes": 1}})
write("regions.json", {"regions": [{"id": r, "name": r.title(), "languages": l,
                                    "ambassadors_target": 20} for r, l in REGIONS]})
ambassadors = [{"id": f"amb-{r}-{i:02d}", "name": f"Ambassadeur {r} {i:02d}", "region": r}
               for r, _ in REGIONS for i in range(1, 21)]
write("people.json", {"ambassadors": ambassadors,
                      "coaches": [{"id": f"coach-{r}", "name": f"Coach {r}", "regions": [r]}
                                  for r, _ in REGIONS]})
write("channels.json", {"channels": [{"id": f"outbox-{r}", "network": "outbox", "regions": [r],
                                      "account": {"folder": r}} for r, _ in REGIONS]})
per_campaign = 100
for c in range((n_posts + per_campaign - 1) // per_campaign):
    cid = f"campagne-{c:04d}"
    write(f"{cid}/campaign.json", {
        "id": cid, "title": sentence(5), "objective": sentence(12), "status": "active",
        "window": {"start": "2026-12-01T00:00", "end": "2027-12-31T23:59"}, "regions": ["all"],
        "coaches": [f"coach-{REGIONS[c % 6][0]}"]})
    for p in range(min(per_campaign, n_posts - c * per_campaign)):
        pid = f"post-{p:03d}"
        day = 1 + (p % 28)
        post = {"id": pid, "kind": KINDS[p % 5],
                "authors": [rng.choice(ambassadors)["id"]],
                "schedule": {"at": [f"2027-{1 + (c % 12):02d}-{day:02d}T{8 + p % 12:02d}:{(p * 7) % 60:02d}"]}
                if p % 4 else {"rrule": "FREQ=WEEKLY;BYDAY=%s;BYHOUR=%d;BYMINUTE=%d;COUNT=4"
                               % (["MO", "TU", "WE", "TH", "FR"][(c + p) % 5], 8 + (c + p) % 12,
                                  (c * 7 + p) % 60),
                               "start": "2027-01-04T08:00"},
                "sources": [{"title": sentence(4), "url": f"https://example.org/sources/{c}/{p}"}]}
        write(f"{cid}/posts/{pid}.json", post)
        write(f"{cid}/posts/{pid}.fr.txt", sentence(40) + "\n")
        write(f"{cid}/posts/{pid}.bm.txt", sentence(30) + "\n")
