#!/usr/bin/env python3
"""podgen (https://podgen.readthedocs.io) writing the same items benches/scale.sh builds with
podmark, as benches/scale_items.py took them from podmark's feed: title, GUID, date, episode number
(`itunes:episode`, added by subclassing Episode as podgen's docs show: podgen 1.1.0 has no episode
number), enclosure (URL, length, type), duration and the notes as the same HTML (`description`,
and `content:encoded` where podmark wrote one). Only the writing is podgen's work here.

--plain writes the old anchor instead (before the lean-feed work): the notes' markdown source as
escaped text in `<p>`s, and no episode number; benches/scale.sh reports its size for comparison.

usage: scale_podgen.py ITEMS.json OUT.xml [--plain]
"""
import datetime
import email.utils
import html
import json
import sys

from lxml import etree
from podgen import Episode, Media, Podcast

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"


class NumberedEpisode(Episode):
    """An Episode with `itunes:episode`."""

    number = None

    def rss_entry(self):
        entry = super().rss_entry()
        if self.number:
            etree.SubElement(entry, "{%s}episode" % ITUNES).text = self.number
        return entry


src, out = sys.argv[1], sys.argv[2]
plain = "--plain" in sys.argv[3:]
with open(src) as f:
    items = json.load(f)
p = Podcast(
    name="Scale Test",
    description="A generated back catalogue.",
    website="https://scale.example/",
    explicit=False,
    language="en",
    authors=[],
    category=None,
)
for it in items:
    slug = it["url"].rsplit("/", 1)[-1].rsplit(".", 1)[0]
    e = NumberedEpisode(
        # The old anchor's GUIDs were its own (`https://scale.example/SLUG`).
        id=f"https://scale.example/{slug}" if plain else it["guid"],
        title=it["title"],
        media=Media(it["url"], it["length"], type=it["type"],
                    duration=datetime.timedelta(seconds=it["duration"])),
        publication_date=email.utils.parsedate_to_datetime(it["pub_date"]),
    )
    if plain:
        paras = [b.strip() for b in it["markdown"].strip().split("\n\n")]
        e.summary = "".join(f"<p>{html.escape(b)}</p>\n" for b in paras)
    else:
        e.number = it["episode"]
        e.summary = it["description"]
        e.long_summary = it["content"]
    p.episodes.append(e)
p.rss_file(out, minimize=False)
