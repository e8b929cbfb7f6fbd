#!/usr/bin/env python3
"""Generates a show of N episodes for benches/scale.sh: podcast.toml and one folder per episode with
an episode.md (front matter, a paragraph of notes, four chapter lines) and a copy of AUDIO (a hard
link with --link, for the 100,000-episode run).

usage: scale_gen.py DIR N AUDIO [--link]
"""
import os
import shutil
import sys

out, count, audio = sys.argv[1], int(sys.argv[2]), sys.argv[3]
link = "--link" in sys.argv[4:]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "podcast.toml"), "w") as f:
    f.write(
        'title = "Scale Test"\nauthor = "Bench"\ndescription = "A generated back catalogue."\n'
        'language = "en"\nbase_url = "https://scale.example/"\n\n[category]\nname = "Technology"\n'
    )
NOTES = (
    "Episode {n} of a long back catalogue: a paragraph of show notes about the topic at hand, "
    "with a [link](https://scale.example/links/{n}) and *some emphasis*, as producers write them.\n\n"
    "- 00:00 Intro\n- 00:02 Headlines\n- 00:05 Interview\n- 00:08 Outro\n"
)
for n in range(1, count + 1):
    d = os.path.join(out, f"ep-{n:06d}")
    os.makedirs(d, exist_ok=True)
    day = n - 1
    date = f"{2000 + day // 336:04d}-{day % 336 // 28 + 1:02d}-{day % 28 + 1:02d}T06:00:00+00:00"
    with open(os.path.join(d, "episode.md"), "w") as f:
        f.write(f'+++\ntitle = "Episode {n}"\nepisode = {n}\ndate = {date}\naudio = "episode.mp3"\n+++\n')
        f.write(NOTES.format(n=n))
    dst = os.path.join(d, "episode.mp3")
    if not os.path.exists(dst):
        if link:
            # ext4 allows 65,000 links to one file: a fresh copy for every 50,000 episodes.
            base = f"{audio}.{n // 50000}"
            if not os.path.exists(base):
                shutil.copyfile(audio, base)
            os.link(base, dst)
        else:
            shutil.copyfile(audio, dst)
