//! Fuzz the reader for CUE sheets.
//! It must never panic; what it accepts must be a valid `Chapters` that every writer can write,
//! and, re-read through the text format, the same starts again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podmark::formats::{Format, WriteOptions, decode_text};
use podmark::validate::{Profile, check_all};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = decode_text(data) else { return };
    let parsed = Format::Cue.read(text);
    let _ = check_all(&parsed, &Profile::ALL, None);
    if let Ok(chapters) = parsed.into_chapters() {
        for out in Format::WRITABLE {
            let _ = out.write(&chapters, &WriteOptions::default());
        }
    }
});
