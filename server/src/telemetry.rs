//! Logging, set up once per process: text for a terminal, JSON for log
//! collectors (`backend.log.format`), filtered by `RUST_LOG` or `backend.log.level`.

use std::sync::Once;

use crate::config::LogFormat;

/// Installs the log subscriber; later calls do nothing.
pub fn init(format: LogFormat, level: &str) {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
        let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
        // Another subscriber may already be installed (e.g. by a test harness).
        let _ = match format {
            LogFormat::Json => builder.json().try_init(),
            LogFormat::Text => builder.try_init(),
        };
    });
}
