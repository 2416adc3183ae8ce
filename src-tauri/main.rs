// No console window on Windows release builds; subcommands attach to the one that started them.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

use todo_assistant::cli::{attach_parent_console, hand_over_to_cli};

/// Without arguments the app opens its window; any argument (a subcommand, --help,
/// --version) is the command line's, which `todo-assistant-cli` answers.
fn main() -> ExitCode {
    todo_assistant::mark_launch();
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    if !args.is_empty() {
        // Only when asked for something on the command line: a double-clicked app has no console.
        attach_parent_console();
        return hand_over_to_cli(args);
    }
    if let Err(message) = todo_assistant::display_available() {
        eprintln!("todo-assistant: {message}");
        return ExitCode::from(2);
    }
    todo_assistant::run();
    ExitCode::SUCCESS
}
