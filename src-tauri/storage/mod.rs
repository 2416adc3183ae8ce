//! Crash-safe persistence and where files live.

pub mod app_store;
pub mod atomic;
