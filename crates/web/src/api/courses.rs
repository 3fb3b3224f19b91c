//! `/api/v1/courses*`: course posts, bookmarks, star ratings, the list with five sort orders
//! and a region filter, and the top-3 ranking. Lists work signed out; writes need a user.

use super::meetups::{ImageDto, MaybeUser};
use super::{ApiJson, ApiPath, ApiQuery, created};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::flows::courses::{self as flows, CourseInput};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use moim_core::courses as rules;
use moim_core::time::timestamp;
use moim_store::courses::{self as store, Course, Filter, ListCursor, Sort};
use moim_store::groups::Cursor;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_courses, create_course))
        .routes(routes!(ranking))
        .routes(routes!(get_course, update_course, delete_course))
        .routes(routes!(add_bookmark, remove_bookmark))
        .routes(routes!(get_rating, rate_course))
}

#[derive(Serialize, ToSchema)]
pub struct CourseDto {
    pub id: Uuid,
    pub author_id: Uuid,
    pub author_nickname: String,
    pub title: String,
    pub description: String,
    pub address: String,
    /// 1–9 from the address (0 = unknown).
    pub region: i64,
    /// `[[lat, lng], ...]`
    pub route: Vec<[f64; 2]>,
    /// The route's length, computed by the server (haversine).
    pub distance_m: i64,
    /// Estimated time in minutes.
    pub duration_min: i64,
    pub theme: String,
    pub images: Vec<ImageDto>,
    pub parking: String,
    pub baggage: String,
    pub bookmark_count: i64,
    /// Average stars to one decimal, e.g. "4.3" ("0.0" before the first rating).
    pub rating_average: String,
    pub rating_count: i64,
    pub view_count: i64,
    pub comment_count: i64,
    /// The caller's bookmark (false when signed out).
    pub bookmarked: bool,
    /// The caller's stars, 0 when none.
    pub my_rating: i64,
    pub created_at: String,
    pub updated_at: String,
}

pub fn course_dto(c: &Course, bookmarked: bool, my_rating: i64) -> CourseDto {
    CourseDto {
        id: c.id,
        author_id: c.author_id,
        author_nickname: c.author_nickname.clone(),
        title: c.title.clone(),
        description: c.description.clone(),
        address: c.address.clone(),
        region: c.region,
        route: flows::route_points(&c.route)
            .into_iter()
            .map(|(a, b)| [a, b])
            .collect(),
        distance_m: c.distance_m,
        duration_min: c.duration_min,
        theme: c.theme.clone(),
        images: flows::image_hashes(c)
            .map(|h| ImageDto {
                small: crate::media::url(h, "w384"),
                medium: crate::media::url(h, "w758"),
                full: crate::media::url(h, "full"),
            })
            .collect(),
        parking: c.parking.clone(),
        baggage: c.baggage.clone(),
        bookmark_count: c.bookmark_count,
        rating_average: rules::average_text(c.rating_sum, c.rating_count),
        rating_count: c.rating_count,
        view_count: c.view_count,
        comment_count: c.comment_count,
        bookmarked,
        my_rating,
        created_at: timestamp(c.created_at).to_string(),
        updated_at: timestamp(c.updated_at).to_string(),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseBody {
    /// 3–40 characters.
    pub title: String,
    /// Required, up to 2000 characters.
    pub description: String,
    /// Start address; its first word gives the region.
    pub address: String,
    /// `[[lat, lng], ...]`, 2–500 points; the distance is computed from it.
    pub route: Vec<[f64; 2]>,
    /// Estimated minutes (1–2880); omitted = at 10 km/h.
    #[serde(default)]
    pub duration_min: Option<i64>,
    /// city, park, track, river, mountain, beach
    pub theme: String,
    /// 1–3 URLs returned by `POST /media`.
    pub images: Vec<String>,
    /// Up to 40 characters each.
    #[serde(default)]
    pub parking: String,
    #[serde(default)]
    pub baggage: String,
}

impl From<CourseBody> for CourseInput {
    fn from(b: CourseBody) -> Self {
        CourseInput {
            title: b.title,
            description: b.description,
            address: b.address,
            route: b.route.into_iter().map(|[a, c]| (a, c)).collect(),
            duration_min: b.duration_min,
            theme: b.theme,
            images: b.images,
            parking: b.parking,
            baggage: b.baggage,
        }
    }
}

/// Post a course.
#[utoipa::path(post, path = "/courses", tag = "courses", security(("bearer" = [])), request_body = CourseBody,
    responses((status = 201, body = CourseDto), (status = 422, body = Problem)))]
async fn create_course(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(b): ApiJson<CourseBody>,
) -> ApiResult<Response> {
    let c = flows::create(&state, user.id, &b.into()).await?;
    Ok(created(course_dto(&c, false, 0)))
}

/// A course. A signed-in caller's first open counts one view.
#[utoipa::path(get, path = "/courses/{id}", tag = "courses", params(("id" = Uuid, Path)),
    responses((status = 200, body = CourseDto), (status = 404, body = Problem)))]
async fn get_course(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<CourseDto>> {
    let (c, b, r) = flows::open(&state, id, user.map(|u| u.id)).await?;
    Ok(Json(course_dto(&c, b, r)))
}

/// Edit (author only).
#[utoipa::path(patch, path = "/courses/{id}", tag = "courses", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = CourseBody,
    responses((status = 200, body = CourseDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_course(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<CourseBody>,
) -> ApiResult<Json<CourseDto>> {
    let c = flows::update(&state, id, user.id, &b.into()).await?;
    let (bm, r) = store::mine(&state.db, id, user.id).await?;
    Ok(Json(course_dto(&c, bm, r)))
}

/// Delete (author only), with its bookmarks, ratings and comments.
#[utoipa::path(delete, path = "/courses/{id}", tag = "courses", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_course(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    flows::delete(&state, id, user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct BookmarkDto {
    pub bookmarked: bool,
    pub bookmark_count: i64,
}

/// Bookmark (idempotent: a second PUT changes nothing).
#[utoipa::path(put, path = "/courses/{id}/bookmark", tag = "courses", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = BookmarkDto), (status = 404, body = Problem)))]
async fn add_bookmark(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<BookmarkDto>> {
    let n = flows::bookmark(&state, id, user.id, true).await?;
    Ok(Json(BookmarkDto {
        bookmarked: true,
        bookmark_count: n,
    }))
}

/// Remove my bookmark (idempotent).
#[utoipa::path(delete, path = "/courses/{id}/bookmark", tag = "courses", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = BookmarkDto), (status = 404, body = Problem)))]
async fn remove_bookmark(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<BookmarkDto>> {
    let n = flows::bookmark(&state, id, user.id, false).await?;
    Ok(Json(BookmarkDto {
        bookmarked: false,
        bookmark_count: n,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct RatingDto {
    /// To one decimal, e.g. "4.3".
    pub average: String,
    pub raters: i64,
    /// The caller's stars, 0 when none.
    pub mine: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StarsBody {
    /// 1–5.
    pub stars: i64,
}

/// Rate 1–5 stars; rating again changes my rating.
#[utoipa::path(put, path = "/courses/{id}/rating", tag = "courses", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = StarsBody,
    responses((status = 200, body = RatingDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn rate_course(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<StarsBody>,
) -> ApiResult<Json<RatingDto>> {
    let (sum, count) = flows::rate(&state, id, user.id, b.stars).await?;
    Ok(Json(RatingDto {
        average: rules::average_text(sum, count),
        raters: count,
        mine: b.stars,
    }))
}

/// The average, the number of raters and my rating.
#[utoipa::path(get, path = "/courses/{id}/rating", tag = "courses", params(("id" = Uuid, Path)),
    responses((status = 200, body = RatingDto), (status = 404, body = Problem)))]
async fn get_rating(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<RatingDto>> {
    let c = flows::access(&state, id).await?;
    let mine = match user {
        Some(u) => store::mine(&state.db, id, u.id).await?.1,
        None => 0,
    };
    Ok(Json(RatingDto {
        average: rules::average_text(c.rating_sum, c.rating_count),
        raters: c.rating_count,
        mine,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct CoursePage {
    pub items: Vec<CourseDto>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams, Default, Clone)]
#[serde(default)]
pub struct CourseQuery {
    /// Region 1–9; 0 or empty = everywhere.
    pub region: Option<String>,
    /// One theme: city, park, track, river, mountain, beach.
    pub theme: Option<String>,
    /// new (default), rating, comments, views or bookmarks.
    pub sort: Option<String>,
    /// Only this user's courses (`me` = mine).
    pub author: Option<String>,
    /// `true`: only the courses I bookmarked (signed in).
    pub bookmarked: Option<String>,
    pub cursor: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<String>,
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Region 0–9 (0 = everywhere); anything else is a field error.
pub fn parse_region(s: &Option<String>) -> Result<i64, ApiError> {
    match nonempty(s) {
        None => Ok(0),
        Some(v) => match v.parse::<i64>() {
            Ok(n @ 0..=9) => Ok(n),
            _ => Err(ApiError::field("region", "invalid_value")),
        },
    }
}

/// Parses the query into a store filter; every value is checked, nothing reaches SQL as text.
pub fn parse_query(q: &CourseQuery, viewer: Option<Uuid>) -> Result<(Filter, Sort, i64), ApiError> {
    let mut f = Filter {
        region: parse_region(&q.region)?,
        ..Filter::default()
    };
    if let Some(t) = nonempty(&q.theme) {
        f.theme = moim_core::meetups::parse_choice("theme", t, rules::THEMES)?.to_owned();
    }
    if let Some(a) = nonempty(&q.author) {
        f.author = Some(if a == "me" {
            viewer.ok_or_else(|| ApiError::unauthorized("authentication_required"))?
        } else {
            a.parse()
                .map_err(|_| ApiError::field("author", "invalid_value"))?
        });
    }
    match nonempty(&q.bookmarked) {
        None | Some("false") | Some("0") => {}
        Some("true") | Some("1") => {
            f.bookmarked_by =
                Some(viewer.ok_or_else(|| ApiError::unauthorized("authentication_required"))?);
        }
        Some(_) => return Err(ApiError::field("bookmarked", "invalid_value")),
    }
    let sort = match nonempty(&q.sort) {
        None => Sort::New,
        Some(s) => Sort::parse(s).ok_or_else(|| ApiError::field("sort", "invalid_value"))?,
    };
    let limit = match nonempty(&q.limit) {
        None => 20,
        Some(s) => match s.parse::<i64>() {
            Ok(n @ 1..=100) => n,
            _ => return Err(ApiError::field("limit", "out_of_range")),
        },
    };
    Ok((f, sort, limit))
}

/// One page of the list with the cursor of the next.
pub async fn list_page(
    state: &AppState,
    q: &CourseQuery,
    viewer: Option<Uuid>,
) -> Result<(Vec<Course>, Option<String>), ApiError> {
    let (f, sort, limit) = parse_query(q, viewer)?;
    let after = crate::flows::decode_cursor(q.cursor.as_deref())?.map(|c| ListCursor {
        key: c.at,
        id: c.id,
    });
    let rows = store::list(&state.db, &f, sort, after, limit + 1).await?;
    Ok(crate::flows::split_page(rows, limit, |c| Cursor {
        at: sort.key(c),
        id: c.id,
    }))
}

/// Courses: region and theme filters, sorted by new / rating / comments / views / bookmarks
/// (sorted before paging), cursor-paginated. `author=me` and `bookmarked=true` give "my
/// courses" and "my bookmarks".
#[utoipa::path(get, path = "/courses", tag = "courses", params(CourseQuery),
    responses((status = 200, body = CoursePage), (status = 400, body = Problem), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn list_courses(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ApiQuery(q): ApiQuery<CourseQuery>,
) -> ApiResult<Json<CoursePage>> {
    let (rows, next_cursor) = list_page(&state, &q, user.map(|u| u.id)).await?;
    Ok(Json(CoursePage {
        items: rows.iter().map(|c| course_dto(c, false, 0)).collect(),
        next_cursor,
    }))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct RankingQuery {
    /// Region 1–9, 0 = everywhere. Omitted: a signed-in caller's preferred region, else all.
    pub region: Option<String>,
}

/// The region a ranking is for: the asked one, else the caller's preferred region.
pub async fn ranking_region(
    state: &AppState,
    region: &Option<String>,
    viewer: Option<Uuid>,
) -> Result<i64, ApiError> {
    if nonempty(region).is_some() {
        return parse_region(region);
    }
    Ok(match viewer {
        Some(u) => moim_store::meetups::preferences(&state.db, u).await?.0,
        None => 0,
    })
}

/// The top 3 by comments + average rating + views (the reference's score); for a signed-in
/// caller within their preferred region unless `region` says otherwise.
#[utoipa::path(get, path = "/courses/ranking", tag = "courses", params(RankingQuery),
    responses((status = 200, body = [CourseDto]), (status = 422, body = Problem)))]
async fn ranking(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ApiQuery(q): ApiQuery<RankingQuery>,
) -> ApiResult<Json<Vec<CourseDto>>> {
    let region = ranking_region(&state, &q.region, user.map(|u| u.id)).await?;
    let rows = store::ranking(&state.db, region, rules::RANKING_SIZE).await?;
    Ok(Json(rows.iter().map(|c| course_dto(c, false, 0)).collect()))
}
