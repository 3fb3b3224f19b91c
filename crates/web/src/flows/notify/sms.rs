//! SMS through a provider adapter: the log provider (the default: the message goes to the log,
//! like the mail outbox) or an HTTP provider (`MOIM_SMS_URL` + `MOIM_SMS_KEY`) that receives
//! `POST {"to": "+8210…", "text": "…"}` as JSON with `Authorization: Bearer <key>`.
//!
//! Numbers are stored in E.164 after [`parse_phone`]; Korean mobile numbers may be typed the
//! local way (`010-1234-5678`).

use std::time::Duration;

/// Where SMS go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsProvider {
    /// Written to the log at `info` (nothing leaves the machine).
    Log,
    /// An HTTP gateway.
    Http { url: String, key: String },
}

impl SmsProvider {
    /// The provider the configuration asks for: HTTP when a URL is set, else the log.
    pub fn from_config(url: Option<&str>, key: Option<&str>) -> Self {
        match url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => Self::Http {
                url: url.to_owned(),
                key: key.unwrap_or_default().trim().to_owned(),
            },
            None => Self::Log,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Log => "log",
            Self::Http { .. } => "http",
        }
    }
}

/// Why a message did not go out; `permanent` ones are not retried (the provider refused it).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SmsError {
    pub message: String,
    pub permanent: bool,
}

/// Sends one text message.
pub async fn send(
    provider: &SmsProvider,
    to: &str,
    text: &str,
    timeout: Duration,
) -> Result<(), SmsError> {
    match provider {
        SmsProvider::Log => {
            tracing::info!(to, text, "SMS (log provider)");
            Ok(())
        }
        SmsProvider::Http { url, key } => {
            let body = serde_json::json!({ "to": to, "text": text }).to_string();
            let mut headers = vec![("Content-Type", "application/json".to_owned())];
            if !key.is_empty() {
                headers.push(("Authorization", format!("Bearer {key}")));
            }
            let reply = super::http::post(url, &headers, body.as_bytes(), timeout)
                .await
                .map_err(|e| SmsError {
                    message: e.0,
                    permanent: false,
                })?;
            match reply.status {
                200..=299 => Ok(()),
                // Throttled or the provider's own trouble: try again later.
                408 | 429 | 500..=599 => Err(SmsError {
                    message: format!("SMS provider answered {}: {}", reply.status, reply.body),
                    permanent: false,
                }),
                s => Err(SmsError {
                    message: format!("SMS provider refused the message ({s}): {}", reply.body),
                    permanent: true,
                }),
            }
        }
    }
}

/// A phone number typed by a user, as E.164 (`+` and 8–15 digits). Spaces, dashes, dots and
/// brackets are ignored; a Korean mobile number starting with `01` becomes `+821…`.
pub fn parse_phone(input: &str) -> Option<String> {
    let s: String = input
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = if let Some(rest) = s.strip_prefix('+') {
        rest.to_owned()
    } else if let Some(rest) = s.strip_prefix("00") {
        rest.to_owned()
    } else if s.starts_with("01") && (s.len() == 10 || s.len() == 11) {
        format!("82{}", &s[1..])
    } else {
        return None;
    };
    let ok = (8..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0');
    ok.then(|| format!("+{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_stored_in_e164() {
        assert_eq!(
            parse_phone("010-1234-5678").as_deref(),
            Some("+821012345678")
        );
        assert_eq!(
            parse_phone(" +82 10 1234 5678 ").as_deref(),
            Some("+821012345678")
        );
        assert_eq!(
            parse_phone("+1 (415) 555-0100").as_deref(),
            Some("+14155550100")
        );
        assert_eq!(
            parse_phone("0044 20 7946 0000").as_deref(),
            Some("+442079460000")
        );
        for bad in [
            "",
            "12345",
            "+0123456789",
            "+82 10 abcd 5678",
            "+1234567890123456",
            "02-123-4567",
        ] {
            assert_eq!(parse_phone(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_provider_follows_the_configuration() {
        assert_eq!(SmsProvider::from_config(None, Some("k")), SmsProvider::Log);
        assert_eq!(SmsProvider::from_config(Some(" "), None), SmsProvider::Log);
        assert_eq!(
            SmsProvider::from_config(Some("https://sms.example/send"), Some("k")),
            SmsProvider::Http {
                url: "https://sms.example/send".into(),
                key: "k".into()
            }
        );
    }
}
