//! Course-post rules: field limits, the route (2–500 points, its haversine length is the
//! course's distance), the estimated time (a duration in minutes, 10 km/h when not given),
//! 1–3 images, themes, the 1–5 star rating and the ranking score. Pure, unit tested here.

use crate::FieldError;

pub const TITLE_MIN: usize = 3;
pub const TITLE_MAX: usize = 40;
pub const DESCRIPTION_MAX: usize = 2_000;
pub const ADDRESS_MAX: usize = 120;
pub const NOTE_MAX: usize = 40;
pub const IMAGES_MIN: usize = 1;
pub const IMAGES_MAX: usize = 3;
pub const ROUTE_MIN_POINTS: usize = 2;
pub const ROUTE_MAX_POINTS: usize = 500;
/// Longest estimated time accepted: two days.
pub const DURATION_MAX_MIN: i64 = 48 * 60;
/// How many courses the ranking strip shows.
pub const RANKING_SIZE: i64 = 3;

/// Course themes (the reference's 도시, 공원, 트랙, 강변, 산, 해변).
pub const THEMES: &[&str] = &["city", "park", "track", "river", "mountain", "beach"];

/// List orders: newest, best rated, most commented, most viewed, most bookmarked.
pub const SORTS: &[&str] = &["new", "rating", "comments", "views", "bookmarks"];

/// Title: 3–40 characters after trimming.
pub fn parse_title(raw: &str) -> Result<String, FieldError> {
    let t = raw.trim();
    let n = t.chars().count();
    if n < TITLE_MIN {
        return Err(FieldError::new("title", "too_short"));
    }
    if n > TITLE_MAX {
        return Err(FieldError::new("title", "too_long"));
    }
    if t.chars().any(char::is_control) {
        return Err(FieldError::new("title", "invalid_characters"));
    }
    Ok(t.to_owned())
}

/// A route: 2–500 points on Earth.
pub fn check_route(points: &[(f64, f64)]) -> Result<(), FieldError> {
    if points.len() < ROUTE_MIN_POINTS {
        return Err(FieldError::new("route", "too_few_points"));
    }
    if points.len() > ROUTE_MAX_POINTS {
        return Err(FieldError::new("route", "too_many_points"));
    }
    for (lat, lng) in points {
        crate::meetups::check_point("route", *lat, *lng)?;
    }
    Ok(())
}

/// The estimated time in minutes: the given one (1 min – 48 h), or the time at 10 km/h,
/// rounded up to whole minutes (15 km → 90 min), at least one minute.
pub fn duration_min(given: Option<i64>, distance_m: i64) -> Result<i64, FieldError> {
    match given {
        Some(m) if (1..=DURATION_MAX_MIN).contains(&m) => Ok(m),
        Some(_) => Err(FieldError::new("duration_min", "out_of_range")),
        None => Ok(((distance_m.max(0) * 60 + 9_999) / 10_000).max(1)),
    }
}

/// "1시간 30분" / "1 h 30 min" style parts: (hours, minutes).
pub fn hours_minutes(min: i64) -> (i64, i64) {
    (min / 60, min % 60)
}

/// 1–5 stars.
pub fn parse_stars(n: i64) -> Result<i64, FieldError> {
    if (1..=5).contains(&n) {
        Ok(n)
    } else {
        Err(FieldError::new("stars", "out_of_range"))
    }
}

/// The average in thousandths of a star (integer, so both backends sort it the same way).
pub fn average_milli(sum: i64, count: i64) -> i64 {
    if count <= 0 { 0 } else { sum * 1000 / count }
}

/// The average shown to one decimal, rounded half up: 4.25 → "4.3", none → "0.0".
pub fn average_text(sum: i64, count: i64) -> String {
    if count <= 0 {
        return "0.0".into();
    }
    let tenths = (sum * 10 * 2 + count) / (count * 2);
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// The ranking score of the reference (comments + average rating + views), in thousandths so
/// the average's fraction counts; bookmarks break ties in the query.
pub fn ranking_score(comments: i64, avg_milli: i64, views: i64) -> i64 {
    (comments + views) * 1000 + avg_milli
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn durations_default_to_ten_km_per_hour() {
        assert_eq!(duration_min(None, 15_000), Ok(90));
        assert_eq!(duration_min(None, 1), Ok(1));
        assert_eq!(duration_min(None, 0), Ok(1));
        assert_eq!(duration_min(Some(45), 15_000), Ok(45));
        assert!(duration_min(Some(0), 1).is_err());
        assert!(duration_min(Some(DURATION_MAX_MIN + 1), 1).is_err());
        assert_eq!(hours_minutes(90), (1, 30));
    }

    #[test]
    fn averages() {
        assert_eq!(average_text(0, 0), "0.0");
        assert_eq!(average_text(9, 2), "4.5");
        assert_eq!(average_text(13, 3), "4.3");
        assert_eq!(average_text(17, 4), "4.3"); // 4.25 rounds up
        assert_eq!(average_milli(13, 3), 4333);
        assert!(ranking_score(1, 0, 0) > ranking_score(0, 5000, 0) - 5000);
    }

    #[test]
    fn fields() {
        assert!(parse_title("ab").is_err());
        assert!(parse_title(&"가".repeat(41)).is_err());
        assert_eq!(parse_title(" 한강 코스 ").unwrap(), "한강 코스");
        assert!(parse_stars(0).is_err());
        assert!(parse_stars(6).is_err());
        assert_eq!(parse_stars(5), Ok(5));
        assert!(check_route(&[(37.0, 127.0)]).is_err());
        assert!(check_route(&[(37.0, 127.0), (95.0, 127.0)]).is_err());
        assert!(check_route(&[(37.0, 127.0), (37.1, 127.0)]).is_ok());
    }
}
