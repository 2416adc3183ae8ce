//! `models`: the model ids the assistant's server offers (`GET {base}/models`), as Settings'
//! "Test connection" lists them: a quick check of `OPENAI_BASE_URL` and `OPENAI_API_KEY`.

use serde_json::json;

use super::{runtime, Outcome};
use crate::agent::client::{ModelClient, ModelConfig, RetryPolicy};
use crate::broker::connection::{http_url, ApiStyle, DEFAULT_MODEL, DEFAULT_OPENAI_BASE_URL};
use crate::broker::environment::EnvironmentModel;
use crate::error::AppResult;

#[derive(Debug, PartialEq, clap::Args)]
pub struct ModelsArgs {}

pub fn run(_args: ModelsArgs) -> AppResult<Outcome> {
    let env = EnvironmentModel::from_env();
    let base_url = match env.base_url.as_deref() {
        Some(url) => http_url("OPENAI_BASE_URL", url)?,
        None => DEFAULT_OPENAI_BASE_URL.to_string(),
    };
    let config = ModelConfig {
        base_url: base_url.clone(),
        api_key: env.api_key,
        model: env.model.unwrap_or_else(|| DEFAULT_MODEL.into()),
        api_style: ApiStyle::Automatic,
    };
    let client = ModelClient::new(RetryPolicy::from_env())?;
    let models = runtime()?.block_on(client.list_models(&config))?;
    Ok(Outcome::Done(
        json!({"base_url": base_url, "models": models}),
    ))
}
