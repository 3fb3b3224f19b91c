//! Groups (모임): fields, roles, what each role may do, capacity and the D-day.

use crate::FieldError;
use jiff::civil::Date;

pub const NAME_MAX: usize = 30;
pub const DESCRIPTION_MAX: usize = 1000;
pub const PLEDGE_MAX: usize = 100;
pub const CAPACITY_MIN: i32 = 2;
pub const CAPACITY_MAX: i32 = 1000;
pub const DEFAULT_CAPACITY: i32 = 20;
/// How long a disbanded group stays restorable before it is deleted.
pub const DISBAND_GRACE_MS: i64 = 3 * crate::time::DAY;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident, $field:literal, $code:literal { $($variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
            pub fn parse(raw: &str) -> Result<Self, FieldError> {
                match raw.trim() {
                    $($s => Ok($name::$variant),)+
                    _ => Err(FieldError::new($field, $code)),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// What a group is about; drives the icon and the browse filter.
    Category, "category", "unknown_category" {
        Study = "study", Exercise = "exercise", Running = "running", Reading = "reading",
        Hobby = "hobby", Work = "work", Volunteer = "volunteer", Other = "other",
    }
);

string_enum!(
    /// Private groups are seen only by members; public ones can be found and previewed.
    Visibility, "visibility", "unknown_visibility" { Private = "private", Public = "public" }
);

string_enum!(
    /// How people get in: with the invite code or link, freely, or after a manager approves.
    JoinPolicy, "join_policy", "unknown_join_policy" {
        Invite = "invite", Open = "open", Approval = "approval",
    }
);

string_enum!(
    /// A member's role. Exactly one owner per group; managers help run it.
    Role, "role", "unknown_role" { Owner = "owner", Manager = "manager", Member = "member" }
);

impl Role {
    /// Edit settings, rotate the invite code, approve join requests, remove members.
    pub fn can_manage(self) -> bool {
        matches!(self, Role::Owner | Role::Manager)
    }
    /// Change roles, transfer ownership, disband.
    pub fn is_owner(self) -> bool {
        self == Role::Owner
    }
    /// Whether `self` may remove a member holding `target`: owners remove anyone but themselves,
    /// managers remove plain members only.
    pub fn can_remove(self, target: Role) -> bool {
        match self {
            Role::Owner => target != Role::Owner,
            Role::Manager => target == Role::Member,
            Role::Member => false,
        }
    }
    /// Sort order on the members page.
    pub fn rank(self) -> u8 {
        match self {
            Role::Owner => 0,
            Role::Manager => 1,
            Role::Member => 2,
        }
    }
}

pub fn parse_name(raw: &str) -> Result<String, FieldError> {
    crate::accounts::parse_text("name", raw, NAME_MAX, true)
}

pub fn parse_capacity(raw: i64) -> Result<i32, FieldError> {
    if raw < CAPACITY_MIN as i64 {
        return Err(FieldError::new("capacity", "too_small"));
    }
    if raw > CAPACITY_MAX as i64 {
        return Err(FieldError::new("capacity", "too_large"));
    }
    Ok(raw as i32)
}

/// An optional `YYYY-MM-DD` date.
pub fn parse_date(field: &'static str, raw: &str) -> Result<Option<Date>, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<Date>()
        .map(Some)
        .map_err(|_| FieldError::new(field, "invalid_date"))
}

/// Start and end must be in order when both are given.
pub fn check_period(start: Option<Date>, end: Option<Date>) -> Result<(), FieldError> {
    match (start, end) {
        (Some(s), Some(e)) if e < s => Err(FieldError::new("ends_on", "before_start")),
        _ => Ok(()),
    }
}

/// The D-day label of a group on `today`: counting down to the start, then up ("D+n") while it
/// runs, and "ended" after the end date. `None` when the group has no dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DDay {
    /// Days until the start (D-3). D-0 is the start day itself.
    Until(i32),
    /// Day number since the start, the start day being day 1 (as Korean group apps count).
    Running(i32),
    /// Days left until the end (inclusive of today), when the group has an end date.
    Ended,
}

pub fn d_day(today: Date, start: Option<Date>, end: Option<Date>) -> Option<DDay> {
    if let Some(e) = end
        && today > e
    {
        return Some(DDay::Ended);
    }
    match start {
        Some(s) if today < s => Some(DDay::Until(days_between(today, s))),
        Some(s) => Some(DDay::Running(days_between(s, today) + 1)),
        None => end.map(|e| DDay::Until(days_between(today, e))),
    }
}

fn days_between(a: Date, b: Date) -> i32 {
    a.until(b).map(|span| span.get_days()).unwrap_or(0)
}

/// Whether a group with `members` of `capacity` has room.
pub fn has_room(members: i32, capacity: i32) -> bool {
    members < capacity
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn roles() {
        assert!(Role::Owner.can_remove(Role::Manager));
        assert!(!Role::Owner.can_remove(Role::Owner));
        assert!(Role::Manager.can_remove(Role::Member));
        assert!(!Role::Manager.can_remove(Role::Manager));
        assert!(!Role::Member.can_remove(Role::Member));
        assert_eq!(Role::parse("manager").unwrap(), Role::Manager);
        assert!(Role::parse("admin").is_err());
    }

    #[test]
    fn d_day_counts() {
        let s = date(2026, 12, 1);
        let e = date(2026, 12, 31);
        assert_eq!(
            d_day(date(2026, 11, 28), Some(s), Some(e)),
            Some(DDay::Until(3))
        );
        assert_eq!(d_day(s, Some(s), Some(e)), Some(DDay::Running(1)));
        assert_eq!(
            d_day(date(2026, 12, 10), Some(s), Some(e)),
            Some(DDay::Running(10))
        );
        assert_eq!(d_day(date(2027, 1, 1), Some(s), Some(e)), Some(DDay::Ended));
        assert_eq!(
            d_day(date(2026, 12, 29), None, Some(e)),
            Some(DDay::Until(2))
        );
        assert_eq!(d_day(s, None, None), None);
        assert!(check_period(Some(e), Some(s)).is_err());
    }

    #[test]
    fn capacity_bounds() {
        assert!(parse_capacity(1).is_err());
        assert!(parse_capacity(1001).is_err());
        assert_eq!(parse_capacity(10).unwrap(), 10);
        assert!(has_room(9, 10));
        assert!(!has_room(10, 10));
    }
}
