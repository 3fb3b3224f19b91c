//! Use cases shared by the JSON API and the pages. Each takes parsed-or-raw input, applies the
//! `moim_core` rules, calls `moim_store`, and fails with an [`ApiError`] that the API renders as
//! problem+json and the pages render as messages next to the fields.

pub mod accounts;
pub mod comments;
pub mod courses;
pub mod groups;
pub mod meetups;
pub mod notify;
pub mod rosters;

use crate::error::ApiError;
use moim_core::FieldError;

/// Collects every field error of a form instead of stopping at the first, so the user fixes
/// everything in one round trip.
#[derive(Default)]
pub struct Validator(Vec<FieldError>);

impl Validator {
    pub fn check<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::fields(self.0))
        }
    }
}

/// Unwraps a value the validator vouched for; only reached after `finish()` returned Ok.
pub(crate) fn checked<T>(v: Option<T>) -> Result<T, ApiError> {
    v.ok_or_else(|| ApiError::internal("validated value missing"))
}

/// Encodes a list position as an opaque string for `next_cursor`.
pub fn encode_cursor(c: moim_store::groups::Cursor) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}:{}", c.at, c.id))
}

pub fn decode_cursor(s: Option<&str>) -> Result<Option<moim_store::groups::Cursor>, ApiError> {
    use base64::Engine as _;
    let Some(s) = s.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::bad_request(
            "invalid_cursor",
            "the cursor is not one this server gave out",
        )
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let (at, id) = raw.split_once(':').ok_or_else(bad)?;
    Ok(Some(moim_store::groups::Cursor {
        at: at.parse().map_err(|_| bad())?,
        id: id.parse().map_err(|_| bad())?,
    }))
}

/// Cuts a page fetched with `limit + 1` rows down to `limit` and returns it with the cursor of
/// the next page (`None` on the last page). Every list endpoint pages this way.
pub fn split_page<T>(
    mut rows: Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> moim_store::groups::Cursor,
) -> (Vec<T>, Option<String>) {
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next = if more {
        rows.last().map(|r| encode_cursor(key(r)))
    } else {
        None
    };
    (rows, next)
}
