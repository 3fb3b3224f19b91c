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

/// A version tag appended to asset URLs (`?v=`), so browsers may cache them for a year and
/// still pick up a new release.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

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
