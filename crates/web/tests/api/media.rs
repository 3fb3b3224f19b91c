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
