//! `/api/v1/admin/*`: operator endpoints. There is no admin role yet: a caller is an operator
//! when signed in with a verified e-mail listed in `MOIM_ADMIN_EMAILS` (403 otherwise).
//!
//! Jobs: list the queue (newest first, filtered by status, cursor-paginated), retry a dead job
//! with fresh attempts, discard a dead or queued job (it becomes `cancelled`).

use super::{ApiPath, ApiQuery};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::flows::decode_cursor;
use axum::Json;
use axum::extract::State;
use moim_core::time::timestamp;
use moim_store::accounts::User;
use moim_store::groups::Cursor;
use moim_store::jobs::{self as store, Job};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_jobs))
        .routes(routes!(retry_job))
        .routes(routes!(discard_job))
}

/// Operators only: a verified account whose address is in `MOIM_ADMIN_EMAILS`.
fn require_admin(state: &AppState, user: &User) -> ApiResult<()> {
    if user.is_verified() && state.config.is_admin_email(&user.email) {
        Ok(())
    } else {
        Err(ApiError::forbidden("admin_only"))
    }
}

#[derive(Serialize, ToSchema)]
pub struct JobDto {
    pub id: Uuid,
    pub kind: String,
    /// The JSON payload, as stored.
    pub payload: String,
    pub unique_key: Option<String>,
    /// queued, running, done, dead or cancelled
    pub status: String,
    /// When the job is (or was) due (RFC 3339).
    pub run_at: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
    /// The worker holding the job while it runs.
    pub locked_by: Option<String>,
    pub locked_until: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}

fn job_dto(j: Job) -> JobDto {
    let ts = |ms: i64| timestamp(ms).to_string();
    JobDto {
        id: j.id,
        kind: j.kind,
        payload: j.payload,
        unique_key: j.unique_key,
        status: j.status,
        run_at: ts(j.run_at),
        attempts: j.attempts,
        max_attempts: j.max_attempts,
        last_error: j.last_error,
        locked_by: j.locked_by,
        locked_until: j.locked_until.map(ts),
        created_at: ts(j.created_at),
        updated_at: ts(j.updated_at),
        finished_at: j.finished_at.map(ts),
    }
}

#[derive(Serialize, ToSchema)]
pub struct JobPage {
    pub items: Vec<JobDto>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct JobQuery {
    /// Only jobs in this status: queued, running, done, dead or cancelled.
    pub status: Option<String>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–100, default 50.
    pub limit: Option<i64>,
}

/// The job queue, newest first.
#[utoipa::path(get, path = "/admin/jobs", tag = "admin", security(("bearer" = [])), params(JobQuery),
    responses((status = 200, body = JobPage), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
async fn list_jobs(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<JobQuery>,
) -> ApiResult<Json<JobPage>> {
    require_admin(&state, &user)?;
    let n = match q.limit.unwrap_or(50) {
        n @ 1..=100 => n,
        _ => return Err(ApiError::field("limit", "out_of_range")),
    };
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    if status.is_some_and(|s| !store::STATUSES.contains(&s)) {
        return Err(ApiError::field("status", "invalid"));
    }
    let after = decode_cursor(q.cursor.as_deref())?;
    let rows = store::list(&state.db, status, after, n + 1).await?;
    let (rows, next_cursor) = crate::flows::split_page(rows, n, |j| Cursor {
        at: j.created_at,
        id: j.id,
    });
    Ok(Json(JobPage {
        items: rows.into_iter().map(job_dto).collect(),
        next_cursor,
    }))
}

async fn changed(
    state: &AppState,
    id: Uuid,
    ok: bool,
    code: &'static str,
) -> ApiResult<Json<JobDto>> {
    let job = store::get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("not_found"))?;
    if !ok {
        return Err(ApiError::conflict(code).detail(format!("the job is {}", job.status)));
    }
    Ok(Json(job_dto(job)))
}

/// Runs a dead job again, due now, with a fresh budget of 5 attempts on top of those it used;
/// its `last_error` stays visible until a new failure replaces it.
#[utoipa::path(post, path = "/admin/jobs/{id}/retry", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Job id")),
    responses((status = 200, body = JobDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The job is not dead", body = Problem)))]
async fn retry_job(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<JobDto>> {
    require_admin(&state, &user)?;
    let ok = store::retry_dead(&state.db, id).await?;
    if ok {
        tracing::info!(job = %id, by = %user.id, "dead job retried by an operator");
    }
    changed(&state, id, ok, "job_not_dead").await
}

/// Gives up on a dead or queued job: it becomes `cancelled` and will not run.
#[utoipa::path(post, path = "/admin/jobs/{id}/discard", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Job id")),
    responses((status = 200, body = JobDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The job is running or finished", body = Problem)))]
async fn discard_job(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<JobDto>> {
    require_admin(&state, &user)?;
    let ok = store::discard(&state.db, id).await?;
    if ok {
        tracing::info!(job = %id, by = %user.id, "job discarded by an operator");
    }
    changed(&state, id, ok, "job_not_discardable").await
}
