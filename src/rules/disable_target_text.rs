//! ## What it does
//! Flags Heap's global text-capture switch, `disableTextCapture` (and the name `disableTargetText`,
//! which Heap's Segment guide uses but which is not a `heap.load` option), and says whether it can
//! take effect where it is set:
//! - in a native (or tag-manager) `heap.load(id, { disableTextCapture: true })`: **info**. It
//!   works, and it is one of the reasons Heap's guide gives to keep a native install (a correct
//!   setup never fails a `fail_on = "warning"` build); **error**
//!   when Segment's classic `Heap` destination also runs on that page: it replaces `heap.load` and
//!   calls it with its own app id and no config, so the option is lost;
//! - `disableTargetText` alone in `heap.load`: **error**, Heap does not know that option;
//! - for Segment's classic `Heap` destination, e.g. `analytics.load(key, { integrations: { Heap:
//!   { disableTextCapture: true } } })`: **error**, that destination calls `heap.load(appId)` with
//!   no options, so the setting never reaches Heap;
//! - on Heap Web (Actions): **warning**, a private-beta destination whose settings are ignored if
//!   `window.heap` already exists; **error** when another Heap loader is on the same page.
//!
//! Heap's redaction attributes (`data-heap-redact-text`, `data-heap-redact-attributes`,
//! `heap-ignore`) work with every install method and are not flagged. One finding per distinct
//! situation, listing every page.
//!
//! ## Why is this bad?
//! A privacy setting that silently does nothing is worse than none: target text (button labels,
//! form text, names and emails shown on the page) is still captured. Heap's guide lists "data
//! collection privacy concerns" and `disableTargetText` as a reason to install Heap natively rather
//! than through Segment.
//!
//! ## Example
//! ```html
//! <script>/* Segment snippet */
//! analytics.load("q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH", { integrations: { Heap: { disableTextCapture: true } } });
//! </script>
//! ```
//!
//! ## Use instead
//! Install Heap natively with the option, and disable Segment's Heap destination in device mode;
//! or turn on redaction with Heap's Target Text Autocapture setting (Account > Manage > Privacy &
//! Security), which works with any install method.
//! ```html
//! <script>/* Heap snippet */ heap.load("2682025610", { disableTextCapture: true });</script>
//! ```
//!
//! ## References
//! - Heap, Segment installation: <https://help.heap.io/installation/third-party-installations/segment-installation/>
//! - Heap, ignoring sensitive data: <https://developers.heap.io/docs/ignoring-sensitive-data-and-pii>
//! - Segment classic Heap integration (passes only appId): <https://github.com/segmentio/analytics.js-integrations/blob/master/integrations/heap/lib/index.js>
//! - Heap Web (Actions) settings: <https://github.com/segmentio/action-destinations/tree/main/packages/browser-destinations/destinations/heap>

use std::collections::BTreeMap;

use super::common::{
    active, audited, describe, evidence_of, is_actions, is_classic_destination,
    text_capture_option, Group,
};
use super::{finding, Context, Rule};
use crate::model::{Finding, Install, Mode, Page, Severity, Vendor, Via};

pub struct DisableTargetText;

const TOGGLE: &str = "or use Heap's Target Text Autocapture setting (Account > Manage > Privacy & Security), which works with any install method";

impl Rule for DisableTargetText {
    fn name(&self) -> &'static str {
        "disable-target-text"
    }
    fn code(&self) -> &'static str {
        "HA004"
    }
    fn severity(&self) -> Severity {
        Severity::Info
    }
    fn summary(&self) -> &'static str {
        "Heap's text capture is disabled in code: fine natively, ineffective through Segment's classic destination"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("disable_target_text.rs"))
    }

    /// Linear in pages and installs: one pass, grouped by hash ([`Group`]); an install is judged
    /// against the other loaders of its own page only.
    fn check(&self, cx: &Context) -> Vec<Finding> {
        // (severity, message, help) -> pages and evidence
        let mut groups: BTreeMap<(Severity, String, String), Group> = BTreeMap::new();
        for page in audited(cx.report) {
            for install in page.installs.iter().filter(|i| i.vendor == Vendor::Heap) {
                if let Some(key) = judge(install, page) {
                    let group = groups.entry(key).or_default();
                    group.page(&page.url);
                    group.evidence(evidence_of(install, page));
                }
            }
            for segment in page.installs.iter().filter(|i| i.vendor == Vendor::Segment) {
                if let Some((message, help)) = load_options_only(segment, page) {
                    let group = groups.entry((Severity::Error, message, help)).or_default();
                    group.page(&page.url);
                    group.evidence([&segment.evidence]);
                }
            }
        }
        groups
            .into_iter()
            .map(|((severity, message, help), g)| {
                finding(self, severity, message, help, g.pages, g.evidence)
            })
            .collect()
    }
}

fn judge(install: &Install, page: &Page) -> Option<(Severity, String, String)> {
    let option = text_capture_option(&install.options)?;
    let who = describe(install, page);
    if install.via != Via::Segment {
        if !install.active {
            return None;
        }
        if option == "disableTextCapture" {
            // Segment's classic destination replaces heap.load and calls it with its own app id
            // and no config (domain.md §3.1): on a page where it also runs, the option is lost.
            let classic = active(page, Vendor::Heap)
                .into_iter()
                .find(|i| is_classic_destination(i));
            return Some(match classic {
                Some(classic) => (Severity::Error,
                    format!("disableTextCapture is set in heap.load of {who}, but the {} also loads Heap on this page: it replaces heap.load and calls it with its own app id and no config, so the option is lost and target text is captured", describe(classic, page)),
                    format!("keep one loader: keep the native snippet with disableTextCapture and disable Segment's Heap destination in device mode (Heap's guide lists privacy concerns as a reason for a native install), {TOGGLE}")),
                None => (Severity::Info,
                    format!("disableTextCapture is set in heap.load of {who}: it works because Heap is installed natively, which Heap's guide gives as a reason to keep a native install"),
                    "nothing to change while Heap is installed natively here; if this page moves to Segment (see the recommended install path), its classic Heap destination cannot pass disableTextCapture: use Heap's Target Text Autocapture setting (Account > Manage > Privacy & Security) instead, which works with any install method".to_owned()),
            });
        }
        return Some((
            Severity::Error,
            format!(
                "disableTargetText is not a heap.load option, so {who} still captures target text"
            ),
            format!("rename it to disableTextCapture: true in the heap.load config, {TOGGLE}"),
        ));
    }
    if !install.active && install.mode != Some(Mode::Cloud) {
        return None;
    }
    if !is_actions(install) {
        return Some((Severity::Error,
            format!("{option} is set for {who}, but Segment's classic Heap destination calls heap.load with the app id only, so target text is still captured"),
            format!("install Heap natively with heap.load(\"{}\", {{ disableTextCapture: true }}) and disable the Heap destination in Segment (Heap's guide lists this as a reason for a native install), {TOGGLE}", install.id.as_deref().unwrap_or("APP_ID"))));
    }
    if option == "disableTargetText" {
        return Some((Severity::Error,
            format!("disableTargetText is not a Heap Web (Actions) setting, so {who} still captures target text"),
            format!("set the destination's disableTextCapture setting instead, {TOGGLE}")));
    }
    let other = active(page, Vendor::Heap)
        .into_iter()
        .find(|i| !std::ptr::eq(*i, install) && !is_actions(i));
    Some(match other {
        Some(other) => (Severity::Error,
            format!("disableTextCapture is set on {who}, but {} defines window.heap first, so Heap Web (Actions) skips loading and the setting never applies", describe(other, page)),
            format!("remove the other Heap loader and let Segment load Heap, or set disableTextCapture in that loader's heap.load config, {TOGGLE}")),
        None => (Severity::Warning,
            format!("disableTextCapture is set on {who}: Heap Web (Actions) is a private-beta destination and ignores its settings if window.heap already exists when it loads"),
            format!("make sure nothing else defines window.heap, or install Heap natively with disableTextCapture as Heap's guide recommends for privacy concerns, {TOGGLE}")),
    })
}

/// `integrations.<Heap…>.disableTextCapture` in `analytics.load` options that no Heap destination
/// of that write key on the page picked up (no such destination, or settings not read).
fn load_options_only(segment: &Install, page: &Page) -> Option<(String, String)> {
    let integrations = segment.options.get("integrations")?.as_object()?;
    let (key, option) = integrations.iter().find_map(|(k, v)| {
        let opts = v
            .as_object()
            .filter(|_| k.to_ascii_lowercase().contains("heap"))?;
        text_capture_option(opts).map(|o| (k.as_str(), o))
    })?;
    let picked_up = page.installs.iter().any(|i| {
        i.vendor == Vendor::Heap
            && i.via == Via::Segment
            && i.write_key.is_some()
            && i.write_key == segment.id
    });
    let write_key = segment.id.as_deref().unwrap_or("unreadable");
    if picked_up {
        return None;
    }
    let why = if key == "Heap" {
        "Segment's classic Heap destination calls heap.load with the app id only"
    } else if segment.settings.as_deref() == Some("fetched") {
        "that source's Segment settings have no Heap destination"
    } else {
        "that source's Segment settings could not be read, so no Heap destination is known to receive it"
    };
    Some((
        format!("integrations.{key}.{option} is set in the analytics.load options of write key {write_key}, but {why}, so target text is still captured"),
        format!("install Heap natively with disableTextCapture: true in its heap.load config (Heap's guide lists this as a reason for a native install), {TOGGLE}"),
    ))
}
