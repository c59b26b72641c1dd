//! Counts remembered between passes. The index changes only when a pass writes, so the
//! counts of a filter (the summary, a page's "N matching") are kept until the pass record
//! says something was written, or for a few seconds at most: "logging on" and "pending
//! longer than N hours" move with the clock. At a million devices a count is a scan of the
//! table (hundreds of ms); a remembered one is a map lookup.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use console_protocol::Freshness;

/// How long a remembered answer is good for, whatever the index did.
const FRESH_FOR: Duration = Duration::from_secs(10);
/// Answers kept (the oldest goes first).
const KEPT: usize = 64;

struct Entry<T> {
    version: String,
    at: Instant,
    value: T,
}

/// Answers by question, each for the index as one pass record described it.
pub struct Memo<T> {
    entries: Mutex<HashMap<String, Entry<T>>>,
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

/// What the index is at: the latest pass, and how much it had written and let go. Any
/// replica reads the same from the store, so each one's memory agrees with the others'.
pub fn version_of(freshness: &Freshness) -> String {
    match &freshness.latest {
        None => String::new(),
        Some(pass) => format!(
            "{}:{}:{}:{}",
            pass.started_ms, pass.finished_ms, pass.written, pass.gone
        ),
    }
}

impl<T: Clone> Memo<T> {
    /// The answer to `question` for the index at `version`, if one is remembered.
    pub fn get(&self, question: &str, version: &str) -> Option<T> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(question)
            .filter(|entry| entry.version == version && entry.at.elapsed() < FRESH_FOR)
            .map(|entry| entry.value.clone())
    }

    pub fn put(&self, question: String, version: String, value: T) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= KEPT && !entries.contains_key(&question) {
            let oldest = entries
                .iter()
                .min_by_key(|(_, entry)| entry.at)
                .map(|(question, _)| question.clone());
            if let Some(oldest) = oldest {
                entries.remove(&oldest);
            }
        }
        entries.insert(
            question,
            Entry {
                version,
                at: Instant::now(),
                value,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use console_protocol::PassInfo;

    fn at(written: u64) -> Freshness {
        Freshness {
            latest: Some(PassInfo {
                started_ms: 5,
                written,
                ..PassInfo::default()
            }),
            ..Freshness::default()
        }
    }

    #[test]
    fn an_answer_holds_until_a_pass_writes() {
        let memo = Memo::default();
        memo.put("q".into(), version_of(&at(3)), 42_u64);
        assert_eq!(memo.get("q", &version_of(&at(3))), Some(42));
        assert_eq!(memo.get("q", &version_of(&at(4))), None);
        assert_eq!(memo.get("other", &version_of(&at(3))), None);
    }

    #[test]
    fn the_oldest_answer_goes_first() {
        let memo = Memo::default();
        for n in 0..=KEPT {
            memo.put(format!("q{n}"), String::new(), n);
        }
        assert_eq!(memo.get("q0", ""), None);
        assert_eq!(memo.get(&format!("q{KEPT}"), ""), Some(KEPT));
        assert_eq!(memo.entries.lock().unwrap().len(), KEPT);
    }
}
