"""Parse a feed with feedparser and with podcastparser (gPodder's parser) and print what each saw
as JSON, so the Rust tests can compare it with what podmark built.

usage: python3 read_feed.py FEED.xml
"""
import json
import sys

import feedparser
import podcastparser

path = sys.argv[1]
f = feedparser.parse(path)
if f.bozo:
    print(f"feedparser: not well-formed: {f.bozo_exception}", file=sys.stderr)
    sys.exit(1)
fp = {
    "title": f.feed.get("title"),
    # Podcasting 2.0 channel elements feedparser keeps (the attributes of the last of each name).
    "podcast": {k: v for k, v in f.feed.items() if k.startswith("podcast_")},
    "items": [
        {
            "title": e.get("title"),
            "guid": e.get("id"),
            "duration": e.get("itunes_duration"),
            "enclosures": [{"url": x.get("href"), "length": int(x.get("length", -1)), "type": x.get("type")} for x in e.get("enclosures", [])],
            "psc_chapters": [
                {"start_ms": int(c["start_parsed"].total_seconds() * 1000 + 0.5), "title": c.get("title")}
                for c in (e.get("psc_chapters") or {}).get("chapters", [])
            ],
            "podcast_chapters": e.get("podcast_chapters"),
        }
        for e in f.entries
    ],
}
with open(path, "rb") as stream:
    d = podcastparser.parse("file://" + path, stream)
pp = {
    "title": d.get("title"),
    "type": d.get("type"),
    "items": [
        {
            "title": e.get("title"),
            "guid": e.get("guid"),
            "total_time": e.get("total_time"),
            "enclosures": [{"url": x.get("url"), "length": x.get("file_size"), "type": x.get("mime_type")} for x in e.get("enclosures", [])],
            "chapters": e.get("chapters"),
            "published": e.get("published"),
        }
        for e in d.get("episodes", [])
    ],
}
print(json.dumps({"feedparser": fp, "podcastparser": pp}))
