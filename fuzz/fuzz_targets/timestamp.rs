//! Fuzz `Timestamp::from_str`: never panics, and what parses prints and re-parses to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podmark::Timestamp;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(t) = s.parse::<Timestamp>() {
        let again: Timestamp = format!("{t:.9}").parse().expect("a printed timestamp parses");
        assert_eq!(again, t);
    }
});
