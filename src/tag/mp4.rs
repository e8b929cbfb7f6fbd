//! MP4 chapters: Nero `chpl` and a QuickTime chapter track.
