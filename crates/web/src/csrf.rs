//! Cross-site request forgery protection for every unsafe request.
//!
//! Two independent checks:
//! 1. Fetch metadata: an unsafe request whose `Origin` names another site, or whose
//!    `Sec-Fetch-Site` says `cross-site`, is refused outright.
//! 2. A synchronizer token: every browser gets a random `moim_csrf` cookie (SameSite=Strict); pages
//!    embed its value in forms (`_csrf`) and in htmx's `X-CSRF-Token` header. An unsafe request
//!    that carries the session cookie, or a form body (the kinds a foreign page can submit), must
//!    echo the cookie's value. Requests authenticated by a bearer token carry no ambient
//!    credentials and are exempt, as are JSON bodies without cookies (browsers cannot send those
//!    cross-site without a CORS preflight, which moim never grants).

use crate::AppState;
use crate::auth::{SESSION_COOKIE, cookie};
use crate::error::ApiError;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub const CSRF_COOKIE: &str = "moim_csrf";
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The request's CSRF token, for templates.
#[derive(Clone)]
pub struct CsrfToken(pub String);

pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let existing = cookie(req.headers(), CSRF_COOKIE)
        .filter(|t| t.len() >= 32)
        .map(str::to_owned);
    let token = existing
        .clone()
        .unwrap_or_else(moim_core::secrets::random_token);
    // Bearer-token clients never submit forms: no cookie for them.
    let wants_cookie = existing.is_none() && !req.headers().contains_key(header::AUTHORIZATION);

    let req = if is_unsafe(req.method()) {
        match check(&token, existing.is_some(), req).await {
            Ok(req) => req,
            Err(path) => return reject(&path),
        }
    } else {
        req
    };

    let mut req = req;
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    if wants_cookie {
        let secure = if state.config.secure_cookies() {
            "; Secure"
        } else {
            ""
        };
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000{secure}"
        )) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

fn is_unsafe(m: &Method) -> bool {
    !matches!(
        *m,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

async fn check(token: &str, had_cookie: bool, req: Request) -> Result<Request, String> {
    let path = req.uri().path().to_owned();
    let headers = req.headers();
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site")
    {
        return Err(path);
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin.split("://").nth(1).unwrap_or("");
        if origin == "null" || origin_host != host {
            return Err(path);
        }
    }
    if headers.contains_key(header::AUTHORIZATION) {
        return Ok(req);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let is_form = content_type.starts_with("application/x-www-form-urlencoded")
        || content_type.starts_with("multipart/form-data")
        || content_type.starts_with("text/plain");
    let has_session = cookie(headers, SESSION_COOKIE).is_some_and(|v| !v.is_empty());
    if !is_form && !has_session {
        return Ok(req);
    }
    if !had_cookie {
        return Err(path);
    }
    let matches =
        |given: &str| moim_core::secrets::constant_time_eq(given.as_bytes(), token.as_bytes());
    if let Some(h) = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if matches(h) { Ok(req) } else { Err(path) };
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, 1024 * 1024)
            .await
            .map_err(|_| path.clone())?;
        let fields: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        let ok = fields.iter().any(|(k, v)| k == CSRF_FIELD && matches(v));
        return if ok {
            Ok(Request::from_parts(parts, Body::from(bytes)))
        } else {
            Err(path)
        };
    }
    Err(path)
}

fn reject(path: &str) -> Response {
    metrics::counter!("moim_csrf_rejected_total").increment(1);
    if path.starts_with("/api/") {
        ApiError::forbidden("csrf_failed")
            .detail("cross-site request refused: missing or wrong CSRF token")
            .into_response()
    } else {
        (
            StatusCode::FORBIDDEN,
            axum::response::Html(
                "<!doctype html><meta charset=utf-8><title>403</title><p>요청을 확인할 수 없습니다. 페이지를 새로 고친 뒤 다시 시도해 주세요.<br>This form has expired or came from another site. Reload the page and try again.</p><p><a href=\"/\">moim</a></p>",
            ),
        )
            .into_response()
    }
}
