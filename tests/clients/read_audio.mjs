// Parse an audio file with music-metadata (the reader most JavaScript players use) and print its
// format and chapters as JSON. usage: node read_audio.mjs FILE
import { parseFile } from "music-metadata";

const m = await parseFile(process.argv[2], { includeChapters: true, duration: false });
console.log(JSON.stringify({
  container: m.format.container,
  codec: m.format.codec,
  sampleRate: m.format.sampleRate,
  numberOfChannels: m.format.numberOfChannels,
  duration: m.format.duration,
  chapters: (m.format.chapters ?? []).map((c) => ({ title: c.title, start: c.start, timeScale: c.timeScale })),
  warnings: m.quality.warnings.map((w) => w.message),
}));
