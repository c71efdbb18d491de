//! How long a tool call may run: a deadline and a cancellation flag the caller sets when its
//! client goes away. The registry runs every tool over a [`BudgetedStore`], which checks the
//! budget before each store read, so a call stops within one read of its deadline or of its
//! client leaving instead of running on for minutes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::alert::{Alert, ProcessLineage};
use crate::scope::Dimension;
use crate::store::{
    AlertFilter, AlertStore, AlertWriter, GroupCounts, GroupKey, Interruption, Rollups, SearchOrder, SearchPage,
    StoreError, TimeBounds, TupleCounts,
};

/// The deadline of a tool call made for a client or a model: the largest calls on a store of
/// millions of alerts take a few seconds.
pub const DEFAULT_CALL_DEADLINE: Duration = Duration::from_secs(30);

/// The deadline and cancellation of one tool call (cheap to clone; clones share the flag).
#[derive(Debug, Clone, Default)]
pub struct CallBudget {
    deadline: Option<(Instant, Duration)>,
    cancelled: Arc<AtomicBool>,
}

impl CallBudget {
    /// No deadline, never cancelled (the CLI, tests).
    pub fn unlimited() -> CallBudget {
        CallBudget::default()
    }

    /// A budget ending `timeout` from now.
    pub fn with_deadline(timeout: Duration) -> CallBudget {
        CallBudget { deadline: Some((Instant::now() + timeout, timeout)), cancelled: Arc::default() }
    }

    /// Stops the call at its next check.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// A guard that cancels the call when dropped, e.g. with the future of a request whose
    /// client disconnected; [`CancelOnDrop::finish`] disarms it once the answer is sent.
    pub fn cancel_on_drop(&self) -> CancelOnDrop {
        CancelOnDrop { budget: Some(self.clone()) }
    }

    /// `Err` once the call is cancelled or past its deadline.
    pub fn check(&self) -> Result<(), StoreError> {
        if self.cancelled.load(Ordering::Relaxed) {
            return Err(StoreError::Interrupted(Interruption::Cancelled));
        }
        if let Some((deadline, timeout)) = self.deadline
            && Instant::now() >= deadline
        {
            return Err(StoreError::Interrupted(Interruption::Deadline { seconds: timeout.as_secs() }));
        }
        Ok(())
    }
}

/// Cancels a [`CallBudget`] when dropped, unless finished.
#[derive(Debug)]
pub struct CancelOnDrop {
    budget: Option<CallBudget>,
}

impl CancelOnDrop {
    /// The call completed: dropping the guard no longer cancels anything.
    pub fn finish(mut self) {
        self.budget = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(budget) = self.budget.take() {
            budget.cancel();
        }
    }
}

/// A store whose every read first checks a [`CallBudget`].
pub struct BudgetedStore<'a> {
    inner: &'a dyn AlertStore,
    budget: &'a CallBudget,
}

impl<'a> BudgetedStore<'a> {
    /// `inner`, read within `budget`.
    pub fn new(inner: &'a dyn AlertStore, budget: &'a CallBudget) -> BudgetedStore<'a> {
        BudgetedStore { inner, budget }
    }
}

impl AlertStore for BudgetedStore<'_> {
    fn writer(&self) -> Result<Box<dyn AlertWriter + '_>, StoreError> {
        self.budget.check()?;
        self.inner.writer()
    }

    fn count(&self, filter: &AlertFilter) -> Result<u64, StoreError> {
        self.budget.check()?;
        self.inner.count(filter)
    }

    fn group_counts(&self, filter: &AlertFilter, key: GroupKey, limit: usize) -> Result<GroupCounts, StoreError> {
        self.budget.check()?;
        self.inner.group_counts(filter, key, limit)
    }

    fn group_counts_each(
        &self,
        filter: &AlertFilter,
        keys: &[GroupKey],
        limit: usize,
    ) -> Result<Vec<GroupCounts>, StoreError> {
        self.budget.check()?;
        self.inner.group_counts_each(filter, keys, limit)
    }

    fn tuple_counts(
        &self,
        filter: &AlertFilter,
        dimensions: &[Dimension],
        limit: usize,
    ) -> Result<TupleCounts, StoreError> {
        self.budget.check()?;
        self.inner.tuple_counts(filter, dimensions, limit)
    }

    fn rollup(
        &self,
        filter: &AlertFilter,
        key: &[Dimension],
        details: &[Dimension],
        detail_limit: usize,
        limit: usize,
    ) -> Result<Rollups, StoreError> {
        self.budget.check()?;
        self.inner.rollup(filter, key, details, detail_limit, limit)
    }

    fn lineages(&self, filter: &AlertFilter, limit: usize) -> Result<(u64, Vec<ProcessLineage>), StoreError> {
        self.budget.check()?;
        self.inner.lineages(filter, limit)
    }

    fn time_bounds(&self, filter: &AlertFilter) -> Result<Option<TimeBounds>, StoreError> {
        self.budget.check()?;
        self.inner.time_bounds(filter)
    }

    fn search(
        &self,
        filter: &AlertFilter,
        text: Option<&str>,
        order: SearchOrder,
        offset: usize,
        limit: usize,
    ) -> Result<SearchPage, StoreError> {
        self.budget.check()?;
        self.inner.search(filter, text, order, offset, limit)
    }

    fn search_tuple_counts(
        &self,
        filter: &AlertFilter,
        text: &str,
        dimensions: &[Dimension],
        limit: usize,
    ) -> Result<TupleCounts, StoreError> {
        self.budget.check()?;
        self.inner.search_tuple_counts(filter, text, dimensions, limit)
    }

    fn get(&self, ids: &[String]) -> Result<Vec<Alert>, StoreError> {
        self.budget.check()?;
        self.inner.get(ids)
    }

    fn len(&self) -> Result<u64, StoreError> {
        self.budget.check()?;
        self.inner.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_guard_cancels_and_a_finished_one_does_not() {
        let budget = CallBudget::unlimited();
        assert!(budget.check().is_ok());
        budget.cancel_on_drop().finish();
        assert!(budget.check().is_ok());
        drop(budget.cancel_on_drop());
        assert!(matches!(budget.check(), Err(StoreError::Interrupted(Interruption::Cancelled))));
    }

    #[test]
    fn a_passed_deadline_names_itself() {
        let budget = CallBudget::with_deadline(Duration::ZERO);
        let error = budget.check().expect_err("past");
        assert!(error.to_string().contains("deadline of 0 s"), "{error}");
    }
}
