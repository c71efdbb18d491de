//! The parts of `assess_false_positive`: the reviewed scoring table, lineage classes, recurrence
//! in time, Saker's list of system workloads, the alerts around the assessed ones, the fit
//! between a lineage and a rule's documented benign case, the output's fact types and its size
//! budget.

pub mod benign_fit;
pub mod budget;
pub mod facts;
pub mod lineage;
pub mod nearby;
pub mod recurrence;
pub mod system_workloads;
pub mod weights;
