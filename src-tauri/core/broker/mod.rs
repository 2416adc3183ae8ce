//! The session broker: long-lived secrets in the OS keychain, short-lived client secrets
//! for the webview, and the connection settings that say which service chat talks to.

pub mod backend;
pub mod backend_token;
pub mod client_secret;
pub mod connection;
pub mod environment;
pub mod hosted;
pub mod http;
pub mod keychain;
pub mod secret;
