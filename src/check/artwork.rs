//! Podcast artwork: reads the size and colour model of a PNG (IHDR) or JPEG (SOF) by hand and
//! checks Apple's rules — square, 1400×1400 to 3000×3000 pixels, RGB, and a `.png`/`.jpg`
//! extension that matches the real type.

/// The real type of an image file, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
}

impl ImageKind {
    /// `PNG` or `JPEG`.
    pub fn name(self) -> &'static str {
        match self {
            ImageKind::Png => "PNG",
            ImageKind::Jpeg => "JPEG",
        }
    }
}

/// The colour model of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    /// RGB (PNG truecolour; JPEG with three components, YCbCr or RGB).
    Rgb,
    /// RGB with an alpha channel (PNG colour type 6).
    RgbAlpha,
    /// Greyscale (PNG colour type 0; JPEG with one component).
    Grey,
    /// Greyscale with alpha (PNG colour type 4).
    GreyAlpha,
    /// Indexed colour (PNG colour type 3).
    Palette,
    /// Four components (CMYK or YCCK JPEG).
    Cmyk,
}

impl Colour {
    /// A human name.
    pub fn name(self) -> &'static str {
        match self {
            Colour::Rgb => "RGB",
            Colour::RgbAlpha => "RGB with alpha",
            Colour::Grey => "greyscale",
            Colour::GreyAlpha => "greyscale with alpha",
            Colour::Palette => "indexed (palette) colour",
            Colour::Cmyk => "CMYK",
        }
    }
}

/// What the header of an image says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Artwork {
    /// PNG or JPEG.
    pub kind: ImageKind,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Colour model.
    pub colour: Colour,
}

/// Why an image header could not be read: byte offset and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("byte {offset}: {message}")]
pub struct ArtworkError {
    /// Where in the file.
    pub offset: u64,
    /// What is wrong.
    pub message: String,
}

fn fail(offset: usize, message: impl Into<String>) -> ArtworkError {
    ArtworkError { offset: u64::try_from(offset).unwrap_or(u64::MAX), message: message.into() }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?, *b.get(at + 3)?]))
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Reads the header of a PNG or JPEG file.
pub fn inspect(bytes: &[u8]) -> Result<Artwork, ArtworkError> {
    if bytes.starts_with(PNG_SIGNATURE) {
        png(bytes)
    } else if bytes.starts_with(&[0xFF, 0xD8]) {
        jpeg(bytes)
    } else {
        let head: String = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
        Err(fail(0, format!("not a PNG or JPEG image (starts with {head})")))
    }
}

fn png(b: &[u8]) -> Result<Artwork, ArtworkError> {
    // Signature (8), then the IHDR chunk: length (4) = 13, type (4), width, height, depth, colour type.
    if b.get(12..16) != Some(b"IHDR") {
        return Err(fail(12, "PNG without an IHDR chunk first"));
    }
    let (Some(width), Some(height), Some(colour_type)) = (be32(b, 16), be32(b, 20), b.get(25)) else {
        return Err(fail(b.len(), "PNG header is truncated"));
    };
    let colour = match colour_type {
        0 => Colour::Grey,
        2 => Colour::Rgb,
        3 => Colour::Palette,
        4 => Colour::GreyAlpha,
        6 => Colour::RgbAlpha,
        other => return Err(fail(25, format!("PNG colour type {other} does not exist"))),
    };
    Ok(Artwork { kind: ImageKind::Png, width, height, colour })
}

fn jpeg(b: &[u8]) -> Result<Artwork, ArtworkError> {
    let mut i = 2;
    loop {
        // Markers may be preceded by fill bytes 0xFF.
        if b.get(i) != Some(&0xFF) {
            return Err(fail(i, "JPEG marker expected"));
        }
        while b.get(i) == Some(&0xFF) {
            i += 1;
        }
        let Some(&marker) = b.get(i) else { return Err(fail(i, "JPEG ends before its frame header (SOF)")) };
        i += 1;
        match marker {
            // Standalone markers: no length.
            0x01 | 0xD0..=0xD7 => continue,
            0xD9 | 0xDA => return Err(fail(i - 1, "JPEG has no frame header (SOF) before its image data")),
            _ => {}
        }
        let Some(len) = be16(b, i) else { return Err(fail(i, "JPEG segment length is truncated")) };
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            // Length (2), precision (1), height (2), width (2), components (1).
            let (Some(height), Some(width), Some(&components)) = (be16(b, i + 3), be16(b, i + 5), b.get(i + 7)) else {
                return Err(fail(i, "JPEG frame header (SOF) is truncated"));
            };
            let colour = match components {
                1 => Colour::Grey,
                3 => Colour::Rgb,
                4 => Colour::Cmyk,
                n => return Err(fail(i + 7, format!("JPEG with {n} colour components"))),
            };
            return Ok(Artwork { kind: ImageKind::Jpeg, width: u32::from(width), height: u32::from(height), colour });
        }
        if len < 2 {
            return Err(fail(i, format!("JPEG segment length {len} is impossible")));
        }
        i += usize::from(len);
    }
}

/// A problem with artwork: `(is_error, code, message)`.
pub type ArtworkProblem = (bool, &'static str, String);

/// Checks Apple's artwork rules for an image whose URL or file name is `name`.
pub fn check(name: &str, bytes: &[u8]) -> Vec<ArtworkProblem> {
    let art = match inspect(bytes) {
        Ok(a) => a,
        Err(e) => {
            return vec![(true, "artwork-unreadable", format!("artwork {name}: byte {}: {}", e.offset, e.message))];
        }
    };
    let mut out = Vec::new();
    let (w, h) = (art.width, art.height);
    if w != h {
        out.push((
            true,
            "artwork-not-square",
            format!("artwork {name} is {w}×{h} pixels; Apple requires a square image"),
        ));
    }
    if w.min(h) < 1400 || w.max(h) > 3000 {
        out.push((
            true,
            "artwork-size",
            format!("artwork {name} is {w}×{h} pixels; Apple requires 1400×1400 to 3000×3000"),
        ));
    }
    match art.colour {
        Colour::Rgb => {}
        Colour::RgbAlpha => out.push((
            false,
            "artwork-alpha",
            format!("artwork {name} has an alpha channel; Apple asks for RGB without transparency"),
        )),
        other => out.push((
            true,
            "artwork-colour",
            format!("artwork {name} is {}; Apple requires the RGB colour space", other.name()),
        )),
    }
    let path = name.split(['?', '#']).next().unwrap_or(name);
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).filter(|e| !e.contains('/'));
    let ok = match art.kind {
        ImageKind::Png => ext.as_deref() == Some("png"),
        ImageKind::Jpeg => matches!(ext.as_deref(), Some("jpg" | "jpeg")),
    };
    if !ok {
        let want = if art.kind == ImageKind::Png { ".png" } else { ".jpg" };
        out.push((
            true,
            "artwork-extension",
            format!("artwork {name} is a {} image; its name must end in {want}", art.kind.name()),
        ));
    }
    out
}

/// A minimal PNG header (signature + IHDR; no image data) for tests.
#[cfg(test)]
pub(crate) fn png_header(width: u32, height: u32, colour_type: u8) -> Vec<u8> {
    let mut b = PNG_SIGNATURE.to_vec();
    b.extend(13u32.to_be_bytes());
    b.extend(b"IHDR");
    b.extend(width.to_be_bytes());
    b.extend(height.to_be_bytes());
    b.extend([8, colour_type, 0, 0, 0]);
    b.extend([0, 0, 0, 0]);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg_header(width: u16, height: u16, components: u8) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8];
        // An APP0 segment to skip, with a fill byte before the next marker.
        b.extend([0xFF, 0xE0, 0x00, 0x06, b'J', b'F', b'I', b'F']);
        b.extend([0xFF, 0xFF, 0xC2, 0x00, 0x0B, 8]);
        b.extend(height.to_be_bytes());
        b.extend(width.to_be_bytes());
        b.push(components);
        b.extend([1, 0x11, 0]);
        b
    }

    #[test]
    fn reads_png_and_jpeg_headers() {
        let a = inspect(&png_header(1400, 1400, 2)).unwrap();
        assert_eq!(a, Artwork { kind: ImageKind::Png, width: 1400, height: 1400, colour: Colour::Rgb });
        assert_eq!(inspect(&png_header(3, 5, 0)).unwrap().colour, Colour::Grey);
        assert_eq!(inspect(&png_header(3, 5, 3)).unwrap().colour, Colour::Palette);
        let j = inspect(&jpeg_header(2000, 1500, 3)).unwrap();
        assert_eq!(j, Artwork { kind: ImageKind::Jpeg, width: 2000, height: 1500, colour: Colour::Rgb });
        assert_eq!(inspect(&jpeg_header(9, 9, 4)).unwrap().colour, Colour::Cmyk);
        assert_eq!(inspect(&jpeg_header(9, 9, 1)).unwrap().colour, Colour::Grey);
    }

    #[test]
    fn rejects_truncated_and_foreign_headers_without_panicking() {
        let png = png_header(1400, 1400, 2);
        for n in 0..png.len().min(26) {
            assert!(inspect(png.get(..n).unwrap()).is_err(), "PNG cut at {n}");
        }
        let jpg = jpeg_header(1400, 1400, 3);
        for n in 0..jpg.len() - 3 {
            assert!(inspect(jpg.get(..n).unwrap()).is_err(), "JPEG cut at {n}");
        }
        assert!(inspect(b"GIF89a....").unwrap_err().message.contains("47 49 46 38"));
        assert!(inspect(&png_header(1, 1, 7)).unwrap_err().message.contains("colour type 7"));
    }

    #[test]
    fn applies_apples_rules() {
        assert!(check("cover.png", &png_header(1400, 1400, 2)).is_empty());
        assert!(check("https://x/c.jpeg?v=2", &jpeg_header(3000, 3000, 3)).is_empty());
        let codes = |name: &str, b: &[u8]| check(name, b).into_iter().map(|(_, c, _)| c).collect::<Vec<_>>();
        assert_eq!(codes("c.png", &png_header(500, 500, 2)), ["artwork-size"]);
        assert_eq!(codes("c.png", &png_header(1400, 1500, 2)), ["artwork-not-square"]);
        assert_eq!(codes("c.png", &png_header(3001, 3001, 2)), ["artwork-size"]);
        assert_eq!(codes("c.png", &png_header(1400, 1400, 0)), ["artwork-colour"]);
        assert_eq!(codes("c.jpg", &png_header(1400, 1400, 2)), ["artwork-extension"]);
        assert_eq!(codes("c.png", &jpeg_header(1400, 1400, 4)), ["artwork-colour", "artwork-extension"]);
        let alpha = check("c.png", &png_header(1400, 1400, 6));
        assert_eq!(alpha.len(), 1);
        assert!(!alpha[0].0, "alpha is a warning");
        let msg = &check("c.png", &png_header(500, 500, 0))[0].2;
        assert!(msg.contains("500×500") && msg.contains("c.png"), "{msg}");
    }
}
