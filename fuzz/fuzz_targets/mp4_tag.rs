//! The MP4 tagger on arbitrary bytes: reading chapters, embedding and stripping must never panic,
//! and whatever embedding writes must read back with the same chapters and re-tag to the same
//! bytes. Seed the corpus with `tests/fixtures/mp4/*` to get past the box walker quickly.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use podmark::tag::{TagOptions, WriteMode, mp4};
use podmark::{Chapter, Chapters, Timestamp};

fuzz_target!(|data: &[u8]| {
    let _ = mp4::extract_from(Cursor::new(data));
    let Ok(chapters) = Chapters::new(vec![
        Chapter::new(Timestamp::ZERO, "One"),
        Chapter::new(Timestamp::from_nanos(1_000_000), "Twö").with_url("https://example.com/"),
    ]) else {
        return;
    };
    let options = TagOptions::new();
    let mut out = Vec::new();
    if mp4::embed_stream(Cursor::new(data), &mut out, &chapters, &options).is_ok() {
        let back = mp4::extract_from(Cursor::new(&out));
        assert!(back.is_ok_and(|b| b.iter().map(|c| &c.title).eq(chapters.iter().map(|c| &c.title))));
        let mut again = Vec::new();
        let r = mp4::embed_stream(Cursor::new(&out), &mut again, &chapters, &options);
        assert!(r.is_ok_and(|r| r.mode == WriteMode::Unchanged));
        assert_eq!(again, out);
    }
    let _ = mp4::embed_stream(Cursor::new(data), std::io::sink(), &Chapters::empty(), &options);
});
