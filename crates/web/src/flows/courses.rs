//! Course-post use cases: create, edit and delete (author only), bookmarks, star ratings and
//! views. Every decision starts from the course row loaded by [`access`]; who is acting always
//! comes from the session, never from the request body.

use super::{Validator, checked};
use crate::AppState;
use crate::error::ApiError;
use moim_core::FieldError;
use moim_core::accounts::parse_text;
use moim_core::courses::{self as rules};
use moim_core::time::now_millis;
use moim_store::courses::{self as store, Course, CourseFields};
use uuid::Uuid;

/// Raw course input, shared by the JSON body and the HTML form.
#[derive(Debug, Default, Clone)]
pub struct CourseInput {
    pub title: String,
    pub description: String,
    pub address: String,
    pub route: Vec<(f64, f64)>,
    /// Minutes; `None` = estimated at 10 km/h from the route.
    pub duration_min: Option<i64>,
    pub theme: String,
    /// Media URLs (`/media/<hash>/<variant>`) or hashes, 1–3.
    pub images: Vec<String>,
    pub parking: String,
    pub baggage: String,
}

fn parse_images(raw: &[String]) -> Result<Vec<String>, FieldError> {
    if raw.len() < rules::IMAGES_MIN {
        return Err(FieldError::new("images", "required"));
    }
    if raw.len() > rules::IMAGES_MAX {
        return Err(FieldError::new("images", "too_many"));
    }
    let mut out: Vec<String> = Vec::new();
    for s in raw {
        let s = s.trim();
        let hash = crate::media::hash_of_url(s).unwrap_or(s);
        if !crate::media::is_hash(hash) {
            return Err(FieldError::new("images", "invalid_image"));
        }
        if !out.iter().any(|h| h == hash) {
            out.push(hash.to_owned());
        }
    }
    Ok(out)
}

/// The route stored as JSON `[[lat, lng], ...]`.
pub fn route_points(json: &str) -> Vec<(f64, f64)> {
    crate::flows::meetups::route_points(json)
}

pub fn image_hashes(c: &Course) -> impl Iterator<Item = &str> {
    c.images.split(',').filter(|s| !s.is_empty())
}

impl CourseInput {
    pub fn from_course(c: &Course) -> Self {
        Self {
            title: c.title.clone(),
            description: c.description.clone(),
            address: c.address.clone(),
            route: route_points(&c.route),
            duration_min: Some(c.duration_min),
            theme: c.theme.clone(),
            images: image_hashes(c)
                .map(|h| crate::media::url(h, "w758"))
                .collect(),
            parking: c.parking.clone(),
            baggage: c.baggage.clone(),
        }
    }

    /// Parses every field, collecting all errors. The distance is the route's haversine length.
    pub fn parse(&self) -> Result<CourseFields, ApiError> {
        let mut v = Validator::default();
        let title = v.check(rules::parse_title(&self.title));
        let description = v.check(parse_text(
            "description",
            &self.description,
            rules::DESCRIPTION_MAX,
            true,
        ));
        let address = v.check(parse_text(
            "address",
            &self.address,
            rules::ADDRESS_MAX,
            true,
        ));
        let route = v.check(rules::check_route(&self.route));
        let distance_m = moim_core::meetups::route_length_m(&self.route);
        let duration = v.check(rules::duration_min(self.duration_min, distance_m));
        let theme = v.check(moim_core::meetups::parse_choice(
            "theme",
            &self.theme,
            rules::THEMES,
        ));
        let images = v.check(parse_images(&self.images));
        let parking = v.check(parse_text("parking", &self.parking, rules::NOTE_MAX, false));
        let baggage = v.check(parse_text("baggage", &self.baggage, rules::NOTE_MAX, false));
        v.finish()?;
        checked(route)?;
        let address = checked(address)?;
        let route_json =
            serde_json::to_string(&self.route.iter().map(|(a, b)| [*a, *b]).collect::<Vec<_>>())
                .map_err(ApiError::internal)?;
        Ok(CourseFields {
            title: checked(title)?,
            description: checked(description)?,
            region: moim_core::meetups::region_of(&address),
            address,
            route: route_json,
            distance_m,
            duration_min: checked(duration)?,
            theme: checked(theme)?.to_owned(),
            images: checked(images)?.join(","),
            parking: checked(parking)?,
            baggage: checked(baggage)?,
        })
    }
}

/// Loads a course (courses are public) or 404.
pub async fn access(state: &AppState, id: Uuid) -> Result<Course, ApiError> {
    store::get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("course_not_found"))
}

fn author(c: Course, viewer: Uuid) -> Result<Course, ApiError> {
    if c.author_id == viewer {
        Ok(c)
    } else {
        Err(ApiError::forbidden("author_only"))
    }
}

/// Checks the referenced uploads exist.
async fn check_images(state: &AppState, f: &CourseFields) -> Result<(), ApiError> {
    for h in f.images.split(',').filter(|s| !s.is_empty()) {
        if moim_store::media::get(&state.db, h).await?.is_none() {
            return Err(ApiError::field("images", "unknown_image"));
        }
    }
    Ok(())
}

pub async fn create(state: &AppState, by: Uuid, input: &CourseInput) -> Result<Course, ApiError> {
    let f = input.parse()?;
    check_images(state, &f).await?;
    Ok(store::create(&state.db, by, &f, now_millis()).await?)
}

pub async fn update(
    state: &AppState,
    id: Uuid,
    viewer: Uuid,
    input: &CourseInput,
) -> Result<Course, ApiError> {
    let c = author(access(state, id).await?, viewer)?;
    let f = input.parse()?;
    check_images(state, &f).await?;
    if !store::update(&state.db, c.id, &f, now_millis()).await? {
        return Err(ApiError::not_found("course_not_found"));
    }
    access(state, id).await
}

pub async fn delete(state: &AppState, id: Uuid, viewer: Uuid) -> Result<(), ApiError> {
    let c = author(access(state, id).await?, viewer)?;
    store::delete(&state.db, c.id).await?;
    Ok(())
}

/// The course as a viewer opens it: a signed-in viewer's first open counts one view. Returns
/// the course (with the view counted) and the viewer's (bookmarked, stars).
pub async fn open(
    state: &AppState,
    id: Uuid,
    viewer: Option<Uuid>,
) -> Result<(Course, bool, i64), ApiError> {
    let c = access(state, id).await?;
    let Some(u) = viewer else {
        return Ok((c, false, 0));
    };
    let c = if store::record_view(&state.db, id, u, now_millis()).await? {
        access(state, id).await?
    } else {
        c
    };
    let (bookmarked, stars) = store::mine(&state.db, id, u).await?;
    Ok((c, bookmarked, stars))
}

/// Sets or clears the viewer's bookmark; returns the course's bookmark count.
pub async fn bookmark(state: &AppState, id: Uuid, viewer: Uuid, on: bool) -> Result<i64, ApiError> {
    let c = access(state, id).await?;
    Ok(store::set_bookmark(&state.db, c.id, viewer, on, now_millis()).await?)
}

/// Rates 1–5 (again = change). Returns (sum, count).
pub async fn rate(
    state: &AppState,
    id: Uuid,
    viewer: Uuid,
    stars: i64,
) -> Result<(i64, i64), ApiError> {
    let stars = rules::parse_stars(stars)?;
    let c = access(state, id).await?;
    store::rate(&state.db, c.id, viewer, stars, now_millis())
        .await?
        .ok_or_else(|| ApiError::not_found("course_not_found"))
}
