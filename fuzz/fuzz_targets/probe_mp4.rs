//! The MP4 box walker (ftyp, moov/trak/mdia/mdhd/stts/stsz/elst, chapter tracks, chpl, movie
//! fragments) on arbitrary bytes: it must never panic or allocate without bound.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use podmark::probe::mp4;

fuzz_target!(|data: &[u8]| {
    if let Ok(info) = mp4::probe(Cursor::new(data)) {
        assert_eq!(Ok(info.byte_length), u64::try_from(data.len()));
        assert!(info.mp4.is_some());
        let _ = info.chapter_list();
    }
    // The same bytes behind an `ftyp` box, so the walker gets past detection.
    let mut with_ftyp = b"\x00\x00\x00\x10ftypM4A \x00\x00\x00\x00".to_vec();
    with_ftyp.extend_from_slice(data);
    let _ = podmark::probe::probe_reader(Cursor::new(with_ftyp));
});
