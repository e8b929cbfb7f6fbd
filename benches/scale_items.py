#!/usr/bin/env python3
"""The items of podmark's built feed.xml as JSON, for benches/scale_podgen.py, so that podgen writes
the same items podmark did: title, GUID, date, episode number, enclosure (URL, length, type),
duration, and the notes as the same HTML (`description`, and `content:encoded` when podmark wrote
one). With EPISODES_DIR each item also gets `markdown`, the notes' source text, for the old anchor
(`scale_podgen.py --plain`). Not timed: it only prepares podgen's input.

usage: scale_items.py FEED.xml OUT.json [EPISODES_DIR]
"""
import json
import os
import sys
import xml.etree.ElementTree as ET

ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"

feed, out = sys.argv[1], sys.argv[2]
episodes = sys.argv[3] if len(sys.argv) > 3 else None
items = []
for it in ET.parse(feed).getroot().iter("item"):
    enc = it.find("enclosure")
    item = {
        "title": it.findtext("title"),
        "guid": it.findtext("guid"),
        "pub_date": it.findtext("pubDate"),
        "episode": it.findtext(f"{ITUNES}episode"),
        "url": enc.get("url"),
        "length": int(enc.get("length")),
        "type": enc.get("type"),
        "duration": int(it.findtext(f"{ITUNES}duration")),
        "description": it.findtext("description"),
        "content": it.findtext(f"{CONTENT}encoded"),
    }
    if episodes:
        slug = os.path.splitext(os.path.basename(item["url"]))[0]
        with open(os.path.join(episodes, slug, "episode.md")) as f:
            item["markdown"] = f.read().split("+++", 2)[2]
    items.append(item)
with open(out, "w") as f:
    json.dump(items, f)
