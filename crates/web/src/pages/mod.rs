//! Server-rendered pages (askama templates, htmx for in-place updates).
//!
//! Handlers take a [`PageCtx`] (language, signed-in user, CSRF token), call the same
//! `flows` as the API, and render a template. Form errors come back as the same `ApiError`s,
//! shown next to their fields in the user's language. Successful posts redirect (303) so a
//! reload never repeats them; htmx requests get `HX-Redirect` instead.

/// The signed-in user's id, or the log-in redirect returned from the handler.
macro_rules! user_or_return {
    ($ctx:expr) => {
        match $crate::pages::require_user(&$ctx) {
            Ok(u) => u.id,
            Err(r) => return r,
        }
    };
}

/// The value, or the friendly error page returned from the handler.
macro_rules! ok_or_page {
    ($ctx:expr, $e:expr) => {
        match $e {
            Ok(v) => v,
            Err(err) => return $crate::pages::page_error(&$ctx, err.into()),
        }
    };
}

pub mod accounts;
pub mod comments;
pub mod courses;
pub mod groups;
pub mod home;
pub mod meetups;
pub mod notify;
pub mod rosters;

use crate::AppState;
use crate::auth::viewer_from_headers;
use crate::csrf::CsrfToken;
use crate::error::ApiError;
use crate::i18n::{Tr, error_message, field_message};
use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::response::{Html, IntoResponse, Redirect, Response};
use moim_core::accounts::Locale;
use moim_store::accounts::User;
use std::collections::HashMap;

pub const LANG_COOKIE: &str = "moim_lang";

pub fn router() -> axum::Router<AppState> {
    home::router()
        .merge(accounts::router())
        .merge(groups::router())
        .merge(rosters::router())
        .merge(notify::router())
        .merge(meetups::router())
        .merge(courses::router())
        .merge(comments::router())
}

/// What every page needs: language, viewer, CSRF token, current path.
pub struct PageCtx {
    pub t: Tr,
    pub user: Option<User>,
    pub csrf: String,
    pub path: String,
    pub htmx: bool,
    /// Unread notifications of the signed-in user, for the badge in the header.
    pub unread: i64,
}

impl PageCtx {
    pub fn lang(&self) -> Locale {
        self.t.0
    }
    pub fn nickname(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.nickname.as_str())
    }
    pub fn is_me(&self, id: &uuid::Uuid) -> bool {
        self.user.as_ref().is_some_and(|u| u.id == *id)
    }
    pub fn signed_in(&self) -> bool {
        self.user.is_some()
    }
    /// The current path, for `?next=` after log-in and for the language switch.
    pub fn here(&self) -> &str {
        &self.path
    }
    /// The message for a `?notice=` key, when it is one this page announces (anything else in
    /// the query string is ignored, so a link cannot make a page say arbitrary things).
    pub fn notice(&self, key: Option<String>, allowed: &[&str]) -> Option<String> {
        key.filter(|k| allowed.contains(&k.as_str()))
            .map(|k| self.t.s(&k).to_owned())
    }
    pub fn asset_version(&self) -> &'static str {
        crate::assets::version()
    }
}

impl FromRequestParts<AppState> for PageCtx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // A broken or expired credential on a page means "signed out", not an error page.
        let (user, unread_known) = match viewer_from_headers(state, &parts.headers).await {
            Ok(Some((u, n))) => (Some(u), n),
            _ => (None, None),
        };
        let lang = pick_lang(&parts.headers, user.as_ref());
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        let htmx = parts.headers.contains_key("hx-request");
        let unread = match (&user, unread_known) {
            (Some(_), Some(n)) => n,
            (Some(u), None) => match state.cache.unread(u.id) {
                Some(n) => n,
                None => {
                    let ticket = state.cache.ticket();
                    match moim_store::notifications::unread_count(&state.db, u.id).await {
                        Ok(n) => {
                            state.cache.put_unread(ticket, u.id, n);
                            n
                        }
                        Err(_) => 0,
                    }
                }
            },
            (None, _) => 0,
        };
        Ok(PageCtx {
            t: Tr::new(lang),
            user,
            csrf,
            path,
            htmx,
            unread,
        })
    }
}

/// The page language: the explicit choice (cookie) first, then the profile, then
/// `Accept-Language`, then Korean.
pub fn pick_lang(headers: &HeaderMap, user: Option<&User>) -> Locale {
    if let Some(l) = crate::auth::cookie(headers, LANG_COOKIE).and_then(|v| Locale::parse(v).ok()) {
        return l;
    }
    if let Some(l) = user.and_then(|u| Locale::parse(&u.locale).ok()) {
        return l;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Locale::from_accept_language)
        .unwrap_or_default()
}

/// Field messages and a summary for re-rendering a form.
#[derive(Default)]
pub struct FormErrors {
    pub fields: HashMap<String, String>,
    pub summary: Option<String>,
}

impl FormErrors {
    pub fn from_api(err: &ApiError, l: Locale) -> Self {
        let fields: HashMap<String, String> = err
            .errors
            .iter()
            .map(|e| (e.field.clone(), field_message(l, &e.field, &e.code)))
            .collect();
        let summary = if fields.is_empty() {
            Some(error_message(l, err.code))
        } else {
            Some(crate::i18n::Tr::new(l).s("form.errors").to_owned())
        };
        Self { fields, summary }
    }
    pub fn get(&self, field: &str) -> Option<&String> {
        self.fields.get(field)
    }
    pub fn has(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.summary.is_none()
    }
}

/// Renders a template; a template error is logged and becomes the 500 page.
pub fn render<T: Template>(status: StatusCode, tpl: &T) -> Response {
    match tpl.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><title>500</title><p>Internal error</p>"),
            )
                .into_response()
        }
    }
}

/// 303 to `to`, or `HX-Redirect` for htmx requests (which would otherwise swap the target page
/// into a fragment).
pub fn redirect(ctx: &PageCtx, to: &str) -> Response {
    if ctx.htmx {
        let mut res = StatusCode::NO_CONTENT.into_response();
        if let Ok(v) = HeaderValue::from_str(to) {
            res.headers_mut().insert("hx-redirect", v);
        }
        res
    } else {
        Redirect::to(to).into_response()
    }
}

/// Only local paths are allowed as `next` (no open redirects to other sites).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => {
            n.to_owned()
        }
        _ => "/groups".into(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    ctx: &'a PageCtx,
    status: u16,
    message: String,
}

pub fn error_page(ctx: &PageCtx, status: StatusCode) -> Response {
    let key = match status.as_u16() {
        404 => "error.404",
        403 => "error.403",
        429 => "error.429",
        _ => "error.500",
    };
    render(
        status,
        &ErrorPage {
            ctx,
            status: status.as_u16(),
            message: ctx.t.s(key).to_owned(),
        },
    )
}

/// How a page handler turns an `ApiError` it cannot show inline into a response: signed-out
/// users go to the log-in page, everything else gets the error page with the right status.
pub fn page_error(ctx: &PageCtx, err: ApiError) -> Response {
    match err.status {
        StatusCode::UNAUTHORIZED => redirect(ctx, &format!("/login?next={}", urlencode(&ctx.path))),
        s if s.is_server_error() => error_page(ctx, s),
        s => {
            let message = error_message(ctx.lang(), err.code);
            render(
                s,
                &ErrorPage {
                    ctx,
                    status: s.as_u16(),
                    message,
                },
            )
        }
    }
}

pub fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The signed-in user, or a redirect to the log-in page that comes back here.
#[allow(clippy::result_large_err)] // the error is the response itself, built once and returned
pub fn require_user(ctx: &PageCtx) -> Result<&User, Response> {
    ctx.user
        .as_ref()
        .ok_or_else(|| redirect(ctx, &format!("/login?next={}", urlencode(&ctx.path))))
}
