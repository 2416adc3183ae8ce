//! The user's tasks: the model, a crash-safe store, the five tools the assistant uses, and
//! sync with a backend through a persisted outbox.

pub mod model;
pub mod store;
pub mod sync;
pub mod sync_runner;
pub mod sync_state;
pub mod tools;
