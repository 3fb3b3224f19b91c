//! Who is asking: password hashing, web sessions, access and refresh tokens, and the extractors
//! handlers use ([`ApiUser`] for the API, [`crate::pages::PageCtx`] for pages).
//!
//! Web browsers carry an HttpOnly, SameSite=Lax session cookie holding a random token; only its
//! SHA-256 is stored. API clients send `Authorization: Bearer <access JWT>` (HS256 only, 15 min)
//! and exchange a rotating refresh token for new ones.

use crate::AppState;
use crate::config::PasswordHashing;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, header, request::Parts};
use moim_core::secrets::{hash_token, random_token};
use moim_core::time::now_millis;
use moim_store::accounts::User;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const SESSION_COOKIE: &str = "moim_session";

// ---------------------------------------------------------------------------------------------
// Passwords

fn argon2(mode: PasswordHashing) -> argon2::Argon2<'static> {
    use argon2::{Algorithm, Argon2, Params, Version};
    let params = match mode {
        PasswordHashing::Production => Params::new(19 * 1024, 2, 1, None),
        PasswordHashing::Fast => Params::new(8, 1, 1, None),
    }
    .unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes on a blocking thread: argon2 is deliberately slow and must not stall the runtime.
pub async fn hash_password(mode: PasswordHashing, password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
        let salt = SaltString::generate(&mut OsRng);
        argon2(mode)
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ApiError::internal(format!("hashing failed: {e}")))
    })
    .await
    .map_err(ApiError::internal)?
}

/// Verifies on a blocking thread. The parameters come from the stored hash, so hashes made with
/// other costs (tests, older settings) still verify.
pub async fn verify_password(hash: String, password: String) -> bool {
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        PasswordHash::new(&hash)
            .map(|parsed| {
                argon2::Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so a log-in for an unknown address
/// takes as long as one for a known address.
pub async fn burn_time(mode: PasswordHashing) {
    let _ = hash_password(mode, "not-a-real-password".into()).await;
}

// ---------------------------------------------------------------------------------------------
// Access tokens

pub struct TokenKeys {
    encoding: jsonwebtoken::EncodingKey,
    decoding: jsonwebtoken::DecodingKey,
    /// Built once: HS256 only, `exp` and `sub` required, 5 s leeway.
    validation: jsonwebtoken::Validation,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    iat: i64,
    exp: i64,
    /// The user's session epoch when issued: "log out everywhere" and password changes bump it,
    /// which invalidates every outstanding access token at once.
    ep: i64,
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: jsonwebtoken::EncodingKey::from_secret(secret),
            decoding: jsonwebtoken::DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn issue(&self, user: &User, ttl: std::time::Duration) -> Result<String, ApiError> {
        let now = now_millis() / 1000;
        let claims = Claims {
            sub: user.id,
            iat: now,
            exp: now + ttl.as_secs() as i64,
            ep: user.session_epoch,
        };
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &self.encoding,
        )
        .map_err(ApiError::internal)
    }

    /// Validates signature (HS256 only: a token naming another algorithm, `none` included, is
    /// refused) and expiry; returns (user id, epoch).
    fn validate(&self, token: &str) -> Option<(Uuid, i64)> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|d| (d.claims.sub, d.claims.ep))
    }
}

/// Issues a new refresh-token family for a fresh log-in.
pub async fn new_refresh_family(state: &AppState, user_id: Uuid) -> Result<String, ApiError> {
    let token = random_token();
    let expires = now_millis() + state.config.refresh_token_ttl.as_millis() as i64;
    moim_store::accounts::insert_refresh(
        &state.db,
        user_id,
        Uuid::now_v7(),
        &hash_token(&token),
        expires,
    )
    .await?;
    Ok(token)
}

// ---------------------------------------------------------------------------------------------
// Sessions

/// Creates a web session and returns the `Set-Cookie` value.
pub async fn start_session(
    state: &AppState,
    user_id: Uuid,
    user_agent: &str,
) -> Result<String, ApiError> {
    let token = random_token();
    let ttl = state.config.session_ttl;
    moim_store::accounts::create_session(
        &state.db,
        user_id,
        &hash_token(&token),
        user_agent,
        now_millis() + ttl.as_millis() as i64,
    )
    .await?;
    Ok(session_cookie(state, &token, ttl.as_secs()))
}

pub fn session_cookie(state: &AppState, token: &str, max_age: u64) -> String {
    let secure = if state.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

pub fn clear_session_cookie(state: &AppState) -> String {
    session_cookie(state, "", 0)
}

/// A cookie's value from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Resolves the user of a request: bearer token first, then the session cookie. A request that
/// presents a bearer token is judged by it alone. Answers come from the read cache when it holds
/// them (see [`crate::cache`]: every write clears it); only verified users are cached.
pub async fn user_from_headers(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<User>, ApiError> {
    Ok(viewer_from_headers(state, headers).await?.map(|(u, _)| u))
}

/// [`user_from_headers`] plus the unread-notification count when the session query read it
/// (a session that was not in the read cache), for the page header.
pub async fn viewer_from_headers(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(User, Option<i64>)>, ApiError> {
    if let Some(token) = bearer(headers) {
        let Some((id, epoch)) = state.tokens.validate(token) else {
            return Err(ApiError::unauthorized("invalid_token"));
        };
        let user = match state.cache.user(id) {
            Some(u) => Some(u),
            None => {
                let ticket = state.cache.ticket();
                let u = moim_store::accounts::user_by_id(&state.db, id).await?;
                if let Some(u) = u.as_ref().filter(|u| u.is_verified()) {
                    state.cache.put_user(ticket, u.clone());
                }
                u
            }
        };
        return match user {
            Some(u) if u.session_epoch == epoch => Ok(Some((u, None))),
            _ => Err(ApiError::unauthorized("invalid_token")),
        };
    }
    if let Some(token) = cookie(headers, SESSION_COOKIE).filter(|t| !t.is_empty()) {
        let hash = hash_token(token);
        let now = now_millis();
        if let Some(u) = state
            .cache
            .session(&hash, now, moim_store::accounts::TOUCH_EVERY)
        {
            return Ok(Some((u, None)));
        }
        let ticket = state.cache.ticket();
        let idle = state.config.session_ttl.as_millis() as i64;
        let found = moim_store::accounts::session_lookup(&state.db, &hash, idle).await?;
        let Some(s) = found.filter(|s| s.user.is_verified()) else {
            return Ok(None);
        };
        let user = s.user.clone();
        state.cache.put_unread(ticket, user.id, s.unread);
        state.cache.put_session(
            ticket,
            &hash,
            crate::cache::CachedSession {
                user: s.user,
                last_seen_at: s.last_seen_at,
                expires_at: s.expires_at,
            },
        );
        return Ok(Some((user, Some(s.unread))));
    }
    Ok(None)
}

/// The authenticated user of an API request; 401 problem otherwise.
pub struct ApiUser(pub User);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match user_from_headers(state, &parts.headers).await? {
            Some(u) => Ok(ApiUser(u)),
            None => Err(ApiError::unauthorized("authentication_required")),
        }
    }
}

/// The client address for rate limits: the socket peer, or the first `X-Forwarded-For` hop when
/// the server is configured to trust its proxy.
pub fn client_ip(
    state: &AppState,
    parts_headers: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
) -> String {
    if state.config.trust_forwarded_for
        && let Some(ip) = parts_headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
    {
        return ip.trim().to_owned();
    }
    peer.map(|p| p.ip().to_string())
        .unwrap_or_else(|| "local".into())
}

/// The client address of a request, as an extractor.
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0);
        Ok(ClientIp(client_ip(state, &parts.headers, peer)))
    }
}

/// Counts a hit against a limit and refuses past it.
pub async fn rate_limit(
    state: &AppState,
    key: &str,
    (max, window): (i64, std::time::Duration),
) -> Result<(), ApiError> {
    let hits = moim_store::limits::hit(&state.db, key, window.as_millis() as i64).await?;
    if hits > max {
        metrics::counter!("moim_rate_limited_total").increment(1);
        return Err(ApiError::too_many(window));
    }
    Ok(())
}
