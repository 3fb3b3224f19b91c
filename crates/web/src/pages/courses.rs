//! Course pages: the list (sort tabs, region and theme filters, top-3 ranking, infinite
//! scroll), detail (route as coordinates with a `div.map` hook, bookmark and star rating over
//! htmx, comments), the form (create / edit, photos through the media upload), my courses and
//! my bookmarks.

use super::{FormErrors, PageCtx, page_error, redirect, render};
use crate::AppState;
use crate::api::courses::{CourseDto, CourseQuery, course_dto, list_page, ranking_region};
use crate::flows::courses::{self as flows, CourseInput};
use askama::Template;
use axum::extract::{Path, Query, RawForm, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use moim_core::comments::Object;
use moim_core::courses as rules;
use moim_store::courses as store;
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/courses", get(list).post(create))
        .route("/courses/new", get(new_form))
        .route("/courses/mine", get(mine))
        .route("/courses/bookmarks", get(bookmarks))
        .route("/courses/{id}", get(detail))
        .route("/courses/{id}/edit", get(edit_form).post(edit))
        .route("/courses/{id}/delete", post(delete))
        .route("/courses/{id}/bookmark", post(bookmark))
        .route("/courses/{id}/rating", post(rate))
}

/// `1시간 30분` / `1 h 30 min`.
pub fn duration_text(ctx: &PageCtx, min: i64) -> String {
    let (h, m) = rules::hours_minutes(min);
    let ko = ctx.t.lang() == "ko";
    match (h, m, ko) {
        (0, m, true) => format!("{m}분"),
        (h, 0, true) => format!("{h}시간"),
        (h, m, true) => format!("{h}시간 {m}분"),
        (0, m, false) => format!("{m} min"),
        (h, 0, false) => format!("{h} h"),
        (h, m, false) => format!("{h} h {m} min"),
    }
}

/// `5.2 km`.
pub fn km(m: i64) -> String {
    format!("{}.{} km", m / 1000, (m % 1000) / 100)
}

// --- list -----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "courses/list.html")]
struct ListPage<'a> {
    ctx: &'a PageCtx,
    items: Vec<CourseDto>,
    ranking: Vec<CourseDto>,
    next: Option<String>,
    base: String,
    sort: String,
    region: String,
    theme: String,
    error: Option<String>,
    themes: &'static [&'static str],
    sorts: &'static [&'static str],
}

#[derive(Template)]
#[template(path = "courses/_cards.html")]
struct Cards<'a> {
    ctx: &'a PageCtx,
    items: Vec<CourseDto>,
    next: Option<String>,
    base: String,
    path: &'static str,
}

impl ListPage<'_> {
    /// The list URL with one parameter changed (sort tabs keep the filters).
    fn with_sort(&self, sort: &str) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("sort", sort)
            .append_pair("region", &self.region)
            .append_pair("theme", &self.theme)
            .finish()
    }
}

impl Cards<'_> {
    fn km(&self, m: &i64) -> String {
        km(*m)
    }
    fn duration(&self, m: &i64) -> String {
        duration_text(self.ctx, *m)
    }
}

impl ListPage<'_> {
    fn km(&self, m: &i64) -> String {
        km(*m)
    }
    fn duration(&self, m: &i64) -> String {
        duration_text(self.ctx, *m)
    }
}

fn query_of(raw: &str) -> CourseQuery {
    let mut q = CourseQuery::default();
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        let v = Some(v.into_owned());
        match k.as_ref() {
            "region" => q.region = v,
            "theme" => q.theme = v,
            "sort" => q.sort = v,
            "cursor" => q.cursor = v,
            _ => {}
        }
    }
    q
}

fn base_of(raw: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form_urlencoded::parse(raw.as_bytes()).filter(|(k, _)| k != "cursor"))
        .finish()
}

/// A client error of a list as a sentence; other errors as `Err`.
fn list_error(ctx: &PageCtx, e: crate::error::ApiError) -> Result<String, crate::error::ApiError> {
    if e.status.is_client_error() {
        Ok(match e.errors.first() {
            Some(f) => crate::i18n::field_message(ctx.lang(), &f.field, &f.code),
            None => crate::i18n::error_message(ctx.lang(), e.code),
        })
    } else {
        Err(e)
    }
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Response {
    let raw = raw.unwrap_or_default();
    let q = query_of(&raw);
    let base = base_of(&raw);
    let viewer = ctx.user.as_ref().map(|u| u.id);
    let (items, next, error) = match list_page(&state, &q, viewer).await {
        Ok((rows, next)) => (
            rows.iter().map(|c| course_dto(c, false, 0)).collect(),
            next,
            None,
        ),
        Err(e) => match list_error(&ctx, e) {
            Ok(msg) => (Vec::new(), None, Some(msg)),
            Err(e) => return page_error(&ctx, e),
        },
    };
    if ctx.htmx && q.cursor.is_some() {
        return render(
            StatusCode::OK,
            &Cards {
                ctx: &ctx,
                items,
                next,
                base,
                path: "/courses",
            },
        );
    }
    // The ranking follows the region filter, else the viewer's preferred region.
    let region = crate::api::courses::parse_region(&q.region).ok();
    let ranking_for = match region {
        Some(r) if r > 0 => r,
        _ => ok_or_page!(ctx, ranking_region(&state, &None, viewer).await),
    };
    let ranking = ok_or_page!(
        ctx,
        store::ranking(&state.db, ranking_for, rules::RANKING_SIZE).await
    );
    render(
        StatusCode::OK,
        &ListPage {
            ctx: &ctx,
            items,
            ranking: ranking.iter().map(|c| course_dto(c, false, 0)).collect(),
            next,
            base,
            sort: q.sort.clone().unwrap_or_else(|| "new".into()),
            region: q.region.clone().unwrap_or_default(),
            theme: q.theme.clone().unwrap_or_default(),
            error,
            themes: rules::THEMES,
            sorts: rules::SORTS,
        },
    )
}

// --- mine / bookmarks -----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "courses/mine.html")]
struct MinePage<'a> {
    ctx: &'a PageCtx,
    title_key: &'static str,
    empty_key: &'static str,
    items: Vec<CourseDto>,
    next: Option<String>,
    base: String,
    path: &'static str,
}

impl MinePage<'_> {
    fn km(&self, m: &i64) -> String {
        km(*m)
    }
    fn duration(&self, m: &i64) -> String {
        duration_text(self.ctx, *m)
    }
}

async fn own_list(state: AppState, ctx: PageCtx, raw: Option<String>, bookmarks: bool) -> Response {
    user_or_return!(ctx);
    let raw = raw.unwrap_or_default();
    let mut q = query_of(&raw);
    q.region = None;
    q.theme = None;
    if bookmarks {
        q.bookmarked = Some("true".into());
    } else {
        q.author = Some("me".into());
    }
    let viewer = ctx.user.as_ref().map(|u| u.id);
    let (rows, next) = ok_or_page!(ctx, list_page(&state, &q, viewer).await);
    let items: Vec<CourseDto> = rows.iter().map(|c| course_dto(c, bookmarks, 0)).collect();
    let path = if bookmarks {
        "/courses/bookmarks"
    } else {
        "/courses/mine"
    };
    let base = base_of(&raw);
    if ctx.htmx && q.cursor.is_some() {
        return render(
            StatusCode::OK,
            &Cards {
                ctx: &ctx,
                items,
                next,
                base,
                path,
            },
        );
    }
    render(
        StatusCode::OK,
        &MinePage {
            ctx: &ctx,
            title_key: if bookmarks {
                "courses.bookmarks"
            } else {
                "courses.mine"
            },
            empty_key: if bookmarks {
                "courses.bookmarks_empty"
            } else {
                "courses.mine_empty"
            },
            items,
            next,
            base,
            path,
        },
    )
}

async fn mine(
    State(state): State<AppState>,
    ctx: PageCtx,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Response {
    own_list(state, ctx, raw, false).await
}

async fn bookmarks(
    State(state): State<AppState>,
    ctx: PageCtx,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Response {
    own_list(state, ctx, raw, true).await
}

// --- detail ---------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "courses/detail.html")]
struct DetailPage<'a> {
    ctx: &'a PageCtx,
    c: CourseDto,
    is_author: bool,
    /// `[[lat,lng],...]` for the map's `data-route`.
    points_json: String,
    /// The map tile URL template (empty: no map, the points as text only).
    tiles: String,
    share_url: String,
    image: Option<String>,
    notice: Option<String>,
    thread: super::comments::Thread,
}

impl DetailPage<'_> {
    fn km(&self, m: &i64) -> String {
        km(*m)
    }
    fn duration(&self, m: &i64) -> String {
        duration_text(self.ctx, *m)
    }
}

#[derive(Template)]
#[template(path = "courses/_bookmark.html")]
struct BookmarkFragment<'a> {
    ctx: &'a PageCtx,
    c: CourseDto,
}

#[derive(Template)]
#[template(path = "courses/_rating.html")]
struct RatingFragment<'a> {
    ctx: &'a PageCtx,
    c: CourseDto,
}

#[derive(Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

const NOTICES: &[&str] = &[
    "courses.notice.created",
    "courses.notice.saved",
    "courses.notice.rated",
];

async fn detail(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return super::error_page(&ctx, StatusCode::NOT_FOUND);
    };
    let viewer = ctx.user.as_ref().map(|u| u.id);
    let (course, bookmarked, stars) = ok_or_page!(ctx, flows::open(&state, id, viewer).await);
    let thread = ok_or_page!(
        ctx,
        super::comments::thread(&state, &ctx, Object::Course, id).await
    );
    let c = course_dto(&course, bookmarked, stars);
    let points_json = serde_json::to_string(&c.route).unwrap_or_else(|_| "[]".into());
    render(
        StatusCode::OK,
        &DetailPage {
            is_author: viewer == Some(course.author_id),
            points_json,
            tiles: state.config.map_tiles.clone(),
            share_url: state.config.url(&format!("/courses/{id}")),
            image: Some(match c.images.first() {
                Some(i) => state.config.url(&i.medium),
                None => state
                    .config
                    .url(&super::meetups::theme_picture_png(&c.theme)),
            }),
            notice: ctx.notice(q.notice, NOTICES),
            thread,
            c,
            ctx: &ctx,
        },
    )
}

#[derive(Deserialize)]
struct BookmarkForm {
    #[serde(default)]
    on: String,
}

async fn bookmark(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    axum::Form(f): axum::Form<BookmarkForm>,
) -> Response {
    let uid = user_or_return!(ctx);
    ok_or_page!(ctx, flows::bookmark(&state, id, uid, f.on == "1").await);
    if !ctx.htmx {
        return redirect(&ctx, &format!("/courses/{id}"));
    }
    let c = ok_or_page!(ctx, flows::access(&state, id).await);
    let (b, r) = ok_or_page!(ctx, store::mine(&state.db, id, uid).await);
    render(
        StatusCode::OK,
        &BookmarkFragment {
            c: course_dto(&c, b, r),
            ctx: &ctx,
        },
    )
}

#[derive(Deserialize)]
struct RatingForm {
    #[serde(default)]
    stars: String,
}

async fn rate(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    axum::Form(f): axum::Form<RatingForm>,
) -> Response {
    let uid = user_or_return!(ctx);
    let stars = f.stars.trim().parse::<i64>().unwrap_or(0);
    ok_or_page!(ctx, flows::rate(&state, id, uid, stars).await);
    if !ctx.htmx {
        return redirect(&ctx, &format!("/courses/{id}?notice=courses.notice.rated"));
    }
    let c = ok_or_page!(ctx, flows::access(&state, id).await);
    let (b, r) = ok_or_page!(ctx, store::mine(&state.db, id, uid).await);
    render(
        StatusCode::OK,
        &RatingFragment {
            c: course_dto(&c, b, r),
            ctx: &ctx,
        },
    )
}

async fn delete(State(state): State<AppState>, ctx: PageCtx, Path(id): Path<Uuid>) -> Response {
    let uid = user_or_return!(ctx);
    ok_or_page!(ctx, flows::delete(&state, id, uid).await);
    redirect(&ctx, "/courses/mine")
}

// --- form -----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "courses/form.html")]
struct FormPage<'a> {
    ctx: &'a PageCtx,
    /// `None` = new course.
    id: Option<Uuid>,
    v: CourseInput,
    route_text: String,
    duration_text: String,
    errors: FormErrors,
    themes: &'static [&'static str],
    /// The map tile URL template of the route editor (empty: the textarea only).
    tiles: String,
}

impl FormPage<'_> {
    /// The n-th image URL, or empty.
    fn image(&self, n: &usize) -> &str {
        self.v.images.get(*n).map_or("", String::as_str)
    }
}

fn route_text(points: &[(f64, f64)]) -> String {
    points
        .iter()
        .map(|(a, b)| format!("{a},{b}"))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn new_form(State(state): State<AppState>, ctx: PageCtx) -> Response {
    user_or_return!(ctx);
    render(
        StatusCode::OK,
        &FormPage {
            ctx: &ctx,
            id: None,
            v: CourseInput::default(),
            route_text: String::new(),
            duration_text: String::new(),
            errors: FormErrors::default(),
            themes: rules::THEMES,
            tiles: state.config.map_tiles.clone(),
        },
    )
}

async fn edit_form(State(state): State<AppState>, ctx: PageCtx, Path(id): Path<Uuid>) -> Response {
    let uid = user_or_return!(ctx);
    let c = ok_or_page!(ctx, flows::access(&state, id).await);
    if c.author_id != uid {
        return page_error(&ctx, crate::error::ApiError::forbidden("author_only"));
    }
    let v = CourseInput::from_course(&c);
    render(
        StatusCode::OK,
        &FormPage {
            ctx: &ctx,
            id: Some(id),
            route_text: route_text(&v.route),
            duration_text: c.duration_min.to_string(),
            v,
            errors: FormErrors::default(),
            themes: rules::THEMES,
            tiles: state.config.map_tiles.clone(),
        },
    )
}

/// Route points typed or drawn as `lat,lng` per line; `None` when a line is not a pair.
fn parse_route(text: &str) -> Option<Vec<(f64, f64)>> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (a, b) = l.split_once(',')?;
            Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
        })
        .collect()
}

/// The form's fields: (input, route text, duration text, errors found while reading).
fn read_form(raw: &[u8]) -> (CourseInput, String, String, Vec<moim_core::FieldError>) {
    let mut v = CourseInput::default();
    let mut route = String::new();
    let mut duration = String::new();
    for (k, val) in form_urlencoded::parse(raw) {
        let val = val.into_owned();
        match k.as_ref() {
            "title" => v.title = val,
            "description" => v.description = val,
            "address" => v.address = val,
            "route" => route = val,
            "duration_min" => duration = val,
            "theme" => v.theme = val,
            "image" if !val.trim().is_empty() => v.images.push(val),
            "parking" => v.parking = val,
            "baggage" => v.baggage = val,
            _ => {}
        }
    }
    let mut errs = Vec::new();
    match parse_route(&route) {
        Some(p) => v.route = p,
        None => errs.push(moim_core::FieldError::new("route", "invalid_coordinates")),
    }
    if !duration.trim().is_empty() {
        match duration.trim().parse::<i64>() {
            Ok(n) => v.duration_min = Some(n),
            Err(_) => errs.push(moim_core::FieldError::new("duration_min", "out_of_range")),
        }
    }
    (v, route, duration, errs)
}

async fn save(state: AppState, ctx: PageCtx, id: Option<Uuid>, raw: &[u8]) -> Response {
    let uid = user_or_return!(ctx);
    let (v, route_text, duration_text, errs) = read_form(raw);
    let result = if errs.is_empty() {
        match id {
            None => flows::create(&state, uid, &v).await,
            Some(id) => flows::update(&state, id, uid, &v).await,
        }
    } else {
        Err(crate::error::ApiError::fields(errs))
    };
    match result {
        Ok(c) => redirect(
            &ctx,
            &format!(
                "/courses/{}?notice=courses.notice.{}",
                c.id,
                if id.is_some() { "saved" } else { "created" }
            ),
        ),
        Err(e)
            if e.status.is_client_error()
                && e.status != StatusCode::UNAUTHORIZED
                && e.status != StatusCode::FORBIDDEN
                && e.status != StatusCode::NOT_FOUND =>
        {
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &FormPage {
                    errors: FormErrors::from_api(&e, ctx.lang()),
                    ctx: &ctx,
                    id,
                    v,
                    route_text,
                    duration_text,
                    themes: rules::THEMES,
                    tiles: state.config.map_tiles.clone(),
                },
            )
        }
        Err(e) => page_error(&ctx, e),
    }
}

async fn create(State(state): State<AppState>, ctx: PageCtx, RawForm(raw): RawForm) -> Response {
    save(state, ctx, None, &raw).await
}

async fn edit(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    RawForm(raw): RawForm,
) -> Response {
    save(state, ctx, Some(id), &raw).await
}

/// The newest course posts, for the home pages (the reference's main page shows the latest 6).
pub async fn latest(
    state: &AppState,
    limit: i64,
) -> Result<Vec<CourseDto>, crate::error::ApiError> {
    let rows = moim_store::courses::list(
        &state.db,
        &moim_store::courses::Filter::default(),
        moim_store::courses::Sort::New,
        None,
        limit,
    )
    .await?;
    Ok(rows.iter().map(|c| course_dto(c, false, 0)).collect())
}

pub const STRINGS: crate::i18n::Strings = &[
    ("courses.title", "코스 추천", "Courses"),
    ("courses.latest", "새로 올라온 코스", "New courses"),
    ("courses.latest.all", "코스 추천 보기", "All courses"),
    (
        "courses.lead",
        "함께 달리고 걷기 좋은 코스를 나눠요.",
        "Routes worth running or walking, shared by people nearby.",
    ),
    ("courses.new", "코스 올리기", "Share a course"),
    ("courses.edit", "코스 수정", "Edit the course"),
    ("courses.mine", "내 코스", "My courses"),
    ("courses.bookmarks", "북마크한 코스", "Bookmarked courses"),
    (
        "courses.mine_empty",
        "아직 올린 코스가 없어요.",
        "You haven't shared a course yet.",
    ),
    (
        "courses.bookmarks_empty",
        "아직 북마크한 코스가 없어요.",
        "No bookmarks yet.",
    ),
    (
        "courses.empty",
        "조건에 맞는 코스가 없어요.",
        "No courses match.",
    ),
    ("courses.ranking", "인기 코스 TOP 3", "Top 3 courses"),
    ("courses.sort", "정렬", "Sort"),
    ("courses.sort.new", "최신순", "Newest"),
    ("courses.sort.rating", "별점순", "Best rated"),
    ("courses.sort.comments", "댓글순", "Most comments"),
    ("courses.sort.views", "조회순", "Most viewed"),
    ("courses.sort.bookmarks", "북마크순", "Most bookmarked"),
    ("courses.region", "지역", "Region"),
    ("courses.region.all", "전국", "Everywhere"),
    ("courses.theme", "테마", "Theme"),
    ("courses.theme.all", "모든 테마", "All themes"),
    ("courses.filter", "적용", "Apply"),
    ("courses.more", "더 보기", "Load more"),
    ("courses.distance", "거리", "Distance"),
    ("courses.duration", "예상 시간", "Estimated time"),
    ("courses.address", "출발 위치", "Start address"),
    ("courses.author", "작성자", "Posted by"),
    ("courses.views", "조회", "Views"),
    ("courses.route", "경로", "Route"),
    (
        "courses.map_fallback",
        "경로 좌표 (지도를 불러오지 못해도 볼 수 있어요)",
        "Route points (readable even when the map does not load)",
    ),
    ("courses.bookmark", "북마크", "Bookmark"),
    ("courses.bookmarked", "북마크됨", "Bookmarked"),
    ("courses.rating", "별점", "Rating"),
    ("courses.raters", "명 참여", "ratings"),
    ("courses.my_rating", "내 별점", "My rating"),
    ("courses.rate", "별점 주기", "Rate"),
    ("courses.star", "점", "stars"),
    ("courses.delete", "삭제", "Delete"),
    (
        "courses.delete_confirm",
        "이 코스를 삭제할까요? 댓글과 북마크도 함께 사라져요.",
        "Delete this course? Its comments and bookmarks go too.",
    ),
    ("courses.share", "공유 링크", "Share link"),
    (
        "courses.title_field",
        "제목 (3–40자)",
        "Title (3–40 characters)",
    ),
    ("courses.description", "코스 소개", "About the course"),
    (
        "courses.route_points",
        "경로 좌표 (한 줄에 위도,경도, 2개 이상)",
        "Route points (one lat,lng per line, at least 2)",
    ),
    (
        "courses.route_hint",
        "거리는 경로로 자동 계산돼요.",
        "The distance is computed from the route.",
    ),
    (
        "courses.duration_field",
        "예상 시간 (분, 비우면 시속 10km 기준)",
        "Estimated minutes (empty = at 10 km/h)",
    ),
    ("courses.photos", "사진 (1–3장)", "Photos (1–3)"),
    ("courses.photo", "사진 올리기", "Add a photo"),
    ("courses.photo.uploading", "올리는 중…", "Uploading…"),
    ("courses.photo.done", "사진을 올렸어요.", "Photo added."),
    (
        "courses.photo.failed",
        "사진을 올리지 못했어요.",
        "The photo could not be uploaded.",
    ),
    (
        "courses.photo.full",
        "사진은 3장까지예요.",
        "Up to 3 photos.",
    ),
    ("courses.image_url", "사진 URL", "Photo URL"),
    ("courses.parking", "주차", "Parking"),
    ("courses.baggage", "짐 보관", "Baggage"),
    ("courses.submit", "코스 올리기", "Share it"),
    ("courses.save", "저장", "Save"),
    (
        "courses.notice.created",
        "코스를 올렸어요.",
        "Your course is up.",
    ),
    ("courses.notice.saved", "코스를 저장했어요.", "Saved."),
    (
        "courses.notice.rated",
        "별점을 남겼어요.",
        "Thanks for rating.",
    ),
];
