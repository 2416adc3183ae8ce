//! Logs go to a daily-rotated file in the app's log folder (a week is kept) and to stderr.
//! Secrets cannot reach a log line: they only ever travel as `SecretString`, which prints
//! `<redacted>`.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt};

use crate::error::{AppError, AppResult};

pub const LOG_FILE_PREFIX: &str = "todo-assistant";
const KEPT_LOG_FILES: usize = 7;
/// Lines waiting for the log writer. tracing-appender's default, 128,000, fills 4 MB of
/// memory the moment logging starts; the app writes a few lines a minute, and a burst past
/// this drops lines rather than blocking the app.
const LOG_BUFFER_LINES: usize = 4096;

/// Starts logging; keep the guard alive for as long as lines should reach the file.
pub fn init(log_dir: &Path) -> AppResult<WorkerGuard> {
    std::fs::create_dir_all(log_dir).map_err(|e| AppError::storage("create", log_dir, e))?;
    let appender = Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix(LOG_FILE_PREFIX)
        .filename_suffix("log")
        .max_log_files(KEPT_LOG_FILES)
        .build(log_dir)
        .map_err(|e| AppError::storage("open a log file in", log_dir, e))?;
    let (file_writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_BUFFER_LINES)
        .finish(appender);
    tracing_subscriber::registry()
        .with(filter("info"))
        .with(fmt::layer().with_writer(file_writer).with_ansi(false))
        .with(fmt::layer().with_writer(std::io::stderr))
        .try_init()
        .map_err(|e| AppError::internal(format!("logging was already set up: {e}")))?;
    Ok(guard)
}

/// Logs of a headless subcommand (`serve`, `mcp`) to stderr, so stdout carries only its
/// answers; `RUST_LOG` overrides `default_filter`.
pub fn init_stderr(default_filter: &str) {
    let _ = tracing_subscriber::registry()
        .with(filter(default_filter))
        .with(fmt::layer().with_writer(std::io::stderr))
        .try_init();
}

/// `RUST_LOG` when it is set and valid, else `default`: a level, then `target=level` pairs
/// ("info,todo_assistant_core=debug"). `Targets` reads that without `EnvFilter`'s regex
/// engine, which the headless binary carried for nothing else; it has no span filters. A
/// `RUST_LOG` it cannot read (a level it does not know) falls back to `default`.
fn filter(default: &str) -> Targets {
    filter_from(std::env::var("RUST_LOG").ok().as_deref(), default)
}

fn filter_from(rust_log: Option<&str>, default: &str) -> Targets {
    rust_log
        .filter(|value| !value.trim().is_empty())
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| default.parse().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::filter_from;
    use tracing::Level;

    #[test]
    fn rust_log_sets_levels_per_target_and_anything_unreadable_keeps_the_default() {
        let filter = filter_from(Some("warn,todo_assistant_core=debug"), "info");
        assert!(filter.would_enable("todo_assistant_core::tasks", &Level::DEBUG));
        assert!(!filter.would_enable("todo_assistant_core::tasks", &Level::TRACE));
        assert!(filter.would_enable("hyper", &Level::WARN));
        assert!(!filter.would_enable("hyper", &Level::INFO));

        for unreadable in [None, Some(""), Some("  "), Some("info,x=loud")] {
            let filter = filter_from(unreadable, "info");
            assert!(filter.would_enable("hyper", &Level::INFO), "{unreadable:?}");
            assert!(
                !filter.would_enable("hyper", &Level::DEBUG),
                "{unreadable:?}"
            );
        }
    }
}
