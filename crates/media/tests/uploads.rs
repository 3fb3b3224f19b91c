//! The upload cases the meetups issue names, on real encoded files built here.
#![allow(clippy::unwrap_used)]

use image::{ImageEncoder as _, RgbImage};
use moim_media::{Format, Limits, MediaError, process, process_timed, sniff};

const WIDTHS: &[u32] = &[384, 758];

fn photo(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, 128])
    })
}

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    c.extend_from_slice(&body);
    c.extend_from_slice(&crc32(&body).to_be_bytes());
    c
}

#[test]
fn a_png_named_jpg_is_read_as_the_png_it_is() {
    let bytes = png(&photo(800, 600));
    // Whatever the upload was called, only the bytes count.
    assert_eq!(sniff(&bytes), Some(Format::Png));
    let p = process(&bytes, &Limits::default(), WIDTHS, 2048).unwrap();
    assert_eq!(p.source_format, Format::Png);
    let sizes: Vec<(&str, u32, u32)> = p
        .variants
        .iter()
        .map(|v| (v.name.as_str(), v.width, v.height))
        .collect();
    assert_eq!(
        sizes,
        [("w384", 384, 288), ("w758", 758, 569), ("full", 800, 600)]
    );
    for v in &p.variants {
        assert_eq!(v.content_type, "image/jpeg");
        let back = image::load_from_memory(&v.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (v.width, v.height));
    }
}

#[test]
fn a_one_pixel_gif_is_never_upscaled() {
    let mut bytes = Vec::new();
    {
        let mut enc = image::codecs::gif::GifEncoder::new(&mut bytes);
        enc.encode(&[10, 20, 30, 255], 1, 1, image::ExtendedColorType::Rgba8)
            .unwrap();
    }
    let p = process(&bytes, &Limits::default(), WIDTHS, 2048).unwrap();
    assert_eq!(p.source_format, Format::Gif);
    assert!(
        p.variants.iter().all(|v| (v.width, v.height) == (1, 1)),
        "{:?}",
        p.variants
            .iter()
            .map(|v| (v.width, v.height))
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_decompression_bomb_is_refused_from_its_header() {
    // A valid PNG header announcing 50 000 × 50 000 pixels (7.5 GB as RGB) in a few dozen bytes.
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&50_000u32.to_be_bytes());
    ihdr.extend_from_slice(&50_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend(chunk(b"IHDR", &ihdr));
    bytes.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    bytes.extend(chunk(b"IEND", &[]));
    assert!(bytes.len() < 100);
    let err = process(&bytes, &Limits::default(), WIDTHS, 2048).unwrap_err();
    assert!(matches!(err, MediaError::TooManyPixels { .. }), "{err:?}");
    assert_eq!(err.code(), "image_too_large");
}

#[test]
fn oversized_files_non_images_and_damaged_images_get_clear_errors() {
    let big = jpeg(&photo(300, 300));
    let small = Limits {
        max_bytes: big.len() - 1,
        ..Limits::default()
    };
    assert_eq!(
        process(&big, &small, WIDTHS, 2048).unwrap_err(),
        MediaError::TooLarge { max: big.len() - 1 }
    );
    assert_eq!(
        process(
            b"just some text, not a picture",
            &Limits::default(),
            WIDTHS,
            2048
        )
        .unwrap_err(),
        MediaError::NotAnImage
    );
    assert_eq!(
        process(
            b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            &Limits::default(),
            WIDTHS,
            2048
        )
        .unwrap_err()
        .code(),
        "not_an_image"
    );
    assert_eq!(
        process(&[], &Limits::default(), WIDTHS, 2048).unwrap_err(),
        MediaError::Empty
    );
    // A PNG cut off in the middle of its pixel data (JPEG decoders fill the rest with grey, so
    // a cut JPEG still yields a picture; PNG's checksums make damage detectable).
    let whole = png(&photo(300, 300));
    let truncated = &whole[..whole.len() / 2];
    assert_eq!(
        process(truncated, &Limits::default(), WIDTHS, 2048).unwrap_err(),
        MediaError::Corrupt
    );
}

/// An EXIF APP1 segment with orientation 6 (rotate 90° clockwise) and a GPS latitude.
fn exif_segment() -> Vec<u8> {
    let mut tiff = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    // IFD0 at 8: two entries, then next-IFD 0. GPS IFD right after (8 + 2 + 24 + 4 = 38).
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
    tiff.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0]);
    tiff.extend_from_slice(&38u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&[0x01, 0x00, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(tiff);
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    seg.extend(payload);
    seg
}

#[test]
fn orientation_is_applied_and_no_metadata_survives() {
    let plain = jpeg(&photo(400, 200));
    let mut tagged = plain[..2].to_vec();
    tagged.extend(exif_segment());
    tagged.extend_from_slice(&plain[2..]);
    assert!(tagged.windows(4).any(|w| w == b"Exif"));
    let p = process(&tagged, &Limits::default(), WIDTHS, 2048).unwrap();
    assert_eq!((p.width, p.height), (200, 400), "the phone held it upright");
    for v in &p.variants {
        assert!(
            !v.bytes.windows(4).any(|w| w == b"Exif"),
            "{} keeps EXIF",
            v.name
        );
        assert!(
            !v.bytes.windows(2).any(|w| w == [0xFF, 0xE1]),
            "{} keeps an APP1 segment",
            v.name
        );
        let back = image::load_from_memory(&v.bytes).unwrap();
        assert!(back.height() > back.width(), "{} is upright", v.name);
    }
}

#[test]
fn transparency_survives_as_png() {
    let img = image::RgbaImage::from_fn(500, 500, |x, _| image::Rgba([0, 0, 0, (x % 256) as u8]));
    let mut bytes = Vec::new();
    image::codecs::png::PngEncoder::new(&mut bytes)
        .write_image(img.as_raw(), 500, 500, image::ExtendedColorType::Rgba8)
        .unwrap();
    let p = process(&bytes, &Limits::default(), WIDTHS, 2048).unwrap();
    assert!(p.variants.iter().all(|v| v.content_type == "image/png"));
    assert_eq!(p.variants[0].width, 384);
}

/// How far `v`'s pixels stray from the gradient of [`photo`] (red grows left to right, green top
/// to bottom, blue 128), sampled on a 5 × 5 grid away from the edges; `turned` when the variant
/// shows the picture a quarter turn clockwise (EXIF orientation 6).
fn gradient_error(v: &moim_media::Variant, turned: bool) -> i32 {
    let back = image::load_from_memory(&v.bytes).unwrap().into_rgb8();
    let mut worst = 0;
    for i in 1..=5 {
        for j in 1..=5 {
            let (px, py) = (v.width * i / 6, v.height * j / 6);
            let got = back.get_pixel(px, py).0;
            // Position in the original picture, as fractions of its sides.
            let (fx, fy) = (
                (f64::from(px) + 0.5) / f64::from(v.width),
                (f64::from(py) + 0.5) / f64::from(v.height),
            );
            let (ox, oy) = if turned { (fy, 1.0 - fx) } else { (fx, fy) };
            let want = [(ox * 255.0) as i32, (oy * 255.0) as i32, 128];
            for c in 0..3 {
                worst = worst.max((i32::from(got[c]) - want[c]).abs());
            }
        }
    }
    worst
}

#[test]
fn a_large_jpeg_is_decoded_at_reduced_scale_with_exact_sizes_and_true_colours() {
    let img = photo(4000, 3000);
    let bytes = jpeg(&img);
    // A 1000 px full view: a quarter of the original (1000 × 750) covers every rendition.
    let (p, t) = process_timed(&bytes, &Limits::default(), WIDTHS, 1000, false).unwrap();
    assert_eq!(t.decode_scale, 4, "decoded at a quarter");
    let sizes: Vec<(&str, u32, u32)> = p
        .variants
        .iter()
        .map(|v| (v.name.as_str(), v.width, v.height))
        .collect();
    assert_eq!(
        sizes,
        [("w384", 384, 288), ("w758", 758, 569), ("full", 1000, 750)]
    );
    for v in &p.variants {
        let err = gradient_error(v, false);
        assert!(
            err <= 10,
            "{} strays by {err} from the original colours",
            v.name
        );
    }

    // A 1600 px full view needs half (2000 × 1500), resized down from there.
    let (p, t) = process_timed(&bytes, &Limits::default(), WIDTHS, 1600, false).unwrap();
    assert_eq!(t.decode_scale, 2, "decoded at half");
    let full = p.variants.last().unwrap();
    assert_eq!(
        (full.name.as_str(), full.width, full.height),
        ("full", 1600, 1200)
    );
    for v in &p.variants {
        let err = gradient_error(v, false);
        assert!(
            err <= 10,
            "{} strays by {err} from the original colours",
            v.name
        );
    }

    // The 2048 px full view of the app is larger than half, so the photo is decoded whole.
    let (_, t) = process_timed(&bytes, &Limits::default(), WIDTHS, 2048, false).unwrap();
    assert_eq!(t.decode_scale, 1);

    // Turned by EXIF: the scale is chosen on the stored picture, the variants come out upright.
    // Upright it is 3000 wide, so the 758 px variant is 1011 tall — more than a quarter of the
    // stored 4000 px width: half it is.
    let mut tagged = bytes[..2].to_vec();
    tagged.extend(exif_segment());
    tagged.extend_from_slice(&bytes[2..]);
    let (p, t) = process_timed(&tagged, &Limits::default(), WIDTHS, 1000, false).unwrap();
    assert_eq!(t.decode_scale, 2);
    assert_eq!((p.width, p.height), (3000, 4000));
    let sizes: Vec<(&str, u32, u32)> = p
        .variants
        .iter()
        .map(|v| (v.name.as_str(), v.width, v.height))
        .collect();
    assert_eq!(
        sizes,
        [("w384", 384, 512), ("w758", 758, 1011), ("full", 750, 1000)]
    );
    for v in &p.variants {
        assert!(
            !v.bytes.windows(4).any(|w| w == b"Exif"),
            "{} keeps EXIF",
            v.name
        );
        let err = gradient_error(v, true);
        assert!(
            err <= 10,
            "{} strays by {err} from the original colours",
            v.name
        );
    }
}
