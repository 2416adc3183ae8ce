//! Finding tasks by what a person types after `@` in the chat composer: the best matches
//! first (a title that starts with the query, then a word in it, then anywhere, then the
//! description), pending before completed, then the shorter title (the closer match), then
//! the newest.

use crate::tasks::model::Task;

/// How many tasks an `@` search offers at most.
pub const MENTION_LIMIT: usize = 8;

/// How well `task` matches `query` (already lowercased); `None` when it does not.
fn rank(task: &Task, query: &str) -> Option<u8> {
    if query.is_empty() {
        return Some(0);
    }
    let title = task.title.to_lowercase();
    if title.starts_with(query) {
        return Some(0);
    }
    if title
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| word.starts_with(query))
    {
        return Some(1);
    }
    if title.contains(query) {
        return Some(2);
    }
    let described = task
        .description
        .as_deref()
        .is_some_and(|d| d.to_lowercase().contains(query));
    described.then_some(3)
}

/// The tasks matching `query`, best first, at most `limit`. An empty query offers the
/// newest pending tasks.
pub fn search(tasks: &[Task], query: &str, limit: usize) -> Vec<Task> {
    let query = query.trim().trim_start_matches('@').trim().to_lowercase();
    let mut found: Vec<(u8, &Task)> = tasks
        .iter()
        .filter(|task| !(query.is_empty() && task.completed))
        .filter_map(|task| rank(task, &query).map(|r| (r, task)))
        .collect();
    found.sort_by(|(ra, a), (rb, b)| {
        ra.cmp(rb)
            .then(a.completed.cmp(&b.completed))
            .then(a.title.chars().count().cmp(&b.title.chars().count()))
            .then(b.updated_at.cmp(&a.updated_at))
    });
    found
        .into_iter()
        .take(limit)
        .map(|(_, task)| task.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, Utc};

    fn task(n: i64, title: &str, description: Option<&str>, completed: bool) -> Task {
        let at = Utc::now() + Duration::seconds(n);
        Task {
            id: format!("t{n}"),
            title: title.into(),
            description: description.map(str::to_string),
            completed,
            created_at: at,
            updated_at: at,
        }
    }

    fn titles(found: &[Task]) -> Vec<&str> {
        found.iter().map(|t| t.title.as_str()).collect()
    }

    #[test]
    fn prefix_beats_word_beats_substring_beats_description() {
        let tasks = vec![
            task(1, "Call mom", Some("about groceries"), false),
            task(2, "Supergroceries run", None, false),
            task(3, "Buy groceries", None, false),
            task(4, "Groceries list", None, false),
            task(5, "Walk the dog", None, false),
            task(6, "Groceries list for the party", None, false),
        ];
        let found = search(&tasks, "@groc", 10);
        assert_eq!(
            titles(&found),
            [
                "Groceries list",
                "Groceries list for the party",
                "Buy groceries",
                "Supergroceries run",
                "Call mom"
            ]
        );
    }

    #[test]
    fn pending_first_and_empty_query_offers_pending_only() {
        let tasks = vec![
            task(1, "Pay rent", None, true),
            task(2, "Pay taxes", None, false),
            task(3, "Plan trip", None, false),
        ];
        assert_eq!(
            titles(&search(&tasks, "pay", 10)),
            ["Pay taxes", "Pay rent"]
        );
        assert_eq!(titles(&search(&tasks, "", 10)), ["Plan trip", "Pay taxes"]);
        assert_eq!(search(&tasks, "", 1).len(), 1);
        assert!(search(&tasks, "zebra", 10).is_empty());
    }
}
