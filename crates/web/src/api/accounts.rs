//! `/api/v1/auth/*` and `/api/v1/me*`.

use super::{ApiJson, created};
use crate::AppState;
use crate::auth::{ApiUser, ClientIp, new_refresh_family};
use crate::error::{ApiError, ApiResult, Problem};
use crate::flows::accounts as flows;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use moim_core::accounts::Locale;
use moim_core::secrets::{hash_token, random_token};
use moim_core::time::{now_millis, timestamp};
use moim_store::accounts::{Rotation, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_up))
        .routes(routes!(verify))
        .routes(routes!(resend))
        .routes(routes!(token))
        .routes(routes!(revoke))
        .routes(routes!(logout_everywhere))
        .routes(routes!(reset_request))
        .routes(routes!(reset_confirm))
        .routes(routes!(me, update_me, delete_me))
        .routes(routes!(change_password))
}

/// The signed-in user's own account.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: Uuid,
    pub email: String,
    pub email_verified: bool,
    pub nickname: String,
    pub bio: String,
    pub avatar_url: Option<String>,
    /// `ko` or `en`.
    pub locale: String,
    /// IANA zone, e.g. `Asia/Seoul`.
    pub time_zone: String,
    /// RFC 3339 instant.
    pub created_at: String,
}

impl From<&User> for Me {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            email: u.email.clone(),
            email_verified: u.is_verified(),
            nickname: u.nickname.clone(),
            bio: u.bio.clone(),
            avatar_url: u.avatar_url.clone(),
            locale: u.locale.clone(),
            time_zone: u.time_zone.clone(),
            created_at: timestamp(u.created_at).to_string(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpBody {
    pub email: String,
    /// At least 8 characters, not a common password.
    pub password: String,
    /// 2–20 letters, digits, `_`, `-`, `.`; unique.
    pub nickname: String,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SignUpResponse {
    pub user_id: Uuid,
    /// Always `code_sent`: a six-digit code was e-mailed and is valid for five minutes.
    pub verification: String,
}

/// Create an account; a verification code is e-mailed.
#[utoipa::path(post, path = "/auth/signup", tag = "auth", request_body = SignUpBody,
    responses((status = 201, body = SignUpResponse), (status = 422, body = Problem, description = "invalid or taken fields"), (status = 429, body = Problem)))]
async fn sign_up(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<SignUpBody>,
) -> ApiResult<Response> {
    let fallback = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Locale::from_accept_language)
        .unwrap_or_default();
    let user = flows::sign_up(
        &state,
        flows::SignUp {
            email: &b.email,
            password: &b.password,
            nickname: &b.nickname,
            locale: b.locale.as_deref(),
            time_zone: b.time_zone.as_deref(),
        },
        fallback,
    )
    .await?;
    Ok(created(SignUpResponse {
        user_id: user.id,
        verification: "code_sent".into(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct VerifyBody {
    pub email: String,
    /// The six digits from the e-mail.
    pub code: String,
}

/// Confirm the e-mail address with the six-digit code.
#[utoipa::path(post, path = "/auth/verify", tag = "auth", request_body = VerifyBody,
    responses((status = 200, body = Me), (status = 422, body = Problem, description = "wrong, expired or burnt code")))]
async fn verify(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<VerifyBody>,
) -> ApiResult<Json<Me>> {
    let user = flows::verify_email(&state, &b.email, &b.code).await?;
    Ok(Json(Me::from(&user)))
}

#[derive(Deserialize, ToSchema)]
pub struct EmailBody {
    pub email: String,
}

/// Send a new verification code (one a minute, five an hour).
#[utoipa::path(post, path = "/auth/resend", tag = "auth", request_body = EmailBody,
    responses((status = 202, description = "sent if the address awaits verification"), (status = 429, body = Problem)))]
async fn resend(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<EmailBody>,
) -> ApiResult<StatusCode> {
    flows::resend_code(&state, &b.email).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, ToSchema)]
#[serde(tag = "grant_type", rename_all = "snake_case")]
pub enum TokenBody {
    /// Log in with e-mail and password.
    Password { email: String, password: String },
    /// Exchange a refresh token; the old one stops working.
    RefreshToken { refresh_token: String },
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Single use: exchange it for the next pair. Re-using one revokes its whole family.
    pub refresh_token: String,
}

/// Obtain an access token and a rotating refresh token.
#[utoipa::path(post, path = "/auth/token", tag = "auth", request_body = TokenBody,
    responses((status = 200, body = TokenResponse), (status = 401, body = Problem, description = "invalid_credentials, invalid_refresh_token or refresh_token_reused"), (status = 429, body = Problem)))]
async fn token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<TokenBody>,
) -> ApiResult<Json<TokenResponse>> {
    let ttl = state.config.access_token_ttl;
    let (user, refresh) = match b {
        TokenBody::Password { email, password } => {
            let user = flows::log_in(&state, &email, &password, &ip).await?;
            let refresh = new_refresh_family(&state, user.id).await?;
            (user, refresh)
        }
        TokenBody::RefreshToken { refresh_token } => {
            let next = random_token();
            let expires = now_millis() + state.config.refresh_token_ttl.as_millis() as i64;
            match moim_store::accounts::rotate_refresh(
                &state.db,
                &hash_token(&refresh_token),
                &hash_token(&next),
                expires,
            )
            .await?
            {
                Rotation::Rotated { user_id, .. } => {
                    let user = moim_store::accounts::user_by_id(&state.db, user_id)
                        .await?
                        .ok_or_else(|| ApiError::unauthorized("invalid_refresh_token"))?;
                    (user, next)
                }
                Rotation::Invalid => return Err(ApiError::unauthorized("invalid_refresh_token")),
                Rotation::Reused => {
                    tracing::warn!("refresh token reused; family revoked");
                    return Err(ApiError::unauthorized("refresh_token_reused").detail(
                        "this refresh token was already used; every token of its family is revoked",
                    ));
                }
            }
        }
    };
    Ok(Json(TokenResponse {
        access_token: state.tokens.issue(&user, ttl)?,
        token_type: "Bearer".into(),
        expires_in: ttl.as_secs(),
        refresh_token: refresh,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct RevokeBody {
    pub refresh_token: String,
}

/// Log out this device: revokes the refresh token's family.
#[utoipa::path(post, path = "/auth/revoke", tag = "auth", request_body = RevokeBody, responses((status = 204)))]
async fn revoke(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<RevokeBody>,
) -> ApiResult<StatusCode> {
    moim_store::accounts::revoke_family_of(&state.db, &hash_token(&b.refresh_token)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Log out everywhere: every session, refresh token and access token of the user stops working.
#[utoipa::path(post, path = "/auth/logout-all", tag = "auth", security(("bearer" = [])), responses((status = 204), (status = 401, body = Problem)))]
async fn logout_everywhere(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> ApiResult<StatusCode> {
    moim_store::accounts::sign_out_everywhere(&state.db, user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ask for a password-reset link. Always 202, whether or not the address has an account.
#[utoipa::path(post, path = "/auth/password-reset", tag = "auth", request_body = EmailBody,
    responses((status = 202), (status = 429, body = Problem)))]
async fn reset_request(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<EmailBody>,
) -> ApiResult<StatusCode> {
    flows::request_reset(&state, &b.email, &ip).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, ToSchema)]
pub struct ResetConfirmBody {
    /// The token from the e-mailed link (`/reset/{token}`).
    pub token: String,
    pub new_password: String,
}

/// Set a new password with a reset token; signs the account out everywhere.
#[utoipa::path(post, path = "/auth/password-reset/confirm", tag = "auth", request_body = ResetConfirmBody,
    responses((status = 204), (status = 400, body = Problem), (status = 422, body = Problem)))]
async fn reset_confirm(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<ResetConfirmBody>,
) -> ApiResult<StatusCode> {
    flows::confirm_reset(&state, &b.token, &b.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/me", tag = "me", security(("bearer" = [])), responses((status = 200, body = Me), (status = 401, body = Problem)))]
async fn me(ApiUser(user): ApiUser) -> Json<Me> {
    Json(Me::from(&user))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    pub nickname: Option<String>,
    /// Up to 300 characters.
    pub bio: Option<String>,
    /// An http(s) URL, or empty to remove.
    pub avatar_url: Option<String>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
}

/// Update the profile; absent fields keep their values.
#[utoipa::path(patch, path = "/me", tag = "me", security(("bearer" = [])), request_body = ProfileBody,
    responses((status = 200, body = Me), (status = 422, body = Problem)))]
async fn update_me(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(b): ApiJson<ProfileBody>,
) -> ApiResult<Json<Me>> {
    let user = flows::update_profile(
        &state,
        &user,
        flows::ProfileInput {
            nickname: b.nickname.as_deref(),
            bio: b.bio.as_deref(),
            avatar_url: b.avatar_url.as_deref(),
            locale: b.locale.as_deref(),
            time_zone: b.time_zone.as_deref(),
        },
    )
    .await?;
    Ok(Json(Me::from(&user)))
}

#[derive(Deserialize, ToSchema)]
pub struct DeleteBody {
    /// The current password, to confirm.
    pub password: String,
}

/// Delete the account. Refused (409 `owns_groups`) while the user owns a group.
#[utoipa::path(delete, path = "/me", tag = "me", security(("bearer" = [])), request_body = DeleteBody,
    responses((status = 204), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn delete_me(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(b): ApiJson<DeleteBody>,
) -> ApiResult<StatusCode> {
    flows::delete_account(&state, &user, &b.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordBody {
    pub current_password: String,
    pub new_password: String,
}

/// Change the password (current one required); other devices are signed out.
#[utoipa::path(post, path = "/me/password", tag = "me", security(("bearer" = [])), request_body = PasswordBody,
    responses((status = 204), (status = 422, body = Problem)))]
async fn change_password(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(b): ApiJson<PasswordBody>,
) -> ApiResult<impl IntoResponse> {
    flows::change_password(&state, &user, &b.current_password, &b.new_password, None).await?;
    Ok(StatusCode::NO_CONTENT)
}
