//! Landing page, welcome page and the language switch.

use super::{PageCtx, render, safe_next};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use moim_core::accounts::Locale;
use serde::Deserialize;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/", get(landing))
        .route("/welcome", get(welcome))
        .route("/lang/{lang}", get(set_lang))
}

#[derive(Template)]
#[template(path = "landing.html")]
struct Landing<'a> {
    ctx: &'a PageCtx,
    /// The 3 soonest open meetups (the meetup reference's main page).
    soonest: Vec<crate::api::meetups::MeetupDto>,
    /// The 6 newest course posts (the course reference's main page).
    latest_courses: Vec<crate::api::courses::CourseDto>,
}

async fn landing(State(state): State<AppState>, ctx: PageCtx) -> Response {
    if ctx.signed_in() {
        return Redirect::to("/groups").into_response();
    }
    let soonest = ok_or_page!(ctx, super::meetups::soonest(&state, None, 3).await);
    let latest_courses = ok_or_page!(ctx, super::courses::latest(&state, 6).await);
    render(
        StatusCode::OK,
        &Landing {
            ctx: &ctx,
            soonest,
            latest_courses,
        },
    )
}

#[derive(Template)]
#[template(path = "auth/welcome.html")]
struct Welcome<'a> {
    ctx: &'a PageCtx,
}

async fn welcome(ctx: PageCtx) -> Response {
    if let Err(r) = super::require_user(&ctx) {
        return r;
    }
    render(StatusCode::OK, &Welcome { ctx: &ctx })
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Remembers the choice in a cookie and, for a signed-in user, in the profile.
async fn set_lang(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(lang): Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    let Ok(locale) = Locale::parse(&lang) else {
        return super::error_page(&ctx, StatusCode::NOT_FOUND);
    };
    if let Some(u) = &ctx.user {
        let input = crate::flows::accounts::ProfileInput {
            nickname: None,
            bio: None,
            avatar_url: None,
            locale: Some(locale.as_str()),
            time_zone: None,
        };
        if let Err(e) = crate::flows::accounts::update_profile(&state, u, input).await {
            tracing::warn!(code = e.code, "could not store the language choice");
        }
    }
    let mut res = Redirect::to(&safe_next(q.next.as_deref())).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        super::LANG_COOKIE,
        locale.as_str()
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}
