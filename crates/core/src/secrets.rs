//! Secrets we hand out and the hashes we keep.
//!
//! Session tokens, refresh tokens, reset tokens and invite codes are random; only a SHA-256 of a
//! token is stored, so a leaked database cannot be replayed as sessions. The tokens carry 256 bits
//! of entropy, so a fast hash is enough (no password stretching needed).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// A URL-safe random token with 256 bits of entropy.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A six-digit e-mail verification code, uniformly drawn (leading zeros kept).
pub fn verification_code() -> String {
    use rand::Rng as _;
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// Invite codes: 8 characters from an alphabet without look-alikes (0/O, 1/I/L), easy to read out
/// loud or type from a phone. 31^8 ≈ 8.5e11 codes; joining is rate-limited, so guessing is useless.
pub fn invite_code() -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..8)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Constant-time comparison for secrets held in memory (CSRF tokens, codes).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_the_documented_shape() {
        for _ in 0..200 {
            let c = verification_code();
            assert_eq!(c.len(), 6);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
            let i = invite_code();
            assert_eq!(i.len(), 8);
            assert!(!i.contains(['0', 'O', '1', 'I', 'L']));
        }
        assert_ne!(random_token(), random_token());
        assert_eq!(hash_token("a"), hash_token("a"));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
