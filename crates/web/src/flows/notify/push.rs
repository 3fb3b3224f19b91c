//! Web Push: VAPID keys (RFC 8292), message encryption (RFC 8291, `aes128gcm` of RFC 8188) and
//! the delivery job, all on `ring` (already in the tree for TLS), so no extra crypto crates.
//!
//! - **Keys.** One P-256 signing key per installation, generated on first start and stored in
//!   `settings` (`vapid_pkcs8`), so every instance sharing the database signs with the same key
//!   and browsers' subscriptions stay valid across restarts.
//! - **Sending.** One request per subscription: a fresh ephemeral ECDH key and salt per message,
//!   one record (the payload is small JSON), `TTL` one day. A 404/410 answer means the browser
//!   unsubscribed: the subscription is deleted. Other failures retry the job.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::KeyPair as _;
use ring::{aead, agreement, hmac, signature};

/// The installation's VAPID key pair.
pub struct Vapid {
    key: signature::EcdsaKeyPair,
    rng: SystemRandom,
}

impl std::fmt::Debug for Vapid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vapid")
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

/// A push error that says whether the subscription is gone for good.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("the subscription is gone (HTTP {0})")]
    Gone(u16),
    #[error("the push service refused the message (HTTP {0}): {1}")]
    Refused(u16, String),
    #[error("bad subscription: {0}")]
    BadSubscription(&'static str),
    #[error("{0}")]
    Transport(String),
}

const ALG: &signature::EcdsaSigningAlgorithm = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;

impl Vapid {
    /// A new random key pair as PKCS#8 (base64url), the form stored in `settings`.
    pub fn generate_pkcs8() -> String {
        let rng = SystemRandom::new();
        match signature::EcdsaKeyPair::generate_pkcs8(ALG, &rng) {
            Ok(doc) => B64.encode(doc.as_ref()),
            Err(_) => String::new(), // only if the OS has no randomness; `from_pkcs8` then fails
        }
    }

    pub fn from_pkcs8(b64: &str) -> Result<Self, &'static str> {
        let der = B64
            .decode(b64.trim())
            .map_err(|_| "VAPID key is not base64url")?;
        let rng = SystemRandom::new();
        let key = signature::EcdsaKeyPair::from_pkcs8(ALG, &der, &rng)
            .map_err(|_| "VAPID key is not a P-256 PKCS#8 key")?;
        Ok(Self { key, rng })
    }

    /// The public key browsers pass as `applicationServerKey`: base64url of the 65-byte point.
    pub fn public_key(&self) -> String {
        B64.encode(self.key.public_key().as_ref())
    }

    /// The `Authorization: vapid t=…, k=…` value for a push to `endpoint` (RFC 8292): an ES256
    /// JWT whose audience is the endpoint's origin, valid 12 hours.
    pub fn authorization(
        &self,
        endpoint: &str,
        subject: &str,
        now_secs: i64,
    ) -> Result<String, PushError> {
        let uri: axum::http::Uri = endpoint
            .parse()
            .map_err(|_| PushError::BadSubscription("endpoint is not a URL"))?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(PushError::BadSubscription(
                "endpoint is not an absolute URL",
            ));
        };
        let aud = format!("{scheme}://{authority}");
        let header = B64.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = B64.encode(
            serde_json::json!({ "aud": aud, "exp": now_secs + 12 * 3600, "sub": subject })
                .to_string(),
        );
        let signing_input = format!("{header}.{claims}");
        let sig = self
            .key
            .sign(&self.rng, signing_input.as_bytes())
            .map_err(|_| PushError::Transport("signing failed".into()))?;
        Ok(format!(
            "vapid t={signing_input}.{}, k={}",
            B64.encode(sig.as_ref()),
            self.public_key()
        ))
    }
}

fn hmac256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&key);
    for p in parts {
        ctx.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

/// The largest payload that fits one 4096-byte record (RFC 8291 §4: push services must accept
/// at least 4096 bytes of body; header 86 bytes, tag 16, delimiter 1).
pub const MAX_PAYLOAD: usize = 4096 - 86 - 16 - 1;

/// Encrypts `plaintext` for a subscription (`p256dh`, `auth` as the browser gave them): the
/// `aes128gcm` body of RFC 8291 with a fresh ephemeral key and salt.
pub fn encrypt(p256dh: &str, auth: &str, plaintext: &[u8]) -> Result<Vec<u8>, PushError> {
    let ua_public = B64
        .decode(p256dh.trim_end_matches('='))
        .map_err(|_| PushError::BadSubscription("p256dh is not base64url"))?;
    let auth = B64
        .decode(auth.trim_end_matches('='))
        .map_err(|_| PushError::BadSubscription("auth is not base64url"))?;
    if ua_public.len() != 65 || ua_public[0] != 4 {
        return Err(PushError::BadSubscription(
            "p256dh is not an uncompressed P-256 point",
        ));
    }
    if auth.len() != 16 {
        return Err(PushError::BadSubscription("auth is not 16 bytes"));
    }
    if plaintext.len() > MAX_PAYLOAD {
        return Err(PushError::Transport("payload too large".into()));
    }
    let rng = SystemRandom::new();
    let fail = |_| PushError::Transport("crypto failure".into());
    let as_private =
        agreement::EphemeralPrivateKey::generate(&agreement::ECDH_P256, &rng).map_err(fail)?;
    let as_public = as_private.compute_public_key().map_err(fail)?;
    let mut salt = [0u8; 16];
    rng.fill(&mut salt).map_err(fail)?;
    let peer = agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, &ua_public);
    let ecdh = agreement::agree_ephemeral(as_private, &peer, |s| s.to_vec())
        .map_err(|_| PushError::BadSubscription("p256dh is not a point on P-256"))?;
    seal(
        &ecdh,
        &auth,
        &ua_public,
        as_public.as_ref(),
        &salt,
        plaintext,
    )
}

/// The deterministic part of [`encrypt`] (RFC 8291 §3.4 and RFC 8188 §2), given the ECDH
/// secret and salt; separate so it can be checked against the RFC's example.
pub fn seal(
    ecdh_secret: &[u8],
    auth: &[u8],
    ua_public: &[u8],
    as_public: &[u8],
    salt: &[u8; 16],
    plaintext: &[u8],
) -> Result<Vec<u8>, PushError> {
    // IKM = HKDF(auth, ecdh, "WebPush: info" 0x00 ua_public as_public, 32)
    let prk_key = hmac256(auth, &[ecdh_secret]);
    let ikm = hmac256(&prk_key, &[b"WebPush: info\0", ua_public, as_public, &[1]]);
    // CEK and nonce from HKDF(salt, IKM, ...)
    let prk = hmac256(salt, &[&ikm]);
    let cek = hmac256(&prk, &[b"Content-Encoding: aes128gcm\0", &[1]]);
    let nonce = hmac256(&prk, &[b"Content-Encoding: nonce\0", &[1]]);
    let fail = |_| PushError::Transport("crypto failure".into());
    let key = aead::LessSafeKey::new(
        aead::UnboundKey::new(&aead::AES_128_GCM, &cek[..16]).map_err(fail)?,
    );
    let mut n12 = [0u8; 12];
    n12.copy_from_slice(&nonce[..12]);
    let mut record = Vec::with_capacity(plaintext.len() + 17);
    record.extend_from_slice(plaintext);
    record.push(2); // the last (and only) record's delimiter
    key.seal_in_place_append_tag(
        aead::Nonce::assume_unique_for_key(n12),
        aead::Aad::empty(),
        &mut record,
    )
    .map_err(fail)?;
    let mut out = Vec::with_capacity(86 + record.len());
    out.extend_from_slice(salt);
    out.extend_from_slice(&4096u32.to_be_bytes());
    out.push(
        u8::try_from(as_public.len())
            .map_err(|_| PushError::Transport("key id too long".into()))?,
    );
    out.extend_from_slice(as_public);
    out.extend_from_slice(&record);
    Ok(out)
}

/// Sends one encrypted message to one subscription.
pub async fn send(
    vapid: &Vapid,
    subject: &str,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
    payload: &[u8],
    timeout: std::time::Duration,
) -> Result<(), PushError> {
    let body = encrypt(p256dh, auth, payload)?;
    let now = moim_core::time::now_millis() / 1000;
    let headers = [
        (
            "Authorization",
            vapid.authorization(endpoint, subject, now)?,
        ),
        ("Content-Encoding", "aes128gcm".to_owned()),
        ("Content-Type", "application/octet-stream".to_owned()),
        ("TTL", "86400".to_owned()),
        ("Urgency", "normal".to_owned()),
    ];
    let reply = super::http::post(endpoint, &headers, &body, timeout)
        .await
        .map_err(|e| PushError::Transport(e.0))?;
    match reply.status {
        200..=299 => Ok(()),
        404 | 410 => Err(PushError::Gone(reply.status)),
        s => Err(PushError::Refused(s, reply.body)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8291 Appendix A: the example message, from the ECDH secret, auth secret, keys and
    /// salt it lists, encrypts to exactly the body it lists.
    #[test]
    fn the_rfc_8291_example_encrypts_byte_for_byte() {
        let d = |s: &str| B64.decode(s).expect("b64");
        let ua_public = d(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        );
        let as_public = d(
            "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8",
        );
        let ecdh = d("kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs");
        let auth = d("BTBZMqHH6r4Tts7J_aSIgg");
        let salt: [u8; 16] = d("DGv6ra1nlYgDCS1FRnbzlw").try_into().expect("16 bytes");
        let body = seal(
            &ecdh,
            &auth,
            &ua_public,
            &as_public,
            &salt,
            b"When I grow up, I want to be a watermelon",
        )
        .expect("seal");
        assert_eq!(
            B64.encode(body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
    }

    #[test]
    fn bad_subscriptions_are_refused_before_sending() {
        let good_auth = B64.encode([7u8; 16]);
        assert!(matches!(
            encrypt("AAAA", &good_auth, b"x"),
            Err(PushError::BadSubscription(_))
        ));
        let point = B64.encode([4u8; 65]);
        assert!(matches!(
            encrypt(&point, &good_auth, b"x"),
            Err(PushError::BadSubscription(_))
        ));
    }
}
