//! Crash-safe persistence: the atomic file writer, folders of JSON documents (through
//! tauri-plugin-store in the app, plain files in `serve`), and the thread store on top.

pub mod atomic;
pub mod documents;
pub mod index_journal;
pub mod thread_store;
