#!/usr/bin/env python3
"""The anchor for the build benchmark: podgen (Python) generating the same N feed items that
podmark builds from the generated episodes (title, GUID, date, enclosure size/type, duration,
HTML notes with the chapter list). It only writes XML; it probes and tags nothing.

usage: bench_podgen.py N OUT.xml
"""
import datetime
import sys

import podgen

n, out = int(sys.argv[1]), sys.argv[2]
p = podgen.Podcast(name="Bench Show", description="A large back catalogue.", website="https://bench.example/",
                   explicit=False, language="en", authors=[podgen.Person("Bench")],
                   category=podgen.Category("Technology"), image="https://bench.example/cover.png",
                   feed_url="https://bench.example/feed.xml")
chapters = "<p>Chapters:</p><ul><li>00:00:00 Intro</li><li>00:00:02 Topic one</li><li>00:00:05 Topic two</li><li>00:00:08 Outro</li></ul>"
for i in range(1, n + 1):
    day = 1 + (i % 28)
    month = 1 + (i // 28) % 12
    year = 2000 + i // 336
    e = p.add_episode()
    e.id = f"guid-{i}"
    e.title = f"Episode {i}: a title"
    e.summary = podgen.htmlencode(f"In episode {i} we talk about things.") + chapters
    e.publication_date = datetime.datetime(year, month, day, 10, 0, tzinfo=datetime.timezone.utc)
    e.media = podgen.Media(f"https://bench.example/audio/{i:05d}-episode.mp3", 161000, type="audio/mpeg",
                           duration=datetime.timedelta(seconds=10))
    e.episode_number = i
p.rss_file(out)
