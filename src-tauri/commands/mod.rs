//! IPC commands: each a few lines from the webview into the core. Every one is listed in
//! build.rs and granted in capabilities/, or the webview cannot call it.

pub mod app;
pub mod chatkit;
pub mod connection;
pub mod settings;
pub mod tasks;
pub mod updates;
