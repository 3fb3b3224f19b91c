//! The image pipeline behind every upload (meetup photos, course images, avatars, group images).
//!
//! An upload is never trusted: its type is sniffed from magic bytes (the name and the declared
//! type are ignored), its size and pixel count are checked from the header *before* any pixel
//! is decoded (a 50 000 × 50 000 PNG of a few kilobytes is refused without allocating), the
//! decoder runs under allocation limits, the EXIF orientation is applied, and every served file
//! is re-encoded from pixels — so no original metadata (GPS position, camera serial) survives.
//!
//! CPU-bound: callers run [`process`] on a blocking thread, never on the async runtime.
//!
//! # Layout
//! - [`sniff`]: magic-byte detection.
//! - [`Limits`]: byte and pixel limits.
//! - [`process`]: decode, orient, and produce the [`Variant`]s (e.g. 384 and 758 px wide).
#![forbid(unsafe_code)]

use fast_image_resize::{PixelType, ResizeAlg, ResizeOptions, Resizer, images::Image as FirImage};
use image::{DynamicImage, ImageDecoder as _, ImageFormat, ImageReader};
use std::io::Cursor;

/// Image formats accepted for upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Gif,
    Webp,
}

impl Format {
    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Gif => "image/gif",
            Format::Webp => "image/webp",
        }
    }
    fn image_format(self) -> ImageFormat {
        match self {
            Format::Jpeg => ImageFormat::Jpeg,
            Format::Png => ImageFormat::Png,
            Format::Gif => ImageFormat::Gif,
            Format::Webp => ImageFormat::WebP,
        }
    }
}

/// The format named by the file's first bytes, whatever its name claims.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => Some(Format::Jpeg),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(Format::Png),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some(Format::Gif),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Some(Format::Webp),
        _ => None,
    }
}

/// What an upload may be.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest accepted file.
    pub max_bytes: usize,
    /// Largest accepted picture, in pixels (width × height), checked from the header.
    pub max_pixels: u64,
    /// Largest side, in pixels.
    pub max_side: u32,
}

impl Default for Limits {
    /// 15 MB and 50 megapixels: any phone photo passes, a decompression bomb does not.
    fn default() -> Self {
        Self {
            max_bytes: 15 * 1024 * 1024,
            max_pixels: 50_000_000,
            max_side: 12_000,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MediaError {
    #[error("the file is larger than {max} bytes")]
    TooLarge { max: usize },
    #[error("the file is empty")]
    Empty,
    #[error("not an image (JPEG, PNG, GIF or WebP expected)")]
    NotAnImage,
    #[error("the picture is {width}×{height} pixels, more than allowed")]
    TooManyPixels { width: u32, height: u32 },
    #[error("the image is damaged and cannot be read")]
    Corrupt,
}

impl MediaError {
    /// A stable code for problem details.
    pub fn code(&self) -> &'static str {
        match self {
            MediaError::TooLarge { .. } => "file_too_large",
            MediaError::Empty => "file_empty",
            MediaError::NotAnImage => "not_an_image",
            MediaError::TooManyPixels { .. } => "image_too_large",
            MediaError::Corrupt => "image_corrupt",
        }
    }
}

/// One stored rendition of an upload.
#[derive(Debug, Clone)]
pub struct Variant {
    /// `w384`, `w758`, ... or `full`.
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// The result of processing an upload.
#[derive(Debug, Clone)]
pub struct Processed {
    /// What the bytes really were.
    pub source_format: Format,
    /// Size after orientation.
    pub width: u32,
    pub height: u32,
    pub variants: Vec<Variant>,
}

/// JPEG quality of the variants: visually clean at list and detail sizes, a fraction of the
/// original's bytes.
const JPEG_QUALITY: u8 = 82;

/// Checks, decodes, orients and renders `bytes` into one variant per width in `widths` (never
/// upscaled) plus a `full` variant capped at `full_max` pixels on the long side.
pub fn process(
    bytes: &[u8],
    limits: &Limits,
    widths: &[u32],
    full_max: u32,
) -> Result<Processed, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(MediaError::TooLarge {
            max: limits.max_bytes,
        });
    }
    let format = sniff(bytes).ok_or(MediaError::NotAnImage)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(limits.max_side);
    decoder_limits.max_image_height = Some(limits.max_side);
    // Pixels × 4 bytes (RGBA8) with headroom for the decoder's own buffers.
    decoder_limits.max_alloc = Some(limits.max_pixels.saturating_mul(4).saturating_add(64 << 20));
    reader.limits(decoder_limits);
    let mut decoder = reader.into_decoder().map_err(|e| classify(&e))?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > limits.max_pixels || w > limits.max_side || h > limits.max_side
    {
        return Err(MediaError::TooManyPixels {
            width: w,
            height: h,
        });
    }
    if w == 0 || h == 0 {
        return Err(MediaError::Corrupt);
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| classify(&e))?;
    img.apply_orientation(orientation);
    let has_alpha = img.color().has_alpha();
    let (width, height) = (img.width(), img.height());
    // Pixels in one canonical layout; resizing and encoding work from here.
    let (pixels, pixel_type) = if has_alpha {
        (img.into_rgba8().into_raw(), PixelType::U8x4)
    } else {
        (img.into_rgb8().into_raw(), PixelType::U8x3)
    };
    let src = FirImage::from_vec_u8(width, height, pixels, pixel_type)
        .map_err(|_| MediaError::Corrupt)?;
    let mut resizer = Resizer::new();
    let long = width.max(height);
    let (fw, fh) = if long > full_max {
        if width >= height {
            (full_max, scaled(height, full_max, width))
        } else {
            (scaled(width, full_max, height), full_max)
        }
    } else {
        (width, height)
    };
    // The full view first, then each smaller width from the previous rendition rather than from
    // the original: a 12 MP photo is read once at full size, not once per variant.
    let mut targets: Vec<(String, u32, u32)> = vec![("full".into(), fw, fh)];
    let mut ws: Vec<u32> = widths.to_vec();
    ws.sort_unstable_by(|a, b| b.cmp(a));
    for tw in ws {
        let tw = tw.min(width).max(1);
        targets.push((format!("w{tw}"), tw, scaled(height, tw, width)));
    }
    let mut current = src;
    let mut variants: Vec<Variant> = Vec::with_capacity(targets.len());
    for (name, tw, th) in targets {
        if (tw, th) != (current.width(), current.height()) {
            let mut dst = FirImage::new(tw, th, pixel_type);
            let opts = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(
                fast_image_resize::FilterType::Lanczos3,
            ));
            resizer
                .resize(&current, &mut dst, &opts)
                .map_err(|_| MediaError::Corrupt)?;
            current = dst;
        }
        variants.push(Variant {
            name,
            width: tw,
            height: th,
            content_type: if has_alpha { "image/png" } else { "image/jpeg" },
            bytes: encode(current.buffer(), tw, th, has_alpha)?,
        });
    }
    // Smallest first, the full view last.
    variants.reverse();
    Ok(Processed {
        source_format: format,
        width,
        height,
        variants,
    })
}

/// `side` scaled by `num / den`, at least 1.
fn scaled(side: u32, num: u32, den: u32) -> u32 {
    ((u64::from(side) * u64::from(num) + u64::from(den) / 2) / u64::from(den)).max(1) as u32
}

/// Encodes raw pixels: JPEG for opaque pictures, PNG when transparency must survive. Encoding
/// from pixels writes no metadata at all.
fn encode(buf: &[u8], w: u32, h: u32, alpha: bool) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    let res = if alpha {
        image::codecs::png::PngEncoder::new(&mut out).write_image(
            buf,
            w,
            h,
            image::ExtendedColorType::Rgba8,
        )
    } else {
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).encode(
            buf,
            w,
            h,
            image::ExtendedColorType::Rgb8,
        )
    };
    res.map_err(|_| MediaError::Corrupt)?;
    Ok(out)
}

use image::ImageEncoder as _;

fn classify(e: &image::ImageError) -> MediaError {
    match e {
        image::ImageError::Limits(_) => MediaError::TooManyPixels {
            width: 0,
            height: 0,
        },
        image::ImageError::Unsupported(_) => MediaError::NotAnImage,
        _ => MediaError::Corrupt,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_ignores_names_and_needs_the_magic() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Some(Format::Jpeg));
        assert_eq!(sniff(b"GIF89a..."), Some(Format::Gif));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Format::Webp));
        assert_eq!(sniff(b"<svg xmlns=...>"), None);
        assert_eq!(sniff(b"%PDF-1.7"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn scaling_keeps_the_aspect_ratio() {
        assert_eq!(scaled(3000, 758, 4000), 569);
        assert_eq!(scaled(1, 384, 4000), 1);
    }
}
