//! Schema introspection, normalised so a SQLite and a PostgreSQL database can be compared.
//!
//! The test that the two backends agree migrates both and compares these descriptions: same
//! tables, same columns with equivalent types and nullability, same primary keys and indexes.

use crate::{Db, Result};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// column name → (normalised type, nullable)
    pub columns: BTreeMap<String, (String, bool)>,
    pub primary_key: Vec<String>,
    /// (index name, unique)
    pub indexes: BTreeSet<(String, bool)>,
}

pub type Schema = BTreeMap<String, Table>;

/// Maps both dialects' type names onto one vocabulary.
pub fn normalise_type(t: &str) -> String {
    match t.to_ascii_lowercase().as_str() {
        "integer" | "bigint" | "int8" => "int",
        "text" => "text",
        "blob" | "bytea" | "uuid" => "blob",
        "boolean" | "bool" => "bool",
        "double precision" | "real" | "float8" => "float",
        other => return other.to_owned(),
    }
    .to_owned()
}

pub async fn describe(db: &Db) -> Result<Schema> {
    let mut schema = Schema::new();
    match db {
        Db::Sqlite(pool) => {
            let tables: Vec<(String,)> = sqlx::query_as(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .fetch_all(pool)
            .await?;
            for (name,) in tables {
                let mut t = Table::default();
                let cols: Vec<(String, String, bool, i64)> = sqlx::query_as(
                    "SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid",
                )
                .bind(&name)
                .fetch_all(pool)
                .await?;
                let mut pk: Vec<(i64, String)> = Vec::new();
                for (col, ty, notnull, pkpos) in cols {
                    // SQLite lets a primary-key column be NULL unless declared otherwise; both
                    // backends refuse NULL keys in practice, so compare them as NOT NULL.
                    t.columns
                        .insert(col.clone(), (normalise_type(&ty), !notnull && pkpos == 0));
                    if pkpos > 0 {
                        pk.push((pkpos, col));
                    }
                }
                pk.sort();
                t.primary_key = pk.into_iter().map(|(_, c)| c).collect();
                let idx: Vec<(String, bool, String)> =
                    sqlx::query_as("SELECT name, \"unique\", origin FROM pragma_index_list($1)")
                        .bind(&name)
                        .fetch_all(pool)
                        .await?;
                for (iname, unique, origin) in idx {
                    if origin != "pk" {
                        t.indexes.insert((iname, unique));
                    }
                }
                schema.insert(name, t);
            }
        }
        Db::Postgres(pool) => {
            let cols: Vec<(String, String, String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
                 FROM information_schema.columns WHERE table_schema = current_schema() \
                 ORDER BY table_name, ordinal_position",
            )
            .fetch_all(pool)
            .await?;
            for (table, col, ty, nullable) in cols {
                schema
                    .entry(table)
                    .or_default()
                    .columns
                    .insert(col, (normalise_type(&ty), nullable == "YES"));
            }
            let pks: Vec<(String, String)> = sqlx::query_as(
                "SELECT tc.table_name::text, kcu.column_name::text FROM information_schema.table_constraints tc \
                 JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name \
                 AND kcu.table_schema = tc.table_schema \
                 WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema() \
                 ORDER BY tc.table_name, kcu.ordinal_position",
            )
            .fetch_all(pool)
            .await?;
            for (table, col) in pks {
                schema.entry(table).or_default().primary_key.push(col);
            }
            let idx: Vec<(String, String, bool)> = sqlx::query_as(
                "SELECT t.relname::text, i.relname::text, ix.indisunique FROM pg_index ix \
                 JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid \
                 JOIN pg_namespace n ON n.oid = t.relnamespace \
                 WHERE n.nspname = current_schema() AND NOT ix.indisprimary",
            )
            .fetch_all(pool)
            .await?;
            for (table, index, unique) in idx {
                schema
                    .entry(table)
                    .or_default()
                    .indexes
                    .insert((index, unique));
            }
        }
    }
    Ok(schema)
}
