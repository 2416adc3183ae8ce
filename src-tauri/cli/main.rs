//! `todo-assistant-cli`: the core without a window, for terminals, scripts and servers. It
//! links no GTK or WebKit and runs in any console.

fn main() -> std::process::ExitCode {
    todo_assistant_core::cli::run_headless()
}
