//! Falco rule exceptions: the snippet model Saker reads and writes, its validation against
//! Falco's syntax, schema and semantics, an evaluator of exception comparisons over stored
//! alerts, the impact preview and the generation of narrow exceptions.

pub mod evaluate;
pub mod fields;
pub mod generate;
pub mod model;
pub mod operators;
pub mod preview;
pub mod render;
pub mod validate;

pub use fields::FieldCatalog;
pub use model::{
    ExceptionComps, ExceptionDefinition, ExceptionFields, ExceptionScalar, ExceptionValue, ExceptionValues,
    OverrideKeys, OverrideMode, RuleExceptions,
};
