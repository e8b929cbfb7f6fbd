//! ID3v2 chapters (CHAP/CTOC) in MP3 files.
