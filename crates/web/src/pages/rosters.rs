//! Roster pages: the group's rosters and setup, one roster (grids by member and by shift type,
//! month calendar, my shifts, live progress, evaluation, hand edits), and the public link.

use super::{FormErrors, PageCtx, page_error, redirect, render};
use crate::AppState;
use crate::flows::groups::{Access, access};
use crate::flows::rosters::{self as flows, Loaded};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use moim_core::rosters::{self as core, Setup};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/groups/{id}/rosters", get(list).post(create))
        .route("/groups/{id}/rosters/setup", get(setup_page))
        .route("/groups/{id}/rosters/setup/shift-types", post(add_shift))
        .route(
            "/groups/{id}/rosters/setup/shift-types/{sid}",
            post(update_shift),
        )
        .route(
            "/groups/{id}/rosters/setup/shift-types/{sid}/delete",
            post(delete_shift),
        )
        .route("/groups/{id}/rosters/setup/conditions", post(add_condition))
        .route(
            "/groups/{id}/rosters/setup/conditions/preview",
            post(preview_condition),
        )
        .route(
            "/groups/{id}/rosters/setup/conditions/{cid}",
            post(update_condition),
        )
        .route(
            "/groups/{id}/rosters/setup/conditions/{cid}/delete",
            post(delete_condition),
        )
        .route("/groups/{id}/rosters/setup/leave", post(set_leave))
        .route("/groups/{id}/rosters/setup/requests", post(add_request))
        .route(
            "/groups/{id}/rosters/setup/requests/{rid}/delete",
            post(delete_request),
        )
        .route("/groups/{id}/rosters/setup/holidays", post(set_holidays))
        .route("/groups/{id}/rosters/setup/options", post(set_options))
        .route("/groups/{id}/rosters/setup/import", post(import_members))
        .route(
            "/groups/{id}/rosters/setup/people/{pid}/delete",
            post(delete_person),
        )
        .route("/groups/{id}/rosters/{rid}", get(view))
        .route("/groups/{id}/rosters/{rid}/events", get(events))
        .route("/groups/{id}/rosters/{rid}/live", get(live))
        .route("/groups/{id}/rosters/{rid}/feed/rotate", post(rotate_feed))
        .route("/groups/{id}/rosters/{rid}/cell", post(edit_cell))
        .route("/groups/{id}/rosters/{rid}/undo", post(undo))
        .route("/groups/{id}/rosters/{rid}/publish", post(publish))
        .route("/groups/{id}/rosters/{rid}/rename", post(rename))
        .route("/groups/{id}/rosters/{rid}/delete", post(delete))
        .route("/groups/{id}/rosters/{rid}/share", post(share))
        .route("/groups/{id}/rosters/{rid}/unshare", post(unshare))
        .route("/groups/{id}/rosters/{rid}/cancel", post(cancel))
        .route("/groups/{id}/rosters/{rid}/regenerate", post(regenerate))
        .route("/groups/{id}/rosters/{rid}/swaps", post(request_swap))
        .route(
            "/groups/{id}/rosters/{rid}/swaps/{sid}/{action}",
            post(swap_action),
        )
        .route("/r/{token}", get(shared))
}

// --- list + create ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "rosters/list.html")]
struct ListPage<'a> {
    ctx: &'a PageCtx,
    a: Access,
    manager: bool,
    rosters: Vec<moim_store::rosters::RosterSummary>,
    errors: FormErrors,
    name: String,
    starts_on: String,
    ends_on: String,
}

fn month_bounds(today: jiff::civil::Date) -> (String, String) {
    let first = today.first_of_month();
    let next = first
        .checked_add(jiff::Span::new().months(1))
        .unwrap_or(first);
    let last = next.yesterday().unwrap_or(next);
    (first.to_string(), last.to_string())
}

async fn list(State(state): State<AppState>, ctx: PageCtx, Path(id): Path<Uuid>) -> Response {
    let uid = user_or_return!(ctx);
    let (a, role) = ok_or_page!(ctx, access(&state, id, uid).await.and_then(Access::member));
    let rosters = ok_or_page!(ctx, moim_store::rosters::list_rosters(&state.db, id).await);
    let next_month = moim_core::time::today_in(&a.group.time_zone)
        .first_of_month()
        .checked_add(jiff::Span::new().months(1))
        .unwrap_or_else(|_| moim_core::time::today_in(&a.group.time_zone));
    let (starts_on, ends_on) = month_bounds(next_month);
    render(
        StatusCode::OK,
        &ListPage {
            ctx: &ctx,
            a,
            manager: role.can_manage(),
            rosters,
            errors: FormErrors::default(),
            name: String::new(),
            starts_on,
            ends_on,
        },
    )
}

#[derive(Deserialize)]
struct NewForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    time_limit_secs: String,
}

async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    Form(f): Form<NewForm>,
) -> Response {
    let uid = user_or_return!(ctx);
    let input = flows::NewRosterInput {
        name: f.name.clone(),
        starts_on: f.starts_on.clone(),
        ends_on: f.ends_on.clone(),
        time_limit_secs: f.time_limit_secs.trim().parse().ok(),
    };
    match flows::create(&state, id, uid, &input).await {
        Ok(rid) => redirect(&ctx, &format!("/groups/{id}/rosters/{rid}")),
        Err(e) if e.errors.is_empty() => page_error(&ctx, e),
        Err(e) => {
            let (a, role) =
                ok_or_page!(ctx, access(&state, id, uid).await.and_then(Access::member));
            let rosters = ok_or_page!(ctx, moim_store::rosters::list_rosters(&state.db, id).await);
            render(
                e.status,
                &ListPage {
                    errors: FormErrors::from_api(&e, ctx.lang()),
                    ctx: &ctx,
                    a,
                    manager: role.can_manage(),
                    rosters,
                    name: f.name,
                    starts_on: f.starts_on,
                    ends_on: f.ends_on,
                },
            )
        }
    }
}

// --- setup -----------------------------------------------------------------------------------

/// A posted form as key/value pairs, keeping repeated keys (checkbox groups).
struct Pairs(Vec<(String, String)>);

impl Pairs {
    fn parse(body: &[u8]) -> Self {
        Self(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    fn get(&self, key: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }
    fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
            .collect()
    }
    fn uuids(&self, key: &str) -> Vec<Uuid> {
        self.all(key)
            .into_iter()
            .filter_map(|v| v.trim().parse().ok())
            .collect()
    }
}

struct CondRow {
    id: Uuid,
    name: String,
    hard: bool,
    sentence: String,
    /// The edit form's values.
    kind: &'static str,
    shift_a: String,
    shift_b: String,
    period: &'static str,
    min: String,
    max: String,
    value: String,
    measure: &'static str,
    weight: i64,
    members: Vec<Uuid>,
}

impl CondRow {
    fn applies_to(&self, u: &Uuid) -> bool {
        self.members.contains(u)
    }

    fn new(c: &core::Condition, sentence: String) -> Self {
        use core::Rule as R;
        let opt = |v: &Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
        let first = |v: &[Uuid]| v.first().map(Uuid::to_string).unwrap_or_default();
        let period = |p: &core::Period| match p {
            core::Period::Week => "week",
            core::Period::Month => "month",
            core::Period::Roster => "roster",
        };
        let mut row = CondRow {
            id: c.id,
            name: c.name.clone(),
            hard: c.hard,
            sentence,
            kind: "",
            shift_a: String::new(),
            shift_b: String::new(),
            period: "week",
            min: String::new(),
            max: String::new(),
            value: String::new(),
            measure: "shifts",
            weight: c.weight,
            members: c.members.clone(),
        };
        match &c.rule {
            R::ShiftCount {
                shift_types,
                period: p,
                min,
                max,
            } => {
                row.kind = "shift_count";
                row.shift_a = first(shift_types);
                row.period = period(p);
                (row.min, row.max) = (opt(min), opt(max));
            }
            R::Hours {
                period: p,
                min,
                max,
            } => {
                row.kind = "hours";
                row.period = period(p);
                (row.min, row.max) = (opt(min), opt(max));
            }
            R::MaxConsecutiveWork { max: n } => {
                (row.kind, row.value) = ("max_consecutive_work", n.to_string())
            }
            R::MinConsecutiveWork { min: n } => {
                (row.kind, row.value) = ("min_consecutive_work", n.to_string())
            }
            R::MinConsecutiveDaysOff { min: n } => {
                (row.kind, row.value) = ("min_consecutive_days_off", n.to_string())
            }
            R::ForbiddenSuccession { from, to } => {
                row.kind = "forbidden_succession";
                (row.shift_a, row.shift_b) = (from.to_string(), to.to_string());
            }
            R::MinRest { hours } => (row.kind, row.value) = ("min_rest", hours.to_string()),
            R::MaxWeekends { max } => (row.kind, row.value) = ("max_weekends", max.to_string()),
            R::Fairness {
                measure,
                shift_types,
            } => {
                row.kind = "fairness";
                row.shift_a = first(shift_types);
                row.measure = match measure {
                    core::Measure::Shifts => "shifts",
                    core::Measure::Hours => "hours",
                    core::Measure::Weekends => "weekends",
                };
            }
        }
        row
    }
}

struct ShiftRow {
    id: Uuid,
    name: String,
    start: String,
    end: String,
    colour: String,
    headcount: u32,
    /// Monday first; the per-day figure, or the daily one when not set per weekday.
    weekday: Vec<WdCount>,
    by_weekday: bool,
    holiday: String,
    allowed: Vec<Uuid>,
    who: String,
}

struct WdCount {
    name: &'static str,
    idx: usize,
    n: u32,
}

impl ShiftRow {
    fn allows(&self, u: &Uuid) -> bool {
        self.allowed.contains(u)
    }
}

struct LeaveRow {
    user: Uuid,
    name: String,
    dates: String,
}

struct PersonRow {
    roster_id: Uuid,
    name: String,
    position: String,
    /// The imported row (to remove it); none for a member without one.
    person: Option<Uuid>,
    /// A member with a moim account (false: a roster-only person).
    account: bool,
}

struct RequestRow {
    id: Uuid,
    who: String,
    date: String,
    shift: String,
    want: bool,
    weight: i64,
    can_delete: bool,
}

struct CalCell {
    date: String,
    day: i8,
    checked: bool,
    weekend: bool,
    holiday: Option<String>,
}

struct MonthCal {
    title: String,
    key: String,
    /// The weekday names over the columns (see [`WeekStart`]).
    heads: Vec<&'static str>,
    /// Weeks as the viewer's language starts them; `None` pads the first and last week.
    weeks: Vec<Vec<Option<CalCell>>>,
}

#[derive(Template)]
#[template(path = "rosters/setup.html")]
struct SetupPage<'a> {
    ctx: &'a PageCtx,
    a: Access,
    manager: bool,
    shifts: Vec<ShiftRow>,
    conditions: Vec<CondRow>,
    members: Vec<core::Staff>,
    people: Vec<PersonRow>,
    leave: Vec<LeaveRow>,
    requests: Vec<RequestRow>,
    /// Whose leave the calendar shows, and the months shown.
    leave_who: Uuid,
    months: Vec<MonthCal>,
    months_keys: String,
    month_first: String,
    prev_month: String,
    next_month: String,
    holidays_text: String,
    holidays_default: bool,
    swap_needs_approval: bool,
    errors: FormErrors,
    import_errors: Vec<String>,
    import_text: String,
    notice: Option<String>,
    me: Uuid,
}

#[derive(Deserialize, Default)]
struct SetupQuery {
    #[serde(default)]
    who: String,
    #[serde(default)]
    month: String,
    notice: Option<String>,
}

#[derive(Default)]
struct SetupExtra {
    errors: FormErrors,
    import_errors: Vec<String>,
    import_text: String,
    notice: Option<String>,
}

async fn setup_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    Query(q): Query<SetupQuery>,
) -> Response {
    let uid = user_or_return!(ctx);
    let notice = ctx.notice(
        q.notice.clone(),
        &["rosters.notice.saved", "rosters.notice.imported"],
    );
    let extra = SetupExtra {
        notice,
        ..Default::default()
    };
    setup_render(&state, &ctx, id, uid, &q, extra, StatusCode::OK).await
}

fn lang_of(ctx: &PageCtx) -> core::Lang {
    if ctx.lang() == moim_core::accounts::Locale::En {
        core::Lang::En
    } else {
        core::Lang::Ko
    }
}

fn month_cal(
    first: jiff::civil::Date,
    checked: &[jiff::civil::Date],
    holidays: &[core::Holiday],
    en: bool,
) -> MonthCal {
    let days = first.days_in_month();
    let week = WeekStart::for_lang(en);
    let lead = week.column(first);
    let mut cells: Vec<Option<CalCell>> = (0..lead).map(|_| None).collect();
    for d in 1..=days {
        let date = first.with().day(d).build().unwrap_or(first);
        cells.push(Some(CalCell {
            date: date.to_string(),
            day: d,
            checked: checked.contains(&date),
            weekend: date.weekday().to_monday_zero_offset() >= 5,
            holiday: holidays
                .iter()
                .find(|h| h.date == date)
                .map(|h| h.name.clone()),
        }));
    }
    while !cells.len().is_multiple_of(7) {
        cells.push(None);
    }
    let mut weeks = Vec::new();
    let mut it = cells.into_iter().peekable();
    while it.peek().is_some() {
        weeks.push(it.by_ref().take(7).collect());
    }
    MonthCal {
        title: if en {
            first.strftime("%B %Y").to_string()
        } else {
            format!("{}년 {}월", first.year(), first.month())
        },
        key: format!("{:04}-{:02}", first.year(), first.month()),
        heads: week.heads(en),
        weeks,
    }
}

async fn setup_render(
    state: &AppState,
    ctx: &PageCtx,
    id: Uuid,
    uid: Uuid,
    q: &SetupQuery,
    extra: SetupExtra,
    status: StatusCode,
) -> Response {
    let (a, setup) = ok_or_page!(ctx, flows::setup_for_member(state, id, uid).await);
    let manager = a.role().is_some_and(|r| r.can_manage());
    let staff = ok_or_page!(ctx, flows::staff_with(&state.db, id, &setup).await);
    let lang = lang_of(ctx);
    let en = lang == core::Lang::En;
    let name_of = |u: &Uuid| {
        staff
            .iter()
            .find(|s| s.user == *u)
            .map_or_else(|| "?".to_owned(), |s| s.name.clone())
    };
    let wd_names = if en { WD_EN } else { WD_KO };
    let shifts = setup
        .shift_types
        .iter()
        .map(|s| ShiftRow {
            id: s.id,
            name: s.name.clone(),
            start: core::clock(s.start_minute),
            end: core::clock(s.start_minute + s.length_minutes),
            colour: s.colour.clone(),
            headcount: s.headcount,
            weekday: (0..7)
                .map(|w| WdCount {
                    name: wd_names[w],
                    idx: w,
                    n: s.need(w, false),
                })
                .collect(),
            by_weekday: s.weekday_headcount.is_some(),
            holiday: s
                .holiday_headcount
                .map(|h| h.to_string())
                .unwrap_or_default(),
            allowed: s.allowed.clone(),
            who: if s.allowed.is_empty() {
                ctx.t.s("rosters.everyone").to_owned()
            } else {
                s.allowed.iter().map(name_of).collect::<Vec<_>>().join(", ")
            },
        })
        .collect();
    let conditions = setup
        .conditions
        .iter()
        .map(|c| CondRow::new(c, sentence_with_names(c, &setup, &staff, lang)))
        .collect();
    let leave = staff
        .iter()
        .filter_map(|s| {
            let mut d: Vec<String> = setup
                .leave
                .iter()
                .filter(|l| l.user == s.user)
                .map(|l| l.date.to_string())
                .collect();
            d.sort();
            (!d.is_empty()).then(|| LeaveRow {
                user: s.user,
                name: s.name.clone(),
                dates: d.join(", "),
            })
        })
        .collect();
    let people = staff
        .iter()
        .map(|s| {
            let p = setup
                .people
                .iter()
                .find(|p| p.user == Some(s.user) || (p.user.is_none() && p.id == s.user));
            PersonRow {
                roster_id: s.user,
                name: s.name.clone(),
                position: p.map(|p| p.position.clone()).unwrap_or_default(),
                person: p.map(|p| p.id),
                account: p.is_none_or(|p| p.user.is_some()),
            }
        })
        .collect();
    let shift_name = |sid: Option<Uuid>| match sid {
        Some(sid) => setup
            .shift_types
            .iter()
            .find(|s| s.id == sid)
            .map_or_else(|| "?".to_owned(), |s| s.name.clone()),
        None => ctx.t.s("rosters.any_shift").to_owned(),
    };
    let mut requests: Vec<RequestRow> = setup
        .requests
        .iter()
        .map(|r| RequestRow {
            id: r.id,
            who: name_of(&r.user),
            date: r.date.to_string(),
            shift: shift_name(r.shift_type),
            want: r.want,
            weight: r.weight.unwrap_or(core::REQUEST_WEIGHT),
            can_delete: manager || r.user == uid,
        })
        .collect();
    requests.sort_by(|x, y| x.date.cmp(&y.date));
    // The leave calendar: the chosen member (yourself by default), two months from `month`
    // (by default the coming month, which is what the next roster usually covers).
    let leave_who = q
        .who
        .parse::<Uuid>()
        .ok()
        .filter(|u| staff.iter().any(|s| s.user == *u) && (manager || *u == uid))
        .unwrap_or(uid);
    let today = moim_core::time::today_in(&a.group.time_zone);
    let first = jiff::civil::Date::strptime("%Y-%m-%d", format!("{}-01", q.month.trim()))
        .ok()
        .unwrap_or_else(|| {
            today
                .first_of_month()
                .checked_add(jiff::Span::new().months(1))
                .unwrap_or(today)
        });
    let second = first
        .checked_add(jiff::Span::new().months(1))
        .unwrap_or(first);
    let holidays = setup.holidays();
    let mine: Vec<jiff::civil::Date> = setup
        .leave
        .iter()
        .filter(|l| l.user == leave_who)
        .map(|l| l.date)
        .collect();
    let months = vec![
        month_cal(first, &mine, &holidays, en),
        month_cal(second, &mine, &holidays, en),
    ];
    let months_keys = months
        .iter()
        .map(|m| m.key.clone())
        .collect::<Vec<_>>()
        .join(",");
    let prev = first
        .checked_sub(jiff::Span::new().months(1))
        .unwrap_or(first);
    let ym = |d: jiff::civil::Date| format!("{:04}-{:02}", d.year(), d.month());
    let holidays_text = holidays
        .iter()
        .map(|h| format!("{} {}", h.date, h.name))
        .collect::<Vec<_>>()
        .join("\n");
    render(
        status,
        &SetupPage {
            ctx,
            a,
            manager,
            shifts,
            conditions,
            members: staff,
            people,
            leave,
            requests,
            leave_who,
            months,
            month_first: ym(first),
            months_keys,
            prev_month: ym(prev),
            next_month: ym(second),
            holidays_text,
            holidays_default: setup.holidays.is_none(),
            swap_needs_approval: setup.swap_needs_approval,
            errors: extra.errors,
            import_errors: extra.import_errors,
            import_text: extra.import_text,
            notice: extra.notice,
            me: uid,
        },
    )
}

/// The condition's sentence, naming the chosen members instead of counting them.
fn sentence_with_names(
    c: &core::Condition,
    setup: &Setup,
    staff: &[core::Staff],
    lang: core::Lang,
) -> String {
    let s = core::sentence(c, setup, lang);
    if c.members.is_empty() {
        return s;
    }
    let names: Vec<String> = c
        .members
        .iter()
        .map(|u| {
            staff
                .iter()
                .find(|x| x.user == *u)
                .map_or_else(|| "?".to_owned(), |x| x.name.clone())
        })
        .collect();
    let n = c.members.len();
    match lang {
        core::Lang::Ko => s.replacen(&format!("선택한 {n}명"), &names.join(", "), 1),
        core::Lang::En => s.replacen(&format!("The {n} chosen members"), &names.join(", "), 1),
    }
}

async fn after_setup_post(
    state: &AppState,
    ctx: &PageCtx,
    id: Uuid,
    uid: Uuid,
    r: Result<(), crate::error::ApiError>,
    anchor: &str,
) -> Response {
    match r {
        Ok(()) => redirect(
            ctx,
            &format!("/groups/{id}/rosters/setup?notice=rosters.notice.saved#{anchor}"),
        ),
        Err(e) if e.errors.is_empty() => page_error(ctx, e),
        Err(e) => {
            let extra = SetupExtra {
                errors: FormErrors::from_api(&e, ctx.lang()),
                ..Default::default()
            };
            setup_render(state, ctx, id, uid, &SetupQuery::default(), extra, e.status).await
        }
    }
}

fn num(field: &'static str, s: &str) -> Result<Option<u32>, crate::error::ApiError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|_| crate::error::ApiError::field(field, "invalid_type"))
}

fn uuid_opt(s: &str) -> Option<Uuid> {
    s.trim().parse().ok()
}

/// A shift type from the add / edit form (per-weekday headcounts and "who may work it"
/// included when sent).
fn shift_from_form(
    f: &Pairs,
    id: Uuid,
    staff: &[core::Staff],
) -> Result<core::ShiftTypeDef, crate::error::ApiError> {
    use crate::error::ApiError;
    let mut v = crate::flows::Validator::default();
    let start = v.check(core::parse_clock("start", f.get("start")));
    let end = v.check(core::parse_clock("end", f.get("end")));
    let n = v.check(
        f.get("headcount")
            .trim()
            .parse::<u32>()
            .map_err(|_| moim_core::FieldError::new("headcount", "invalid_type")),
    );
    v.finish()?;
    let (start, end, n) = (
        crate::flows::checked(start)?,
        crate::flows::checked(end)?,
        crate::flows::checked(n)?,
    );
    let mut weekday = Vec::new();
    for w in 0..7 {
        let key = format!("wd{w}");
        weekday.push(num("weekday_headcount", f.get(&key))?.unwrap_or(n));
    }
    let by_weekday = f.get("by_weekday") == "1" && weekday.iter().any(|&x| x != n);
    let allowed = f.uuids("allowed");
    if allowed.iter().any(|u| !staff.iter().any(|s| s.user == *u)) {
        return Err(ApiError::field("allowed", "not_a_member"));
    }
    let colour = f.get("colour").trim().to_lowercase();
    let s = core::ShiftTypeDef {
        id,
        name: f.get("name").trim().to_owned(),
        start_minute: start,
        length_minutes: if end > start {
            end - start
        } else {
            end + 1440 - start
        },
        colour: if colour.is_empty() {
            "#5b7cfa".into()
        } else {
            colour
        },
        headcount: n,
        weekday_headcount: by_weekday.then_some(weekday),
        holiday_headcount: num("holiday_headcount", f.get("holiday_headcount"))?,
        allowed,
    };
    Setup::check_shift_type(&s)?;
    Ok(s)
}

async fn add_shift(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    body: axum::body::Bytes,
) -> Response {
    let uid = user_or_return!(ctx);
    let f = Pairs::parse(&body);
    let result = async {
        let staff = flows::staff_of(&state, id).await?;
        let s = shift_from_form(&f, Uuid::now_v7(), &staff)?;
        flows::edit_setup(&state, id, uid, |setup| {
            if setup.shift_types.len() >= core::MAX_SHIFT_TYPES {
                return Err(crate::error::ApiError::field("name", "too_many"));
            }
            setup.shift_types.push(s.clone());
            Ok(())
        })
        .await
        .map(|_| ())
    }
    .await;
    after_setup_post(&state, &ctx, id, uid, result, "shift-types").await
}

async fn update_shift(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, sid)): Path<(Uuid, Uuid)>,
    body: axum::body::Bytes,
) -> Response {
    let uid = user_or_return!(ctx);
    let f = Pairs::parse(&body);
    let result = async {
        let staff = flows::staff_of(&state, id).await?;
        let s = shift_from_form(&f, sid, &staff)?;
        flows::edit_setup(&state, id, uid, |setup| {
            let slot = setup
                .shift_types
                .iter_mut()
                .find(|x| x.id == sid)
                .ok_or_else(|| crate::error::ApiError::not_found("shift_type_not_found"))?;
            *slot = s.clone();
            Ok(())
        })
        .await
        .map(|_| ())
    }
    .await;
    after_setup_post(&state, &ctx, id, uid, result, &format!("shift-{sid}")).await
}

async fn delete_shift(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, sid)): Path<(Uuid, Uuid)>,
) -> Response {
    let uid = user_or_return!(ctx);
    let result = flows::edit_setup(&state, id, uid, |setup| {
        if !setup.remove_shift_type(sid) {
            return Err(crate::error::ApiError::not_found("shift_type_not_found"));
        }
        Ok(())
    })
    .await
    .map(|_| ());
    after_setup_post(&state, &ctx, id, uid, result, "shift-types").await
}

/// Builds a rule from the generic condition form.
fn rule_from_form(f: &Pairs) -> Result<core::Rule, crate::error::ApiError> {
    use crate::error::ApiError;
    let period = match f.get("period") {
        "month" => core::Period::Month,
        "roster" => core::Period::Roster,
        _ => core::Period::Week,
    };
    let value =
        || num("value", f.get("value"))?.ok_or_else(|| ApiError::field("value", "required"));
    let shifts = uuid_opt(f.get("shift_a")).into_iter().collect::<Vec<_>>();
    Ok(match f.get("kind") {
        "shift_count" => core::Rule::ShiftCount {
            shift_types: shifts,
            period,
            min: num("min", f.get("min"))?,
            max: num("max", f.get("max"))?,
        },
        "hours" => core::Rule::Hours {
            period,
            min: num("min", f.get("min"))?,
            max: num("max", f.get("max"))?,
        },
        "max_consecutive_work" => core::Rule::MaxConsecutiveWork { max: value()? },
        "min_consecutive_work" => core::Rule::MinConsecutiveWork { min: value()? },
        "min_consecutive_days_off" => core::Rule::MinConsecutiveDaysOff { min: value()? },
        "forbidden_succession" => core::Rule::ForbiddenSuccession {
            from: uuid_opt(f.get("shift_a"))
                .ok_or_else(|| ApiError::field("shift_a", "required"))?,
            to: uuid_opt(f.get("shift_b")).ok_or_else(|| ApiError::field("shift_b", "required"))?,
        },
        "min_rest" => core::Rule::MinRest { hours: value()? },
        "max_weekends" => core::Rule::MaxWeekends { max: value()? },
        "fairness" => core::Rule::Fairness {
            measure: match f.get("measure") {
                "hours" => core::Measure::Hours,
                "weekends" => core::Measure::Weekends,
                _ => core::Measure::Shifts,
            },
            shift_types: shifts,
        },
        _ => return Err(ApiError::field("kind", "invalid_value")),
    })
}

fn condition_from_form(
    f: &Pairs,
    staff: &[core::Staff],
) -> Result<core::Condition, crate::error::ApiError> {
    let rule = rule_from_form(f)?;
    let members = f.uuids("members");
    if members.iter().any(|u| !staff.iter().any(|s| s.user == *u)) {
        return Err(crate::error::ApiError::field("members", "not_a_member"));
    }
    let weight = match f.get("weight").trim() {
        "" => 5,
        w => w
            .parse()
            .map_err(|_| crate::error::ApiError::field("weight", "invalid_type"))?,
    };
    Ok(core::Condition {
        id: Uuid::now_v7(),
        name: f.get("name").trim().to_owned(),
        hard: f.get("strength") != "soft",
        weight,
        members,
        rule,
    })
}

async fn add_condition(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    body: axum::body::Bytes,
) -> Response {
    let uid = user_or_return!(ctx);
    let f = Pairs::parse(&body);
    let result = async {
        let staff = flows::staff_of(&state, id).await?;
        let c = condition_from_form(&f, &staff)?;
        flows::edit_setup(&state, id, uid, |setup| {
            setup.check_condition(&c)?;
            if setup.conditions.len() >= core::MAX_CONDITIONS {
                return Err(crate::error::ApiError::field("kind", "too_many"));
            }
            setup.conditions.push(c.clone());
            Ok(())
        })
        .await
        .map(|_| ())
    }
    .await;
    after_setup_post(&state, &ctx, id, uid, result, "conditions").await
}

/// Edits a condition in place (the same form as adding one, filled in); its id stays, so
/// links from explanations keep pointing at it.
async fn update_condition(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, cid)): Path<(Uuid, Uuid)>,
    body: axum::body::Bytes,
) -> Response {
    let uid = user_or_return!(ctx);
    let f = Pairs::parse(&body);
    let result = async {
        let staff = flows::staff_of(&state, id).await?;
        let c = core::Condition {
            id: cid,
            ..condition_from_form(&f, &staff)?
        };
        flows::edit_setup(&state, id, uid, |setup| {
            setup.check_condition(&c)?;
            let slot = setup
                .conditions
                .iter_mut()
                .find(|x| x.id == cid)
                .ok_or_else(|| crate::error::ApiError::not_found("condition_not_found"))?;
            *slot = c.clone();
            Ok(())
        })
        .await
        .map(|_| ())
    }
    .await;
    after_setup_post(&state, &ctx, id, uid, result, "conditions").await
}

/// The sentence of the condition being built (htmx, as the form changes).
async fn preview_condition(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    body: axum::body::Bytes,
) -> Response {
    let uid = user_or_return!(ctx);
    let f = Pairs::parse(&body);
    let text = async {
        let (_, setup) = flows::setup_for_member(&state, id, uid).await?;
        let staff = flows::staff_with(&state.db, id, &setup).await?;
        let c = condition_from_form(&f, &staff)?;
        setup.check_condition(&c)?;
        Ok::<_, crate::error::ApiError>(sentence_with_names(&c, &setup, &staff, lang_of(&ctx)))
    }
    .await
    .unwrap_or_else(|_| ctx.t.s("rosters.preview_incomplete").to_owned());
    let mut out = String::new();
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    (
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        out,
    )
        .into_response()
}

async fn delete_condition(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, cid)): Path<(Uuid, Uuid)>,
) -> Response {
    let uid = user_or_return!(ctx);
    let result = flows::edit_setup(&state, id, uid, |setup| {
        if !setup.remove_condition(cid) {
            return Err(crate::error::ApiError::not_found("condition_not_found"));
        }
        Ok(())
    })
    .await
    .map(|_| ());
    after_setup_post(&state, &ctx, id, uid, result, "conditions").await
}

/// Leave picked on the month calendars: the member's days in the months shown are replaced by
/// the ticked ones (other months keep theirs). A plain `dates` list (comma separated) adds days.
async fn set_leave(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    body: axum::body::Bytes,
) -> Response {
    let uid = user_or_return!(ctx);
    let f = Pairs::parse(&body);
    let who = f.get("user_id").trim().to_owned();
    let result = async {
        use crate::error::ApiError;
        let user: Uuid = who
            .parse()
            .map_err(|_| ApiError::field("user_id", "required"))?;
        let mut dates = Vec::new();
        for d in f
            .all("date")
            .into_iter()
            .chain(f.get("dates").split([',', ' ', '\n']))
            .filter(|s| !s.trim().is_empty())
        {
            dates.push(
                d.trim()
                    .parse::<jiff::civil::Date>()
                    .map_err(|_| ApiError::field("dates", "invalid_date"))?,
            );
        }
        if dates.len() > 366 {
            return Err(ApiError::field("dates", "too_many"));
        }
        let months: Vec<String> = f
            .get("months")
            .split(',')
            .map(|m| m.trim().to_owned())
            .filter(|m| m.len() == 7)
            .collect();
        let kind = if f.get("kind") == "unavailable" {
            "unavailable"
        } else {
            "leave"
        };
        let staff = flows::staff_of(&state, id).await?;
        flows::edit_setup_as(&state, id, uid, user == uid, |setup| {
            if !staff.iter().any(|s| s.user == user) {
                return Err(ApiError::field("user_id", "not_a_member"));
            }
            let ym = |d: &jiff::civil::Date| format!("{:04}-{:02}", d.year(), d.month());
            // The calendars replace their months; the text list only adds.
            setup
                .leave
                .retain(|l| l.user != user || !months.contains(&ym(&l.date)));
            for d in &dates {
                if !setup.leave.iter().any(|l| l.user == user && l.date == *d) {
                    setup.leave.push(core::Leave {
                        user,
                        date: *d,
                        kind: kind.into(),
                    });
                }
            }
            Ok(())
        })
        .await
        .map(|_| ())
    }
    .await;
    match result {
        Ok(()) => redirect(
            &ctx,
            &format!(
                "/groups/{id}/rosters/setup?who={who}&month={}&notice=rosters.notice.saved#leave",
                f.get("months").split(',').next().unwrap_or("").trim()
            ),
        ),
        r => after_setup_post(&state, &ctx, id, uid, r, "leave").await,
    }
}

async fn add_request(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    body: axum::body::Bytes,
) -> Response {
    let uid = user_or_return!(ctx);
    let f = Pairs::parse(&body);
    let result = async {
        use crate::error::ApiError;
        let user: Uuid = f
            .get("user_id")
            .trim()
            .parse()
            .map_err(|_| ApiError::field("user_id", "required"))?;
        let date: jiff::civil::Date = f
            .get("date")
            .trim()
            .parse()
            .map_err(|_| ApiError::field("date", "invalid_date"))?;
        let shift = uuid_opt(f.get("shift_type_id"));
        let want = f.get("want") == "1";
        let weight = match f.get("weight").trim() {
            "" => None,
            w => Some(
                w.parse::<i64>()
                    .ok()
                    .filter(|w| (1..=1000).contains(w))
                    .ok_or_else(|| ApiError::field("weight", "out_of_range"))?,
            ),
        };
        let staff = flows::staff_of(&state, id).await?;
        flows::edit_setup_as(&state, id, uid, user == uid, |setup| {
            if !staff.iter().any(|s| s.user == user) {
                return Err(ApiError::field("user_id", "not_a_member"));
            }
            if let Some(s) = shift
                && setup.shift_index(s).is_none()
            {
                return Err(ApiError::field("shift_type_id", "unknown_shift_type"));
            }
            setup.requests.push(core::Request {
                id: Uuid::now_v7(),
                user,
                date,
                shift_type: shift,
                want,
                weight,
            });
            Ok(())
        })
        .await
        .map(|_| ())
    }
    .await;
    after_setup_post(&state, &ctx, id, uid, result, "requests").await
}

async fn delete_request(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, rid)): Path<(Uuid, Uuid)>,
) -> Response {
    let uid = user_or_return!(ctx);
    let result = async {
        let (current, _) = flows::load_setup(&state, id).await?;
        let own = current
            .requests
            .iter()
            .any(|r| r.id == rid && r.user == uid);
        flows::edit_setup_as(&state, id, uid, own, |setup| {
            if !setup.remove_request(rid) {
                return Err(crate::error::ApiError::not_found("request_not_found"));
            }
            Ok(())
        })
        .await
        .map(|_| ())
    }
    .await;
    after_setup_post(&state, &ctx, id, uid, result, "requests").await
}

/// The holiday table as text, one `YYYY-MM-DD name` per line; `reset` goes back to Korea's.
async fn set_holidays(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    body: axum::body::Bytes,
) -> Response {
    let uid = user_or_return!(ctx);
    let f = Pairs::parse(&body);
    let result = async {
        use crate::error::ApiError;
        let list = if f.get("reset") == "1" {
            None
        } else {
            let mut list = Vec::new();
            for line in f.get("holidays").lines().filter(|l| !l.trim().is_empty()) {
                let line = line.trim();
                let (date, name) = line.split_once([' ', '\t', ',']).unwrap_or((line, ""));
                let date = date
                    .trim()
                    .parse()
                    .map_err(|_| ApiError::field("holidays", "invalid_date"))?;
                let name = moim_core::accounts::parse_text("holidays", name.trim(), 40, true)?;
                list.push(core::Holiday { date, name });
            }
            if list.len() > 500 {
                return Err(ApiError::field("holidays", "too_many"));
            }
            list.sort_by_key(|h| h.date);
            Some(list)
        };
        flows::edit_setup(&state, id, uid, |setup| {
            setup.holidays = list.clone();
            Ok(())
        })
        .await
        .map(|_| ())
    }
    .await;
    after_setup_post(&state, &ctx, id, uid, result, "holidays").await
}

async fn set_options(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    body: axum::body::Bytes,
) -> Response {
    let uid = user_or_return!(ctx);
    let f = Pairs::parse(&body);
    let on = f.get("swap_needs_approval") == "1";
    let result = flows::edit_setup(&state, id, uid, |setup| {
        setup.swap_needs_approval = on;
        Ok(())
    })
    .await
    .map(|_| ());
    after_setup_post(&state, &ctx, id, uid, result, "options").await
}

async fn import_members(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    body: axum::body::Bytes,
) -> Response {
    let uid = user_or_return!(ctx);
    let f = Pairs::parse(&body);
    let text = f.get("csv").to_owned();
    match flows::import_members(&state, id, uid, &text).await {
        Ok(Ok(_)) => redirect(
            &ctx,
            &format!("/groups/{id}/rosters/setup?notice=rosters.notice.imported#people"),
        ),
        Ok(Err(rows)) => {
            let ko = ctx.lang() == moim_core::accounts::Locale::Ko;
            let import_errors = rows
                .iter()
                .map(|r| {
                    let m = core::import::message(r.code, ko);
                    match (r.line, ko) {
                        (0, _) => m.to_owned(),
                        (n, true) => format!("{n}번째 줄: {m}"),
                        (n, false) => format!("Line {n}: {m}"),
                    }
                })
                .collect();
            let extra = SetupExtra {
                import_errors,
                import_text: text,
                ..Default::default()
            };
            setup_render(
                &state,
                &ctx,
                id,
                uid,
                &SetupQuery::default(),
                extra,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => page_error(&ctx, e),
    }
}

async fn delete_person(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, pid)): Path<(Uuid, Uuid)>,
) -> Response {
    let uid = user_or_return!(ctx);
    let r = flows::remove_person(&state, id, uid, pid).await.map(|_| ());
    after_setup_post(&state, &ctx, id, uid, r, "people").await
}

// --- one roster ------------------------------------------------------------------------------

pub struct DayHead {
    pub date: String,
    pub day: i8,
    pub wd: &'static str,
    pub weekend: bool,
    pub holiday: Option<String>,
    pub today: bool,
}

pub struct GridCell {
    pub label: String,
    pub colour: String,
    pub problems: String,
    pub bad: bool,
    pub locked: bool,
    pub changed: bool,
    pub weekend: bool,
    pub holiday: bool,
    pub today: bool,
    pub date: String,
}

pub struct GridRow {
    pub user: Uuid,
    pub name: String,
    pub cells: Vec<GridCell>,
    pub shifts: i64,
    pub nights: i64,
    pub weekends: i64,
    pub cost: i64,
}

pub struct ShiftGridRow {
    pub name: String,
    pub colour: String,
    pub cells: Vec<String>,
}

pub struct CalDay {
    pub date: String,
    pub day: i8,
    pub in_range: bool,
    pub weekend: bool,
    pub holiday: Option<String>,
    pub today: bool,
    pub entries: Vec<(String, String, String)>,
}

pub struct RuleRow {
    pub label: String,
    pub hard: bool,
    pub cost: i64,
    pub units: i64,
    pub link: Option<String>,
}

pub struct IssueRow {
    pub message: String,
    pub links: Vec<String>,
}

/// Everything the roster templates show, computed once (also what the benchmark renders).
pub struct RosterView {
    pub id: Uuid,
    pub group_id: Uuid,
    pub name: String,
    pub range: String,
    pub status: String,
    pub version: i64,
    pub published: bool,
    pub share_url: Option<String>,
    pub days: Vec<DayHead>,
    pub rows: Vec<GridRow>,
    pub by_shift: Vec<ShiftGridRow>,
    pub calendar: Vec<Vec<CalDay>>,
    /// The weekday names over the calendar's columns (see [`WeekStart`]).
    pub week_heads: Vec<&'static str>,
    pub mine: Vec<(String, String, String)>,
    pub shift_types: Vec<(Uuid, String, String)>,
    pub members: Vec<(Uuid, String)>,
    pub cost: i64,
    pub hard: i64,
    pub feasible: bool,
    pub rules: Vec<RuleRow>,
    pub issues: Vec<IssueRow>,
    pub progress: String,
}

const WD_KO: [&str; 7] = ["월", "화", "수", "목", "금", "토", "일"];
const WD_EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Where a week starts on a calendar shown to people, by language: Sunday in Korean (일 월 화
/// …, as Korean calendars and Schedule 24/7 show it), Monday in English. Display only: every
/// rule counts Monday-to-Sunday weeks (`core::rosters`), which the calendars say under them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekStart {
    sunday: bool,
}

impl WeekStart {
    pub fn for_lang(en: bool) -> Self {
        WeekStart { sunday: !en }
    }
    /// The column of `date` in a week row (0 = first column).
    pub fn column(self, date: jiff::civil::Date) -> usize {
        let wd = date.weekday();
        if self.sunday {
            wd.to_sunday_zero_offset() as usize
        } else {
            wd.to_monday_zero_offset() as usize
        }
    }
    /// The column headings in order.
    pub fn heads(self, en: bool) -> Vec<&'static str> {
        let names = if en { WD_EN } else { WD_KO };
        let first = if self.sunday { 6 } else { 0 };
        (0..7).map(|i| names[(first + i) % 7]).collect()
    }
}

#[derive(Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    pub member: String,
    #[serde(default)]
    pub shift: String,
}

/// Shapes a loaded roster for the page. `viewer` drives "my shifts"; the filter hides rows.
pub fn roster_view(
    l: &Loaded,
    viewer: Option<Uuid>,
    en: bool,
    filter: &Filter,
    manager: bool,
) -> RosterView {
    let dto = crate::api::rosters::roster_dto(
        l,
        manager,
        if en { core::Lang::En } else { core::Lang::Ko },
    );
    let b = &l.built;
    let m = &b.model;
    let wd_names = if en { WD_EN } else { WD_KO };
    let member_filter = uuid_opt(&filter.member);
    let shift_filter = uuid_opt(&filter.shift).and_then(|s| b.shift_index(s));
    let days: Vec<DayHead> = dto
        .days
        .iter()
        .map(|d| {
            let date: jiff::civil::Date = d.date.parse().unwrap_or_default();
            DayHead {
                date: d.date.clone(),
                day: date.day(),
                wd: wd_names[d.weekday as usize % 7],
                weekend: d.weekend,
                holiday: d.holiday.clone(),
                today: d.today,
            }
        })
        .collect();
    let ev = dto.evaluation.as_ref();
    let mut problems = std::collections::HashMap::new();
    for c in &dto.cells {
        if !c.problems.is_empty() {
            problems.insert((c.user_id, c.date.clone()), c.problems.join(" · "));
        }
    }
    let figures = flows::fairness(l);
    let rows = b
        .staff
        .iter()
        .enumerate()
        .filter(|(_, s)| member_filter.is_none_or(|u| u == s.user))
        .map(|(e, s)| GridRow {
            user: s.user,
            name: s.name.clone(),
            cells: (0..m.days())
                .map(|d| {
                    let shift = l.roster.get(e, d);
                    let t = shift
                        .filter(|&x| shift_filter.is_none_or(|f| f == x))
                        .and_then(|x| b.shift_types.get(x));
                    let p = problems.get(&(s.user, days[d].date.clone())).cloned();
                    GridCell {
                        label: t.map(|t| t.name.clone()).unwrap_or_default(),
                        colour: t.map(|t| t.colour.clone()).unwrap_or_default(),
                        bad: p.is_some(),
                        problems: p.unwrap_or_default(),
                        locked: l.locked(e, d),
                        changed: l.changed(e, d),
                        weekend: days[d].weekend,
                        holiday: days[d].holiday.is_some(),
                        today: days[d].today,
                        date: days[d].date.clone(),
                    }
                })
                .collect(),
            shifts: figures[e].1,
            nights: figures[e].2,
            weekends: figures[e].3,
            cost: ev
                .and_then(|v| v.by_member.iter().find(|x| x.user_id == s.user))
                .map_or(0, |x| x.cost),
        })
        .collect();
    let by_shift = b
        .shift_types
        .iter()
        .enumerate()
        .filter(|(i, _)| shift_filter.is_none_or(|f| f == *i))
        .map(|(i, t)| ShiftGridRow {
            name: t.name.clone(),
            colour: t.colour.clone(),
            cells: (0..m.days())
                .map(|d| {
                    (0..b.staff.len())
                        .filter(|&e| l.roster.get(e, d) == Some(i))
                        .filter(|&e| member_filter.is_none_or(|u| u == b.staff[e].user))
                        .map(|e| b.staff[e].name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .collect(),
        })
        .collect();
    // Month calendar: weeks start as the viewer's language shows them (display only; rules
    // count Monday-to-Sunday weeks, as their sentences and the note under the calendar say).
    let week = WeekStart::for_lang(en);
    let mut calendar = Vec::new();
    if m.days() > 0 {
        let first = b.start;
        let lead = week.column(first) as i64;
        let mut week = Vec::new();
        let total = ((lead + m.days() as i64 + 6) / 7) * 7;
        for i in 0..total {
            let date = first
                .checked_add(jiff::Span::new().days(i - lead))
                .unwrap_or(first);
            let idx = b.day_of(date);
            let entries = idx
                .map(|d| {
                    let mut v = Vec::new();
                    for (e, s) in b.staff.iter().enumerate() {
                        if member_filter.is_some_and(|u| u != s.user) {
                            continue;
                        }
                        if let Some(x) = l
                            .roster
                            .get(e, d)
                            .filter(|&x| shift_filter.is_none_or(|f| f == x))
                            && let Some(t) = b.shift_types.get(x)
                        {
                            v.push((t.name.clone(), t.colour.clone(), s.name.clone()));
                        }
                    }
                    v
                })
                .unwrap_or_default();
            week.push(CalDay {
                date: date.to_string(),
                day: date.day(),
                in_range: idx.is_some(),
                weekend: date.weekday().to_monday_zero_offset() >= 5,
                holiday: idx.and_then(|d| days[d].holiday.clone()),
                today: idx.is_some_and(|d| days[d].today),
                entries,
            });
            if week.len() == 7 {
                calendar.push(std::mem::take(&mut week));
            }
        }
    }
    let mine = viewer
        .and_then(|u| b.staff_index(u))
        .map(|e| {
            (0..m.days())
                .filter_map(|d| {
                    let t = b.shift_types.get(l.roster.get(e, d)?)?;
                    Some((
                        format!("{} ({})", days[d].date, days[d].wd),
                        t.name.clone(),
                        format!(
                            "{}–{}",
                            core::clock(t.start_minute),
                            core::clock(t.start_minute + t.length_minutes)
                        ),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    RosterView {
        id: l.row.id,
        group_id: l.row.group_id,
        name: l.row.name.clone(),
        range: format!("{} ~ {}", dto.starts_on, dto.ends_on),
        status: l.row.status.clone(),
        version: l.row.version,
        published: l.row.published_at.is_some(),
        share_url: dto.share_url.clone(),
        days,
        rows,
        by_shift,
        calendar,
        week_heads: week.heads(en),
        mine,
        shift_types: b
            .shift_types
            .iter()
            .map(|t| (t.id, t.name.clone(), t.colour.clone()))
            .collect(),
        members: b.staff.iter().map(|s| (s.user, s.name.clone())).collect(),
        cost: ev.map_or(0, |v| v.cost),
        hard: ev.map_or(0, |v| v.hard_violations),
        feasible: ev.is_some_and(|v| v.feasible),
        rules: ev
            .map(|v| {
                v.by_rule
                    .iter()
                    .map(|r| RuleRow {
                        label: r.label.clone(),
                        hard: r.hard,
                        cost: r.cost,
                        units: r.hard_units,
                        link: r.link.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        issues: dto
            .issues
            .iter()
            .map(|i| IssueRow {
                message: i.message.clone(),
                links: i.links.clone(),
            })
            .collect(),
        progress: serde_json::to_string(&dto.progress).unwrap_or_else(|_| "[]".into()),
    }
}

#[derive(Template)]
#[template(path = "rosters/view.html")]
pub struct ViewPage<'a> {
    pub ctx: &'a PageCtx,
    pub a: Option<Access>,
    pub manager: bool,
    pub v: RosterView,
    pub public: bool,
    pub filter_member: String,
    pub filter_shift: String,
    pub notice: Option<String>,
    pub swaps: Vec<SwapRow>,
    /// The roster's other members (swap partners for the viewer).
    pub others: Vec<(Uuid, String)>,
    /// The viewer's personal calendar feed (absolute URL), for "my shifts".
    pub feed_url: Option<String>,
    /// The public link as an absolute URL, for copying (empty when not shared).
    pub share_abs: String,
}

/// The by-member grid alone: what the generating page swaps in as better rosters arrive.
#[derive(Template)]
#[template(path = "rosters/_grid.html")]
pub struct GridFragment<'a> {
    pub ctx: &'a PageCtx,
    pub v: RosterView,
}

/// A swap request as the page lists it, with what the viewer may do about it.
pub struct SwapRow {
    pub id: Uuid,
    pub who: String,
    pub date: String,
    pub target: String,
    pub target_date: String,
    pub status: String,
    pub can_accept: bool,
    pub can_decide: bool,
    pub can_cancel: bool,
}

fn swap_rows(
    l: &Loaded,
    swaps: Vec<moim_store::rosters::Swap>,
    viewer: Uuid,
    manager: bool,
) -> Vec<SwapRow> {
    let name = |u: Uuid| {
        l.built
            .staff
            .iter()
            .find(|s| s.user == u)
            .map_or_else(|| "?".to_owned(), |s| s.name.clone())
    };
    swaps
        .into_iter()
        .map(|s| SwapRow {
            id: s.id,
            who: name(s.requester),
            date: l.built.date(s.day as usize).to_string(),
            target: s.target.map(name).unwrap_or_default(),
            target_date: s
                .target_day
                .map(|d| l.built.date(d as usize).to_string())
                .unwrap_or_default(),
            can_accept: s.status == "pending"
                && s.requester != viewer
                && s.target.is_none_or(|t| t == viewer),
            can_decide: manager && s.status == "accepted",
            can_cancel: s.requester == viewer
                && matches!(s.status.as_str(), "pending" | "accepted"),
            status: s.status,
        })
        .collect()
}

#[derive(Deserialize, Default)]
struct ViewQuery {
    #[serde(default)]
    member: String,
    #[serde(default)]
    shift: String,
    notice: Option<String>,
}

async fn view(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, rid)): Path<(Uuid, Uuid)>,
    Query(q): Query<ViewQuery>,
) -> Response {
    let uid = user_or_return!(ctx);
    let (a, role, l) = ok_or_page!(ctx, flows::load_for_member(&state, id, rid, uid).await);
    let en = ctx.lang() == moim_core::accounts::Locale::En;
    let filter = Filter {
        member: q.member.clone(),
        shift: q.shift.clone(),
    };
    let v = roster_view(&l, Some(uid), en, &filter, role.can_manage());
    let share_abs = v
        .share_url
        .as_deref()
        .map(|u| state.config.url(u))
        .unwrap_or_default();
    let notice = ctx.notice(
        q.notice,
        &[
            "rosters.notice.stale",
            "rosters.notice.nothing_to_undo",
            "rosters.notice.undo_blocked_by_swap",
            "rosters.notice.undo_blocked_by_regeneration",
            "rosters.notice.published",
            "rosters.notice.swap_refused",
        ],
    );
    let swaps = ok_or_page!(ctx, moim_store::rosters::list_swaps(&state.db, rid).await);
    let swaps = swap_rows(&l, swaps, uid, role.can_manage());
    let feed = ok_or_page!(ctx, flows::feed_token(&state, id, uid).await);
    let feed_url = Some(
        state
            .config
            .url(&format!("/api/v1/feeds/rosters/{feed}/calendar.ics")),
    );
    render(
        StatusCode::OK,
        &ViewPage {
            ctx: &ctx,
            a: Some(a),
            manager: role.can_manage(),
            v,
            public: false,
            filter_member: q.member,
            filter_shift: q.shift,
            notice,
            swaps,
            others: l
                .built
                .staff
                .iter()
                .filter(|s| s.user != uid)
                .map(|s| (s.user, s.name.clone()))
                .collect(),
            feed_url,
            share_abs,
        },
    )
}

async fn shared(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(token): Path<String>,
) -> Response {
    let l = ok_or_page!(ctx, flows::shared(&state, &token).await);
    // The published roster, never draft edits made since; before the first publish the page
    // says so and shows no assignments.
    let l = l.published_or_draft();
    let en = ctx.lang() == moim_core::accounts::Locale::En;
    let mut v = roster_view(&l, None, en, &Filter::default(), false);
    v.share_url = Some(format!("/api/v1/shared/rosters/{token}/calendar.ics"));
    render(
        StatusCode::OK,
        &ViewPage {
            ctx: &ctx,
            a: None,
            manager: false,
            v,
            public: true,
            filter_member: String::new(),
            filter_shift: String::new(),
            notice: None,
            swaps: vec![],
            others: vec![],
            feed_url: None,
            share_abs: state.config.url(&format!("/r/{token}")),
        },
    )
}

async fn events(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, rid)): Path<(Uuid, Uuid)>,
) -> Response {
    let uid = user_or_return!(ctx);
    ok_or_page!(ctx, flows::load_for_member(&state, id, rid, uid).await);
    crate::api::rosters::progress_stream(state, id, rid).into_response()
}

/// The best complete roster so far of a running generation, as the by-member grid (the
/// page fetches it after each `roster` event of the progress stream).
async fn live(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, rid)): Path<(Uuid, Uuid)>,
) -> Response {
    let uid = user_or_return!(ctx);
    let (role, l) = ok_or_page!(ctx, flows::live(&state, id, rid, uid).await);
    let en = ctx.lang() == moim_core::accounts::Locale::En;
    let v = roster_view(&l, Some(uid), en, &Filter::default(), role.can_manage());
    render(StatusCode::OK, &GridFragment { ctx: &ctx, v })
}

async fn rotate_feed(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, rid)): Path<(Uuid, Uuid)>,
) -> Response {
    let uid = user_or_return!(ctx);
    match flows::rotate_feed_token(&state, id, uid).await {
        Ok(_) => redirect(&ctx, &format!("/groups/{id}/rosters/{rid}#mine")),
        Err(e) => page_error(&ctx, e),
    }
}

#[derive(Deserialize)]
struct CellForm {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    shift_type_id: String,
    #[serde(default)]
    locked: Option<String>,
    #[serde(default)]
    version: String,
}

fn back(ctx: &PageCtx, id: Uuid, rid: Uuid, r: Result<(), crate::error::ApiError>) -> Response {
    match r {
        Ok(()) => redirect(ctx, &format!("/groups/{id}/rosters/{rid}")),
        Err(e) if e.code == "stale_version" => redirect(
            ctx,
            &format!("/groups/{id}/rosters/{rid}?notice=rosters.notice.stale"),
        ),
        Err(e) if e.code == "nothing_to_undo" => redirect(
            ctx,
            &format!("/groups/{id}/rosters/{rid}?notice=rosters.notice.nothing_to_undo"),
        ),
        Err(e) if e.code == "undo_blocked_by_swap" || e.code == "undo_blocked_by_regeneration" => {
            redirect(
                ctx,
                &format!(
                    "/groups/{id}/rosters/{rid}?notice=rosters.notice.{}",
                    e.code
                ),
            )
        }
        Err(e) => page_error(ctx, e),
    }
}

async fn edit_cell(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, rid)): Path<(Uuid, Uuid)>,
    Form(f): Form<CellForm>,
) -> Response {
    let uid = user_or_return!(ctx);
    let r = async {
        use crate::error::ApiError;
        let edit = flows::CellEdit {
            user: f
                .user_id
                .parse()
                .map_err(|_| ApiError::field("user_id", "required"))?,
            date: f
                .date
                .trim()
                .parse()
                .map_err(|_| ApiError::field("date", "invalid_date"))?,
            shift_type: uuid_opt(&f.shift_type_id),
            locked: Some(f.locked.is_some()),
            version: f
                .version
                .trim()
                .parse()
                .map_err(|_| ApiError::field("version", "required"))?,
        };
        flows::edit_cell(&state, id, rid, uid, &edit)
            .await
            .map(|_| ())
    }
    .await;
    back(&ctx, id, rid, r)
}

#[derive(Deserialize)]
struct SwapForm {
    #[serde(default)]
    date: String,
    #[serde(default)]
    target_user_id: String,
    #[serde(default)]
    target_date: String,
}

async fn request_swap(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, rid)): Path<(Uuid, Uuid)>,
    Form(f): Form<SwapForm>,
) -> Response {
    let uid = user_or_return!(ctx);
    let r = async {
        use crate::error::ApiError;
        let input = flows::SwapInput {
            date: f
                .date
                .trim()
                .parse()
                .map_err(|_| ApiError::field("date", "invalid_date"))?,
            target: uuid_opt(&f.target_user_id),
            target_date: match f.target_date.trim() {
                "" => None,
                d => Some(
                    d.parse()
                        .map_err(|_| ApiError::field("target_date", "invalid_date"))?,
                ),
            },
        };
        flows::request_swap(&state, id, rid, uid, &input)
            .await
            .map(|_| ())
    }
    .await;
    swap_back(&ctx, id, rid, r)
}

fn swap_back(
    ctx: &PageCtx,
    id: Uuid,
    rid: Uuid,
    r: Result<(), crate::error::ApiError>,
) -> Response {
    match r {
        Err(e)
            if e.status == StatusCode::CONFLICT || e.status == StatusCode::UNPROCESSABLE_ENTITY =>
        {
            redirect(
                ctx,
                &format!("/groups/{id}/rosters/{rid}?notice=rosters.notice.swap_refused#swaps"),
            )
        }
        r => back(ctx, id, rid, r),
    }
}

async fn swap_action(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, rid, sid, action)): Path<(Uuid, Uuid, Uuid, String)>,
) -> Response {
    let uid = user_or_return!(ctx);
    let r = match action.as_str() {
        "accept" => flows::accept_swap(&state, id, rid, sid, uid)
            .await
            .map(|_| ()),
        "approve" => flows::decide_swap(&state, id, rid, sid, uid, true)
            .await
            .map(|_| ()),
        "decline" => flows::decide_swap(&state, id, rid, sid, uid, false)
            .await
            .map(|_| ()),
        "cancel" => flows::cancel_swap(&state, id, rid, sid, uid).await,
        _ => Err(crate::error::ApiError::not_found("not_found")),
    };
    swap_back(&ctx, id, rid, r)
}

#[derive(Deserialize)]
struct VersionForm {
    #[serde(default)]
    version: String,
}

async fn undo(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, rid)): Path<(Uuid, Uuid)>,
    Form(f): Form<VersionForm>,
) -> Response {
    let uid = user_or_return!(ctx);
    let v = f.version.trim().parse().unwrap_or(-1);
    back(
        &ctx,
        id,
        rid,
        flows::undo(&state, id, rid, uid, v).await.map(|_| ()),
    )
}

async fn publish(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, rid)): Path<(Uuid, Uuid)>,
    Form(f): Form<VersionForm>,
) -> Response {
    let uid = user_or_return!(ctx);
    let v = f.version.trim().parse().unwrap_or(-1);
    back(&ctx, id, rid, flows::publish(&state, id, rid, uid, v).await)
}

#[derive(Deserialize)]
struct RenameForm {
    #[serde(default)]
    name: String,
}

async fn rename(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, rid)): Path<(Uuid, Uuid)>,
    Form(f): Form<RenameForm>,
) -> Response {
    let uid = user_or_return!(ctx);
    back(
        &ctx,
        id,
        rid,
        flows::rename(&state, id, rid, uid, &f.name).await,
    )
}

async fn delete(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, rid)): Path<(Uuid, Uuid)>,
) -> Response {
    let uid = user_or_return!(ctx);
    match flows::delete(&state, id, rid, uid).await {
        Ok(()) => redirect(&ctx, &format!("/groups/{id}/rosters")),
        Err(e) => page_error(&ctx, e),
    }
}

async fn share(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, rid)): Path<(Uuid, Uuid)>,
) -> Response {
    let uid = user_or_return!(ctx);
    back(
        &ctx,
        id,
        rid,
        flows::share(&state, id, rid, uid).await.map(|_| ()),
    )
}

async fn unshare(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, rid)): Path<(Uuid, Uuid)>,
) -> Response {
    let uid = user_or_return!(ctx);
    back(&ctx, id, rid, flows::unshare(&state, id, rid, uid).await)
}

async fn cancel(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, rid)): Path<(Uuid, Uuid)>,
) -> Response {
    let uid = user_or_return!(ctx);
    let r = flows::cancel(&state, id, rid, uid).await;
    // Already finished is fine: the page shows the result.
    back(
        &ctx,
        id,
        rid,
        r.or_else(|e| {
            if e.code == "not_generating" {
                Ok(())
            } else {
                Err(e)
            }
        }),
    )
}

async fn regenerate(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, rid)): Path<(Uuid, Uuid)>,
    Form(f): Form<VersionForm>,
) -> Response {
    let uid = user_or_return!(ctx);
    let v = f.version.trim().parse().unwrap_or(-1);
    back(
        &ctx,
        id,
        rid,
        flows::regenerate(&state, id, rid, uid, v, None).await,
    )
}

pub const STRINGS: crate::i18n::Strings = &[
    ("rosters.people", "근무 인원", "People"),
    ("rosters.position", "직위", "Position"),
    ("rosters.account", "moim 계정", "moim account"),
    (
        "rosters.roster_only",
        "명단만 (계정 없음)",
        "Roster only (no account)",
    ),
    ("rosters.remove", "빼기", "Remove"),
    ("rosters.delete", "삭제", "Delete"),
    (
        "rosters.import",
        "CSV로 인원 가져오기",
        "Import people from CSV",
    ),
    (
        "rosters.import_help",
        "한 줄에 한 명: 이름, 이메일 또는 닉네임, 직위 (쉼표 또는 탭으로 구분, 첫 줄 머리글은 건너뜀). 모임 멤버의 이메일·닉네임이면 그 멤버에게 이름과 직위를 붙이고, 아니면 계정 없는 근무 인원으로 추가해요. 잘못된 줄이 하나라도 있으면 아무것도 저장하지 않아요.",
        "One person per line: name, e-mail or nickname, position (comma or tab separated; a header line is skipped). A group member's e-mail or nickname gives that member the name and position; anyone else is added as a roster-only person. If any line is wrong, nothing is stored.",
    ),
    (
        "rosters.import_file",
        "파일 선택 (CSV)",
        "Choose a file (CSV)",
    ),
    ("rosters.import_paste", "또는 붙여넣기", "Or paste"),
    ("rosters.import_button", "가져오기", "Import"),
    (
        "rosters.notice.imported",
        "인원을 가져왔어요.",
        "People imported.",
    ),
    ("rosters.notice.saved", "저장했어요.", "Saved."),
    ("rosters.edit_shift", "수정", "Edit"),
    (
        "rosters.by_weekday",
        "요일마다 다르게",
        "Different by weekday",
    ),
    (
        "rosters.holiday_headcount",
        "공휴일 인원",
        "On public holidays",
    ),
    (
        "rosters.holiday_headcount_hint",
        "비우면 일요일과 같음",
        "empty = as on Sunday",
    ),
    (
        "rosters.who_hint",
        "아무도 고르지 않으면 모두",
        "none ticked = everyone",
    ),
    (
        "rosters.shift_hint",
        "요일별 인원, 공휴일 인원, 근무 가능 인원은 추가한 뒤 '수정'에서 정해요.",
        "Set per-weekday and holiday headcounts and who may work it under 'Edit' after adding.",
    ),
    ("rosters.preview", "이 조건의 뜻", "What it means"),
    (
        "rosters.preview_incomplete",
        "조건을 끝까지 고르면 여기에 뜻이 나와요.",
        "Finish the condition to see what it means.",
    ),
    ("rosters.show", "보기", "Show"),
    ("rosters.prev", "이전 달", "Previous month"),
    ("rosters.next", "다음 달", "Next month"),
    (
        "rosters.leave_help",
        "쉬는 날을 눌러 고르고 저장하세요. 보이는 두 달만 바뀌어요.",
        "Tick the days off and save. Only the two months shown change.",
    ),
    ("rosters.leave_kind", "종류", "Kind"),
    ("rosters.leave_kind.leave", "휴가", "Leave"),
    ("rosters.leave_kind.unavailable", "근무 불가", "Unavailable"),
    ("rosters.requests", "근무 요청", "Requests"),
    ("rosters.request_kind", "요청", "Request"),
    ("rosters.want", "근무 희망", "Wants to work"),
    ("rosters.dont_want", "근무 안 하고 싶음", "Wants it off"),
    ("rosters.date", "날짜", "Date"),
    (
        "rosters.request_hint",
        "요청은 가능하면 들어줘요 (기본 가중치 10: 클수록 먼저 들어줘요). 꼭 쉬어야 하는 날은 휴가로 넣으세요.",
        "Requests are met when possible (default weight 10; higher goes first). Days that must be free go under leave.",
    ),
    ("rosters.holidays", "공휴일", "Public holidays"),
    (
        "rosters.holidays_default",
        "대한민국 공휴일 기본표(2024–2035, 대체공휴일 포함)를 쓰고 있어요. 고치면 이 모임만의 표가 돼요.",
        "Using Korea's default table (2024–2035, substitute holidays included). Editing makes it this group's own table.",
    ),
    (
        "rosters.holidays_own",
        "이 모임만의 공휴일 표예요.",
        "This group's own holiday table.",
    ),
    (
        "rosters.holidays_help",
        "한 줄에 하루: 날짜(YYYY-MM-DD)와 이름",
        "One day per line: date (YYYY-MM-DD) and name",
    ),
    (
        "rosters.holidays_reset",
        "대한민국 기본표로 되돌리기",
        "Back to Korea's table",
    ),
    ("rosters.options", "교대 설정", "Swap settings"),
    (
        "rosters.swap_needs_approval",
        "근무 교대는 관리자 승인 후 반영",
        "A manager approves swaps before they apply",
    ),
    ("rosters.title", "근무표", "Rosters"),
    ("rosters.setup", "근무 설정", "Roster setup"),
    ("rosters.new", "새 근무표 만들기", "New roster"),
    ("rosters.name", "이름", "Name"),
    ("rosters.starts_on", "시작일", "First day"),
    ("rosters.ends_on", "종료일", "Last day"),
    ("rosters.time_limit", "생성 시간(초)", "Search time (s)"),
    ("rosters.generate", "자동 생성", "Generate"),
    ("rosters.none", "아직 근무표가 없어요.", "No rosters yet."),
    ("rosters.status.generating", "생성 중", "Generating"),
    ("rosters.status.ready", "완성", "Ready"),
    ("rosters.status.failed", "생성 불가", "Impossible"),
    ("rosters.published", "게시됨", "Published"),
    ("rosters.draft", "초안", "Draft"),
    ("rosters.everyone", "모든 인원", "Everyone"),
    ("rosters.shift_types", "근무 유형", "Shift types"),
    ("rosters.shift_name", "근무 이름", "Shift name"),
    ("rosters.start", "시작", "Start"),
    ("rosters.end", "종료", "End"),
    ("rosters.colour", "색", "Colour"),
    ("rosters.headcount", "하루 인원", "People per day"),
    ("rosters.who", "근무 가능", "Who may work it"),
    ("rosters.add", "추가", "Add"),
    ("rosters.conditions", "근무 조건", "Conditions"),
    (
        "rosters.week_rule",
        "주 단위 조건은 월요일에 시작하는 주로 셉니다. 주말은 토요일과 일요일입니다.",
        "Weekly rules count weeks starting on Monday. A weekend is Saturday and Sunday.",
    ),
    (
        "rosters.week_note",
        "달력은 일요일부터 표시합니다. 주 단위 조건은 월요일부터 일요일까지를 한 주로 셉니다.",
        "Calendar weeks start on Monday, and weekly conditions count the same Monday-to-Sunday weeks.",
    ),
    ("rosters.rename", "이름 바꾸기", "Rename"),
    ("rosters.delete_roster", "근무표 삭제", "Delete roster"),
    (
        "rosters.delete_confirm",
        "이 근무표를 삭제할까요? 되돌릴 수 없습니다.",
        "Delete this roster? This cannot be undone.",
    ),
    ("rosters.copy_link", "공유 링크 복사", "Copy share link"),
    ("rosters.hard", "반드시", "Must"),
    ("rosters.soft", "가능하면", "Preferably"),
    ("rosters.weight", "가중치", "Weight"),
    ("rosters.kind", "조건 종류", "Kind of rule"),
    ("rosters.kind.shift_count", "근무 횟수", "Number of shifts"),
    ("rosters.kind.hours", "근무 시간", "Hours worked"),
    (
        "rosters.kind.max_consecutive_work",
        "최대 연속 근무일",
        "Most days in a row",
    ),
    (
        "rosters.kind.min_consecutive_work",
        "최소 연속 근무일",
        "Fewest days in a row",
    ),
    (
        "rosters.kind.min_consecutive_days_off",
        "최소 연속 휴무일",
        "Fewest days off in a row",
    ),
    (
        "rosters.kind.forbidden_succession",
        "다음 날 금지 근무",
        "Not the day after",
    ),
    ("rosters.kind.min_rest", "최소 휴식 시간", "Minimum rest"),
    (
        "rosters.kind.max_weekends",
        "최대 주말 근무",
        "Most weekends",
    ),
    ("rosters.kind.fairness", "공평하게 나누기", "Spread evenly"),
    ("rosters.shift_a", "근무 유형 (앞)", "Shift type (first)"),
    (
        "rosters.shift_b",
        "근무 유형 (다음 날)",
        "Shift type (next day)",
    ),
    ("rosters.any_shift", "모든 근무", "Any shift"),
    ("rosters.period", "기간", "Period"),
    ("rosters.period.week", "주", "Week"),
    ("rosters.period.month", "월", "Month"),
    ("rosters.period.roster", "근무표 전체", "Whole roster"),
    ("rosters.min", "최소", "At least"),
    ("rosters.max", "최대", "At most"),
    (
        "rosters.value",
        "값 (일/시간/횟수)",
        "Value (days/hours/count)",
    ),
    ("rosters.measure", "무엇을", "What"),
    ("rosters.measure.shifts", "근무 횟수", "Shifts"),
    ("rosters.measure.hours", "근무 시간", "Hours"),
    ("rosters.measure.weekends", "주말 근무", "Weekends"),
    ("rosters.applies_to", "대상", "Applies to"),
    (
        "rosters.leave",
        "휴가·근무 불가일",
        "Leave and unavailable days",
    ),
    (
        "rosters.leave_dates",
        "날짜 (쉼표로 구분)",
        "Dates (comma separated)",
    ),
    ("rosters.member", "멤버", "Member"),
    ("rosters.save", "저장", "Save"),
    ("rosters.edit_condition", "수정", "Edit"),
    ("rosters.view.members", "멤버별", "By member"),
    ("rosters.view.shifts", "근무별", "By shift"),
    ("rosters.view.calendar", "달력", "Calendar"),
    ("rosters.view.mine", "내 근무", "My shifts"),
    ("rosters.filter", "필터", "Filter"),
    ("rosters.all", "전체", "All"),
    (
        "rosters.progress",
        "생성 중… 가장 좋은 비용",
        "Generating… best cost",
    ),
    ("rosters.cancel", "중지", "Stop"),
    ("rosters.cost", "비용", "Cost"),
    (
        "rosters.hard_violations",
        "지켜지지 않은 필수 조건",
        "Broken must-rules",
    ),
    (
        "rosters.feasible",
        "모든 필수 조건을 지킵니다",
        "Every must-rule holds",
    ),
    ("rosters.by_rule", "조건별", "By rule"),
    (
        "rosters.fairness",
        "공평성 (근무·야간·주말)",
        "Fairness (shifts, nights, weekends)",
    ),
    ("rosters.shifts", "근무", "Shifts"),
    ("rosters.nights", "야간", "Nights"),
    ("rosters.weekends", "주말", "Weekends"),
    (
        "rosters.impossible",
        "조건을 모두 지킬 수 없습니다. 아래 설정을 바꿔 보세요.",
        "The rules cannot all hold. Change one of these settings.",
    ),
    ("rosters.change_setting", "설정 바꾸기", "Change setting"),
    ("rosters.edit", "칸 수정", "Edit a cell"),
    ("rosters.day_off", "휴무", "Off"),
    ("rosters.lock", "고정", "Lock"),
    ("rosters.apply", "적용", "Apply"),
    ("rosters.undo", "되돌리기", "Undo"),
    ("rosters.publish", "게시하기", "Publish"),
    (
        "rosters.regenerate",
        "다시 생성 (고정·게시 유지)",
        "Regenerate (keeps locked and published)",
    ),
    ("rosters.share", "공유 링크 만들기", "Create share link"),
    ("rosters.unshare", "공유 중지", "Revoke link"),
    ("rosters.share_link", "공유 링크", "Share link"),
    (
        "rosters.copy_text",
        "카톡용 텍스트 복사",
        "Copy as text for KakaoTalk",
    ),
    ("rosters.copied", "복사했어요", "Copied"),
    ("rosters.copy", "복사", "Copy"),
    (
        "rosters.live_note",
        "지금까지 찾은 가장 좋은 근무표예요. 더 좋은 근무표를 찾으면 바뀌어요.",
        "The best roster found so far; it changes when a better one turns up.",
    ),
    (
        "rosters.not_published",
        "이 근무표는 아직 게시되지 않았어요. 관리자가 게시하면 이 링크에서 볼 수 있어요.",
        "This roster has not been published yet. It appears at this link once a manager publishes it.",
    ),
    (
        "rosters.feed_url",
        "내 캘린더 구독 주소",
        "My calendar feed URL",
    ),
    (
        "rosters.feed_help",
        "구글·애플 캘린더에서 이 주소를 구독하면 게시된 내 근무가 보여요 (로그인 필요 없음). 주소가 새어 나가면 새 주소로 바꾸세요.",
        "Subscribe to this URL in Google or Apple Calendar to see your published shifts (no sign-in). If it leaks, make a new one.",
    ),
    ("rosters.feed_rotate", "새 주소로 바꾸기", "Make a new URL"),
    ("rosters.print", "인쇄", "Print"),
    ("rosters.ical", "캘린더 (iCal)", "Calendar (iCal)"),
    ("rosters.my_ical", "내 근무 캘린더", "My shifts calendar"),
    (
        "rosters.changed",
        "게시 후 변경됨",
        "Changed since publishing",
    ),
    ("rosters.locked", "고정됨", "Locked"),
    ("rosters.today", "오늘", "Today"),
    ("rosters.holiday", "공휴일", "Public holiday"),
    (
        "rosters.notice.stale",
        "다른 사람이 먼저 수정했어요. 새로 불러왔으니 다시 시도하세요.",
        "Someone changed it first. Reloaded; try again.",
    ),
    (
        "rosters.notice.nothing_to_undo",
        "되돌릴 수정이 없어요.",
        "Nothing to undo.",
    ),
    (
        "rosters.notice.undo_blocked_by_swap",
        "마지막 변경은 확정된 근무 교대라 되돌릴 수 없어요. 칸을 직접 고쳐 주세요.",
        "The last change was an applied swap, which undo does not revert. Edit the cells instead.",
    ),
    (
        "rosters.notice.undo_blocked_by_regeneration",
        "마지막 변경은 다시 만들기라 되돌릴 수 없어요. 칸을 직접 고치거나 다시 만들어 주세요.",
        "The last change was a regeneration, which undo does not revert. Edit the cells or regenerate.",
    ),
    ("rosters.notice.published", "게시했어요.", "Published."),
    ("rosters.swaps", "근무 교대", "Shift swaps"),
    (
        "rosters.swap_offer",
        "내 근무 넘기기/바꾸기",
        "Offer or swap my shift",
    ),
    ("rosters.swap_my_date", "내 근무 날짜", "Date of my shift"),
    (
        "rosters.swap_with",
        "상대 (비우면 누구나)",
        "With (empty = anyone)",
    ),
    (
        "rosters.swap_their_date",
        "상대 근무 날짜 (비우면 넘기기)",
        "Their shift's date (empty = hand over)",
    ),
    ("rosters.swap_send", "요청하기", "Send request"),
    ("rosters.swap_accept", "수락", "Accept"),
    ("rosters.swap_approve", "승인", "Approve"),
    ("rosters.swap_decline", "거절", "Decline"),
    ("rosters.swap_cancel", "취소", "Withdraw"),
    ("rosters.swap_status.pending", "대기 중", "Waiting"),
    (
        "rosters.swap_status.accepted",
        "관리자 승인 대기",
        "Awaiting a manager",
    ),
    ("rosters.swap_status.applied", "반영됨", "Applied"),
    ("rosters.swap_status.declined", "거절됨", "Declined"),
    ("rosters.swap_status.cancelled", "취소됨", "Withdrawn"),
    (
        "rosters.notice.swap_refused",
        "교대할 수 없어요: 내 근무가 아니거나, 이미 처리되었거나, 근무 조건을 어기게 돼요.",
        "That swap is not possible: not your shift, already handled, or it would break a rule.",
    ),
    (
        "rosters.public_note",
        "읽기 전용 공유 페이지",
        "Read-only shared page",
    ),
    (
        "notify.roster.published.title",
        "근무표가 게시되었어요",
        "A roster was published",
    ),
    (
        "notify.roster.published.body",
        "{name} 근무표를 확인하세요.",
        "Check the roster {name}.",
    ),
    (
        "notify.roster.swap_requested.title",
        "근무 교대 요청",
        "Shift swap request",
    ),
    (
        "notify.roster.swap_requested.body",
        "{name}님이 근무 교대를 요청했어요.",
        "{name} asked to swap a shift.",
    ),
    (
        "notify.roster.swap_applied.title",
        "근무 교대 완료",
        "Shift swap done",
    ),
    (
        "notify.roster.swap_applied.body",
        "{name} 근무표에 교대가 반영되었어요.",
        "A swap was applied to {name}.",
    ),
];
