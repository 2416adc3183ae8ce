use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Task {
    /// Stable for the task's life.
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub completed: bool,
    #[specta(type = String)]
    pub created_at: DateTime<Utc>,
    #[specta(type = String)]
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    #[default]
    All,
    Pending,
    Completed,
}

impl StatusFilter {
    pub fn admits(self, task: &Task) -> bool {
        match self {
            StatusFilter::All => true,
            StatusFilter::Pending => !task.completed,
            StatusFilter::Completed => task.completed,
        }
    }
}

/// A title: trimmed, 1 to 200 characters.
pub fn valid_title(raw: &str) -> AppResult<String> {
    let title = raw.trim();
    let chars = title.chars().count();
    if chars == 0 {
        return Err(AppError::invalid_input("A task needs a title."));
    }
    if chars > MAX_TITLE_CHARS {
        return Err(AppError::invalid_input(format!(
            "A task title can be at most {MAX_TITLE_CHARS} characters (this one has {chars})."
        )));
    }
    Ok(title.to_string())
}

/// A description: trimmed, at most 1000 characters; empty means none.
pub fn valid_description(raw: Option<&str>) -> AppResult<Option<String>> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let chars = text.chars().count();
    if chars > MAX_DESCRIPTION_CHARS {
        return Err(AppError::invalid_input(format!(
            "A task description can be at most {MAX_DESCRIPTION_CHARS} characters (this one has {chars})."
        )));
    }
    Ok(Some(text.to_string()))
}
