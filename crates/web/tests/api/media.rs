//! Uploads over HTTP: the cases of issue 6, each with a clear result, and the served variants.

use axum::http::Method;
use image::{ImageEncoder as _, RgbImage};

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

pub fn jpeg(img: &RgbImage) -> Vec<u8> {
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

/// A JPEG carrying an EXIF segment with orientation 6 and a GPS IFD (latitude ref "N").
fn jpeg_with_gps(w: u32, h: u32) -> Vec<u8> {
    let plain = jpeg(&photo(w, h));
    let mut tiff = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
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
    let mut out = plain[..2].to_vec();
    out.extend(seg);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A small JPEG uploaded by `client`; returns the upload's JSON.
pub async fn upload_photo(client: &moim_testkit::Client) -> serde_json::Value {
    let r = client
        .upload(
            Method::POST,
            "/api/v1/media",
            "file",
            "run.jpg",
            &jpeg(&photo(640, 480)),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json
}

#[tokio::test]
async fn uploads_are_sniffed_limited_and_served_with_the_right_variant() {
    let app = super::app().await;
    let (u, _) = app.quick_user("uploader").await;

    // A PNG named .jpg is read as the PNG it is and served as resized variants.
    let r = u
        .upload(
            Method::POST,
            "/api/v1/media",
            "file",
            "holiday.jpg",
            &png(&photo(800, 600)),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (r.json["width"].as_u64(), r.json["height"].as_u64()),
        (Some(800), Some(600))
    );
    let small = r.json["url_small"].as_str().unwrap().to_owned();
    let got = u.get(&small).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.header("content-type"), Some("image/jpeg"));
    assert!(got.header("cache-control").unwrap().contains("immutable"));
    // The reply body is read as text by the test client; the bytes are checked in the store.
    let hash = r.json["hash"].as_str().unwrap();
    let bytes = app.state.media.read(hash, "w384").await.unwrap().unwrap();
    let back = image::load_from_memory(&bytes).unwrap();
    assert_eq!((back.width(), back.height()), (384, 288));
    let medium = app.state.media.read(hash, "w758").await.unwrap().unwrap();
    assert_eq!(image::load_from_memory(&medium).unwrap().width(), 758);
    // An unknown variant or hash is a 404, not a file-system lookup.
    assert_eq!(u.get(&format!("/media/{hash}/w9999")).await.status, 404);
    assert_eq!(u.get("/media/..%2F..%2Fetc/passwd").await.status, 404);

    // A 1×1 GIF is accepted and never upscaled.
    let mut gif = Vec::new();
    {
        let mut enc = image::codecs::gif::GifEncoder::new(&mut gif);
        enc.encode(&[10, 20, 30, 255], 1, 1, image::ExtendedColorType::Rgba8)
            .unwrap();
    }
    let r = u
        .upload(Method::POST, "/api/v1/media", "file", "dot.gif", &gif)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let hash = r.json["hash"].as_str().unwrap();
    let b = app.state.media.read(hash, "w758").await.unwrap().unwrap();
    let back = image::load_from_memory(&b).unwrap();
    assert_eq!((back.width(), back.height()), (1, 1));

    // A 50 000 × 50 000 decompression bomb is refused from its header.
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&50_000u32.to_be_bytes());
    ihdr.extend_from_slice(&50_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
    bomb.extend(chunk(b"IHDR", &ihdr));
    bomb.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    bomb.extend(chunk(b"IEND", &[]));
    let r = u
        .upload(Method::POST, "/api/v1/media", "file", "bomb.png", &bomb)
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.code(), "image_too_large");
    assert_eq!(r.json["errors"][0]["field"], "file");
    assert_eq!(r.header("content-type"), Some("application/problem+json"));

    // Over the 15 MB limit (inside the 16 MB body limit): 413 with the pipeline's code.
    let mut big = jpeg(&photo(64, 64));
    big.resize(15 * 1024 * 1024 + 10, 0);
    let r = u
        .upload(Method::POST, "/api/v1/media", "file", "big.jpg", &big)
        .await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert_eq!(r.code(), "file_too_large");
    // Past the body limit too: still a clear problem, never a 500.
    let huge = vec![0u8; 17 * 1024 * 1024];
    let r = u
        .upload(Method::POST, "/api/v1/media", "file", "huge.jpg", &huge)
        .await;
    assert_eq!(r.status, 413, "{}", r.text);
    super::assert_clean(&r);

    // Not an image.
    let r = u
        .upload(
            Method::POST,
            "/api/v1/media",
            "file",
            "notes.jpg",
            b"%PDF-1.7 hello",
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.code(), "not_an_image");
    // No file part, or not multipart at all.
    let r = u
        .upload(Method::POST, "/api/v1/media", "other", "x.jpg", b"abc")
        .await;
    assert_eq!(r.json["errors"][0]["field"], "file");
    let r = u.post("/api/v1/media", moim_testkit::json!({})).await;
    assert_eq!(r.status, 415, "{}", r.text);
    // Signed out: a cookie-less form post is stopped by the CSRF check, a bad token is a 401.
    let r = app
        .client()
        .upload(
            Method::POST,
            "/api/v1/media",
            "file",
            "x.png",
            &png(&photo(8, 8)),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = app
        .client()
        .with_bearer("not-a-token")
        .upload(
            Method::POST,
            "/api/v1/media",
            "file",
            "x.png",
            &png(&photo(8, 8)),
        )
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn no_gps_survives_in_a_served_variant_and_orientation_is_applied() {
    let app = super::app().await;
    let (u, _) = app.quick_user("phone").await;
    let original = jpeg_with_gps(400, 200);
    assert!(original.windows(4).any(|w| w == b"Exif"));
    let r = u
        .upload(
            Method::POST,
            "/api/v1/media",
            "file",
            "IMG_0001.JPG",
            &original,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (r.json["width"].as_u64(), r.json["height"].as_u64()),
        (Some(200), Some(400))
    );
    let hash = r.json["hash"].as_str().unwrap();
    for v in ["w384", "w758", "full"] {
        let b = app.state.media.read(hash, v).await.unwrap().unwrap();
        assert!(!b.windows(4).any(|w| w == b"Exif"), "{v} keeps EXIF");
        assert!(!b.windows(2).any(|w| w == [0xFF, 0xE1]), "{v} keeps APP1");
        // What HTTP serves is exactly the stored variant.
        let served = u.get(&format!("/media/{hash}/{v}")).await;
        assert_eq!(served.status, 200);
        assert_eq!(
            served
                .header("content-length")
                .map(|s| s.parse::<usize>().unwrap()),
            Some(b.len())
        );
    }
}

#[tokio::test]
async fn avatars_and_group_images_use_uploads() {
    let app = super::app().await;
    let owner = app.user("own@x.io", "owner").await;
    let member = app.user("mem@x.io", "member").await;
    let jpg = jpeg(&photo(500, 500));
    let r = owner
        .upload(Method::PUT, "/api/v1/me/avatar", "file", "me.jpg", &jpg)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let me = owner.get("/api/v1/me").await;
    assert_eq!(me.json["avatar_url"], r.json["url_small"], "{}", me.text);
    let g = super::make_group(&owner, "사진 모임", 10, "open").await;
    let r = member
        .upload(
            Method::PUT,
            &format!("/api/v1/groups/{g}/image"),
            "file",
            "g.jpg",
            &jpg,
        )
        .await;
    assert!(r.status == 403 || r.status == 404, "{}", r.text);
    let r = owner
        .upload(
            Method::PUT,
            &format!("/api/v1/groups/{g}/image"),
            "file",
            "g.jpg",
            &jpg,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = owner.get(&format!("/api/v1/groups/{g}")).await;
    assert_eq!(got.json["image_url"], r.json["url_medium"]);
    // The group stays editable with the uploaded image in place.
    let edit = owner
        .patch(
            &format!("/api/v1/groups/{g}"),
            moim_testkit::json!({"name": "사진 모임", "category": "study", "capacity": 10,
                "image_url": got.json["image_url"]}),
        )
        .await;
    assert_eq!(edit.status, 200, "{}", edit.text);
}

/// The markers of a JPEG up to its image data: (marker, segment payload).
fn jpeg_segments(b: &[u8]) -> Vec<(u8, Vec<u8>)> {
    assert_eq!(&b[..2], [0xFF, 0xD8], "not a JPEG");
    let mut out = Vec::new();
    let mut i = 2;
    while i + 4 <= b.len() {
        assert_eq!(b[i], 0xFF, "marker expected at {i}");
        let marker = b[i + 1];
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        out.push((marker, b[i + 4..i + 2 + len].to_vec()));
        if marker == 0xDA {
            break; // start of scan: entropy-coded data follows
        }
        i += 2 + len;
    }
    out
}

/// What a served variant may carry besides pixels: a JFIF APP0 header and the tables needed to
/// decode it. No EXIF/XMP/ICC (APP1-APP15), no comment, no PNG text chunk.
fn assert_no_metadata(name: &str, content_type: &str, b: &[u8]) {
    if content_type == "image/jpeg" {
        for (marker, payload) in jpeg_segments(b) {
            match marker {
                0xE0 => assert!(
                    payload.starts_with(b"JFIF\0"),
                    "{name}: APP0 that is not JFIF"
                ),
                0xE1..=0xEF => panic!("{name}: keeps an APP{} segment", marker - 0xE0),
                0xFE => panic!("{name}: keeps a comment"),
                _ => {}
            }
        }
    } else {
        assert_eq!(content_type, "image/png");
        let mut i = 8;
        while i + 8 <= b.len() {
            let len = u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize;
            let kind = &b[i + 4..i + 8];
            assert!(
                !matches!(
                    kind,
                    b"tEXt" | b"zTXt" | b"iTXt" | b"eXIf" | b"iCCP" | b"tIME"
                ),
                "{name}: keeps a {} chunk",
                String::from_utf8_lossy(kind)
            );
            i += 12 + len;
        }
    }
}

#[tokio::test]
async fn every_variant_is_metadata_free_cacheable_and_revalidates_with_304() {
    let app = super::app().await;
    let (u, _) = app.quick_user("cache").await;
    // A phone photo larger than the full view, held upright, with GPS in its EXIF.
    let r = u
        .upload(
            Method::POST,
            "/api/v1/media",
            "file",
            "IMG_0002.JPG",
            &jpeg_with_gps(2400, 1000),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (r.json["width"].as_u64(), r.json["height"].as_u64()),
        (Some(1000), Some(2400))
    );
    let hash = r.json["hash"].as_str().unwrap().to_owned();
    for (v, w, h) in [("w384", 384, 922), ("w758", 758, 1819), ("full", 833, 2000)] {
        let url = format!("/media/{hash}/{v}");
        let got = u.get(&url).await;
        assert_eq!(got.status, 200, "{v}");
        assert_eq!(got.header("content-type"), Some("image/jpeg"), "{v}");
        assert_eq!(
            got.header("cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{v}"
        );
        assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
        let etag = got.header("etag").unwrap().to_owned();
        assert!(etag.contains(&hash), "{v}: {etag}");
        let bytes = app.state.media.read(&hash, v).await.unwrap().unwrap();
        assert_no_metadata(v, "image/jpeg", &bytes);
        let back = image::load_from_memory(&bytes).unwrap();
        assert_eq!((back.width(), back.height()), (w, h), "{v} is upright");

        // A revalidation answers 304 with no body; another variant's tag does not match.
        let req = axum::http::Request::get(&url)
            .header("if-none-match", &etag)
            .body(axum::body::Body::empty())
            .unwrap();
        let again = u.send(req).await;
        assert_eq!(again.status, 304, "{v}");
        assert!(again.text.is_empty());
        assert_eq!(again.header("etag"), Some(etag.as_str()));
        let other = if v == "full" { "w384" } else { "full" };
        let req = axum::http::Request::get(format!("/media/{hash}/{other}"))
            .header("if-none-match", &etag)
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(u.send(req).await.status, 200, "{other} with {v}'s tag");
    }

    // Transparency keeps PNG, also without any text chunk from the original.
    let img =
        image::RgbaImage::from_fn(900, 300, |x, _| image::Rgba([200, 10, 10, (x % 256) as u8]));
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(img.as_raw(), 900, 300, image::ExtendedColorType::Rgba8)
        .unwrap();
    // Insert a tEXt chunk (camera notes) after IHDR (8 + 25 bytes).
    let mut tagged = png[..33].to_vec();
    tagged.extend(chunk(b"tEXt", b"Comment\0taken at 37.5665N 126.9780E"));
    tagged.extend_from_slice(&png[33..]);
    let r = u
        .upload(Method::POST, "/api/v1/media", "file", "logo.png", &tagged)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let hash = r.json["hash"].as_str().unwrap();
    for v in ["w384", "w758", "full"] {
        let got = u.get(&format!("/media/{hash}/{v}")).await;
        assert_eq!(got.header("content-type"), Some("image/png"), "{v}");
        let bytes = app.state.media.read(hash, v).await.unwrap().unwrap();
        assert_no_metadata(v, "image/png", &bytes);
        assert!(!bytes.windows(7).any(|w| w == b"37.5665"), "{v}");
    }
}

/// `MOIM_TEST_S3_URL=http://127.0.0.1:5005` (any S3-compatible server, e.g.
/// `python3 -m moto.server -p 5005`): uploads go to a bucket and are served from it.
#[tokio::test]
async fn uploads_go_to_an_s3_bucket_when_configured() {
    let Some(endpoint) = std::env::var("MOIM_TEST_S3_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("skipped: set MOIM_TEST_S3_URL (e.g. http://127.0.0.1:5005 from moto.server)");
        return;
    };
    let bucket = format!("moim-test-{}", uuid::Uuid::now_v7().simple());
    create_bucket(&endpoint, &bucket).await;
    let url = format!("s3://{bucket}/uploads");
    let app = moim_testkit::TestApp::with_config(|c| {
        c.media = moim_web::config::MediaSettings {
            url: Some(url),
            s3_endpoint: Some(endpoint.clone()),
            s3_region: Some("us-east-1".into()),
            s3_access_key_id: Some("test".into()),
            s3_secret_access_key: Some("test".into()),
        };
    })
    .await;
    let (u, _) = app.quick_user("bucket").await;
    let r = u
        .upload(
            Method::POST,
            "/api/v1/media",
            "file",
            "IMG_0003.JPG",
            &jpeg_with_gps(800, 600),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let hash = r.json["hash"].as_str().unwrap();
    for v in ["w384", "w758", "full"] {
        let got = u.get(&format!("/media/{hash}/{v}")).await;
        assert_eq!(got.status, 200, "{v}");
        assert!(got.header("cache-control").unwrap().contains("immutable"));
        let bytes = app.state.media.read(hash, v).await.unwrap().unwrap();
        assert_no_metadata(v, "image/jpeg", &bytes);
        // The object is in the bucket under the prefix, as any S3 client lists it.
        let (status, body) = http_raw(
            &endpoint,
            "GET",
            &format!("/{bucket}?list-type=2&prefix=uploads/{hash}/{v}"),
        )
        .await;
        assert_eq!(status, 200, "{v}: listing the bucket");
        let listing = String::from_utf8_lossy(&body);
        assert!(
            listing.contains(&format!("<Key>uploads/{hash}/{v}</Key>")),
            "{v} not in the bucket: {listing}"
        );
        assert!(
            listing.contains(&format!("<Size>{}</Size>", bytes.len())),
            "{v}: {listing}"
        );
    }
    // Nothing was written to the local data folder.
    assert!(!app.dir.join("media").exists());
}

/// One plain HTTP/1.1 request (the S3 test server accepts unsigned requests).
async fn http_raw(endpoint: &str, method: &str, path: &str) -> (u16, Vec<u8>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let hostport = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut s = tokio::net::TcpStream::connect(hostport).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut body = buf[split + 4..].to_vec();
    if head.to_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let n = usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 4 + n..];
    }
}

async fn create_bucket(endpoint: &str, bucket: &str) {
    let (status, body) = http_raw(endpoint, "PUT", &format!("/{bucket}")).await;
    assert!(
        status == 200,
        "creating bucket {bucket}: {status} {}",
        String::from_utf8_lossy(&body)
    );
}

/// The variant set the pages use: cards offer `w758` to 2× screens and detail pages `full`,
/// which is the 758 px column at 2× (at most 1516 × 2000), not a 2048 px view no page shows.
#[tokio::test]
async fn pages_offer_the_retina_variant_and_full_is_the_detail_column_at_2x() {
    let app = super::app().await;
    let (u, _) = app.quick_user("retina").await;
    let r = u
        .upload(
            Method::POST,
            "/api/v1/media",
            "file",
            "wide.jpg",
            &jpeg(&photo(2000, 1500)),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let hash = r.json["hash"].as_str().unwrap().to_owned();
    for (v, w, h) in [("w384", 384, 288), ("w758", 758, 569), ("full", 1516, 1137)] {
        let bytes = app.state.media.read(&hash, v).await.unwrap().unwrap();
        let back = image::load_from_memory(&bytes).unwrap();
        assert_eq!((back.width(), back.height()), (w, h), "{v}");
        assert_eq!(
            u.get(&format!("/media/{hash}/{v}")).await.status,
            200,
            "{v}"
        );
    }
    let medium = r.json["url_medium"].as_str().unwrap().to_owned();
    let id = super::courses::post(
        &u,
        super::courses::body("망원 한강 코스", "서울 마포구 망원동", &medium),
    )
    .await;
    let page = u.get(&format!("/courses/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.text.contains(&format!(
            "srcset=\"/media/{hash}/w758 1x, /media/{hash}/full 2x\""
        )),
        "detail page srcset: {}",
        page.text
    );
    let list = u.get("/courses").await;
    assert!(
        list.text.contains(&format!(
            "srcset=\"/media/{hash}/w384 1x, /media/{hash}/w758 2x\""
        )),
        "card srcset: {}",
        list.text
    );
}
