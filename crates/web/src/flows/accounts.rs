//! Sign-up, e-mail verification, log-in, password change and reset, profile, deletion.

use super::{Validator, checked};
use crate::AppState;
use crate::auth::{burn_time, hash_password, rate_limit, verify_password};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::mail::{Mail, html_escape, html_frame};
use moim_core::accounts::{
    Email, Locale, Nickname, Password, parse_text, parse_time_zone, parse_url,
};
use moim_core::secrets::{hash_token, random_token, verification_code};
use moim_core::time::{MINUTE, now_millis};
use moim_store::accounts::{self as store, CodeCheck, CodePurpose, User};

/// A verification code lives five minutes (PRODUCT.md §1).
pub const CODE_TTL_MS: i64 = 5 * MINUTE;
/// A reset link lives thirty minutes.
pub const RESET_TTL_MS: i64 = 30 * MINUTE;

pub struct SignUp<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub nickname: &'a str,
    pub locale: Option<&'a str>,
    pub time_zone: Option<&'a str>,
}

pub async fn sign_up(
    state: &AppState,
    input: SignUp<'_>,
    fallback_locale: Locale,
) -> Result<User, ApiError> {
    let mut v = Validator::default();
    let email = v.check(Email::parse(input.email));
    let password = v.check(Password::parse(input.password));
    let nickname = v.check(Nickname::parse(input.nickname));
    let locale = match input.locale.filter(|s| !s.trim().is_empty()) {
        Some(l) => v.check(Locale::parse(l)),
        None => Some(fallback_locale),
    };
    let tz = match input.time_zone.filter(|s| !s.trim().is_empty()) {
        Some(z) => v.check(parse_time_zone(z)),
        None => Some(moim_core::accounts::DEFAULT_TIME_ZONE.to_owned()),
    };
    if let Some(n) = &nickname
        && store::nickname_taken(&state.db, &n.key(), None).await?
    {
        // Someone who signed up but never verified keeps no claim on a nickname they re-use.
        let same = match &email {
            Some(e) => store::user_by_email(&state.db, e.as_str())
                .await?
                .is_some_and(|u| u.nickname.to_lowercase() == n.key() && !u.is_verified()),
            None => false,
        };
        if !same {
            v.push(moim_core::FieldError::new("nickname", "taken"));
        }
    }
    v.finish()?;
    let (email, password, nickname, locale, tz) = (
        checked(email)?,
        checked(password)?,
        checked(nickname)?,
        checked(locale)?,
        checked(tz)?,
    );
    let hash = hash_password(state.config.password_hashing, password.expose().to_owned()).await?;
    let id = store::create_user(
        &state.db,
        &store::NewUser {
            email: email.as_str(),
            password_hash: &hash,
            nickname: nickname.as_str(),
            nickname_key: &nickname.key(),
            locale: locale.as_str(),
            time_zone: &tz,
        },
    )
    .await
    .map_err(|e| match e {
        moim_store::Error::Conflict(field) => {
            ApiError::fields(vec![moim_core::FieldError::new(field, "taken")])
        }
        e => e.into(),
    })?;
    let user = store::user_by_id(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::internal("user vanished"))?;
    send_verification(state, &user).await?;
    metrics::counter!("moim_signups_total").increment(1);
    Ok(user)
}

/// Sends a fresh six-digit code, at most one a minute and five an hour per account.
pub async fn send_verification(state: &AppState, user: &User) -> Result<(), ApiError> {
    let limits = &state.config.limits;
    rate_limit(
        state,
        &format!("code-min:{}", user.id),
        limits.code_per_minute,
    )
    .await?;
    rate_limit(
        state,
        &format!("code-hour:{}", user.id),
        limits.code_per_hour,
    )
    .await?;
    let code = verification_code();
    store::issue_code(
        &state.db,
        user.id,
        CodePurpose::Verify,
        &hash_token(&code),
        now_millis() + CODE_TTL_MS,
    )
    .await?;
    let t = Tr::new(Locale::parse(&user.locale).unwrap_or_default());
    let subject = t.s("mail.verify.subject").to_owned();
    let text = format!(
        "{}\n\n    {code}\n\n{}",
        t.s("mail.verify.body"),
        t.s("mail.verify.expiry")
    );
    let html = html_frame(
        &subject,
        &format!(
            "<p>{}</p><p style=\"font-size:32px;letter-spacing:8px;font-weight:700\">{code}</p><p style=\"color:#666\">{}</p>",
            html_escape(t.s("mail.verify.body")),
            html_escape(t.s("mail.verify.expiry"))
        ),
    );
    send(
        state,
        Mail {
            to: user.email.clone(),
            subject,
            text,
            html,
            log_hint: format!("verification code {code}"),
        },
    )
    .await
}

async fn send(state: &AppState, mail: Mail) -> Result<(), ApiError> {
    state
        .mailer
        .send(&state.config.mail_from, mail)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "mail delivery failed");
            ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "mail_unavailable",
            )
            .detail("the e-mail could not be sent; try again in a moment")
        })
}

/// Resends the code for an unverified address. Unknown or verified addresses get the same
/// answer, so the endpoint does not reveal who has an account.
pub async fn resend_code(state: &AppState, email: &str) -> Result<(), ApiError> {
    let email = Email::parse(email)?;
    match store::user_by_email(&state.db, email.as_str()).await? {
        Some(u) if !u.is_verified() => send_verification(state, &u).await,
        _ => Ok(()),
    }
}

pub async fn verify_email(state: &AppState, email: &str, code: &str) -> Result<User, ApiError> {
    let email = Email::parse(email)?;
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::field("code", "invalid_code"));
    }
    let Some(user) = store::user_by_email(&state.db, email.as_str()).await? else {
        return Err(ApiError::field("code", "wrong_code"));
    };
    if user.is_verified() {
        return Ok(user);
    }
    match store::check_code(&state.db, user.id, CodePurpose::Verify, &hash_token(code)).await? {
        CodeCheck::Ok => {
            store::mark_verified(&state.db, user.id).await?;
            store::user_by_id(&state.db, user.id)
                .await?
                .ok_or_else(|| ApiError::internal("user vanished"))
        }
        CodeCheck::Wrong => Err(ApiError::field("code", "wrong_code")),
        CodeCheck::Expired => Err(ApiError::field("code", "code_expired")),
        CodeCheck::TooManyAttempts => Err(ApiError::field("code", "too_many_attempts")),
    }
}

/// Checks credentials with rate limits per account and per client address. Only failures count,
/// so a user who types their password right is never locked out by their own successes.
pub async fn log_in(
    state: &AppState,
    email: &str,
    password: &str,
    ip: &str,
) -> Result<User, ApiError> {
    let limits = &state.config.limits;
    let email_norm = email.trim().to_lowercase();
    let acct_key = format!("login:{email_norm}");
    let ip_key = format!("login-ip:{ip}");
    for (key, (max, window)) in [
        (&acct_key, limits.login_per_account),
        (&ip_key, limits.login_per_ip),
    ] {
        if moim_store::limits::peek(&state.db, key, window.as_millis() as i64).await? >= max {
            metrics::counter!("moim_rate_limited_total").increment(1);
            return Err(ApiError::too_many(window));
        }
    }
    let user = match Email::parse(email) {
        Ok(e) => store::user_by_email(&state.db, e.as_str()).await?,
        Err(_) => None,
    };
    let ok = match &user {
        Some(u) => verify_password(u.password_hash.clone(), password.to_owned()).await,
        None => {
            burn_time(state.config.password_hashing).await;
            false
        }
    };
    match user {
        Some(u) if ok => {
            moim_store::limits::clear(&state.db, &acct_key).await?;
            if !u.is_verified() {
                return Err(ApiError::forbidden("email_not_verified")
                    .detail("verify your e-mail address first"));
            }
            Ok(u)
        }
        _ => {
            for (key, (_, window)) in [
                (&acct_key, limits.login_per_account),
                (&ip_key, limits.login_per_ip),
            ] {
                moim_store::limits::hit(&state.db, key, window.as_millis() as i64).await?;
            }
            metrics::counter!("moim_login_failures_total").increment(1);
            Err(ApiError::unauthorized("invalid_credentials").detail("wrong e-mail or password"))
        }
    }
}

/// Mails a reset link when the address has an account. Always "accepted", so nobody learns which
/// addresses are registered; limited per address and per client.
pub async fn request_reset(state: &AppState, email: &str, ip: &str) -> Result<(), ApiError> {
    let email = Email::parse(email)?;
    let lim = state.config.limits.reset_per_hour;
    rate_limit(state, &format!("reset:{}", email.as_str()), lim).await?;
    rate_limit(state, &format!("reset-ip:{ip}"), (lim.0 * 5, lim.1)).await?;
    let Some(user) = store::user_by_email(&state.db, email.as_str()).await? else {
        return Ok(());
    };
    let token = random_token();
    store::issue_code(
        &state.db,
        user.id,
        CodePurpose::Reset,
        &hash_token(&token),
        now_millis() + RESET_TTL_MS,
    )
    .await?;
    let link = state.config.url(&format!("/reset/{token}"));
    let t = Tr::new(Locale::parse(&user.locale).unwrap_or_default());
    let subject = t.s("mail.reset.subject").to_owned();
    let text = format!(
        "{}\n\n{link}\n\n{}",
        t.s("mail.reset.body"),
        t.s("mail.reset.expiry")
    );
    let html = html_frame(
        &subject,
        &format!(
            "<p>{}</p><p><a href=\"{0}\" style=\"display:inline-block;background:#2d6a4f;color:#fff;padding:12px 20px;border-radius:8px;text-decoration:none\">{}</a></p><p style=\"color:#666\">{}</p>",
            html_escape(t.s("mail.reset.body")),
            html_escape(t.s("mail.reset.button")),
            html_escape(t.s("mail.reset.expiry")),
        )
        .replacen("{0}", &html_escape(&link), 1),
    );
    send(
        state,
        Mail {
            to: user.email.clone(),
            subject,
            text,
            html,
            log_hint: format!("password reset link {link}"),
        },
    )
    .await
}

/// Sets a new password from a reset link and signs the account out everywhere.
pub async fn confirm_reset(
    state: &AppState,
    token: &str,
    new_password: &str,
) -> Result<User, ApiError> {
    let password = Password::parse(new_password)?;
    let hash = hash_password(state.config.password_hashing, password.expose().to_owned()).await?;
    let Some(user_id) =
        store::consume_token(&state.db, CodePurpose::Reset, &hash_token(token.trim())).await?
    else {
        return Err(ApiError::bad_request(
            "invalid_reset_token",
            "the link has expired or was already used",
        ));
    };
    store::set_password(&state.db, user_id, &hash, None).await?;
    // Receiving the link proves the address too.
    store::mark_verified(&state.db, user_id).await?;
    store::user_by_id(&state.db, user_id)
        .await?
        .ok_or_else(|| ApiError::internal("user vanished"))
}

/// Changes the password after checking the current one; other devices are signed out, the
/// current web session (if any) is kept.
pub async fn change_password(
    state: &AppState,
    user: &User,
    current: &str,
    new: &str,
    keep_session: Option<&[u8]>,
) -> Result<(), ApiError> {
    let mut v = Validator::default();
    let password = v.check(Password::parse(new));
    if !verify_password(user.password_hash.clone(), current.to_owned()).await {
        v.push(moim_core::FieldError::new(
            "current_password",
            "wrong_password",
        ));
    }
    v.finish()?;
    let hash = hash_password(
        state.config.password_hashing,
        checked(password)?.expose().to_owned(),
    )
    .await?;
    store::set_password(&state.db, user.id, &hash, keep_session).await?;
    Ok(())
}

pub struct ProfileInput<'a> {
    pub nickname: Option<&'a str>,
    pub bio: Option<&'a str>,
    pub avatar_url: Option<&'a str>,
    pub locale: Option<&'a str>,
    pub time_zone: Option<&'a str>,
}

/// Updates the fields present in the input; absent fields keep their values.
pub async fn update_profile(
    state: &AppState,
    user: &User,
    input: ProfileInput<'_>,
) -> Result<User, ApiError> {
    let mut v = Validator::default();
    let nickname = v.check(Nickname::parse(input.nickname.unwrap_or(&user.nickname)));
    let bio = v.check(parse_text(
        "bio",
        input.bio.unwrap_or(&user.bio),
        300,
        false,
    ));
    let avatar = match input.avatar_url {
        Some(a) => v.check(parse_url("avatar_url", a)),
        None => Some(user.avatar_url.clone()),
    };
    let locale = v.check(Locale::parse(input.locale.unwrap_or(&user.locale)));
    let tz = v.check(parse_time_zone(input.time_zone.unwrap_or(&user.time_zone)));
    if let Some(n) = &nickname
        && store::nickname_taken(&state.db, &n.key(), Some(user.id)).await?
    {
        v.push(moim_core::FieldError::new("nickname", "taken"));
    }
    v.finish()?;
    let nickname = checked(nickname)?;
    store::update_profile(
        &state.db,
        user.id,
        &store::ProfileUpdate {
            nickname: nickname.as_str(),
            nickname_key: &nickname.key(),
            bio: &checked(bio)?,
            avatar_url: checked(avatar)?.as_deref(),
            locale: checked(locale)?.as_str(),
            time_zone: &checked(tz)?,
        },
    )
    .await
    .map_err(|e| match e {
        moim_store::Error::Conflict(f) => {
            ApiError::fields(vec![moim_core::FieldError::new(f, "taken")])
        }
        e => e.into(),
    })?;
    // The language switch is a link (GET), which the cache middleware does not treat as a write.
    state.cache.clear();
    store::user_by_id(&state.db, user.id)
        .await?
        .ok_or_else(|| ApiError::not_found("user_not_found"))
}

/// Deletes the account after re-checking the password; refused while the user owns a group.
pub async fn delete_account(state: &AppState, user: &User, password: &str) -> Result<(), ApiError> {
    if !verify_password(user.password_hash.clone(), password.to_owned()).await {
        return Err(ApiError::field("password", "wrong_password"));
    }
    store::delete_user(&state.db, user.id)
        .await
        .map_err(|e| match e {
            moim_store::Error::Conflict(_) => ApiError::conflict("owns_groups")
                .detail("hand your groups over to another member or disband them first"),
            e => e.into(),
        })
}
