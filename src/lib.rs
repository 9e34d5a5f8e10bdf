//! heap-audit: find every way Heap is loaded on a site (natively, through Segment, through a tag
//! manager) and say what is wrong with it.
//!
//! Data flows one way: `source` (the only I/O) → `extract` (pure parsers) → `inventory` → `rules`
//! → `advise` → `report`. `scan` drives the first three: it decides what to fetch next from what
//! was extracted.

pub mod advise;
pub mod audit;
pub mod baseline;
pub mod batch;
pub mod cli;
pub mod config;
pub mod extract;
pub mod init;
pub mod inventory;
pub mod model;
pub mod progress;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
