//! Fixed-window rate-limit counters in the database, so the limit holds across every instance
//! behind a load balancer (an in-memory limiter would multiply it by the number of instances).

use crate::{Db, Result, dispatch};
use moim_core::time::{Millis, now_millis};

/// Counts one hit on `key` and returns the hits in the current window.
pub async fn hit(db: &Db, key: &str, window: Millis) -> Result<i64> {
    let now = now_millis();
    let (hits,): (i64,) = dispatch!(db, pool => sqlx::query_as(
        "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
           hits = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.hits + 1 END, \
           window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END \
         RETURNING hits")
        .bind(key).bind(now).bind(now - window).fetch_one(pool).await?);
    Ok(hits)
}

/// Hits in the current window without counting one.
pub async fn peek(db: &Db, key: &str, window: Millis) -> Result<i64> {
    let now = now_millis();
    let row: Option<(i64,)> = dispatch!(db, pool => sqlx::query_as(
        "SELECT hits FROM rate_limits WHERE key = $1 AND window_start > $2")
        .bind(key).bind(now - window).fetch_optional(pool).await?);
    Ok(row.map_or(0, |(h,)| h))
}

pub async fn clear(db: &Db, key: &str) -> Result<()> {
    dispatch!(db, pool => sqlx::query("DELETE FROM rate_limits WHERE key = $1").bind(key).execute(pool).await.map(|_| ())?);
    Ok(())
}
