// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => {
            if let Err(e) = todo_assistant::serve::run(&args[1..]) {
                eprintln!("todo-assistant serve: {} ({:?})", e.message, e.code);
                std::process::exit(2);
            }
        }
        Some("tasks") => match todo_assistant::cli::run(&args[1..]) {
            Ok(output) => println!("{output}"),
            Err(e) => {
                println!(
                    "{}",
                    serde_json::json!({"code": e.code, "message": e.message})
                );
                std::process::exit(2);
            }
        },
        _ => todo_assistant::run(),
    }
}
