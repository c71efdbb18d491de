//! Scheduled delivery of reports, configured in `saker.yaml`'s `reports:` list: when each
//! report runs ([`schedule`]), where it goes (a directory, a Slack incoming webhook:
//! [`targets`]), and the loop `saker serve` runs ([`scheduler`]). `saker report deliver` runs
//! the same deliveries once, for cron or a test.

pub mod schedule;
pub mod scheduler;
pub mod settings;
pub mod slack;
pub mod targets;

pub use schedule::{Every, Schedule};
pub use scheduler::{deliver, spawn_scheduler};
pub use settings::{Delivery, ScheduledReport, deliveries_from_config};
pub use targets::{DeliveryOutcome, Target};
