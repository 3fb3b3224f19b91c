//! The two backends' schemas must agree: same tables, columns (equivalent types, nullability),
//! primary keys and indexes. Needs both databases, so it runs in the PostgreSQL suite.

#[tokio::test]
async fn sqlite_and_postgres_schemas_agree() {
    let Some(pg_admin) = moim_testkit::postgres_url() else {
        eprintln!("skipped: set MOIM_TEST_DATABASE_URL=postgres://... to compare the schemas");
        return;
    };
    let _ = pg_admin;
    let app = super::app().await; // on PostgreSQL, since the URL is set
    assert_eq!(app.backend(), "postgres");
    let dir = std::env::temp_dir().join(format!("moim-schema-{}", uuid::Uuid::now_v7()));
    let sqlite = moim_store::connect(
        &format!("sqlite://{}/s.db", dir.display()),
        &moim_store::PoolConfig::default(),
    )
    .await
    .unwrap();
    moim_store::migrate(&sqlite).await.unwrap();
    let a = moim_store::schema::describe(&sqlite).await.unwrap();
    let b = moim_store::schema::describe(&app.db).await.unwrap();
    assert!(
        a.len() >= 8,
        "expected the foundation tables, saw {:?}",
        a.keys().collect::<Vec<_>>()
    );
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "same tables"
    );
    for (table, ta) in &a {
        let tb = &b[table];
        assert_eq!(ta.columns, tb.columns, "columns of {table}");
        assert_eq!(ta.primary_key, tb.primary_key, "primary key of {table}");
        assert_eq!(ta.indexes, tb.indexes, "indexes of {table}");
    }
    sqlite.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
