#!/usr/bin/env python3
"""podgen (https://podgen.readthedocs.io) writing the same items benches/scale.sh builds with
podmark: title, GUID, date, enclosure (URL, length, type), duration and the notes as HTML.

usage: scale_podgen.py EPISODES_DIR AUDIO_BYTES OUT.xml
"""
import datetime
import html
import os
import re
import sys

from podgen import Episode, Media, Podcast

src, audio_bytes, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
p = Podcast(
    name="Scale Test",
    description="A generated back catalogue.",
    website="https://scale.example/",
    explicit=False,
    language="en",
    authors=[],
    category=None,
)
for slug in sorted(os.listdir(src)):
    notes_path = os.path.join(src, slug, "episode.md")
    if not os.path.isfile(notes_path):
        continue
    with open(notes_path) as f:
        text = f.read()
    _, front, body = text.split("+++", 2)
    title = re.search(r'title = "(.*)"', front).group(1)
    date = datetime.datetime.fromisoformat(re.search(r"date = (\S+)", front).group(1))
    paras = [b.strip() for b in body.strip().split("\n\n")]
    notes = "".join(f"<p>{html.escape(b)}</p>\n" for b in paras)
    e = Episode(
        id=f"https://scale.example/{slug}",
        title=title,
        media=Media(f"https://scale.example/audio/{slug}.mp3", audio_bytes, type="audio/mpeg",
                    duration=datetime.timedelta(seconds=10)),
        summary=notes,
        publication_date=date,
    )
    p.episodes.append(e)
p.rss_file(out, minimize=False)
