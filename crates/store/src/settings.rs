//! Server-wide settings generated on first run (signing keys), shared by every instance.

use crate::{Db, Result, dispatch};

/// Returns the stored value for `key`, storing `init()` first if there is none. Concurrent first
/// starts agree on one value: the insert is `ON CONFLICT DO NOTHING` and everyone reads back.
pub async fn get_or_init(db: &Db, key: &str, init: impl FnOnce() -> String) -> Result<String> {
    let value = init();
    dispatch!(db, pool => sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(key).bind(&value).execute(pool).await.map(|_| ())?);
    let (v,): (String,) = dispatch!(db, pool => sqlx::query_as("SELECT value FROM settings WHERE key = $1")
        .bind(key).fetch_one(pool).await?);
    Ok(v)
}
