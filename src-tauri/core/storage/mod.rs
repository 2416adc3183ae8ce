//! Crash-safe persistence: the atomic file writer, folders of JSON documents (through
//! tauri-plugin-store in the app, plain files in `serve`), the thread store on top, and
//! chat attachments as plain files.

pub mod atomic;
pub mod attachment_files;
pub mod documents;
pub mod index_journal;
pub mod thread_store;
