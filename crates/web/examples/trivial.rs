//! The benchmark baseline: the cheapest axum 0.8 server, one `GET /` returning a short static
//! body, on the same tokio runtime flavour as `moim serve` (multi-thread, all drivers enabled).
//! `bench/api/run.sh` measures it in the same run as moim so throughput ratios are meaningful on a
//! shared machine.
//!
//! Usage: `trivial [ADDR]` (or `TRIVIAL_LISTEN`), default `127.0.0.1:8099`.

use axum::Router;
use axum::routing::get;

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("TRIVIAL_LISTEN").ok())
        .unwrap_or_else(|| "127.0.0.1:8099".to_owned());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let app = Router::new().route("/", get(|| async { "ok" }));
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        eprintln!("trivial listening on http://{}", listener.local_addr()?);
        axum::serve(listener, app).await
    })
}
