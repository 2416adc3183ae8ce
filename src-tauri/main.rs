// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use todo_assistant::cli;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command: Option<cli::Command> = match args.first().map(String::as_str) {
        Some("serve") => {
            if let Err(e) = todo_assistant::serve::run(&args[1..]) {
                eprintln!("todo-assistant serve: {} ({:?})", e.message, e.code);
                std::process::exit(2);
            }
            return;
        }
        Some("tasks") => Some(cli::run),
        Some("backend") => Some(cli::run_backend),
        Some("hosted") => Some(cli::run_hosted),
        _ => None,
    };
    match command {
        Some(run) => match run(&args[1..]) {
            Ok(serde_json::Value::Null) => {}
            Ok(output) => println!("{output}"),
            Err(e) => {
                println!(
                    "{}",
                    serde_json::json!({"code": e.code, "message": e.message})
                );
                std::process::exit(2);
            }
        },
        None => {
            if let Err(message) = todo_assistant::display_available() {
                eprintln!("todo-assistant: {message}");
                std::process::exit(2);
            }
            todo_assistant::run()
        }
    }
}
