//! Every chapter reader on arbitrary bytes: must never panic, and whatever it accepts must
//! write back in every format without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podmark::formats::{Format, WriteOptions, decode_text};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = decode_text(data) else { return };
    for format in Format::ALL {
        let parsed = format.read(text);
        if let Ok(chapters) = parsed.into_chapters() {
            for out in Format::WRITABLE {
                let _ = out.write(&chapters, &WriteOptions::default());
            }
        }
    }
    let _ = podmark::shownotes::parse(text);
    let _ = text.parse::<podmark::Timestamp>();
});
