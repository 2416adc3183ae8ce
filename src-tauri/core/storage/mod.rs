//! Crash-safe persistence: the atomic file writer, folders of JSON documents (through
//! tauri-plugin-store in the app, plain files in `serve`), the thread store on top, and
//! chat attachments as plain files; `history_watch` notices other processes' thread changes.

pub mod atomic;
pub mod attachment_files;
pub mod documents;
pub mod history_watch;
pub mod index_journal;
pub mod thread_store;
