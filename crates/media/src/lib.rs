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
//! - [`process`]: decode (a large JPEG at 1/2, 1/4 or 1/8 scale in the DCT domain when every
//!   rendition fits that size), orient, and produce the [`Variant`]s (e.g. 384 and 758 px wide);
//!   [`process_timed`] also says where the time went ([`Timings`]).
#![forbid(unsafe_code)]

use fast_image_resize::{PixelType, ResizeAlg, ResizeOptions, Resizer, images::Image as FirImage};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder as _, ImageFormat, ImageReader};
use std::io::Cursor;
use std::time::{Duration, Instant};

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

/// Where the time of one [`process`] call went (for the benchmark and logs).
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    /// Header checks and decoding to pixels.
    pub decode: Duration,
    /// All the downscaling (and the orientation of the results).
    pub resize: Duration,
    /// Encoding every variant.
    pub encode: Duration,
    /// Wall time of the whole call.
    pub total: Duration,
    /// The picture was decoded at 1/`decode_scale` of its size (1, 2, 4 or 8; more than 1 only
    /// for a JPEG whose largest rendition fits that size).
    pub decode_scale: u32,
}

/// The box the `full` rendition fits in (upright, never upscaled). A plain number is a square
/// box: that many pixels on the long side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FullBox {
    pub max_width: u32,
    pub max_height: u32,
}

impl From<u32> for FullBox {
    fn from(long_side: u32) -> Self {
        Self {
            max_width: long_side,
            max_height: long_side,
        }
    }
}

impl FullBox {
    /// `width` × `height` shrunk (aspect ratio kept) to fit the box; unchanged when it fits.
    pub fn fit(self, width: u32, height: u32) -> (u32, u32) {
        let (bw, bh) = (self.max_width.max(1), self.max_height.max(1));
        if width <= bw && height <= bh {
            return (width, height);
        }
        // The tighter side decides: width / bw against height / bh, in integers.
        if u64::from(width) * u64::from(bh) >= u64::from(height) * u64::from(bw) {
            (bw, scaled(height, bw, width).min(bh))
        } else {
            (scaled(width, bh, height).min(bw), bh)
        }
    }
}

/// Checks, decodes, orients and renders `bytes` into one variant per width in `widths` (never
/// upscaled) plus a `full` variant that fits in `full` (see [`FullBox`]).
///
/// Runs on the calling thread, except that a JPEG decoded at reduced scale goes through
/// `jpeg-decoder`, which does its inverse DCTs on one short-lived helper thread per colour
/// component while the calling thread reads the entropy-coded data (not configurable without
/// its `rayon` feature). Measured on the shared 2-core machine, encoding the full view on a
/// second thread was slower (375 vs 269 ms median at load 9), and uploads already run one
/// pipeline per core.
pub fn process(
    bytes: &[u8],
    limits: &Limits,
    widths: &[u32],
    full: impl Into<FullBox>,
) -> Result<Processed, MediaError> {
    process_timed(bytes, limits, widths, full, false).map(|(p, _)| p)
}

/// [`process`], also reporting where the time went. With `parallel`, the `full` variant is
/// encoded on a scoped second thread while the smaller ones are resized and encoded on this
/// one (only worth it with an idle core); without it every step runs in turn, so [`Timings`]
/// adds up.
pub fn process_timed(
    bytes: &[u8],
    limits: &Limits,
    widths: &[u32],
    full: impl Into<FullBox>,
    parallel: bool,
) -> Result<(Processed, Timings), MediaError> {
    let full = full.into();
    let t0 = Instant::now();
    let mut timings = Timings::default();
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
    let max_alloc = limits.max_pixels.saturating_mul(4).saturating_add(64 << 20);
    decoder_limits.max_alloc = Some(max_alloc);
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
    // Sizes are chosen on the upright picture, but resizing runs on the stored one: turning a
    // 12 MP photo a quarter turn costs more than all the resizing, so only the (much smaller)
    // results are turned.
    let swaps = matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    );
    let (width, height) = if swaps { (h, w) } else { (w, h) };
    let (fw, fh) = full.fit(width, height);
    // The full view first, then each smaller width from the previous rendition rather than from
    // the original: a 12 MP photo is read once at full size, not once per variant.
    let mut targets: Vec<(String, u32, u32)> = vec![("full".into(), fw, fh)];
    let mut ws: Vec<u32> = widths.to_vec();
    ws.sort_unstable_by(|a, b| b.cmp(a));
    for tw in ws {
        let tw = tw.min(width).max(1);
        targets.push((format!("w{tw}"), tw, scaled(height, tw, width)));
    }

    // The largest rendition, in the stored orientation: a JPEG at least twice that size on both
    // sides is decoded at 1/2, 1/4 or 1/8 scale in the DCT domain, which skips most of the
    // decoding work (and the pixels it would produce only to be thrown away by the resize).
    let (need_w, need_h) = targets.iter().fold((1, 1), |(nw, nh), &(_, tw, th)| {
        let (rw, rh) = if swaps { (th, tw) } else { (tw, th) };
        (nw.max(rw), nh.max(rh))
    });
    let scaled_jpeg = if format == Format::Jpeg {
        decode_jpeg_scaled(bytes, w, h, need_w, need_h, max_alloc)
    } else {
        None
    };
    let (img, decode_scale) = match scaled_jpeg {
        Some((img, scale)) => (DynamicImage::ImageRgb8(img), scale),
        None => (
            DynamicImage::from_decoder(decoder).map_err(|e| classify(&e))?,
            1,
        ),
    };
    timings.decode_scale = decode_scale;
    let has_alpha = img.color().has_alpha();
    // Pixels in one canonical layout; resizing and encoding work from here.
    let (sw, sh) = (img.width(), img.height());
    let (pixels, pixel_type) = if has_alpha {
        (img.into_rgba8().into_raw(), PixelType::U8x4)
    } else {
        (img.into_rgb8().into_raw(), PixelType::U8x3)
    };
    let src = FirImage::from_vec_u8(sw, sh, pixels, pixel_type).map_err(|_| MediaError::Corrupt)?;
    timings.decode = t0.elapsed();

    let job = Job {
        orientation,
        has_alpha,
        pixel_type,
    };
    let mut resizer = Resizer::new();
    let mut current = src;
    let mut variants: Vec<Variant> = Vec::with_capacity(targets.len());
    let mut targets = targets.into_iter();
    // The full view: resized here; encoded on a second thread when `parallel`.
    let Some((name, tw, th)) = targets.next() else {
        return Err(MediaError::Corrupt);
    };
    let t = Instant::now();
    current = job.resize(&mut resizer, &current, tw, th, swaps)?;
    let full_pixels = job.orient(&current, tw, th)?;
    timings.resize += t.elapsed();
    let encode_full = || -> Result<(Variant, Duration), MediaError> {
        let t = Instant::now();
        let bytes = encode(&full_pixels, tw, th, has_alpha)?;
        Ok((
            Variant {
                name: name.clone(),
                width: tw,
                height: th,
                content_type: job.content_type(),
                bytes,
            },
            t.elapsed(),
        ))
    };
    let mut rest = || -> Result<Vec<Variant>, MediaError> {
        let mut out = Vec::new();
        for (name, tw, th) in targets.by_ref() {
            let t = Instant::now();
            current = job.resize(&mut resizer, &current, tw, th, swaps)?;
            let upright = job.orient(&current, tw, th)?;
            timings.resize += t.elapsed();
            let t = Instant::now();
            let bytes = encode(&upright, tw, th, has_alpha)?;
            timings.encode += t.elapsed();
            out.push(Variant {
                name,
                width: tw,
                height: th,
                content_type: job.content_type(),
                bytes,
            });
        }
        Ok(out)
    };
    let (full, smaller) = if parallel {
        std::thread::scope(|s| {
            let handle = s.spawn(encode_full);
            let smaller = rest();
            let full = handle.join().unwrap_or(Err(MediaError::Corrupt));
            (full, smaller)
        })
    } else {
        let full = encode_full();
        (full, rest())
    };
    let (full, full_time) = full?;
    timings.encode += full_time;
    variants.push(full);
    variants.extend(smaller?);
    // Smallest first, the full view last.
    variants.reverse();
    timings.total = t0.elapsed();
    Ok((
        Processed {
            source_format: format,
            width,
            height,
            variants,
        },
        timings,
    ))
}

/// What every rendition of one upload shares.
#[derive(Clone, Copy)]
struct Job {
    orientation: Orientation,
    has_alpha: bool,
    pixel_type: PixelType,
}

impl Job {
    fn content_type(&self) -> &'static str {
        if self.has_alpha {
            "image/png"
        } else {
            "image/jpeg"
        }
    }

    /// `src` (stored orientation) resized so that, once oriented, it is `tw` × `th`.
    fn resize(
        &self,
        resizer: &mut Resizer,
        src: &FirImage<'static>,
        tw: u32,
        th: u32,
        swaps: bool,
    ) -> Result<FirImage<'static>, MediaError> {
        let (rw, rh) = if swaps { (th, tw) } else { (tw, th) };
        if (rw, rh) == (src.width(), src.height()) {
            return Ok(src.copy());
        }
        let mut dst = FirImage::new(rw, rh, self.pixel_type);
        // Hamming: bicubic-like sharpness when shrinking at the cost of bilinear (a 2-pixel
        // support per scale step instead of Lanczos3's 6), which matters at 12 MP.
        let opts = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(
            fast_image_resize::FilterType::Hamming,
        ));
        resizer
            .resize(src, &mut dst, &opts)
            .map_err(|_| MediaError::Corrupt)?;
        Ok(dst)
    }

    /// The pixels of `img` turned upright (`tw` × `th` afterwards).
    fn orient(&self, img: &FirImage<'static>, tw: u32, th: u32) -> Result<Vec<u8>, MediaError> {
        if self.orientation == Orientation::NoTransforms {
            return Ok(img.buffer().to_vec());
        }
        let (w, h) = (img.width(), img.height());
        let buf = img.buffer().to_vec();
        let mut dynimg = if self.has_alpha {
            DynamicImage::ImageRgba8(
                image::RgbaImage::from_raw(w, h, buf).ok_or(MediaError::Corrupt)?,
            )
        } else {
            DynamicImage::ImageRgb8(
                image::RgbImage::from_raw(w, h, buf).ok_or(MediaError::Corrupt)?,
            )
        };
        dynimg.apply_orientation(self.orientation);
        if (dynimg.width(), dynimg.height()) != (tw, th) {
            return Err(MediaError::Corrupt);
        }
        Ok(if self.has_alpha {
            dynimg.into_rgba8().into_raw()
        } else {
            dynimg.into_rgb8().into_raw()
        })
    }
}

/// The largest DCT scale denominator (8, 4 or 2; 1 for none) at which a `w` × `h` JPEG is still
/// at least `need_w` × `need_h`. A JPEG decoder scaling by 1/d yields `ceil(side / d)` pixels.
fn jpeg_scale(w: u32, h: u32, need_w: u32, need_h: u32) -> u32 {
    [8, 4, 2]
        .into_iter()
        .find(|&d| w.div_ceil(d) >= need_w && h.div_ceil(d) >= need_h)
        .unwrap_or(1)
}

/// The JPEG decoded at reduced scale by `jpeg-decoder`, with its scale denominator, when the
/// renditions allow one. `None` when they do not, or when this decoder cannot or will not read
/// the file (CMYK, 16-bit, damaged, over the allocation limit): the caller then decodes at full
/// size as before, so errors and odd files are judged exactly as without this shortcut. The
/// header limits were checked before this is called.
fn decode_jpeg_scaled(
    bytes: &[u8],
    w: u32,
    h: u32,
    need_w: u32,
    need_h: u32,
    max_alloc: u64,
) -> Option<(image::RgbImage, u32)> {
    let d = jpeg_scale(w, h, need_w, need_h);
    if d == 1 {
        return None;
    }
    let (sw, sh) = (w.div_ceil(d), h.div_ceil(d));
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.set_max_decoding_buffer_size(usize::try_from(max_alloc).unwrap_or(usize::MAX));
    // Asking for exactly the scaled size makes the decoder pick exactly this scale (it takes the
    // smallest scale reaching the request on either side).
    let got = decoder
        .scale(u16::try_from(sw).ok()?, u16::try_from(sh).ok()?)
        .ok()?;
    let info = decoder.info()?;
    if (u32::from(got.0), u32::from(got.1)) != (sw, sh)
        || (u32::from(info.width), u32::from(info.height)) != (sw, sh)
        || info.coding_process == jpeg_decoder::CodingProcess::Lossless
    {
        return None;
    }
    let format = info.pixel_format;
    if !matches!(
        format,
        jpeg_decoder::PixelFormat::RGB24 | jpeg_decoder::PixelFormat::L8
    ) {
        return None;
    }
    let pixels = decoder.decode().ok()?;
    let rgb = if format == jpeg_decoder::PixelFormat::L8 {
        pixels.iter().flat_map(|&l| [l, l, l]).collect()
    } else {
        pixels
    };
    image::RgbImage::from_raw(sw, sh, rgb).map(|img| (img, d))
}

/// `side` scaled by `num / den`, at least 1.
fn scaled(side: u32, num: u32, den: u32) -> u32 {
    ((u64::from(side) * u64::from(num) + u64::from(den) / 2) / u64::from(den)).max(1) as u32
}

/// Encodes raw pixels: JPEG for opaque pictures, PNG when transparency must survive. Encoding
/// from pixels writes no metadata at all (the JPEG encoder writes only a JFIF header).
fn encode(buf: &[u8], w: u32, h: u32, alpha: bool) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    if alpha {
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(buf, w, h, image::ExtendedColorType::Rgba8)
            .map_err(|_| MediaError::Corrupt)?;
    } else {
        // jpeg-encoder (AVX2 when the CPU has it) is several times faster than `image`'s own
        // baseline encoder; 4:2:0 chroma as every camera writes.
        let (Ok(w16), Ok(h16)) = (u16::try_from(w), u16::try_from(h)) else {
            return Err(MediaError::TooManyPixels {
                width: w,
                height: h,
            });
        };
        let mut enc = jpeg_encoder::Encoder::new(&mut out, JPEG_QUALITY);
        enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
        enc.encode(buf, w16, h16, jpeg_encoder::ColorType::Rgb)
            .map_err(|_| MediaError::Corrupt)?;
    }
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
    fn the_jpeg_scale_is_the_smallest_that_still_covers_every_rendition() {
        // 12 MP, full view 2048 × 1536: half (2000 × 1500) would be too small.
        assert_eq!(jpeg_scale(4000, 3000, 2048, 1536), 1);
        assert_eq!(jpeg_scale(4000, 3000, 2000, 1500), 2);
        assert_eq!(jpeg_scale(4000, 3000, 1000, 750), 4);
        assert_eq!(jpeg_scale(4000, 3000, 1001, 750), 2);
        assert_eq!(jpeg_scale(4000, 3000, 500, 375), 8);
        // 24 MP with a 2048 px full view: half.
        assert_eq!(jpeg_scale(6000, 4000, 2048, 1365), 2);
        // Odd sides round up, as the decoder does.
        assert_eq!(jpeg_scale(4001, 3001, 501, 376), 8);
    }

    #[test]
    fn the_full_box_fits_both_orientations_and_never_upscales() {
        let retina = FullBox {
            max_width: 1516,
            max_height: 2000,
        };
        assert_eq!(retina.fit(4000, 3000), (1516, 1137));
        assert_eq!(retina.fit(3000, 4000), (1500, 2000));
        assert_eq!(retina.fit(4032, 3024), (1516, 1137));
        assert_eq!(retina.fit(800, 600), (800, 600));
        assert_eq!(retina.fit(1000, 12_000), (167, 2000));
        assert_eq!(FullBox::from(2048).fit(4000, 3000), (2048, 1536));
        assert_eq!(FullBox::from(2048).fit(3000, 4000), (1536, 2048));
        // Either orientation of a 12 MP 4:3 photo is then decoded at half scale.
        assert_eq!(jpeg_scale(4000, 3000, 1516, 1137), 2);
        assert_eq!(jpeg_scale(3000, 4000, 1500, 2000), 2);
        assert_eq!(jpeg_scale(3024, 4032, 1500, 2000), 2);
    }

    #[test]
    fn scaling_keeps_the_aspect_ratio() {
        assert_eq!(scaled(3000, 758, 4000), 569);
        assert_eq!(scaled(1, 384, 4000), 1);
    }
}
