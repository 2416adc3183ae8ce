//! The tasks as a Model Context Protocol server over stdio (`todo-assistant-cli mcp`), for
//! other AI apps (Claude Desktop, Cursor, VS Code, Zed). The same five tools as the
//! assistant's, declared with the same names, descriptions and input schemas
//! (`tasks::tools::tool_definitions`) and run by the same code (`run_tool`) on the same
//! `tasks.db`, so the MCP client, the CLI and the open app see each other's changes.
//!
//! A tool that fails (an unknown id, an empty title, bad arguments) answers a result with
//! `isError: true` and the coded error as its text, which the client's model can read and
//! correct; only a malformed request is a protocol error.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, ServiceExt};
use serde_json::Value;

use crate::error::{AppError, AppResult};
use crate::serve::default_data_dir;
use crate::tasks::store::TaskStore;
use crate::tasks::tools::{run_tool, tool_definitions, ToolEffect};

#[derive(Debug, Args)]
pub struct McpArgs {
    /// The data folder whose tasks to serve (default: the app's)
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

/// The MCP server: the task store and the tools declared on it.
#[derive(Clone)]
pub struct TaskTools {
    store: Arc<TaskStore>,
    tools: Arc<Vec<Tool>>,
}

impl TaskTools {
    pub fn new(store: Arc<TaskStore>) -> Self {
        let tools = tool_definitions()
            .into_iter()
            .filter_map(|definition| {
                let name = definition.get("name")?.as_str()?.to_owned();
                let description = definition.get("description")?.as_str()?.to_owned();
                let Some(Value::Object(schema)) = definition.get("parameters").cloned() else {
                    return None;
                };
                Some(Tool::new(name, description, Arc::new(schema)))
            })
            .collect();
        Self {
            store,
            tools: Arc::new(tools),
        }
    }

    /// One call, as the MCP client sent it; the answer the assistant's model would get.
    pub fn call(
        &self,
        name: &str,
        arguments: Option<&serde_json::Map<String, Value>>,
    ) -> CallToolResult {
        let arguments = arguments
            .map(|args| Value::Object(args.clone()).to_string())
            .unwrap_or_else(|| "{}".into());
        let run = run_tool(&self.store, name, &arguments);
        let content = vec![ContentBlock::text(run.output)];
        match run.effect {
            ToolEffect::Failed { .. } => CallToolResult::error(content),
            _ => CallToolResult::success(content),
        }
    }
}

impl ServerHandler for TaskTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "todo-assistant",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(
                "The user's tasks in Todo Assistant. List them before changing one; \
                 task ids come from add_task and list_tasks.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.tools.as_ref().clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let store_tools = self.clone();
        let name = request.name.to_string();
        // The store blocks on SQLite (and waits for another process's write): off the runtime.
        let result = tokio::task::spawn_blocking(move || {
            store_tools.call(&name, request.arguments.as_ref())
        })
        .await
        .map_err(|e| McpError::internal_error(format!("the tool stopped: {e}"), None))?;
        Ok(result.into())
    }
}

/// Serves the tasks of the data folder on stdin/stdout until the client closes them. Logs
/// go to stderr: stdout carries only protocol messages.
pub fn run(args: McpArgs) -> AppResult<()> {
    crate::logging::init_stderr("warn");
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => default_data_dir()?,
    };
    let store = Arc::new(TaskStore::open(&data_dir)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AppError::internal(format!("no async runtime: {e}")))?;
    runtime.block_on(async move {
        let service = TaskTools::new(store)
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| AppError::internal(format!("MCP session did not start: {e}")))?;
        service
            .waiting()
            .await
            .map_err(|e| AppError::internal(format!("MCP session ended badly: {e}")))?;
        Ok(())
    })
}
