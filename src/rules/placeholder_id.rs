//! ## What it does
//! Flags a Heap or Segment loader whose app id or write key is a documentation placeholder:
//! `heap.load("YOUR_APP_ID")`, `analytics.load("YOUR_WRITE_KEY")`, `"<WRITE_KEY>"`, `"WRITE_KEY"`.
//! The placeholder is never used to fetch anything (no Segment settings are requested with it).
//!
//! ## Why is this bad?
//! The snippet was pasted from the docs and never finished: Heap's library is requested for an
//! app that does not exist (`heap-YOUR_APP_ID.js`), or Segment's for a source that does not, so
//! nothing from these pages is recorded, and no error shows on the page. It is the first thing
//! a support team checks when "Heap shows no data".
//!
//! ## Example
//! ```html
//! <script>window.heap=window.heap||[],heap.load=function(e,t){/* … */};heap.load("YOUR_APP_ID");</script>
//! ```
//!
//! ## Use instead
//! The app id of the environment (Heap: Account > Manage > Projects) or the source's write key
//! (Segment: Connections > Sources > the source > Settings > API Keys).
//! ```html
//! <script>window.heap=window.heap||[],heap.load=function(e,t){/* … */};heap.load("1535634150");</script>
//! ```
//!
//! ## References
//! - Heap, web installation: <https://help.heap.io/installation/standard-installations/web-installation/>
//! - Segment, the write key: <https://segment.com/docs/connections/find-writekey/>

use super::common::{audited, count, evidence_of, Groups};
use super::{finding, Context, Rule};
use crate::model::{Finding, Severity};

pub struct PlaceholderId;

impl Rule for PlaceholderId {
    fn name(&self) -> &'static str {
        "placeholder-id"
    }
    fn code(&self) -> &'static str {
        "HA016"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "A Heap or Segment loader uses a documentation placeholder instead of an id or write key"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("placeholder_id.rs"))
    }

    /// One pass over the pages' installs: linear in installs.
    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut groups = Groups::new();
        for page in audited(cx.report) {
            for install in page.installs.iter().filter(|i| i.placeholder.is_some()) {
                let placeholder = install.placeholder.as_deref().unwrap_or_default();
                let key = format!("{} {placeholder}", install.vendor.as_str());
                let group = groups.entry(key).or_default();
                group.page(&page.url);
                group.evidence(evidence_of(install, page));
            }
        }
        groups
            .into_iter()
            .map(|(key, g)| {
                let (vendor, placeholder) = key.split_once(' ').unwrap_or((&key, ""));
                let what = if vendor == "segment" { "write key" } else { "app id" };
                let message = format!(
                    "{vendor} is loaded with the placeholder {placeholder} instead of a real {what} on {}: nothing from these pages is recorded",
                    count(g.pages.len(), "page")
                );
                let help = format!("replace {placeholder} with the {what} of the environment (Heap: Account > Manage > Projects; Segment: the source's Settings > API Keys)");
                finding(self, self.severity(), message, help, g.pages, g.evidence)
            })
            .collect()
    }
}
