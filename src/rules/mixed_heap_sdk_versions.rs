//! ## What it does
//! Flags a site on which both Heap SDK generations run: classic heap.js (v4 and older,
//! `cdn.heapanalytics.com/js/heap-<id>.js`) on some loaders and v5 (`heap-api.com/config/<id>/
//! heap_config.js`) on others, on the same page or on different pages. Segment's classic Heap
//! destination always loads the classic SDK; Heap Web (Actions) loads v5, except on a page where
//! another loader already defined `window.heap` (it then loads nothing). One finding per site.
//!
//! ## Why is this bad?
//! Heap: "Using multiple different versions of Heap on your app/website can produce unexpected and
//! unwanted behavior. We strongly recommend that every page … uses the same version of Heap." The
//! two generations keep different globals (`heap.appid` vs `heap.envId`) and cookies (`_hp2_*` vs
//! `_hp5_*`), so a user crossing pages can look like two users. Heap's v5 guide: "Make sure to
//! remove any existing install scripts for Heap on your site before installing the new version".
//!
//! ## Example
//! ```html
//! <!-- index.html -->   <script>/* classic snippet */ heap.load("2682025610");</script>
//! <!-- pricing.html --> <script>/* v5 snippet, heap_config.js */ heap.load("2682025610");</script>
//! ```
//!
//! ## Use instead
//! The same snippet (preferably v5) on every page, or let Segment load Heap everywhere.
//! ```html
//! <!-- every page --> <script>/* v5 snippet, heap_config.js */ heap.load("2682025610");</script>
//! ```
//!
//! ## References
//! - Heap, what version of Heap do I have: <https://help.heap.io/hc/en-us/articles/37271885534353-What-version-of-Heap-do-I-have>
//! - Heap v5 web SDK: <https://developers.heap.io/docs/web>

use std::collections::BTreeMap;

use super::common::{active, audited, count, evidence_of, list, skipped_actions, Group};
use super::{finding, Context, Rule};
use crate::model::{Finding, Sdk, Severity, Vendor, Via};

pub struct MixedHeapSdkVersions;

impl Rule for MixedHeapSdkVersions {
    fn name(&self) -> &'static str {
        "mixed-heap-sdk-versions"
    }
    fn code(&self) -> &'static str {
        "HA007"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "classic (v4) and v5 Heap SDKs are both loaded on the site"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("mixed_heap_sdk_versions.rs"))
    }

    /// Linear in pages and installs: one pass, grouped by hash ([`Group`]).
    fn check(&self, cx: &Context) -> Vec<Finding> {
        // site -> (classic, v5)
        let mut sites: BTreeMap<&str, [Group; 2]> = BTreeMap::new();
        for page in audited(cx.report) {
            for install in active(page, Vendor::Heap) {
                if skipped_actions(install, page) {
                    continue;
                }
                let slot = match install.sdk {
                    Some(Sdk::Classic) => 0,
                    Some(Sdk::V5) => 1,
                    None => continue,
                };
                let group = &mut sites.entry(&page.site).or_default()[slot];
                group.page(&page.url);
                group.evidence(evidence_of(install, page));
                let id = install.id.as_deref().unwrap_or("unreadable");
                group.note(if install.via == Via::Segment {
                    format!("{id} via Segment")
                } else {
                    id.to_owned()
                });
            }
        }
        let mut out = Vec::new();
        for (site, [classic, v5]) in sites {
            if classic.pages.is_empty() || v5.pages.is_empty() {
                continue;
            }
            let message = format!(
                "heap sdks are mixed on {site}: classic (v4) on {} (app id {}), v5 on {} (app id {})",
                count(classic.pages.len(), "page"),
                list(&classic.notes, 5),
                count(v5.pages.len(), "page"),
                list(&v5.notes, 5)
            );
            let help = "load the same Heap version on every page, preferably v5, and remove the old install scripts first; Segment's classic Heap destination always loads the classic SDK, Heap Web (Actions) loads v5".to_owned();
            let mut all = classic;
            v5.pages.iter().for_each(|p| all.page(p));
            all.evidence(v5.evidence);
            out.push(finding(
                self,
                self.severity(),
                message,
                help,
                all.pages,
                all.evidence,
            ));
        }
        out
    }
}
