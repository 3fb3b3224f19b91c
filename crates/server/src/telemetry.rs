//! Logs: human-readable by default, JSON with `MOIM_LOG_FORMAT=json`.
//!
//! The filter (`MOIM_LOG`) is a plain per-target level list (`info`, `moim_web=debug,warn`) in
//! nearly every deployment; that is served by a [`Targets`] filter. Only a filter with span or
//! field directives (`[request{route=...}]=debug`) needs an [`EnvFilter`], which takes a lock and
//! a map look-up each time any span is entered or left (every poll of every request's span),
//! measurable at tens of thousands of requests a second.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The static filter for `filter`, when it has no span or field directives.
fn targets(filter: &str) -> Option<Targets> {
    if filter.contains(['[', '{', '/']) {
        return None;
    }
    filter.parse().ok()
}

pub fn init(format: &str, filter: &str) {
    let json = format.eq_ignore_ascii_case("json");
    let registry = tracing_subscriber::registry();
    match targets(filter) {
        Some(t) if json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_target(false)
                    .json()
                    .flatten_event(true)
                    .with_current_span(true),
            )
            .with(t)
            .init(),
        Some(t) => registry
            .with(tracing_subscriber::fmt::layer().with_target(false))
            .with(t)
            .init(),
        None => {
            let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
            let builder = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_target(false);
            if json {
                builder
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .init();
            } else {
                builder.init();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_level_lists_use_the_static_filter_and_span_directives_the_env_filter() {
        assert!(targets("info").is_some());
        assert!(targets("moim_web=debug,sqlx=warn,info").is_some());
        assert!(targets("off").is_some());
        assert!(targets("[request{route=/groups/{id}}]=debug").is_none());
        assert!(targets("moim_web[request]=trace").is_none());
    }
}
