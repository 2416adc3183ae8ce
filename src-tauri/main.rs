// No console window on Windows release builds; subcommands attach to the one that started them.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

use clap::Parser;
use todo_assistant::cli::{attach_parent_console, execute, parse, Command};

/// Without a subcommand the app opens its window; each subcommand runs headless.
#[derive(Parser)]
#[command(
    name = "todo-assistant",
    version,
    about = "Todo Assistant: manage tasks by talking to an AI assistant. Without a subcommand, opens the app.",
    propagate_version = true
)]
struct AppCli {
    #[command(subcommand)]
    command: Option<Command>,
}

fn main() -> ExitCode {
    todo_assistant::mark_launch();
    // Only when asked for something on the command line: a double-clicked app has no console.
    if std::env::args_os().len() > 1 {
        attach_parent_console();
    }
    let cli = match parse::<AppCli>() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match cli.command {
        Some(command) => execute(command),
        None => {
            if let Err(message) = todo_assistant::display_available() {
                eprintln!("todo-assistant: {message}");
                return ExitCode::from(2);
            }
            todo_assistant::run();
            ExitCode::SUCCESS
        }
    }
}
