//! Findings and how they leave crabox: the findings model, renderers (human, JSON, Markdown),
//! GitHub Actions output (step outputs, job summary, annotations) and atomic file writing.
//!
//! Renderers return strings; they never print. The binary decides where the text goes.

pub mod atomic;
mod finding;
pub mod github;
pub mod render;

pub use finding::{Finding, Location, Report, SourceSpan, Summary, Tool};
