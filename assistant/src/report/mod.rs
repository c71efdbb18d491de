//! Reports built from the investigation tools and delivered on a schedule: the weekly (or
//! daily) reconnaissance report analysts run, as Markdown, HTML, JSON or the SVG chart alone.
//!
//! The figures come from one `compare_periods` call (the same tool, arguments and numbers as
//! the chat answer to the weekly reconnaissance question), the follow-ups from a reviewed
//! table of facts in [`follow_ups`]; everything here is presentation: [`chart`] draws the
//! series as SVG on the server, [`markdown`] and [`html`] write the documents, [`words`] holds
//! each language's words, and [`delivery`] writes reports to a directory or posts them to a
//! Slack webhook on the schedule of `saker.yaml`'s `reports:`.

pub mod chart;
pub mod delivery;
mod error;
pub mod follow_ups;
pub mod html;
pub mod markdown;
pub mod recon;
pub mod words;

pub use error::ReportError;
pub use recon::{ReconReport, ReconRequest, ReportFormat, build_recon, render};
