//! Settings → "Use your tasks in other AI apps": the exact MCP configuration for Claude
//! Desktop, Cursor and VS Code with this installation's binary, and "Add to Claude
//! Desktop", which merges our server into Claude's config file: the file is kept as
//! `<file>.bak` first, every other server and setting is kept, and a file that does not
//! parse is refused and left as it is.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::atomic;

/// The name our server goes by in the other apps' configs.
pub const SERVER_NAME: &str = "todo-assistant";

#[derive(Debug, Clone, Serialize, PartialEq, Eq, specta::Type)]
pub struct McpSetup {
    /// The program the other app starts, and its arguments.
    pub command: String,
    pub args: Vec<String>,
    /// Config snippets to paste, as pretty JSON.
    pub claude_desktop: String,
    pub cursor: String,
    pub vscode: String,
    /// Where Claude Desktop keeps its config on this system, if it has a known place.
    pub claude_config_path: Option<String>,
}

/// `todo-assistant-cli` beside the running binary (every package installs it there);
/// otherwise the running binary itself, whose `mcp` subcommand is the same server.
pub fn server_command(current_exe: &Path) -> PathBuf {
    let name = if cfg!(windows) {
        "todo-assistant-cli.exe"
    } else {
        "todo-assistant-cli"
    };
    let sibling = current_exe.with_file_name(name);
    if sibling.is_file() {
        sibling
    } else {
        current_exe.to_path_buf()
    }
}

fn entry(command: &str, args: &[String]) -> Value {
    json!({"command": command, "args": args})
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

pub fn setup(command: &Path, data_dir: Option<&Path>) -> McpSetup {
    let command = command.display().to_string();
    let mut args = vec!["mcp".to_string()];
    if let Some(dir) = data_dir {
        args.push("--data-dir".into());
        args.push(dir.display().to_string());
    }
    let mut vscode_entry = entry(&command, &args);
    vscode_entry["type"] = "stdio".into();
    McpSetup {
        claude_desktop: pretty(&json!({"mcpServers": {SERVER_NAME: entry(&command, &args)}})),
        cursor: pretty(&json!({"mcpServers": {SERVER_NAME: entry(&command, &args)}})),
        vscode: pretty(&json!({"servers": {SERVER_NAME: vscode_entry}})),
        claude_config_path: claude_config_path().map(|p| p.display().to_string()),
        command,
        args,
    }
}

/// Claude Desktop's `claude_desktop_config.json`: under Application Support on macOS,
/// `%APPDATA%\Claude` on Windows, `~/.config/Claude` on Linux.
pub fn claude_config_path() -> Option<PathBuf> {
    let base = if cfg!(target_os = "linux") {
        dirs::config_dir()
    } else {
        // Application Support on macOS, %APPDATA% (Roaming) on Windows.
        dirs::data_dir()
    };
    base.map(|dir| dir.join("Claude").join("claude_desktop_config.json"))
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, specta::Type)]
pub struct ClaudeConfigWritten {
    pub path: String,
    /// The previous file, kept before the change; `None` when there was none.
    pub backup: Option<String>,
    /// Other MCP servers found in the file and kept.
    pub kept_servers: Vec<String>,
}

/// Adds (or updates) our server in Claude Desktop's config at `path`.
pub fn add_to_claude_desktop(
    path: &Path,
    command: &str,
    args: &[String],
) -> AppResult<ClaudeConfigWritten> {
    let mut config = match std::fs::read(path) {
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Map::new(),
        Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => map,
            Ok(_) | Err(_) => {
                return Err(AppError::new(
                    ErrorCode::StorageCorrupt,
                    format!(
                        "{} is not a JSON object, so nothing was changed. Fix or remove it in a text editor, then try again.",
                        path.display()
                    ),
                ))
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
        Err(e) => return Err(AppError::storage("read", path, e)),
    };
    let existed = path.exists();
    let servers = config
        .entry("mcpServers")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(servers) = servers else {
        return Err(AppError::new(
            ErrorCode::StorageCorrupt,
            format!(
                "\"mcpServers\" in {} is not an object, so nothing was changed.",
                path.display()
            ),
        ));
    };
    let kept_servers = servers
        .keys()
        .filter(|name| name.as_str() != SERVER_NAME)
        .cloned()
        .collect();
    servers.insert(SERVER_NAME.into(), entry(command, args));
    let bytes = serde_json::to_vec_pretty(&Value::Object(config))
        .map_err(|e| AppError::internal(format!("could not encode the config: {e}")))?;
    // Keeps the previous file as `<file>.bak` before it replaces it.
    atomic::write_atomic(path, &bytes)?;
    Ok(ClaudeConfigWritten {
        path: path.display().to_string(),
        backup: existed.then(|| atomic::backup_path(path).display().to_string()),
        kept_servers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> Vec<String> {
        vec!["mcp".into()]
    }

    #[test]
    fn other_servers_and_settings_are_kept_and_the_old_file_backed_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Claude").join("claude_desktop_config.json");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let before = r#"{"globalShortcut": "Ctrl+Space", "mcpServers": {"files": {"command": "npx", "args": ["-y", "fs"]}}}"#;
        std::fs::write(&path, before).unwrap();

        let written =
            add_to_claude_desktop(&path, "/opt/todo/todo-assistant-cli", &args()).unwrap();
        assert_eq!(written.kept_servers, ["files"]);
        let backup = written.backup.expect("a backup of the old file");
        assert_eq!(std::fs::read_to_string(backup).unwrap(), before);

        let after: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(after["globalShortcut"], "Ctrl+Space");
        assert_eq!(after["mcpServers"]["files"]["command"], "npx");
        assert_eq!(
            after["mcpServers"][SERVER_NAME],
            json!({"command": "/opt/todo/todo-assistant-cli", "args": ["mcp"]})
        );

        // Adding again updates our entry in place; still one of each.
        add_to_claude_desktop(&path, "/usr/bin/todo-assistant-cli", &args()).unwrap();
        let again: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(again["mcpServers"].as_object().unwrap().len(), 2);
        assert_eq!(
            again["mcpServers"][SERVER_NAME]["command"],
            "/usr/bin/todo-assistant-cli"
        );
    }

    #[test]
    fn a_missing_file_is_created_with_only_our_server() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Claude").join("claude_desktop_config.json");
        let written = add_to_claude_desktop(&path, "todo-assistant-cli", &args()).unwrap();
        assert_eq!(written.backup, None);
        assert!(written.kept_servers.is_empty());
        let after: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            after,
            json!({"mcpServers": {SERVER_NAME: {"command": "todo-assistant-cli", "args": ["mcp"]}}})
        );
    }

    #[test]
    fn a_file_that_does_not_parse_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        for broken in [
            &b"{\"mcpServers\": {"[..],
            b"[1, 2]",
            b"{\"mcpServers\": []}",
        ] {
            let path = dir.path().join("claude_desktop_config.json");
            std::fs::write(&path, broken).unwrap();
            let err = add_to_claude_desktop(&path, "x", &args()).unwrap_err();
            assert_eq!(err.code, ErrorCode::StorageCorrupt);
            assert_eq!(std::fs::read(&path).unwrap(), broken);
            assert!(!atomic::backup_path(&path).exists());
        }
    }

    #[test]
    fn snippets_name_the_binary_and_data_folder() {
        let s = setup(
            Path::new("/opt/Todo/todo-assistant-cli"),
            Some(Path::new("/data")),
        );
        assert_eq!(s.args, ["mcp", "--data-dir", "/data"]);
        let claude: Value = serde_json::from_str(&s.claude_desktop).unwrap();
        assert_eq!(
            claude["mcpServers"][SERVER_NAME]["command"],
            "/opt/Todo/todo-assistant-cli"
        );
        let vscode: Value = serde_json::from_str(&s.vscode).unwrap();
        assert_eq!(vscode["servers"][SERVER_NAME]["type"], "stdio");
        let cursor: Value = serde_json::from_str(&s.cursor).unwrap();
        assert_eq!(cursor["mcpServers"][SERVER_NAME]["args"][0], "mcp");
    }

    #[test]
    fn the_cli_beside_the_app_is_preferred() {
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("todo-assistant");
        std::fs::write(&app, b"").unwrap();
        assert_eq!(server_command(&app), app);
        let cli = dir.path().join(if cfg!(windows) {
            "todo-assistant-cli.exe"
        } else {
            "todo-assistant-cli"
        });
        std::fs::write(&cli, b"").unwrap();
        assert_eq!(server_command(&app), cli);
    }
}
