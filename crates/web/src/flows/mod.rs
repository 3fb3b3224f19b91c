//! Use cases shared by the JSON API and the pages. Each takes parsed-or-raw input, applies the
//! `moim_core` rules, calls `moim_store`, and fails with an [`ApiError`] that the API renders as
//! problem+json and the pages render as messages next to the fields.

pub mod accounts;
pub mod groups;

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
