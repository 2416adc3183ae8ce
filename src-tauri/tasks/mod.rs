//! The user's tasks: the model, a crash-safe store, and the five tools the assistant uses.

pub mod model;
pub mod store;
pub mod tools;
