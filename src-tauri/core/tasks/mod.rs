//! The user's tasks: the model, a store in SQLite that many processes share, the five
//! tools the assistant uses, and sync with a backend through a persisted outbox.

pub mod db;
pub mod model;
pub mod rows;
pub mod search;
pub mod store;
pub mod sync;
pub mod sync_runner;
pub mod sync_state;
pub mod tools;
