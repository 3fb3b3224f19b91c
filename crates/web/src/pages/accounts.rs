//! Sign-up → code → welcome, log-in and log-out, password reset, profile.

use super::{FormErrors, PageCtx, redirect, render, require_user, safe_next, urlencode};
use crate::AppState;
use crate::auth::{ClientIp, SESSION_COOKIE, clear_session_cookie, cookie, start_session};
use crate::flows::accounts as flows;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use moim_core::secrets::hash_token;
use serde::Deserialize;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/signup", get(signup_form).post(signup))
        .route("/verify", get(verify_form).post(verify))
        .route("/verify/resend", post(resend))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/logout-all", post(logout_all))
        .route("/forgot", get(forgot_form).post(forgot))
        .route("/reset/{token}", get(reset_form).post(reset))
        .route("/profile", get(profile).post(save_profile))
        .route("/profile/password", post(change_password))
        .route("/profile/delete", post(delete_account))
}

fn with_cookie(mut res: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

fn user_agent(h: &HeaderMap) -> String {
    h.get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    pub next: Option<String>,
    pub email: Option<String>,
    pub notice: Option<String>,
}

// --- sign-up --------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "auth/signup.html")]
struct SignupPage<'a> {
    ctx: &'a PageCtx,
    email: String,
    nickname: String,
    next: String,
    errors: FormErrors,
}

async fn signup_form(ctx: PageCtx, Query(q): Query<NextQuery>) -> Response {
    render(
        StatusCode::OK,
        &SignupPage {
            ctx: &ctx,
            email: String::new(),
            nickname: String::new(),
            next: safe_next(q.next.as_deref()),
            errors: FormErrors::default(),
        },
    )
}

#[derive(Deserialize)]
struct SignupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    nickname: String,
    #[serde(default)]
    next: String,
}

async fn signup(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(f): Form<SignupForm>,
) -> Response {
    let input = flows::SignUp {
        email: &f.email,
        password: &f.password,
        nickname: &f.nickname,
        locale: Some(ctx.lang().as_str()),
        time_zone: None,
    };
    match flows::sign_up(&state, input, ctx.lang()).await {
        Ok(u) => redirect(
            &ctx,
            &format!(
                "/verify?email={}&next={}",
                urlencode(&u.email),
                urlencode(&safe_next(Some(&f.next)))
            ),
        ),
        Err(e) if e.status.is_server_error() => super::page_error(&ctx, e),
        Err(e) => {
            let status = e.status;
            let errors = FormErrors::from_api(&e, ctx.lang());
            render(
                status,
                &SignupPage {
                    ctx: &ctx,
                    email: f.email,
                    nickname: f.nickname,
                    next: safe_next(Some(&f.next)),
                    errors,
                },
            )
        }
    }
}

// --- verification ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "auth/verify.html")]
struct VerifyPage<'a> {
    ctx: &'a PageCtx,
    email: String,
    next: String,
    notice: Option<String>,
    errors: FormErrors,
}

async fn verify_form(ctx: PageCtx, Query(q): Query<NextQuery>) -> Response {
    let notice = ctx.notice(q.notice, &["verify.resent"]);
    render(
        StatusCode::OK,
        &VerifyPage {
            ctx: &ctx,
            email: q.email.unwrap_or_default(),
            next: safe_next(q.next.as_deref()),
            notice,
            errors: FormErrors::default(),
        },
    )
}

#[derive(Deserialize)]
struct VerifyForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

async fn verify(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    Form(f): Form<VerifyForm>,
) -> Response {
    match flows::verify_email(&state, &f.email, &f.code).await {
        Ok(user) => match start_session(&state, user.id, &user_agent(&headers)).await {
            Ok(cookie) => {
                let next = safe_next(Some(&f.next));
                let to = if next == "/groups" {
                    "/welcome".to_owned()
                } else {
                    next
                };
                with_cookie(redirect(&ctx, &to), &cookie)
            }
            Err(e) => super::page_error(&ctx, e),
        },
        Err(e) if e.status.is_server_error() => super::page_error(&ctx, e),
        Err(e) => {
            let errors = FormErrors::from_api(&e, ctx.lang());
            render(
                e.status,
                &VerifyPage {
                    ctx: &ctx,
                    email: f.email,
                    next: safe_next(Some(&f.next)),
                    notice: None,
                    errors,
                },
            )
        }
    }
}

async fn resend(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(f): Form<VerifyForm>,
) -> Response {
    match flows::resend_code(&state, &f.email).await {
        Ok(()) => redirect(
            &ctx,
            &format!(
                "/verify?email={}&next={}&notice=verify.resent",
                urlencode(&f.email),
                urlencode(&safe_next(Some(&f.next)))
            ),
        ),
        Err(e) => {
            let errors = FormErrors::from_api(&e, ctx.lang());
            render(
                e.status,
                &VerifyPage {
                    ctx: &ctx,
                    email: f.email,
                    next: safe_next(Some(&f.next)),
                    notice: None,
                    errors,
                },
            )
        }
    }
}

// --- log-in / log-out -----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage<'a> {
    ctx: &'a PageCtx,
    email: String,
    next: String,
    notice: Option<String>,
    errors: FormErrors,
}

async fn login_form(ctx: PageCtx, Query(q): Query<NextQuery>) -> Response {
    if ctx.signed_in() {
        return redirect(&ctx, &safe_next(q.next.as_deref()));
    }
    let notice = ctx.notice(q.notice, &["reset.done"]);
    render(
        StatusCode::OK,
        &LoginPage {
            ctx: &ctx,
            email: q.email.unwrap_or_default(),
            next: safe_next(q.next.as_deref()),
            notice,
            errors: FormErrors::default(),
        },
    )
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(state): State<AppState>,
    ctx: PageCtx,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(Some(&f.next));
    match flows::log_in(&state, &f.email, &f.password, &ip).await {
        Ok(user) => match start_session(&state, user.id, &user_agent(&headers)).await {
            Ok(cookie) => with_cookie(redirect(&ctx, &next), &cookie),
            Err(e) => super::page_error(&ctx, e),
        },
        Err(e) if e.code == "email_not_verified" => {
            // The password was right: send a fresh code and continue the verification.
            if let Err(e) = flows::resend_code(&state, &f.email).await {
                tracing::info!(code = e.code, "no new code sent");
            }
            redirect(
                &ctx,
                &format!(
                    "/verify?email={}&next={}",
                    urlencode(&f.email),
                    urlencode(&next)
                ),
            )
        }
        Err(e) if e.status.is_server_error() => super::page_error(&ctx, e),
        Err(e) => {
            let errors = FormErrors::from_api(&e, ctx.lang());
            render(
                e.status,
                &LoginPage {
                    ctx: &ctx,
                    email: f.email,
                    next,
                    notice: None,
                    errors,
                },
            )
        }
    }
}

async fn logout(State(state): State<AppState>, ctx: PageCtx, headers: HeaderMap) -> Response {
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = moim_store::accounts::delete_session(&state.db, &hash_token(token)).await
    {
        return super::page_error(&ctx, e.into());
    }
    with_cookie(redirect(&ctx, "/"), &clear_session_cookie(&state))
}

async fn logout_all(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let user = match require_user(&ctx) {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Err(e) = moim_store::accounts::sign_out_everywhere(&state.db, user.id).await {
        return super::page_error(&ctx, e.into());
    }
    with_cookie(redirect(&ctx, "/login"), &clear_session_cookie(&state))
}

// --- password reset -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "auth/forgot.html")]
struct ForgotPage<'a> {
    ctx: &'a PageCtx,
    email: String,
    sent: bool,
    errors: FormErrors,
}

async fn forgot_form(ctx: PageCtx) -> Response {
    render(
        StatusCode::OK,
        &ForgotPage {
            ctx: &ctx,
            email: String::new(),
            sent: false,
            errors: FormErrors::default(),
        },
    )
}

#[derive(Deserialize)]
struct EmailForm {
    #[serde(default)]
    email: String,
}

async fn forgot(
    State(state): State<AppState>,
    ctx: PageCtx,
    ClientIp(ip): ClientIp,
    Form(f): Form<EmailForm>,
) -> Response {
    match flows::request_reset(&state, &f.email, &ip).await {
        Ok(()) => render(
            StatusCode::OK,
            &ForgotPage {
                ctx: &ctx,
                email: f.email,
                sent: true,
                errors: FormErrors::default(),
            },
        ),
        Err(e) if e.status.is_server_error() => super::page_error(&ctx, e),
        Err(e) => {
            let errors = FormErrors::from_api(&e, ctx.lang());
            render(
                e.status,
                &ForgotPage {
                    ctx: &ctx,
                    email: f.email,
                    sent: false,
                    errors,
                },
            )
        }
    }
}

#[derive(Template)]
#[template(path = "auth/reset.html")]
struct ResetPage<'a> {
    ctx: &'a PageCtx,
    token: String,
    valid: bool,
    errors: FormErrors,
}

async fn reset_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(token): Path<String>,
) -> Response {
    let valid = moim_store::accounts::token_is_live(
        &state.db,
        moim_store::accounts::CodePurpose::Reset,
        &hash_token(&token),
    )
    .await
    .unwrap_or(false);
    render(
        if valid {
            StatusCode::OK
        } else {
            StatusCode::GONE
        },
        &ResetPage {
            ctx: &ctx,
            token,
            valid,
            errors: FormErrors::default(),
        },
    )
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    password: String,
}

async fn reset(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(token): Path<String>,
    Form(f): Form<ResetForm>,
) -> Response {
    match flows::confirm_reset(&state, &token, &f.password).await {
        Ok(u) => redirect(
            &ctx,
            &format!("/login?notice=reset.done&email={}", urlencode(&u.email)),
        ),
        Err(e) if e.status.is_server_error() => super::page_error(&ctx, e),
        Err(e) => {
            let valid = e.code != "invalid_reset_token";
            let errors = FormErrors::from_api(&e, ctx.lang());
            render(
                e.status,
                &ResetPage {
                    ctx: &ctx,
                    token,
                    valid,
                    errors,
                },
            )
        }
    }
}

// --- profile --------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage<'a> {
    ctx: &'a PageCtx,
    nickname: String,
    bio: String,
    avatar_url: String,
    locale: String,
    time_zone: String,
    notice: Option<String>,
    errors: FormErrors,
    password_errors: FormErrors,
    delete_errors: FormErrors,
    zones: &'static [&'static str],
}

/// Zones offered in the picker; any IANA name is accepted through the API.
const ZONES: &[&str] = &[
    "Asia/Seoul",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Asia/Ho_Chi_Minh",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Pacific/Auckland",
    "UTC",
];

impl<'a> ProfilePage<'a> {
    fn new(ctx: &'a PageCtx, u: &moim_store::accounts::User) -> Self {
        Self {
            ctx,
            nickname: u.nickname.clone(),
            bio: u.bio.clone(),
            avatar_url: u.avatar_url.clone().unwrap_or_default(),
            locale: u.locale.clone(),
            time_zone: u.time_zone.clone(),
            notice: None,
            errors: FormErrors::default(),
            password_errors: FormErrors::default(),
            delete_errors: FormErrors::default(),
            zones: ZONES,
        }
    }
}

async fn profile(ctx: PageCtx, Query(q): Query<NextQuery>) -> Response {
    let user = match require_user(&ctx) {
        Ok(u) => u.clone(),
        Err(r) => return r,
    };
    let mut page = ProfilePage::new(&ctx, &user);
    page.notice = ctx.notice(q.notice, &["form.saved", "profile.password.changed"]);
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
struct ProfileForm {
    #[serde(default)]
    nickname: String,
    #[serde(default)]
    bio: String,
    #[serde(default)]
    avatar_url: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    time_zone: String,
}

async fn save_profile(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(f): Form<ProfileForm>,
) -> Response {
    let user = match require_user(&ctx) {
        Ok(u) => u.clone(),
        Err(r) => return r,
    };
    let input = flows::ProfileInput {
        nickname: Some(&f.nickname),
        bio: Some(&f.bio),
        avatar_url: Some(&f.avatar_url),
        locale: Some(&f.locale),
        time_zone: Some(&f.time_zone),
    };
    match flows::update_profile(&state, &user, input).await {
        Ok(u) => {
            // The profile language becomes the page language.
            let res = redirect(&ctx, "/profile?notice=form.saved");
            with_cookie(
                res,
                &format!(
                    "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
                    super::LANG_COOKIE,
                    u.locale
                ),
            )
        }
        Err(e) if e.status.is_server_error() => super::page_error(&ctx, e),
        Err(e) => {
            let mut page = ProfilePage::new(&ctx, &user);
            page.nickname = f.nickname;
            page.bio = f.bio;
            page.avatar_url = f.avatar_url;
            page.locale = f.locale;
            page.time_zone = f.time_zone;
            page.errors = FormErrors::from_api(&e, ctx.lang());
            render(e.status, &page)
        }
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Response {
    let user = match require_user(&ctx) {
        Ok(u) => u.clone(),
        Err(r) => return r,
    };
    let keep = cookie(&headers, SESSION_COOKIE).map(hash_token);
    match flows::change_password(
        &state,
        &user,
        &f.current_password,
        &f.new_password,
        keep.as_deref(),
    )
    .await
    {
        Ok(()) => redirect(&ctx, "/profile?notice=profile.password.changed"),
        Err(e) if e.status.is_server_error() => super::page_error(&ctx, e),
        Err(e) => {
            let mut page = ProfilePage::new(&ctx, &user);
            let mut errs = FormErrors::from_api(&e, ctx.lang());
            // The page has two password fields named alike; map the flow's names onto the form's.
            if let Some(m) = errs.fields.remove("password") {
                errs.fields.insert("new_password".into(), m);
            }
            page.password_errors = errs;
            render(e.status, &page)
        }
    }
}

#[derive(Deserialize)]
struct DeleteForm {
    #[serde(default)]
    password: String,
}

async fn delete_account(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(f): Form<DeleteForm>,
) -> Response {
    let user = match require_user(&ctx) {
        Ok(u) => u.clone(),
        Err(r) => return r,
    };
    match flows::delete_account(&state, &user, &f.password).await {
        Ok(()) => with_cookie(redirect(&ctx, "/"), &clear_session_cookie(&state)),
        Err(e) if e.status.is_server_error() => super::page_error(&ctx, e),
        Err(e) => {
            let mut page = ProfilePage::new(&ctx, &user);
            page.delete_errors = FormErrors::from_api(&e, ctx.lang());
            render(e.status, &page)
        }
    }
}
