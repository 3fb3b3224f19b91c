//! Time to turn a 12-megapixel phone photo (4000 × 3000 JPEG) into the 384 / 758 px variants and
//! a 2048 px full view (and, for comparison, a 2000 px one, which lets the JPEG be decoded at half
//! scale). Run: `cargo bench -p moim-media`. Prints the median of several runs.

use image::RgbImage;
use std::time::Instant;

fn main() {
    let (w, h) = (4000u32, 3000u32);
    // A photo-like picture (smooth gradients plus texture), not a flat colour that compresses
    // to nothing.
    let img = RgbImage::from_fn(w, h, |x, y| {
        let n = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 27;
        image::Rgb([
            ((x * 255 / w) as u8).wrapping_add(n as u8),
            ((y * 255 / h) as u8).wrapping_add(n as u8),
            ((x + y) % 256) as u8,
        ])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .expect("encode");
    let limits = moim_media::Limits::default();
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(9);
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    // Steps one after another on one thread, to see where the time goes.
    let (mut dec, mut res, mut enc, mut seq) = (vec![], vec![], vec![], vec![]);
    let mut scale = 0;
    for _ in 0..runs {
        let (p, t) =
            moim_media::process_timed(&jpeg, &limits, &[384, 758], 2048, false).expect("process");
        assert_eq!(p.variants.len(), 3);
        scale = t.decode_scale;
        dec.push(ms(t.decode));
        res.push(ms(t.resize));
        enc.push(ms(t.encode));
        seq.push(ms(t.total));
    }
    println!(
        "full2048, decoded at 1/{}, steps on one thread (medians): decode {:.1} ms, resize {:.1} ms, encode {:.1} ms, total {:.1} ms",
        scale,
        median(dec),
        median(res),
        median(enc),
        median(seq)
    );
    // The same photo with a 2000 px full view: half the original covers every rendition, so the
    // JPEG is decoded at 1/2 scale (with the 2048 px view above it is decoded whole).
    let (mut dec, mut res, mut enc, mut seq) = (vec![], vec![], vec![], vec![]);
    let mut scale = 0;
    for _ in 0..runs {
        let (p, t) =
            moim_media::process_timed(&jpeg, &limits, &[384, 758], 2000, false).expect("process");
        assert_eq!(p.variants.len(), 3);
        scale = t.decode_scale;
        dec.push(ms(t.decode));
        res.push(ms(t.resize));
        enc.push(ms(t.encode));
        seq.push(ms(t.total));
    }
    println!(
        "full2000, decoded at 1/{scale}, one thread (medians): decode {:.1} ms, resize {:.1} ms, encode {:.1} ms, total {:.1} ms",
        median(dec),
        median(res),
        median(enc),
        median(seq)
    );
    // The same with the full view encoded on a second thread (`parallel`), for comparison.
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let (p, _) =
            moim_media::process_timed(&jpeg, &limits, &[384, 758], 2048, true).expect("process");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(p.variants.len(), 3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "two threads: 12 MP JPEG ({} KB) -> w384 + w758 + full2048: median {:.1} ms, min {:.1} ms, max {:.1} ms over {runs} runs",
        jpeg.len() / 1024,
        times[runs / 2],
        times[0],
        times[runs - 1]
    );
}
