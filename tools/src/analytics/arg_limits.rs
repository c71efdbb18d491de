//! The largest arguments a tool accepts, published in the tools' JSON Schemas (`maxItems`,
//! `maxLength`, `maximum`) and so checked before any tool runs: one call's cost stays bounded
//! whatever a client or a model sends.

/// Groupings of one `event_stats` call (distinct).
pub const MAX_GROUPINGS: usize = 8;
/// Rules, tags or tactics named in one call.
pub const MAX_NAMES: usize = 50;
/// Characters of a scope expression.
pub const MAX_SCOPE_CHARS: usize = 4_096;
/// Characters of a time (`since`, `until`) or a length (`last`).
pub const MAX_TIME_CHARS: usize = 64;
/// Characters of a full-text search.
pub const MAX_QUERY_CHARS: usize = 1_024;
/// Characters of a name (an alert id, a rule, a process, a file, an exception name).
pub const MAX_NAME_CHARS: usize = 4_096;
/// Characters of a rules YAML snippet.
pub const MAX_YAML_CHARS: usize = 256 * 1024;
/// Alerts a search may skip when paging.
pub const MAX_OFFSET: u32 = 10_000;
