//! Operations: `/healthz` (the process answers), `/readyz` (the database answers), `/metrics`
//! (Prometheus), the per-route request metrics middleware, and security headers.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Instant;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_endpoint))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(std::time::Duration::from_secs(2), state.db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready").into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database timeout").into_response(),
    }
}

async fn metrics_endpoint(State(state): State<AppState>) -> Response {
    match &state.metrics {
        Some(h) => {
            metrics::gauge!("moim_read_cache_hits").set(state.cache.hits() as f64);
            (
                [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                h.render(),
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "metrics disabled").into_response(),
    }
}

/// The process-wide Prometheus recorder. The `metrics` facade has one global recorder per
/// process, so it is installed once and every app in the process (tests run many) shares it.
pub fn metrics_handle() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    &[
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    ],
                )
                .ok()?
                .set_buckets_for_metric(
                    Matcher::Full("moim_job_duration_seconds".into()),
                    &[
                        0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 120.0, 600.0,
                    ],
                )
                .ok()?;
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            // Histograms keep every recorded sample until an upkeep folds them into their
            // buckets. `build_recorder` (unlike the exporter's own `install`) starts no upkeep,
            // so without a scrape of /metrics the samples grew by one per request forever.
            let upkeep = handle.clone();
            let _ = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(std::time::Duration::from_secs(5));
                        upkeep.run_upkeep();
                    }
                });
            Some(handle)
        })
        .clone()
}

/// Counts requests and records latency per route template (`/api/v1/groups/{id}`), never per
/// concrete path, so the number of series stays bounded.
///
/// The counter and histogram handles are looked up once per (route, method, status) and kept:
/// registering through the `metrics` macros on every request allocated the label strings and
/// hashed the key in the recorder's registry each time.
pub async fn track_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = req.method().clone();
    let res = next.run(req).await;
    let route = route.as_ref().map_or("unmatched", |p| p.as_str());
    let (counter, histogram) = handles(route, &method, res.status().as_u16());
    counter.increment(1);
    histogram.record(start.elapsed().as_secs_f64());
    res
}

type Handles = (metrics::Counter, metrics::Histogram);

/// Per route: (method, status) → handles. Few entries each, so a short list.
type HandleMap = HashMap<String, Vec<(Method, u16, Handles)>>;
static HANDLES: OnceLock<std::sync::Mutex<HandleMap>> = OnceLock::new();

fn handles(route: &str, method: &Method, status: u16) -> Handles {
    let map = HANDLES.get_or_init(Default::default);
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(list) = map.get(route)
        && let Some((_, _, h)) = list.iter().find(|(m, s, _)| m == method && *s == status)
    {
        return h.clone();
    }
    let labels = [
        ("method", method.as_str().to_owned()),
        ("route", route.to_owned()),
        ("status", status.to_string()),
    ];
    let h = (
        metrics::counter!("http_requests_total", &labels),
        metrics::histogram!("http_request_duration_seconds", &labels[..2]),
    );
    // Unknown paths all share "unmatched", so the map stays as small as the route table.
    map.entry(route.to_owned())
        .or_default()
        .push((method.clone(), status, h.clone()));
    h
}

pub fn make_span(req: &Request) -> tracing::Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str())
        .unwrap_or("unmatched");
    // The route template, not the URI: query strings and paths may carry tokens.
    tracing::info_span!("request", method = %req.method(), route = %route)
}

/// Security headers on every response. Scripts only from our own origin (no inline scripts),
/// no framing, no MIME sniffing, no referrer leaks of invite links.
/// Images from outside come only from the configured map tile host (`WebConfig::csp`).
pub async fn security_headers(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, state.csp.clone());
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(self)"),
    );
    res
}
