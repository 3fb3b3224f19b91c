//! Comment rules shared by every object that takes comments (meetups, course posts): the body
//! limit and the objects comments can hang on. Replies are one level deep, as in the
//! reference: a reply to a reply joins the same thread under the top-level comment.

use crate::FieldError;

pub const BODY_MAX: usize = 1_000;

/// The same person posting the same text on the same post again within this long is refused (a double submit,
/// a paste repeated in a hurry); the reference keeps a "just posted" flag for 10 seconds.
pub const REPEAT_WINDOW: crate::time::Millis = 10_000;

/// What a comment can be about. The string is stored and appears in URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object {
    Meetup,
    Course,
}

impl Object {
    pub fn as_str(self) -> &'static str {
        match self {
            Object::Meetup => "meetup",
            Object::Course => "course",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "meetup" | "meetups" => Some(Object::Meetup),
            "course" | "courses" => Some(Object::Course),
            _ => None,
        }
    }
}

/// A comment body: 1–1000 characters after trimming, no control characters but newlines.
pub fn parse_body(raw: &str) -> Result<String, FieldError> {
    crate::accounts::parse_text("body", raw, BODY_MAX, true)
}

/// The first `n` characters of a body, for notifications.
pub fn excerpt(body: &str, n: usize) -> String {
    let one_line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= n {
        one_line
    } else {
        let mut s: String = one_line.chars().take(n).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bodies_and_excerpts() {
        assert!(parse_body("   ").is_err());
        assert!(parse_body(&"a".repeat(1001)).is_err());
        assert_eq!(parse_body(" 좋아요\n정말 ").unwrap(), "좋아요\n정말");
        assert_eq!(excerpt("a\n b", 10), "a b");
        assert_eq!(excerpt("가나다라마", 3), "가나다…");
        assert_eq!(Object::parse("courses"), Some(Object::Course));
        assert_eq!(Object::parse("x"), None);
    }
}
