//! The JSON API under `/api/v1`, described by an OpenAPI 3.1 document generated from the handler
//! annotations (`utoipa_axum::routes!`), so routes and docs cannot drift apart.
//!
//! Conventions: RFC 9457 problem details for every error (stable `code`, `errors[]` per field),
//! cursor pagination (`?cursor=` in, `next_cursor` out), RFC 3339 UTC instants, UUIDv7 ids.

pub mod accounts;
pub mod admin;
pub mod comments;
pub mod courses;
pub mod groups;
pub mod media;
pub mod meetups;
pub mod notify;
pub mod rosters;

use crate::AppState;
use crate::error::{ApiError, FieldIssue};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header, request::Parts};
use axum::response::{Html, IntoResponse, Response};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(title = "moim API", description = "Groups, rosters, meetups, missions, chat and mentoring for small groups. Errors are RFC 9457 problem details with a stable `code`.", license(name = "AGPL-3.0-or-later")),
    modifiers(&BearerAuth),
    components(schemas(crate::error::Problem, crate::error::FieldIssue)),
    tags(
        (name = "auth", description = "Sign-up, verification, tokens and password reset"),
        (name = "me", description = "The signed-in user's account and profile"),
        (name = "groups", description = "Groups, members, invites"),
        (name = "rosters", description = "Duty rosters: setup, generation, edits, publishing, swaps, sharing"),
        (name = "media", description = "Image uploads and their resized variants"),
        (name = "meetups", description = "Meetups: hosting, applying, waitlist, attendance, host ratings"),
        (name = "notifications", description = "My notifications, unread count and channel preferences"),
        (name = "courses", description = "Course posts: routes, bookmarks, star ratings, views, ranking"),
        (name = "comments", description = "Comments and replies on meetups and course posts"),
        (name = "admin", description = "Operators (MOIM_ADMIN_EMAILS): the job queue"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(
        "/api/v1",
        accounts::router()
            .merge(groups::router())
            .merge(rosters::router())
            .merge(admin::router())
            .merge(notify::router())
            .merge(media::router())
            .merge(meetups::router())
            .merge(courses::router())
            .merge(comments::router()),
    )
}

/// `/api/openapi.json` and the offline docs UI at `/api/docs` (vendored Swagger UI).
pub fn docs_router(doc: Arc<utoipa::openapi::OpenApi>) -> axum::Router<AppState> {
    let json = Arc::new(doc.to_pretty_json().unwrap_or_else(|_| "{}".into()));
    axum::Router::new()
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let json = json.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        (*json).clone(),
                    )
                }
            }),
        )
        .route("/api/docs", axum::routing::get(docs_page))
}

async fn docs_page() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>moim API</title>",
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">",
        "<link rel=\"stylesheet\" href=\"/assets/vendor/swagger-ui/swagger-ui.css\"></head>",
        "<body><div id=\"swagger-ui\"></div>",
        "<script src=\"/assets/vendor/swagger-ui/swagger-ui-bundle.js\"></script>",
        "<script src=\"/assets/js/api-docs.js\"></script></body></html>"
    ))
}

/// A JSON body whose errors are problem details naming the offending field.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
            )
            .detail("send the body as application/json"));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
                } else {
                    ApiError::bad_request("unreadable_body", "the request body could not be read")
                }
            })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de)
            .map(ApiJson)
            .map_err(|e| json_error(&e))
    }
}

/// An optional JSON body: no `Content-Type` means no body (e.g. a bare `POST .../join`).
impl<T: DeserializeOwned, S: Send + Sync> axum::extract::OptionalFromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, ApiError> {
        if !req.headers().contains_key(header::CONTENT_TYPE) {
            return Ok(None);
        }
        <Self as FromRequest<S>>::from_request(req, state)
            .await
            .map(Some)
    }
}

fn json_error(e: &serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let inner = e.inner();
    let msg = inner.to_string();
    if inner.is_syntax() || inner.is_eof() {
        return ApiError::bad_request("malformed_json", "the body is not valid JSON");
    }
    let path = e.path().to_string();
    let (field, code) = if let Some(rest) = msg.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or("");
        let field = if path == "." {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        };
        (field, "required")
    } else if msg.starts_with("unknown field") {
        (path, "unknown_field")
    } else {
        (path, "invalid_type")
    };
    // serde's message without the position suffix, which means nothing to a client.
    let message = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
    let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    err.errors = vec![FieldIssue {
        field,
        code: code.to_owned(),
        message,
    }];
    err
}

/// Path parameters; a malformed id is a 404 (nothing can exist there), not a 500.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e| ApiError::not_found("not_found").detail(e.body_text()))
    }
}

/// Query parameters with problem-details errors.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(q));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let mut err = ApiError::new(StatusCode::BAD_REQUEST, "invalid_query");
                err.errors = vec![FieldIssue {
                    field: e.path().to_string(),
                    code: "invalid_value".into(),
                    message: e.inner().to_string(),
                }];
                err
            })
    }
}

fn form_urlencoded_parse(q: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(q.as_bytes())
}

/// 201 Created with a JSON body.
pub fn created<T: serde::Serialize>(body: T) -> Response {
    (StatusCode::CREATED, axum::Json(body)).into_response()
}
