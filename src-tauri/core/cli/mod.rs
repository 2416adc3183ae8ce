//! The command line of `todo-assistant-cli` and of the app binary's subcommands: clap
//! definitions and each command's work on the core. Answers are JSON on stdout; a failure
//! prints `{code, message}` there too and exits 2 for bad input (usage), 1 for a job that
//! did not get done.

mod backend;
mod hosted;
mod models;
mod tasks;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use serde_json::Value;

use crate::error::{AppError, AppResult, ErrorCode};

pub use backend::BackendCommand;
pub use hosted::HostedCommand;
pub use tasks::{TasksCommand, BACKEND_TOKEN_ENV};

/// The subcommands; none of them opens a window or needs a display.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the ChatKit server without a window, on 127.0.0.1 only
    Serve(crate::serve::ServeArgs),
    /// List and edit tasks, connect them to a team backend and sync (the app's files)
    Tasks(TasksCommand),
    /// Sign in to a team backend, its token, session secrets and ChatKit relay
    Backend(BackendCommand),
    /// Legacy: sessions for an OpenAI-hosted Agent Builder workflow
    Hosted(HostedCommand),
    /// Serve the tasks to other AI apps as an MCP server on stdin/stdout
    Mcp(crate::mcp::McpArgs),
    /// List the models the assistant's server offers (OPENAI_BASE_URL, OPENAI_API_KEY)
    Models(models::ModelsArgs),
}

/// `todo-assistant-cli`: the headless binary, which always takes a subcommand.
#[derive(Debug, Parser)]
#[command(
    name = "todo-assistant-cli",
    version,
    about = "Todo Assistant without a window: the ChatKit server, tasks and connections",
    propagate_version = true
)]
pub struct HeadlessCli {
    #[command(subcommand)]
    pub command: Command,
}

/// Set by the app binary when it hands its command line over (`hand_over_to_cli`): help,
/// version and usage then name the app, which is what the person typed.
pub const AS_APP_ENV: &str = "TODO_ASSISTANT_CLI_AS_APP";
const APP_BINARY: &str = "todo-assistant";
const APP_ABOUT: &str =
    "Todo Assistant: manage tasks by talking to an AI assistant. Without a subcommand, opens the app.";

/// `todo-assistant-cli`'s whole life: parse (clap prints help, version and usage errors,
/// exiting 0 or 2), then run the subcommand.
pub fn run_headless() -> ExitCode {
    let mut command = HeadlessCli::command();
    if std::env::var_os(AS_APP_ENV).is_some_and(|v| v == "1") {
        command = command
            .name(APP_BINARY)
            .bin_name(APP_BINARY)
            .about(APP_ABOUT);
    }
    match parse_with::<HeadlessCli>(command) {
        Ok(cli) => execute(cli.command),
        Err(code) => code,
    }
}

/// The app binary's subcommands: it execs `todo-assistant-cli`, which every installer puts
/// beside it, so the window binary carries none of the headless code (serve, MCP, clap):
/// 1.3 MB smaller and about 2 MB less memory while the window is open. On Unix the CLI
/// takes over the process (same pid, so signals and exit codes are the CLI's own); Windows
/// has no exec, so the app waits for it and passes its exit code on.
pub fn hand_over_to_cli(args: Vec<OsString>) -> ExitCode {
    let sibling = std::env::current_exe().map(|exe| {
        exe.with_file_name(format!(
            "todo-assistant-cli{}",
            std::env::consts::EXE_SUFFIX
        ))
    });
    let cli = match sibling {
        Ok(path) if path.is_file() => path,
        found => {
            let place = found
                .map(|p| p.display().to_string())
                .unwrap_or_else(|e| format!("beside this app ({e})"));
            let error = AppError::new(
                ErrorCode::NotSupported,
                format!(
                    "The command line is todo-assistant-cli, which is missing: {place}. \
                     Reinstall the app, or build it with `cargo build --workspace`."
                ),
            );
            return print_line(
                &serde_json::json!({"code": error.code, "message": error.message}),
                ExitCode::FAILURE,
            );
        }
    };
    let mut command = std::process::Command::new(&cli);
    command.args(args).env(AS_APP_ENV, "1");
    #[cfg(unix)]
    let failed = {
        use std::os::unix::process::CommandExt;
        command.exec()
    };
    #[cfg(not(unix))]
    let failed = match command.status() {
        Ok(status) => return ExitCode::from(u8::try_from(status.code().unwrap_or(1)).unwrap_or(1)),
        Err(e) => e,
    };
    let error = AppError::internal(format!("could not start {}: {failed}", cli.display()));
    print_line(
        &serde_json::json!({"code": error.code, "message": error.message}),
        ExitCode::FAILURE,
    )
}

/// Parses the process's arguments. Help and version print and exit 0; a usage error prints
/// clap's explanation with the usage to stderr and the usual `{code, message}` to stdout,
/// and is exit code 2.
pub fn parse<T: Parser>() -> Result<T, ExitCode> {
    parse_with::<T>(T::command())
}

fn parse_with<T: FromArgMatches>(command: clap::Command) -> Result<T, ExitCode> {
    command
        .try_get_matches()
        .and_then(|mut matches| T::from_arg_matches_mut(&mut matches))
        .map_err(|e| {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return if e.exit_code() == 0 {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(2)
                };
            }
            let _ = e.print();
            // clap's explanation without its usage block, on one line.
            let rendered = e.render().to_string();
            let explanation = rendered
                .split("\n\nUsage:")
                .next()
                .unwrap_or("bad arguments")
                .split("\n\nFor more information")
                .next()
                .unwrap_or("bad arguments");
            let first_line = explanation
                .trim_start_matches("error: ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let error = AppError::invalid_input(format!("{first_line} (see --help)"));
            print_line(
                &serde_json::json!({"code": error.code, "message": error.message}),
                ExitCode::from(2),
            )
        })
}

/// What a command leaves for its caller.
pub enum Outcome {
    /// Done; this is the answer to print.
    Done(Value),
    /// Done, and it printed its answer itself (a stream).
    Printed,
    /// Ran, but did not do its job (e.g. sync stopped to ask for a sign-in): print, exit 1.
    Failed(Value),
}

/// Runs one subcommand to its exit code.
pub fn execute(command: Command) -> ExitCode {
    let outcome = match command {
        Command::Serve(args) => crate::serve::run(args).map(|()| Outcome::Printed),
        Command::Tasks(cmd) => tasks::run(cmd),
        Command::Backend(cmd) => backend::run(cmd),
        Command::Hosted(cmd) => hosted::run(cmd),
        Command::Mcp(args) => crate::mcp::run(args).map(|()| Outcome::Printed),
        Command::Models(args) => models::run(args),
    };
    match outcome {
        Ok(Outcome::Done(value)) => print_line(&value, ExitCode::SUCCESS),
        Ok(Outcome::Printed) => ExitCode::SUCCESS,
        Ok(Outcome::Failed(value)) => print_line(&value, ExitCode::FAILURE),
        Err(e) => print_line(
            &serde_json::json!({"code": e.code, "message": e.message}),
            exit_code_for(&e),
        ),
    }
}

/// 2 for input a person or script can correct (a bad value, an id that names nothing: the
/// usage error convention), 1 for a job that failed otherwise.
pub fn exit_code_for(error: &AppError) -> ExitCode {
    match error.code {
        ErrorCode::InvalidInput | ErrorCode::InvalidRequest | ErrorCode::NotFound => {
            ExitCode::from(2)
        }
        _ => ExitCode::FAILURE,
    }
}

fn print_line(value: &Value, code: ExitCode) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{value}").and_then(|()| stdout.flush()) {
        Ok(()) => code,
        // A closed pipe (`| head`) is the reader's choice, not our failure to report.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => code,
        Err(_) => ExitCode::FAILURE,
    }
}

/// A Windows GUI-subsystem binary (the app) has no console of its own: write to the one
/// that started it, so `todo-assistant.exe tasks list` prints where it was typed.
pub fn attach_parent_console() {
    #[cfg(windows)]
    {
        use windows_sys::Win32::System::Console::{AttachConsole, ATTACH_PARENT_PROCESS};
        // SAFETY: a plain Win32 call without pointers; failure (no parent console) is fine.
        unsafe {
            AttachConsole(ATTACH_PARENT_PROCESS);
        }
    }
}

pub(crate) fn runtime() -> AppResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| AppError::internal(format!("no async runtime: {e}")))
}

pub(crate) fn to_json(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A secret that only the environment may pass (never an argument: `ps` shows those).
pub(crate) fn required_env(name: &str) -> AppResult<crate::broker::secret::SecretString> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .map(crate::broker::secret::SecretString::new)
        .ok_or_else(|| AppError::invalid_input(format!("Set {name}.")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_definitions_are_consistent() {
        HeadlessCli::command().debug_assert();
    }

    #[test]
    fn usage_errors_and_help_are_clap_errors_with_exit_2_or_0() {
        let bad = HeadlessCli::try_parse_from(["todo-assistant-cli", "tasks", "frobnicate"]);
        assert_eq!(bad.unwrap_err().exit_code(), 2);
        let missing = HeadlessCli::try_parse_from(["todo-assistant-cli", "tasks", "add"]);
        assert_eq!(missing.unwrap_err().exit_code(), 2);
        let help = HeadlessCli::try_parse_from(["todo-assistant-cli", "tasks", "add", "--help"]);
        let help = help.unwrap_err();
        assert_eq!(help.exit_code(), 0);
        assert!(help.to_string().contains("--description"), "{help}");
    }

    #[test]
    fn data_dir_goes_before_or_after_the_action() {
        for argv in [
            &["x", "tasks", "--data-dir", "/d", "list"][..],
            &["x", "tasks", "list", "--data-dir", "/d"],
        ] {
            let Command::Tasks(cmd) = HeadlessCli::try_parse_from(argv).unwrap().command else {
                panic!("not tasks");
            };
            assert_eq!(cmd.data_dir.as_deref(), Some(std::path::Path::new("/d")));
        }
    }

    #[test]
    fn bad_input_exits_2_and_failures_1() {
        assert_eq!(
            exit_code_for(&AppError::invalid_input("x")),
            ExitCode::from(2)
        );
        let unknown_id = AppError::new(ErrorCode::NotFound, "no task x");
        assert_eq!(exit_code_for(&unknown_id), ExitCode::from(2));
        assert_eq!(exit_code_for(&AppError::internal("x")), ExitCode::FAILURE);
    }
}
