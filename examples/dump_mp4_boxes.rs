//! Prints the box tree of an MP4/M4A/M4B file, with the payload of small leaf boxes in hex, to
//! compare podmark's chapter boxes with FFmpeg's box by box:
//!
//! ```sh
//! cargo run --example dump_mp4_boxes -- ours.m4a > ours.txt
//! cargo run --example dump_mp4_boxes -- ffmpeg.m4a > ffmpeg.txt
//! diff ours.txt ffmpeg.txt
//! ```
//!
//! `--offsets` adds each box's byte offset (left out by default so that a diff shows content,
//! not positions). This is a standalone reader for people, not podmark's parser.

use std::process::ExitCode;

/// Boxes whose payload is a list of boxes.
const CONTAINERS: [&[u8; 4]; 12] =
    [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"edts", b"dinf", b"tref", b"gmhd", b"ilst", b"meta"];

fn name(kind: &[u8]) -> String {
    kind.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { char::from(b) } else { '.' }).collect()
}

fn walk(data: &[u8], mut pos: usize, end: usize, depth: usize, offsets: bool, out: &mut String) {
    while pos + 8 <= end {
        let Some(head) = data.get(pos..pos + 8) else { return };
        let size32 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let kind = &head[4..8];
        let (size, header) = match size32 {
            0 => (end - pos, 8),
            1 => match data.get(pos + 8..pos + 16) {
                Some(b) => {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(b);
                    (usize::try_from(u64::from_be_bytes(a)).unwrap_or(usize::MAX), 16)
                }
                None => return,
            },
            n => (usize::try_from(n).unwrap_or(usize::MAX), 8),
        };
        if size < header || pos.saturating_add(size) > end {
            out.push_str(&format!("{}!! bad box '{}' size {size} at {pos}\n", "  ".repeat(depth), name(kind)));
            return;
        }
        let body = data.get(pos + header..pos + size).unwrap_or(&[]);
        let at = if offsets { format!(" @{pos}") } else { String::new() };
        out.push_str(&format!("{}{}{at} size={size}", "  ".repeat(depth), name(kind)));
        let is_container = CONTAINERS.iter().any(|c| c.as_slice() == kind);
        if !is_container && kind != b"mdat" && kind != b"free" && body.len() <= 160 {
            let hex: String = body.iter().map(|b| format!("{b:02x}")).collect();
            out.push_str(&format!(" {hex}"));
        }
        out.push('\n');
        if is_container {
            // `meta` is a full box: 4 bytes of version and flags before its children.
            let skip = if kind == b"meta" { 4 } else { 0 };
            walk(data, pos + header + skip, pos + size, depth + 1, offsets, out);
        } else if kind == b"stsd" {
            walk(data, pos + header + 8, pos + size, depth + 1, offsets, out);
        }
        pos += size;
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let offsets = args.iter().any(|a| a == "--offsets");
    let Some(path) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: dump_mp4_boxes [--offsets] FILE");
        return ExitCode::from(2);
    };
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = String::new();
    walk(&data, 0, data.len(), 0, offsets, &mut out);
    print!("{out}");
    ExitCode::SUCCESS
}
