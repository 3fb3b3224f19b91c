//! Time to turn a 12-megapixel photo (4000 × 3000 JPEG, landscape and portrait) into the app's
//! variants: 384 and 758 px wide plus the `full` rendition that fits 1516 × 2000 (2× the detail
//! column, for high-density screens). The previous set (a `full` view of 2048 px on the long side,
//! which forces a whole-size decode) runs in the same process, interleaved, as the baseline.
//!
//! Run: `cargo bench -p moim-media` (`RUNS=N` for more rounds, default 9). Prints medians of
//! wall time per configuration and the decode / resize / encode split, plus the process CPU time,
//! which a loaded shared machine disturbs less than wall time.

use image::RgbImage;
use moim_media::FullBox;
use std::time::{Duration, Instant};

struct Config {
    name: &'static str,
    jpeg: Vec<u8>,
    full: FullBox,
    wall: Vec<f64>,
    dec: Vec<f64>,
    res: Vec<f64>,
    enc: Vec<f64>,
    scale: u32,
}

fn photo(w: u32, h: u32) -> Vec<u8> {
    // A photo-like picture (smooth gradients plus fine texture, 4.5 MB at q90: harder to decode
    // than a typical phone photo of the same size), not a flat colour that compresses to nothing.
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
    jpeg
}

fn cpu_time() -> Duration {
    // utime + stime of this process from /proc (Linux); zero elsewhere.
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, r)| r)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Fields after the command: state is 0, utime 11, stime 12; 100 ticks a second on Linux.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn main() {
    let landscape = photo(4000, 3000);
    let portrait = photo(3000, 4000);
    let limits = moim_media::Limits::default();
    let widths = [384, 758];
    let retina = FullBox {
        max_width: 1516,
        max_height: 2000,
    };
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(9);
    let mut configs = [
        Config {
            name: "new set, landscape: w384 + w758 + full 1516x1137",
            jpeg: landscape.clone(),
            full: retina,
            wall: vec![],
            dec: vec![],
            res: vec![],
            enc: vec![],
            scale: 0,
        },
        Config {
            name: "new set, portrait: w384 + w758 + full 1500x2000",
            jpeg: portrait,
            full: retina,
            wall: vec![],
            dec: vec![],
            res: vec![],
            enc: vec![],
            scale: 0,
        },
        Config {
            name: "previous set, landscape: w384 + w758 + full 2048x1536",
            jpeg: landscape,
            full: FullBox::from(2048),
            wall: vec![],
            dec: vec![],
            res: vec![],
            enc: vec![],
            scale: 0,
        },
    ];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut cpu = vec![Duration::ZERO; configs.len()];
    // Interleaved rounds: noise from the shared machine hits every configuration alike.
    for _ in 0..runs {
        for (i, c) in configs.iter_mut().enumerate() {
            let c0 = cpu_time();
            let t = Instant::now();
            let (p, timings) = moim_media::process_timed(&c.jpeg, &limits, &widths, c.full, false)
                .expect("process");
            c.wall.push(ms(t.elapsed()));
            cpu[i] += cpu_time().saturating_sub(c0);
            assert_eq!(p.variants.len(), 3);
            c.scale = timings.decode_scale;
            c.dec.push(ms(timings.decode));
            c.res.push(ms(timings.resize));
            c.enc.push(ms(timings.encode));
        }
    }
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    for (c, cpu) in configs.iter().zip(cpu) {
        println!(
            "{} ({} KB, decoded at 1/{}): median {:.1} ms (min {:.1}, max {:.1}; decode {:.1}, resize {:.1}, encode {:.1}); CPU {:.0} ms per run; {runs} runs",
            c.name,
            c.jpeg.len() / 1024,
            c.scale,
            median(&c.wall),
            c.wall.iter().copied().fold(f64::INFINITY, f64::min),
            c.wall.iter().copied().fold(0.0, f64::max),
            median(&c.dec),
            median(&c.res),
            median(&c.enc),
            cpu.as_secs_f64() * 1000.0 / runs as f64,
        );
    }
}
