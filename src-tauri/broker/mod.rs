//! The session broker: long-lived secrets in the OS keychain, and the connection settings
//! that say which service the chat and the tasks talk to.

pub mod connection;
pub mod keychain;
pub mod secret;
