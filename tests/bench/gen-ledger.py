#!/usr/bin/env python3
"""A year of a 120-ambassador programme, for tests/bench/report.sh.

usage: gen-ledger.py CONTENT-DIR LEDGER N

Writes CONTENT-DIR: jade.json, the six regions (20 ambassadors each in
people.json), six channels per region (outbox, telegram, facebook,
mastodon, x, whatsapp), six campaigns, N / 20 posts (one to three
authors each, one region, an "answers" on one in forty), their French
texts, and 60 rumours. Then fills LEDGER, an existing jade ledger (made by
`jade run --once`, so with jade's own schema), with N occurrences of those
posts due over 2026 (by day and hour as a programme publishes: more on
weekdays, between 07:00 and 21:00): about 95 % sent (most within a minute,
some later), failed with a few reasons, missed, retracted, cancelled and
still planned; each sent one with 4 readings (+1 h, +24 h, +72 h, +7 d) of
reach, engagement and the network's own count, growing. Deterministic
(seeded), bulk-inserted in one transaction.
"""
import json
import os
import random
import sqlite3
import sys

REGIONS = [("kayes", "Kayes"), ("nioro-du-sahel", "Nioro du Sahel"), ("mopti", "Mopti"),
           ("bandiagara", "Bandiagara"), ("gao", "Gao"), ("bamako", "District de Bamako")]
NETWORKS = ["outbox", "telegram", "facebook", "mastodon", "x", "whatsapp"]
OWN_NAME = {"outbox": "copies", "telegram": "views", "facebook": "post_impressions",
            "mastodon": "favourites", "x": "like_count", "whatsapp": "read"}
REASONS = ["HTTP 503: service unavailable (attempt 8)", "HTTP 400: (#100) invalid parameter",
           "timeout before the request was sent (attempt 8)", "HTTP 403: the page is restricted"]
START = 1767225600  # 2026-01-01T00:00:00Z


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def content(root, n_posts, rng):
    write(os.path.join(root, "jade.json"), json.dumps({
        "programme": "JADE — benchmark", "timezone": "Africa/Bamako",
        "policy": {"quiet_hours": ["22:00", "07:00"], "min_gap_minutes": 0}}))
    write(os.path.join(root, "regions.json"), json.dumps({"regions": [
        {"id": r, "name": name, "languages": ["fr"], "ambassadors_target": 20}
        for r, name in REGIONS]}, ensure_ascii=False))
    ambassadors = [{"id": "amb-%s-%02d" % (r, i), "name": "Ambassadeur·rice %s %02d" % (name, i),
                    "region": r} for r, name in REGIONS for i in range(1, 21)]
    write(os.path.join(root, "people.json"), json.dumps({
        "ambassadors": ambassadors,
        "coaches": [{"id": "coach", "name": "Coach", "regions": [r for r, _ in REGIONS]}]},
        ensure_ascii=False))
    channels = [{"id": "%s-%s" % (net, r), "network": net, "regions": [r],
                 "account": {"folder": r} if net == "outbox" else {}}
                for r, _ in REGIONS for net in NETWORKS]
    write(os.path.join(root, "channels.json"), json.dumps({"channels": channels}))
    rumours = []
    for i in range(60):
        rid = "rumeur-%02d" % i
        rumours.append(rid)
        seen = START + rng.randrange(365 * 86400)
        region = REGIONS[i % 6][0]
        write(os.path.join(root, "rumours", rid + ".json"), json.dumps({
            "id": rid, "first_seen": "2026-%s" % fmt(seen)[5:16], "regions": [region],
            "summary": "Rumeur %d" % i, "status": "open"}))
    posts = []
    for c in range(6):
        cid = "campagne-%d" % c
        write(os.path.join(root, cid, "campaign.json"), json.dumps({
            "id": cid, "title": "Campagne %d" % c, "objective": "Banc d'essai", "status": "retired",
            "window": {"start": "2026-01-01T00:00", "end": "2026-12-31T23:59"},
            "regions": ["all"], "coaches": ["coach"]}))
    for p in range(n_posts):
        region = REGIONS[p % 6][0]
        authors = rng.sample([a["id"] for a in ambassadors if a["region"] == region],
                             rng.choice((1, 1, 2, 3)))
        cid = "campagne-%d" % (p % 6)
        pid = "post-%05d" % p
        post = {"id": pid, "kind": "story", "authors": authors, "regions": [region],
                "schedule": {"at": ["2026-06-01T09:00"]}}
        if p % 40 == 0:
            post["answers"] = rumours[(p // 40) % len(rumours)]
            post["kind"] = "debunk"
            post["sources"] = [{"title": "Source", "url": "https://example.org/source"}]
        write(os.path.join(root, cid, "posts", pid + ".json"), json.dumps(post))
        write(os.path.join(root, cid, "posts", pid + ".fr.txt"), "Texte %d.\n" % p)
        posts.append((cid, pid, region))
    return posts


def fmt(t):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def ledger(path, posts, n, rng):
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous = OFF")
    occurrences, metrics = [], []
    for i in range(n):
        cid, pid, region = posts[i % len(posts)]
        net = NETWORKS[rng.randrange(6)]
        day = rng.randrange(365)
        while (day + 3) % 7 >= 5 and rng.random() < 0.6:  # fewer at weekends
            day = rng.randrange(365)
        due = START + day * 86400 + rng.randrange(7 * 3600, 21 * 3600) // 60 * 60
        draw = rng.random()
        state, sent_at, error, removal = "sent", None, None, None
        if draw < 0.02:
            state, error = "failed", rng.choice(REASONS)
        elif draw < 0.03:
            state, error = "missed", "the service was down past catch_up_minutes"
        elif draw < 0.035:
            state, error = "cancelled", "post removed"
        elif draw < 0.04:
            state = "planned"
        elif draw < 0.05:
            state = "retracted"
        if state in ("sent", "retracted"):
            sent_at = due + (rng.randrange(0, 50) if rng.random() < 0.97 else rng.randrange(61, 3000))
        key = rng.getrandbits(128).to_bytes(16, "big")
        updated = (sent_at or due) + (86400 if state == "retracted" else 0)
        occurrences.append((key, cid, pid, "%s-%s" % (net, region), net, "fr", due, state,
                            1 if sent_at or error else 0, error, "0" * 40, due - 86400, updated,
                            sent_at, removal))
        if sent_at:
            reach = rng.randrange(50, 2000)
            for k, offset in enumerate((3600, 86400, 259200, 604800)):
                grown = reach * (k + 2) // 2
                metrics.append((key, offset, sent_at + offset, "reach", grown))
                metrics.append((key, offset, sent_at + offset, "engagement", grown // 20))
                metrics.append((key, offset, sent_at + offset, OWN_NAME[net], grown // 10))
    with db:
        db.executemany("INSERT INTO occurrences (key, campaign, post, channel, network, lang, due,"
                       " state, attempts, error, commit_id, created, updated, sent_at, removal)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", occurrences)
        db.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?)", metrics)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return sum(1 for o in occurrences if o[13]), len(metrics)


def main():
    root, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = random.Random(13)
    posts = content(root, max(n // 20, 6), rng)
    sent, readings = ledger(path, posts, n, rng)
    print("%d occurrences (%d sent, %d readings), %d posts" % (n, sent, readings, len(posts)))


main()
