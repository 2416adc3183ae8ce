//! Logs go to a daily-rotated file in the app's log folder (a week is kept) and to stderr.
//! Secrets cannot reach a log line: they only ever travel as `SecretString`, which prints
//! `<redacted>`.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

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
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(file_writer).with_ansi(false))
        .with(fmt::layer().with_writer(std::io::stderr))
        .try_init()
        .map_err(|e| AppError::internal(format!("logging was already set up: {e}")))?;
    Ok(guard)
}

/// Logs of a headless subcommand (`serve`, `mcp`) to stderr, so stdout carries only its
/// answers; `RUST_LOG` overrides `default_filter`.
pub fn init_stderr(default_filter: &str) {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .try_init();
}
