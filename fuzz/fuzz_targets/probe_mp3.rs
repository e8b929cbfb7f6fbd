//! The MP3 prober (ID3v2 skip and chapters, frame-header scan with resync, Xing/LAME/VBRI,
//! trailing APE/ID3v1/Lyrics3 tags) on arbitrary bytes: it must never panic, and whatever it
//! accepts must be self-consistent.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use podmark::probe::{Probe, mp3};

fuzz_target!(|data: &[u8]| {
    if let Some(h) = data.get(0..4).and_then(|b| <[u8; 4]>::try_from(b).ok()).and_then(mp3::parse_header) {
        assert!(h.len >= 4 && h.samples > 0);
    }
    if let Ok(info) = mp3::probe(Cursor::new(data)) {
        assert_eq!(Ok(info.byte_length), u64::try_from(data.len()));
        assert!(info.sample_rate > 0);
        let mpeg = info.mpeg.expect("MPEG details for an MP3");
        assert!(mpeg.first_frame < info.byte_length);
        let _ = info.chapter_list();
    }
    // The full scan must not panic either, and the format detection in front of it.
    let _ = Probe::new().full_scan(true).probe_reader(Cursor::new(data));
});
