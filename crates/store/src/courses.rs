//! Course posts with their bookmarks, star ratings and views.
//!
//! Counters live on the course row and change in the same transaction as the row they count,
//! gated by what the database did: a bookmark or a view adds one only when its `INSERT ... ON
//! CONFLICT DO NOTHING` inserted (the primary keys make doubles impossible), a bookmark removes
//! one only when its `DELETE` deleted. A rating first locks the course row (a no-op `UPDATE`), so
//! raters of one course queue up on PostgreSQL as under SQLite's `BEGIN IMMEDIATE`, then
//! recomputes sum, count and average from `course_ratings`: the average is right under any
//! interleaving.
//!
//! List queries are fixed texts, one per sort order (`list_sql!`); filters are bound parameters
//! that are either off or compared with a column.

use crate::{Db, Error, Result, WritePool as _, dispatch};
use moim_core::time::Millis;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Course {
    pub id: Uuid,
    pub author_id: Uuid,
    pub title: String,
    pub description: String,
    pub address: String,
    pub region: i64,
    pub route: String,
    pub distance_m: i64,
    pub duration_min: i64,
    pub theme: String,
    pub images: String,
    pub parking: String,
    pub baggage: String,
    pub bookmark_count: i64,
    pub rating_sum: i64,
    pub rating_count: i64,
    pub rating_avg_milli: i64,
    pub view_count: i64,
    pub comment_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Joined in every read, so lists need no query per row.
    pub author_nickname: String,
}

macro_rules! course_columns {
    () => {
        "c.id, c.author_id, c.title, c.description, c.address, c.region, c.route, c.distance_m, \
         c.duration_min, c.theme, c.images, c.parking, c.baggage, c.bookmark_count, c.rating_sum, \
         c.rating_count, c.rating_avg_milli, c.view_count, c.comment_count, c.created_at, \
         c.updated_at, u.nickname AS author_nickname"
    };
}

/// What the author chooses.
#[derive(Debug, Clone)]
pub struct CourseFields {
    pub title: String,
    pub description: String,
    pub address: String,
    pub region: i64,
    pub route: String,
    pub distance_m: i64,
    pub duration_min: i64,
    pub theme: String,
    pub images: String,
    pub parking: String,
    pub baggage: String,
}

pub async fn create(db: &Db, author: Uuid, f: &CourseFields, now: Millis) -> Result<Course> {
    let id = Uuid::now_v7();
    dispatch!(db, pool => sqlx::query(
        "INSERT INTO courses (id, author_id, title, description, address, region, route, distance_m, \
         duration_min, theme, images, parking, baggage, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)")
        .bind(id).bind(author).bind(&f.title).bind(&f.description).bind(&f.address).bind(f.region)
        .bind(&f.route).bind(f.distance_m).bind(f.duration_min).bind(&f.theme).bind(&f.images)
        .bind(&f.parking).bind(&f.baggage).bind(now)
        .execute(pool).await?.rows_affected());
    get(db, id).await?.ok_or(Error::NotFound)
}

pub async fn get(db: &Db, id: Uuid) -> Result<Option<Course>> {
    const SQL: &str = concat!(
        "SELECT ",
        course_columns!(),
        " FROM courses c JOIN users u ON u.id = c.author_id WHERE c.id = $1"
    );
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Course>(SQL).bind(id).fetch_optional(pool).await?))
}

/// Edits a course (the caller checked the author). Returns false when it is gone.
pub async fn update(db: &Db, id: Uuid, f: &CourseFields, now: Millis) -> Result<bool> {
    let n = dispatch!(db, pool => sqlx::query(
        "UPDATE courses SET title = $2, description = $3, address = $4, region = $5, route = $6, \
         distance_m = $7, duration_min = $8, theme = $9, images = $10, parking = $11, baggage = $12, \
         updated_at = $13 WHERE id = $1")
        .bind(id).bind(&f.title).bind(&f.description).bind(&f.address).bind(f.region)
        .bind(&f.route).bind(f.distance_m).bind(f.duration_min).bind(&f.theme).bind(&f.images)
        .bind(&f.parking).bind(&f.baggage).bind(now)
        .execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// Deletes a course; bookmarks, ratings, views and comments go with it (foreign keys).
pub async fn delete(db: &Db, id: Uuid) -> Result<bool> {
    let n = dispatch!(db, pool => sqlx::query("DELETE FROM courses WHERE id = $1")
        .bind(id).execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// Counts a signed-in user's view once. Returns whether this view was the first.
pub async fn record_view(db: &Db, id: Uuid, user: Uuid, now: Millis) -> Result<bool> {
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let first = sqlx::query(
            "INSERT INTO course_views (course_id, user_id, viewed_at) VALUES ($1, $2, $3) \
             ON CONFLICT (course_id, user_id) DO NOTHING")
            .bind(id).bind(user).bind(now).execute(&mut *tx).await?.rows_affected() == 1;
        if first {
            sqlx::query("UPDATE courses SET view_count = view_count + 1 WHERE id = $1")
                .bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(first)
    })
}

/// Sets or clears a bookmark; idempotent. Returns the course's bookmark count afterwards.
pub async fn set_bookmark(db: &Db, id: Uuid, user: Uuid, on: bool, now: Millis) -> Result<i64> {
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        if on {
            let added = sqlx::query(
                "INSERT INTO course_bookmarks (course_id, user_id, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (course_id, user_id) DO NOTHING")
                .bind(id).bind(user).bind(now).execute(&mut *tx).await?.rows_affected();
            if added == 1 {
                sqlx::query("UPDATE courses SET bookmark_count = bookmark_count + 1 WHERE id = $1")
                    .bind(id).execute(&mut *tx).await?;
            }
        } else {
            let gone = sqlx::query("DELETE FROM course_bookmarks WHERE course_id = $1 AND user_id = $2")
                .bind(id).bind(user).execute(&mut *tx).await?.rows_affected();
            if gone == 1 {
                sqlx::query("UPDATE courses SET bookmark_count = bookmark_count - 1 WHERE id = $1")
                    .bind(id).execute(&mut *tx).await?;
            }
        }
        let (n,): (i64,) = sqlx::query_as("SELECT bookmark_count FROM courses WHERE id = $1")
            .bind(id).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok(n)
    })
}

/// The viewer's own state: (bookmarked, my stars or 0).
pub async fn mine(db: &Db, id: Uuid, user: Uuid) -> Result<(bool, i64)> {
    let b: Option<(Uuid,)> = dispatch!(db, pool => sqlx::query_as(
        "SELECT user_id FROM course_bookmarks WHERE course_id = $1 AND user_id = $2")
        .bind(id).bind(user).fetch_optional(pool).await?);
    let r: Option<(i64,)> = dispatch!(db, pool => sqlx::query_as(
        "SELECT stars FROM course_ratings WHERE course_id = $1 AND user_id = $2")
        .bind(id).bind(user).fetch_optional(pool).await?);
    Ok((b.is_some(), r.map_or(0, |r| r.0)))
}

/// Rates (or re-rates) a course. Returns (sum, count) afterwards; `None` when the course is gone.
pub async fn rate(
    db: &Db,
    id: Uuid,
    user: Uuid,
    stars: i64,
    now: Millis,
) -> Result<Option<(i64, i64)>> {
    dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        // Lock the course row first: concurrent raters of this course queue up here, and each
        // recomputation below then sees every rating committed before it.
        let locked: Option<(i64,)> = sqlx::query_as(
            "UPDATE courses SET rating_count = rating_count WHERE id = $1 RETURNING rating_count")
            .bind(id).fetch_optional(&mut *tx).await?;
        if locked.is_none() {
            return Ok(None);
        }
        sqlx::query(
            "INSERT INTO course_ratings (course_id, user_id, stars, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (course_id, user_id) DO UPDATE SET stars = $3, updated_at = $4")
            .bind(id).bind(user).bind(stars).bind(now).execute(&mut *tx).await?;
        let (sum, count): (i64, i64) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(stars), 0) AS BIGINT), COUNT(*) FROM course_ratings WHERE course_id = $1")
            .bind(id).fetch_one(&mut *tx).await?;
        sqlx::query(
            "UPDATE courses SET rating_sum = $2, rating_count = $3, rating_avg_milli = $4 WHERE id = $1")
            .bind(id).bind(sum).bind(count).bind(moim_core::courses::average_milli(sum, count))
            .execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Some((sum, count)))
    })
}

/// The list's filters; each is off when 0 / empty / `None`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// 1–9, 0 = everywhere.
    pub region: i64,
    /// An allow-listed theme or empty.
    pub theme: String,
    pub author: Option<Uuid>,
    /// Only courses this user bookmarked.
    pub bookmarked_by: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    New,
    Rating,
    Comments,
    Views,
    Bookmarks,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "new" => Sort::New,
            "rating" => Sort::Rating,
            "comments" => Sort::Comments,
            "views" => Sort::Views,
            "bookmarks" => Sort::Bookmarks,
            _ => return None,
        })
    }
    /// The value of the sort key of a row, for the next page's cursor.
    pub fn key(self, c: &Course) -> i64 {
        match self {
            Sort::New => c.created_at,
            Sort::Rating => c.rating_avg_milli,
            Sort::Comments => c.comment_count,
            Sort::Views => c.view_count,
            Sort::Bookmarks => c.bookmark_count,
        }
    }
}

/// A position in a list: the last row's sort key and id.
#[derive(Debug, Clone, Copy)]
pub struct ListCursor {
    pub key: i64,
    pub id: Uuid,
}

macro_rules! list_sql {
    ($key:literal) => {
        concat!(
            "SELECT ",
            course_columns!(),
            " FROM courses c JOIN users u ON u.id = c.author_id \
             WHERE ($1 = 0 OR c.region = $1) AND ($2 = '' OR c.theme = $2) \
             AND ($3 = FALSE OR c.author_id = $4) \
             AND ($5 = FALSE OR EXISTS (SELECT 1 FROM course_bookmarks b WHERE b.course_id = c.id AND b.user_id = $6)) \
             AND ($7 = FALSE OR (",
            $key,
            ", c.id) < ($8, $9)) ORDER BY ",
            $key,
            " DESC, c.id DESC LIMIT $10"
        )
    };
}

/// One page (`limit` rows; ask for one more to know whether another page follows). Sorting
/// happens in the query, before the page is cut.
pub async fn list(
    db: &Db,
    f: &Filter,
    sort: Sort,
    after: Option<ListCursor>,
    limit: i64,
) -> Result<Vec<Course>> {
    let sql: &'static str = match sort {
        Sort::New => list_sql!("c.created_at"),
        Sort::Rating => list_sql!("c.rating_avg_milli"),
        Sort::Comments => list_sql!("c.comment_count"),
        Sort::Views => list_sql!("c.view_count"),
        Sort::Bookmarks => list_sql!("c.bookmark_count"),
    };
    let (has_after, key, after_id) = match after {
        Some(c) => (true, c.key, c.id),
        None => (false, 0, Uuid::nil()),
    };
    Ok(dispatch!(db, pool => sqlx::query_as::<_, Course>(sql)
        .bind(f.region)
        .bind(&f.theme)
        .bind(f.author.is_some()).bind(f.author.unwrap_or(Uuid::nil()))
        .bind(f.bookmarked_by.is_some()).bind(f.bookmarked_by.unwrap_or(Uuid::nil()))
        .bind(has_after).bind(key).bind(after_id)
        .bind(limit)
        .fetch_all(pool).await?))
}

/// The top courses by the reference's score (comments + average rating + views), bookmarks
/// then recency breaking ties; `region` 0 = everywhere.
pub async fn ranking(db: &Db, region: i64, limit: i64) -> Result<Vec<Course>> {
    const SQL: &str = concat!(
        "SELECT ",
        course_columns!(),
        " FROM courses c JOIN users u ON u.id = c.author_id WHERE ($1 = 0 OR c.region = $1) \
         ORDER BY (c.comment_count + c.view_count) * 1000 + c.rating_avg_milli DESC, \
         c.bookmark_count DESC, c.created_at DESC, c.id DESC LIMIT $2"
    );
    Ok(
        dispatch!(db, pool => sqlx::query_as::<_, Course>(SQL).bind(region).bind(limit).fetch_all(pool).await?),
    )
}

/// Keeps `comment_count` in step with live comments (called inside the comment's transaction
/// by `store::comments`).
pub(crate) const ADD_COMMENT: &str =
    "UPDATE courses SET comment_count = comment_count + $2 WHERE id = $1";

/// Run by `accounts::delete_user` (with the user's id as `$1`) inside its transaction, before
/// the user row goes: takes the user's bookmarks, views, ratings and live comments out of the
/// course counters, and wipes the text of their comments, which stay as "deleted" placeholders
/// (their `author_id` becomes NULL) so other people's replies under them stay readable.
pub(crate) const FORGET_USER: &[&str] = &[
    "UPDATE courses SET bookmark_count = bookmark_count - 1 \
     WHERE id IN (SELECT course_id FROM course_bookmarks WHERE user_id = $1)",
    "UPDATE courses SET view_count = view_count - 1 \
     WHERE id IN (SELECT course_id FROM course_views WHERE user_id = $1)",
    "UPDATE courses SET \
     rating_sum = (SELECT CAST(COALESCE(SUM(r.stars), 0) AS BIGINT) FROM course_ratings r \
         WHERE r.course_id = courses.id AND r.user_id <> $1), \
     rating_count = (SELECT COUNT(*) FROM course_ratings r \
         WHERE r.course_id = courses.id AND r.user_id <> $1), \
     rating_avg_milli = COALESCE((SELECT CAST(SUM(r.stars) AS BIGINT) * 1000 / COUNT(*) \
         FROM course_ratings r WHERE r.course_id = courses.id AND r.user_id <> $1), 0) \
     WHERE id IN (SELECT course_id FROM course_ratings WHERE user_id = $1)",
    "UPDATE courses SET comment_count = comment_count - (SELECT COUNT(*) FROM comments k \
         WHERE k.course_id = courses.id AND k.author_id = $1 AND k.deleted_at IS NULL) \
     WHERE id IN (SELECT k.course_id FROM comments k WHERE k.author_id = $1 \
         AND k.deleted_at IS NULL AND k.course_id IS NOT NULL)",
    // The deletion instant is not a parameter here; the creation time marks the placeholder.
    "UPDATE comments SET body = '', deleted_at = COALESCE(deleted_at, created_at) \
     WHERE author_id = $1",
];
