//! heap-audit: find every way Heap is loaded on a site (natively, through Segment, through a tag
//! manager) and say what is wrong with it.
//!
//! # Using it as a library
//!
//! [`audit::site`] audits targets (URLs, build folders, `.html` files) as one site and returns a
//! [`model::Report`]: the pages with their installs, the findings of the rules, the recommended
//! install path. [`audit::Settings`] holds everything it needs ([`scan::ScanOptions`] for what to
//! read and fetch, [`rules::Config`] for rule levels and environments); its `Default` is the
//! command line's defaults. Render a report with [`report::render`] in any [`options::Format`].
//!
//! ```no_run
//! use heap_audit::audit::{self, Settings};
//! use heap_audit::options::Format;
//! use heap_audit::report::{self, RenderOptions};
//!
//! let mut settings = Settings::default();
//! settings.scan.offline = true; // read the folder only: no GTM container, no Segment settings
//! let audit = audit::site(&["dist/".to_owned()], &settings)?;
//! for finding in &audit.report.findings {
//!     println!("{:?} {}: {}", finding.severity, finding.rule, finding.message);
//! }
//! let options = RenderOptions { color: false, fail_on: Default::default(), rules: &[], min_coverage: None };
//! report::render(&audit.report, Format::Json, &options, &mut std::io::stdout())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `audit::site` blocks until the audit is done; it is safe to call from any thread. To stop it
//! early, keep a clone of `settings.scan.cancel` and call [`scan::Cancel::interrupt`]: it returns
//! within about a second with what was audited, whatever phase it was in; to watch it,
//! set `settings.scan.observer` to an [`observer::Observer`]. `examples/audit_folder.rs` is a
//! whole program.
//!
//! # Layers
//!
//! Data flows one way: `source` (the only I/O) → `extract` (pure parsers) → `scan` (decides what
//! to fetch next from what was extracted) → `inventory` → `rules` (with `baseline`) → `advise` →
//! `report`; `audit` runs them for one site and `batch` for many. The core owns its option types
//! (`options`, `scan::ScanOptions`, `rules::Config`) and reports progress to an `observer` the
//! caller passes in. A module imports only modules before it in that order.
//!
//! The command line is one user of the core: `cli` (clap), `config` (heap-audit.toml merged into
//! the command line), `init`, `progress` (the terminal's progress line) and the binary's
//! `main.rs`. They convert flags into the core's types; no core module names them, nor clap or
//! indicatif. `tests/layering.rs` fails when one does, or when core modules import each other in
//! a cycle.

pub mod advise;
pub mod audit;
pub mod baseline;
pub mod batch;
pub mod extract;
mod hashing;
pub mod inventory;
pub mod model;
pub mod observer;
pub mod options;
pub mod render;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;

// The command line: it uses the core, never the reverse.
pub mod cli;
pub mod config;
pub mod init;
pub mod progress;
