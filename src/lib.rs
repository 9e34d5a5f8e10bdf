//! heap-audit: find every way Heap is loaded on a site (natively, through Segment, through a tag
//! manager) and say what is wrong with it.
//!
//! Data flows one way: `source` (the only I/O) → `extract` (pure parsers) → `inventory` → `rules`
//! → `advise` → `report`.

pub mod extract;
pub mod model;
pub mod source;
