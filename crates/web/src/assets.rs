//! Static files embedded in the binary: our CSS and scripts, vendored htmx and Swagger UI.
//! The product works with no internet: nothing is loaded from a CDN.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

pub fn router() -> axum::Router<crate::AppState> {
    axum::Router::new().route("/assets/{*path}", get(serve))
}

/// A tag appended to asset URLs (`?v=`): a digest of every embedded file, so browsers may cache
/// assets for a year (`immutable`) and still fetch the new ones after any change, even one that
/// keeps the crate version.
pub fn version() -> &'static str {
    static TAG: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let mut names: Vec<_> = Assets::iter().collect();
        names.sort();
        let mut acc = [0u8; 32];
        for name in names {
            if let Some(f) = Assets::get(&name) {
                for (a, b) in acc.iter_mut().zip(f.metadata.sha256_hash()) {
                    *a = a.rotate_left(3) ^ b;
                }
            }
        }
        acc[..6].iter().map(|b| format!("{b:02x}")).collect()
    });
    &TAG
}

async fn serve(Path(path): Path<String>) -> Response {
    match Assets::get(&path) {
        Some(file) => {
            let mime = file.metadata.mimetype();
            let mut res = file.data.into_owned().into_response();
            let h = res.headers_mut();
            if let Ok(v) = HeaderValue::from_str(mime) {
                h.insert(header::CONTENT_TYPE, v);
            }
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            );
            res
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// An embedded file's bytes (for files served outside `/assets`, like the service worker).
pub fn embedded(path: &str) -> Option<Vec<u8>> {
    Assets::get(path).map(|f| f.data.into_owned())
}
