//! Embedding chapters into audio files: ID3v2 CHAP/CTOC in MP3 ([`mp3`]), Nero `chpl` and a
//! QuickTime chapter track in MP4/M4A/M4B ([`mp4`]).
//!
//! [`embed`], [`strip`] and [`extract`] pick the container from the file's first bytes.

pub mod mp3;
pub mod mp4;
