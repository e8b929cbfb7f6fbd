"""Read two podcast feeds (the source of `podmark import`, and what `podmark build` made of it)
with feedparser and with podcastparser (gPodder's parser), and compare what podcast apps see.

For every item (keyed by GUID; items without an enclosure are not episodes, and of items that
repeat a GUID the oldest counts, as `podmark import` keeps it): title, pubDate instant, enclosure URL/length/type, duration in seconds, episode,
season, episode type (absent reads as "full") and explicit. For the channel: title, author, image,
language (case-insensitive), Apple categories and explicit.

usage: python3 compare_feeds.py SOURCE.xml BUILT.xml [--drop-category NAME]... [--rename-category OLD=NEW]...
Prints the differences as JSON and exits 1 when there are any.
"""
import calendar
import json
import sys

import os

import feedparser
import podcastparser

# Apple's category table (podmark's copy): only these are categories; feedparser also lists
# itunes:keywords as tags in the same scheme.
with open(os.path.join(os.path.dirname(__file__), "..", "..", "src", "data", "apple_categories.json")) as fh:
    _table = json.load(fh)
APPLE = set(_table) | {s for subs in _table.values() for s in subs}


def seconds(d):
    if d in (None, ""):
        return None
    total = 0.0
    for part in str(d).split(":"):
        total = total * 60 + float(part)
    return int(total + 0.5)


def fp_read(path, drop, rename):
    f = feedparser.parse(path)
    if f.bozo:
        raise SystemExit(f"feedparser: {path}: {f.bozo_exception}")
    cats = set()
    for t in f.feed.get("tags", []):
        term = rename.get(t.get("term"), t.get("term"))
        if term in APPLE and term not in drop and (t.get("scheme") or "").startswith("http://www.itunes.com"):
            cats.add(term)
    channel = {
        "title": f.feed.get("title"),
        "author": f.feed.get("itunes_author") or f.feed.get("author"),
        "image": (f.feed.get("image") or {}).get("href"),
        "language": (f.feed.get("language") or "").lower(),
        "categories": sorted(cats),
        "explicit": bool(f.feed.get("itunes_explicit")),
    }
    items = {}
    for e in f.entries:
        if not e.get("enclosures"):
            continue
        guid = e.get("id")
        x = e.enclosures[0]
        published = calendar.timegm(e.published_parsed) if e.get("published_parsed") else None
        if guid in items and items[guid]["published"] <= published:
            continue
        items[guid] = {
            "title": e.get("title"),
            "published": published,
            "url": x.get("href"),
            "length": int(x.get("length", -1)),
            "type": x.get("type"),
            "duration": seconds(e.get("itunes_duration")),
            "episode": e.get("itunes_episode"),
            "season": e.get("itunes_season"),
            "episode_type": e.get("itunes_episodetype") or "full",
            # feedparser reads only "yes" (True) and "clean" (False); Apple's "true"/"false" (what
            # podmark writes) read as None: compare "explicit or not".
            "explicit": bool(e.get("itunes_explicit")),
        }
    return channel, items


def pp_read(path):
    with open(path, "rb") as fh:
        p = podcastparser.parse("file://" + path, fh)
    items = {}
    for e in p.get("episodes", []):
        if not e.get("enclosures"):
            continue
        if e["guid"] in items and items[e["guid"]]["published"] <= e.get("published"):
            continue
        x = e["enclosures"][0]
        items[e["guid"]] = {
            "title": e.get("title"),
            "published": e.get("published"),
            "url": x.get("url"),
            "length": x.get("file_size"),
            "type": x.get("mime_type"),
            "duration": e.get("total_time") or None,
            "explicit": e.get("explicit"),
            "number": e.get("number"),
            "type_": e.get("type") or "full",
        }
    return {"title": p.get("title"), "image": p.get("cover_url"), "type": p.get("type")}, items


def main():
    args = sys.argv[1:]
    src, built = args[0], args[1]
    drop, rename = set(), {}
    i = 2
    while i < len(args):
        if args[i] == "--drop-category":
            drop.add(args[i + 1])
        elif args[i] == "--rename-category":
            old, new = args[i + 1].split("=", 1)
            rename[old] = new
        i += 2
    diffs = []
    for name, read in (("feedparser", lambda p: fp_read(p, drop, rename)), ("podcastparser", pp_read)):
        (sc, si), (bc, bi) = read(src), read(built)
        for k in sc:
            if sc[k] != bc.get(k):
                diffs.append({"reader": name, "channel": k, "source": sc[k], "built": bc.get(k)})
        if set(si) != set(bi):
            diffs.append({"reader": name, "guids": {"source only": sorted(set(si) - set(bi)), "built only": sorted(set(bi) - set(si))}})
        for g in si:
            for k, v in si[g].items():
                if g in bi and bi[g].get(k) != v:
                    diffs.append({"reader": name, "guid": g, "field": k, "source": v, "built": bi[g].get(k)})
        if name == "feedparser":
            counts = {"items": len(si)}
    print(json.dumps({"differences": diffs, **counts}, indent=1, default=str))
    sys.exit(1 if diffs else 0)


main()
