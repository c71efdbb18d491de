//! One store test suite run against every backend (the embedded tantivy index and
//! PostgreSQL), like quickwit's metastore tests: each test is a function of the backend, and
//! `store_tests!` instantiates it once per backend. Expected answers come from the parsed
//! alerts and the reference scope evaluator (`reference`), never from a store; `agreement`
//! checks that both backends answer a broad set of queries identically.

mod agreement;
mod backend;
mod crash;
mod ingest;
mod queries;
mod reference;

pub use agreement::assert_same_answers;
pub use backend::{Backend, ingest_inputs, loaded};

/// Runs each named test function on every backend, as `<backend>::<name>`.
macro_rules! store_tests {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod tantivy {
            $(#[test] fn $name() { super::$module::$name(super::Backend::Tantivy) })*
        }
        mod postgres {
            $(#[test] fn $name() { super::$module::$name(super::Backend::Postgres) })*
        }
    };
}

store_tests!(
    ingest::every_input_ingests_and_reingest_is_a_no_op,
    ingest::duplicates_inside_one_batch_count_once,
    ingest::list_values_with_quotes_braces_and_backslashes_are_stored_exactly,
    ingest::concurrent_writers_store_each_alert_once,
    crash::a_killed_writer_loses_only_its_uncommitted_batch,
    queries::scoped_counts_match_the_reference,
    queries::group_counts_match_the_reference,
    queries::group_counts_of_several_keys_equal_each_alone,
    queries::time_buckets_list_every_bucket_of_the_range,
    queries::tuple_counts_match_the_reference,
    queries::rollups_match_the_reference,
    queries::search_orders_by_time_then_id_hash_and_pages,
    queries::text_search_finds_the_reference_hits,
    queries::lineages_time_bounds_and_get_match_the_reference,
);
