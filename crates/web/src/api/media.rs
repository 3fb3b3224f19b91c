//! `/api/v1/media` (upload), `/api/v1/me/avatar`, `/api/v1/groups/{id}/image`, and the
//! `/media/{hash}/{variant}` files themselves.

use super::ApiPath;
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::media::{self, Stored};
use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

/// Uploads may be up to 15 MB (the pipeline's limit); the body may carry a little more for the
/// multipart framing, so an oversized file reaches the pipeline and gets its precise error.
pub const UPLOAD_BODY_LIMIT: usize = 16 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .routes(routes!(set_avatar))
        .routes(routes!(set_group_image))
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT))
}

/// The files: content-addressed, so cached for a year as immutable.
pub fn files_router() -> axum::Router<AppState> {
    axum::Router::new().route("/media/{hash}/{variant}", axum::routing::get(serve))
}

#[derive(ToSchema)]
#[allow(dead_code)] // documents the multipart body
pub struct UploadForm {
    /// The image (JPEG, PNG, GIF or WebP; ≤ 15 MB; ≤ 50 megapixels). Its name and declared
    /// type are ignored: the type is read from the bytes.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[derive(Serialize, ToSchema)]
pub struct MediaDto {
    /// SHA-256 of the uploaded bytes; the same file uploaded twice has the same hash.
    pub hash: String,
    pub width: u32,
    pub height: u32,
    /// 384 px wide, for lists.
    pub url_small: String,
    /// 758 px wide, for detail pages.
    pub url_medium: String,
    /// 2× the detail width, at most 1516 × 2000 px (older uploads: 2048 px on the long side).
    pub url_full: String,
}

pub fn media_dto(s: &Stored) -> MediaDto {
    MediaDto {
        hash: s.hash.clone(),
        width: s.width,
        height: s.height,
        url_small: s.url("w384"),
        url_medium: s.url("w758"),
        url_full: s.url("full"),
    }
}

/// Reads the `file` part of a multipart body.
pub async fn file_part(mut form: Multipart) -> Result<Bytes, ApiError> {
    loop {
        let field = form.next_field().await.map_err(multipart_error)?;
        let Some(field) = field else {
            return Err(ApiError::field("file", "required"));
        };
        if field.name() == Some("file") {
            return field.bytes().await.map_err(multipart_error);
        }
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        media::media_error(moim_media::MediaError::TooLarge {
            max: moim_media::Limits::default().max_bytes,
        })
    } else {
        ApiError::bad_request(
            "malformed_multipart",
            "the multipart body could not be read",
        )
    }
}

fn multipart_rejection(e: axum::extract::multipart::MultipartRejection) -> ApiError {
    ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
        .detail(e.body_text())
}

/// Upload an image. The variants are produced before the response, off the request thread.
#[utoipa::path(post, path = "/media", tag = "media", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", content = UploadForm),
    responses((status = 201, body = MediaDto), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn upload(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Response> {
    let bytes = file_part(form.map_err(multipart_rejection)?).await?;
    let stored = state.media.upload(&state.db, user.id, bytes).await?;
    Ok(super::created(media_dto(&stored)))
}

/// Upload and set my profile picture (its 384 px variant).
#[utoipa::path(put, path = "/me/avatar", tag = "me", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", content = UploadForm),
    responses((status = 200, body = MediaDto), (status = 422, body = Problem)))]
async fn set_avatar(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Json<MediaDto>> {
    let bytes = file_part(form.map_err(multipart_rejection)?).await?;
    let stored = state.media.upload(&state.db, user.id, bytes).await?;
    moim_store::media::set_avatar(&state.db, user.id, &stored.url("w384")).await?;
    Ok(Json(media_dto(&stored)))
}

/// Upload and set a group's image (managers).
#[utoipa::path(put, path = "/groups/{id}/image", tag = "groups", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body(content_type = "multipart/form-data", content = UploadForm),
    responses((status = 200, body = MediaDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn set_group_image(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Json<MediaDto>> {
    let (access, _) = crate::flows::groups::access(&state, id, user.id)
        .await?
        .manager()?;
    let bytes = file_part(form.map_err(multipart_rejection)?).await?;
    let stored = state.media.upload(&state.db, user.id, bytes).await?;
    moim_store::media::set_group_image(&state.db, access.group.id, &stored.url("w758")).await?;
    Ok(Json(media_dto(&stored)))
}

/// The headers every served variant carries: its bytes can never change behind its URL.
fn cache_headers(h: &mut axum::http::HeaderMap, etag: &str) {
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
}

async fn serve(
    State(state): State<AppState>,
    axum::extract::Path((hash, variant)): axum::extract::Path<(String, String)>,
    headers: axum::http::HeaderMap,
) -> Response {
    if !media::is_hash(&hash) {
        return ApiError::not_found("media_not_found").into_response();
    }
    let row = match moim_store::media::get(&state.db, &hash).await {
        Ok(Some(r)) => r,
        Ok(None) => return ApiError::not_found("media_not_found").into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Some(content_type) = row.variant_type(&variant).map(str::to_owned) else {
        return ApiError::not_found("media_not_found").into_response();
    };
    let etag = format!("\"{hash}-{variant}\"");
    // A browser revalidating (a reload, or a cache that ignores `immutable`) gets a 304
    // without the object being fetched from the store.
    let revalidating = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == etag
        });
    if revalidating {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        cache_headers(res.headers_mut(), &etag);
        return res;
    }
    match state.media.read(&hash, &variant).await {
        Ok(Some(bytes)) => {
            let mut res = bytes.into_response();
            let h = res.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&content_type) {
                h.insert(header::CONTENT_TYPE, v);
            }
            cache_headers(h, &etag);
            res
        }
        Ok(None) => ApiError::not_found("media_not_found").into_response(),
        Err(e) => e.into_response(),
    }
}
