//! moim's pure domain: values parsed at the edge, rules and state machines.
//!
//! Nothing here knows about HTTP, SQL or the async runtime, so every rule can be unit- and
//! property-tested on its own and reused by the web layer, the store and the job runner.
//!
//! # Layout
//! - [`accounts`]: e-mail, nickname, password policy, profile fields, locales and time zones.
//! - [`groups`]: group fields, roles and what each role may do, capacity, D-day.
//! - [`rosters`]: a group's roster setup and its mapping onto the roster engine's model.
//! - [`secrets`]: random tokens, verification codes, and the hashes we store instead of them.
//! - [`time`]: the clock as milliseconds since the epoch, the unit every table uses.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod groups;
pub mod meetups;
pub mod rosters;
pub mod secrets;
pub mod time;

/// A value that failed to parse, with the field it belongs to and a stable code.
///
/// The web layer turns these into field-level problem details (`errors[].field`, `errors[].code`),
/// so the codes are part of the public API and must not change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {code}")]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
}

impl FieldError {
    pub const fn new(field: &'static str, code: &'static str) -> Self {
        Self { field, code }
    }
}
