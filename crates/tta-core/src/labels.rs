//! Bounded label values.
//!
//! Every distinct label value is a new time series in Prometheus. Names come
//! from code, so the set is small in practice, but a name built from input by
//! mistake (`format!("user-{id}")`) would create series without bound and
//! take the metrics back end down. This guard caps the distinct values each
//! label may take; past the cap, new values fold into [`OVERFLOW`].
//!
//! ```
//! use tta_core::labels;
//!
//! assert_eq!(labels::bounded("doc_example_label", "summarize"), "summarize");
//! ```

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

/// The value that stands for every value past the cap.
pub const OVERFLOW: &str = "other";

/// Distinct values allowed per label name unless changed with [`set_limit`].
pub const DEFAULT_LIMIT: usize = 500;

static LIMIT: AtomicUsize = AtomicUsize::new(DEFAULT_LIMIT);

type Seen = HashMap<&'static str, HashSet<Box<str>>>;

fn seen() -> &'static Mutex<Seen> {
    static SEEN: OnceLock<Mutex<Seen>> = OnceLock::new();
    SEEN.get_or_init(Default::default)
}

/// Changes how many distinct values each label may take. Values already
/// admitted stay admitted.
pub fn set_limit(limit: usize) {
    LIMIT.store(limit, Ordering::Relaxed);
}

/// The current per-label limit.
pub fn limit() -> usize {
    LIMIT.load(Ordering::Relaxed)
}

/// `value` if `label` has admitted it before or still has room for it,
/// otherwise [`OVERFLOW`].
///
/// Called once per metric handle registration, never per execution.
pub fn bounded(label: &'static str, value: &str) -> String {
    let mut seen = seen().lock().unwrap_or_else(PoisonError::into_inner);
    let values = seen.entry(label).or_default();
    if values.contains(value) {
        return value.to_owned();
    }
    if values.len() < limit() {
        values.insert(value.into());
        return value.to_owned();
    }
    let first_overflow = !values.contains(OVERFLOW);
    if first_overflow {
        values.insert(OVERFLOW.into());
        tracing::warn!(
            label,
            limit = limit(),
            rejected = value,
            "label_cardinality_exceeded: further values of this label are reported as `other`"
        );
    }
    OVERFLOW.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_thousand_names_fold_into_other_past_the_limit() {
        let label = "labels_test_primitive_name";
        let admitted: HashSet<String> = (0..10_000)
            .map(|i| bounded(label, &format!("name-{i}")))
            .collect();
        // DEFAULT_LIMIT distinct names plus the overflow value.
        assert_eq!(admitted.len(), DEFAULT_LIMIT + 1);
        assert!(admitted.contains(OVERFLOW));
        assert!(admitted.contains("name-0"));
        assert!(!admitted.contains("name-9999"));
        // Names admitted before the cap keep their own series.
        assert_eq!(bounded(label, "name-7"), "name-7");
    }

    #[test]
    fn labels_are_capped_independently() {
        for i in 0..DEFAULT_LIMIT + 10 {
            bounded("labels_test_a", &format!("v{i}"));
        }
        assert_eq!(bounded("labels_test_b", "fresh"), "fresh");
    }
}
