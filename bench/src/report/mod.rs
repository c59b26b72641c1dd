//! The budgets, and the report: a summary table on stdout, BENCHMARKS.md in full. `model` is
//! what a run measured, `verdicts` judges it (`index` the fleet index's part), `markdown`
//! writes it, `format` says figures.

mod format;
mod index;
mod markdown;
mod model;
mod verdicts;

pub use model::{Budgets, ProxyRow, Report};
