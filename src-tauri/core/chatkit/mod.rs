//! The core as a ChatKit server: protocol types, the op router, the responder seam, the
//! store trait, and the two transports (IPC in the app, loopback HTTP in `serve`).

pub mod app_actions;
pub mod attachments;
#[cfg(feature = "test-support")]
pub mod echo;
pub mod feedback;
pub mod gateway;
pub mod http;
pub mod ipc;
pub mod proxy;
pub mod responder;
pub mod server;
pub mod store;
pub mod timestamp;
pub mod types;
