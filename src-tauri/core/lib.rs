//! The core of Todo Assistant without Tauri: the session broker, the ChatKit server, the
//! assistant, the tasks and their sync, and crash-safe storage. The desktop app (the root
//! crate) is a thin Tauri shell over it; `todo-assistant-cli` is a headless one.

pub mod agent;
pub mod broker;
pub mod chatkit;
pub mod cli;
pub mod error;
pub mod logging;
pub mod mcp;
pub mod mcp_setup;
pub mod serve;
pub mod storage;
pub mod tasks;
