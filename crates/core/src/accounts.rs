//! Account fields, parsed once at the edge so the rest of the code can trust them.

use crate::FieldError;

pub const DEFAULT_TIME_ZONE: &str = "Asia/Seoul";

/// A lower-cased, trimmed e-mail address. Uniqueness is case-insensitive because the same person
/// types `Kim@Example.com` and `kim@example.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().to_lowercase();
        let err = FieldError::new("email", "invalid_email");
        if s.is_empty() {
            return Err(FieldError::new("email", "required"));
        }
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err);
        }
        let (local, domain) = s.rsplit_once('@').ok_or(err.clone())?;
        if local.is_empty()
            || local.len() > 64
            || local.contains('@')
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with(['.', '-'])
            || domain.ends_with(['.', '-'])
            || domain.contains("..")
            || !domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
        {
            return Err(err);
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A nickname: 2–20 characters (Unicode scalar values, so 한글 counts one per syllable), letters,
/// digits, `_`, `-` and `.`, no spaces. Uniqueness is case-insensitive and enforced by the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nickname(String);

impl Nickname {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let n = s.chars().count();
        if n == 0 {
            return Err(FieldError::new("nickname", "required"));
        }
        if n < 2 {
            return Err(FieldError::new("nickname", "too_short"));
        }
        if n > 20 {
            return Err(FieldError::new("nickname", "too_long"));
        }
        if !s
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err(FieldError::new("nickname", "invalid_characters"));
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The key the unique index is built on.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// The most common passwords of public breach lists; a password on it is refused whatever its
/// length. Compared case-insensitively.
const COMMON_PASSWORDS: &[&str] = &[
    "12345678",
    "123456789",
    "1234567890",
    "password",
    "password1",
    "password12",
    "password123",
    "qwerty123",
    "qwertyuiop",
    "11111111",
    "00000000",
    "88888888",
    "87654321",
    "12341234",
    "iloveyou",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "qwer1234",
    "asdf1234",
    "zxcv1234",
    "abcd1234",
    "abc12345",
    "abcdefgh",
    "a1234567",
    "aa123456",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "superman",
    "starwars",
    "whatever",
    "trustno1",
    "welcome1",
    "passw0rd",
    "p@ssw0rd",
    "1qaz2wsx",
    "qazwsxedc",
    "letmein1",
    "12qwaszx",
    "q1w2e3r4",
    "q1w2e3r4t5",
    "11223344",
    "1234qwer",
    "qwerasdf",
    "asdfasdf",
    "qwertyui",
    "zaq12wsx",
    "dragon12",
    "monkey12",
    "loveyou1",
    "sarang12",
    "saranghae",
    "gkswlsdud",
    "ekdrmsdl",
    "wkdrmsdl",
];

/// A password that meets the policy: 8–128 characters and not a common password.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let n = raw.chars().count();
        if n == 0 {
            return Err(FieldError::new("password", "required"));
        }
        if n < 8 {
            return Err(FieldError::new("password", "too_short"));
        }
        if n > 128 {
            return Err(FieldError::new("password", "too_long"));
        }
        let lower = raw.to_lowercase();
        if COMMON_PASSWORDS.contains(&lower.as_str()) || lower.chars().all(|c| lower.starts_with(c))
        {
            return Err(FieldError::new("password", "too_common"));
        }
        Ok(Self(raw.to_owned()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// UI languages. Korean is the default; English by choice or from `Accept-Language`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    Ko,
    En,
}

impl Locale {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "ko" | "ko-kr" => Ok(Self::Ko),
            "en" | "en-us" | "en-gb" => Ok(Self::En),
            _ => Err(FieldError::new("locale", "unsupported_locale")),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ko => "ko",
            Self::En => "en",
        }
    }
    /// Picks the best supported language from an `Accept-Language` header, honouring q-values.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut best: Option<(f32, Self)> = None;
        for part in header.split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let loc = match primary {
                "ko" => Self::Ko,
                "en" => Self::En,
                _ => continue,
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, loc));
            }
        }
        best.map(|(_, l)| l)
    }
}

/// A valid IANA time-zone name.
pub fn parse_time_zone(raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 64 || jiff::tz::TimeZone::get(s).is_err() {
        return Err(FieldError::new("time_zone", "unknown_time_zone"));
    }
    Ok(s.to_owned())
}

/// Free text with a length limit in characters; trims and refuses control characters other than
/// newlines and tabs.
pub fn parse_text(
    field: &'static str,
    raw: &str,
    max_chars: usize,
    required: bool,
) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() && required {
        return Err(FieldError::new(field, "required"));
    }
    if s.chars().count() > max_chars {
        return Err(FieldError::new(field, "too_long"));
    }
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(FieldError::new(field, "invalid_characters"));
    }
    Ok(s.to_owned())
}

/// An optional http(s) URL, or the path of one of our own uploads (`/media/<sha256>/<variant>`).
pub fn parse_url(field: &'static str, raw: &str) -> Result<Option<String>, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Some(rest) = s.strip_prefix("/media/")
        && let Some((hash, variant)) = rest.split_once('/')
        && hash.len() == 64
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
        && matches!(variant, "w384" | "w758" | "full")
    {
        return Ok(Some(s.to_owned()));
    }
    let ok = (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() <= 500
        && s.len() > "https://".len()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>');
    if ok {
        Ok(Some(s.to_owned()))
    } else {
        Err(FieldError::new(field, "invalid_url"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Kim@Example.COM ").unwrap().as_str(),
            "kim@example.com"
        );
        for bad in [
            "",
            "kim",
            "kim@",
            "@x.com",
            "a@b",
            "a b@c.com",
            "a@-x.com",
            "a@x..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn nicknames() {
        assert!(Nickname::parse("김민수").is_ok());
        assert!(Nickname::parse("mina_k").is_ok());
        assert_eq!(Nickname::parse("a").unwrap_err().code, "too_short");
        assert_eq!(
            Nickname::parse(&"가".repeat(21)).unwrap_err().code,
            "too_long"
        );
        assert_eq!(
            Nickname::parse("<script>").unwrap_err().code,
            "invalid_characters"
        );
        assert_eq!(Nickname::parse("Mina").unwrap().key(), "mina");
    }

    #[test]
    fn passwords() {
        assert_eq!(Password::parse("short").unwrap_err().code, "too_short");
        assert_eq!(
            Password::parse("Password123").unwrap_err().code,
            "too_common"
        );
        assert_eq!(
            Password::parse("aaaaaaaaaa").unwrap_err().code,
            "too_common"
        );
        assert!(Password::parse("correct horse battery").is_ok());
        assert_eq!(
            format!("{:?}", Password::parse("correct horse").unwrap()),
            "Password(***)"
        );
    }

    #[test]
    fn accept_language() {
        assert_eq!(
            Locale::from_accept_language("en-US,en;q=0.9,ko;q=0.8"),
            Some(Locale::En)
        );
        assert_eq!(
            Locale::from_accept_language("fr;q=1, ko-KR;q=0.5, en;q=0.3"),
            Some(Locale::Ko)
        );
        assert_eq!(Locale::from_accept_language("fr"), None);
    }

    #[test]
    fn zones_and_urls() {
        assert!(parse_time_zone("Europe/Berlin").is_ok());
        assert!(parse_time_zone("Mars/Olympus").is_err());
        assert_eq!(parse_url("avatar", "").unwrap(), None);
        assert!(parse_url("avatar", "javascript:alert(1)").is_err());
        assert!(
            parse_url("avatar", "https://x.test/a.png")
                .unwrap()
                .is_some()
        );
    }

    proptest! {
        #[test]
        fn parsed_emails_are_normalised(local in "[a-z0-9._%+-]{1,20}", domain in "[a-z0-9]{1,10}\\.[a-z]{2,5}") {
            let raw = format!(" {}@{} ", local.to_uppercase(), domain);
            let e = Email::parse(&raw).unwrap();
            prop_assert_eq!(e.as_str(), format!("{local}@{domain}"));
        }

        #[test]
        fn nickname_length_rule(s in "\\PC{0,30}") {
            let n = s.trim().chars().count();
            if let Ok(nick) = Nickname::parse(&s) {
                prop_assert!((2..=20).contains(&n));
                prop_assert!(!nick.as_str().contains(char::is_whitespace));
            }
        }
    }
}
