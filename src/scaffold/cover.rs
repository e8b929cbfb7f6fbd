//! The placeholder cover of a new show.

/// Side of the placeholder cover in pixels: Apple's minimum (the producer replaces it).
const SIDE: u32 = 1400;

/// A plain-colour 1400×1400 RGB PNG that passes Apple's artwork rules
/// ([`crate::check::artwork::check`]): a placeholder until the producer has real artwork.
///
/// ```
/// let png = podmark::scaffold::placeholder_cover()?;
/// assert!(podmark::check::artwork::check("cover.png", &png).is_empty());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn placeholder_cover() -> std::io::Result<Vec<u8>> {
    // A deep teal: visibly a placeholder, not an accident.
    const RGB: [u8; 3] = [0x1f, 0x6f, 0x78];
    let side = SIDE as usize;
    let pixels: Vec<u8> = RGB.iter().copied().cycle().take(side * side * 3).collect();
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, SIDE, SIDE);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
    writer.write_image_data(&pixels).map_err(std::io::Error::other)?;
    writer.finish().map_err(std::io::Error::other)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::artwork;

    #[test]
    fn the_placeholder_is_a_1400_px_rgb_png_apple_accepts() {
        let png = placeholder_cover().unwrap_or_else(|e| panic!("{e}"));
        let art = artwork::inspect(&png).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (art.kind, art.width, art.height, art.colour),
            (artwork::ImageKind::Png, 1400, 1400, artwork::Colour::Rgb)
        );
        assert!(artwork::check("cover.png", &png).is_empty());
        assert!(png.len() < 64 * 1024, "{} bytes", png.len());
        // It decodes: every pixel is the same colour.
        let decoder = png::Decoder::new(std::io::Cursor::new(&png));
        let mut reader = decoder.read_info().unwrap_or_else(|e| panic!("{e}"));
        let mut buf = vec![0; reader.output_buffer_size().unwrap_or(0)];
        let info = reader.next_frame(&mut buf).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(info.buffer_size(), 1400 * 1400 * 3);
        assert!(buf.chunks(3).all(|p| p == [0x1f, 0x6f, 0x78]));
    }
}
