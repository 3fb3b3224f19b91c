//! Errors at the HTTP edge.
//!
//! [`ApiError`] renders RFC 9457 problem details with a stable snake_case `code` and, for bad
//! input, one entry per field. The cause of a 500 goes to the log with a request-scoped message;
//! the client only ever sees "internal_error" — never a stack trace, SQL or a driver message.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use moim_core::FieldError;
use serde::Serialize;

/// One field's problem, inside `errors`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldIssue {
    /// The input field, as named in the request (`email`, `capacity`, ...; nested with `.`).
    pub field: String,
    /// Stable machine-readable reason (`required`, `too_long`, `taken`, ...).
    pub code: String,
    /// A human-readable sentence in English.
    pub message: String,
}

/// RFC 9457 problem details.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type (`/problems/{code}`).
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    /// Stable machine-readable code.
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldIssue>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: Option<String>,
    pub errors: Vec<FieldIssue>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str) -> Self {
        Self {
            status,
            code,
            detail: None,
            errors: Vec::new(),
            retry_after: None,
        }
    }
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code).detail(detail)
    }
    pub fn unauthorized(code: &'static str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code)
    }
    pub fn forbidden(code: &'static str) -> Self {
        Self::new(StatusCode::FORBIDDEN, code)
    }
    pub fn not_found(code: &'static str) -> Self {
        Self::new(StatusCode::NOT_FOUND, code)
    }
    pub fn conflict(code: &'static str) -> Self {
        Self::new(StatusCode::CONFLICT, code)
    }
    pub fn too_many(retry_after: std::time::Duration) -> Self {
        Self {
            retry_after: Some(retry_after.as_secs().max(1)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited")
        }
    }
    /// Logs the cause and returns an opaque 500.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
    }
    pub fn fields(errors: Vec<FieldError>) -> Self {
        let errors = errors
            .into_iter()
            .map(|e| FieldIssue {
                field: e.field.to_owned(),
                code: e.code.to_owned(),
                message: crate::i18n::field_message(
                    moim_core::accounts::Locale::En,
                    e.field,
                    e.code,
                ),
            })
            .collect();
        Self {
            errors,
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
        }
    }
    pub fn field(field: &'static str, code: &'static str) -> Self {
        Self::fields(vec![FieldError::new(field, code)])
    }

    pub fn problem(&self) -> Problem {
        Problem {
            type_: format!("/problems/{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            code: self.code.to_owned(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        Self::fields(vec![e])
    }
}

impl From<Vec<FieldError>> for ApiError {
    fn from(e: Vec<FieldError>) -> Self {
        Self::fields(e)
    }
}

impl From<moim_store::Error> for ApiError {
    fn from(e: moim_store::Error) -> Self {
        match e {
            moim_store::Error::NotFound => Self::not_found("not_found"),
            moim_store::Error::Conflict(field) => {
                let mut err = Self::fields(vec![FieldError::new(field, "taken")]);
                err.status = StatusCode::CONFLICT;
                err.code = "conflict";
                err
            }
            other => Self::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            metrics::counter!("moim_internal_errors_total").increment(1);
        }
        let mut res = (self.status, Json(self.problem())).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Unknown paths: problem+json under `/api`, a friendly page elsewhere.
pub async fn fallback(uri: axum::http::Uri, ctx: crate::pages::PageCtx) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError::not_found("route_not_found").into_response()
    } else {
        crate::pages::error_page(&ctx, StatusCode::NOT_FOUND)
    }
}

pub async fn method_not_allowed(uri: axum::http::Uri) -> Response {
    let _ = uri;
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").into_response()
}

/// A panic in a handler becomes an opaque 500; the payload is logged, never sent.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let msg = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("panic");
    ApiError::internal(format!("handler panicked: {msg}")).into_response()
}
