//! ## What it does
//! Notes a mobile app (iOS, Android, React Native, Capacitor, Cordova, Flutter) that sends
//! data with Segment's SDK and has no Heap SDK of its own.
//!
//! ## Why is this bad?
//! On mobile, Segment reaches Heap only in cloud mode: Heap's guide says that this "won't enable
//! autocapture functionality, and only Segment-tracked events will be sent to Heap (as
//! server-side events)". Autocapture on iOS and Android needs Heap's SDK installed directly. A
//! repository does not say whether Heap is a destination of the app's Segment source, so the
//! finding is information: if it is, Heap sees only what the app tracks by hand. When the config
//! says so (`[[segment_sources]]` with the app's write key and `heap_destination = "cloud"` or
//! `"device"`), it is a warning; with `heap_destination = "none"` Heap gets nothing from the app
//! through Segment, a choice the config states, and there is no finding.
//!
//! ## Example
//! ```ruby
//! # Podfile
//! pod 'Analytics', '~> 4.1'
//! ```
//!
//! ## Use instead
//! Install Heap's SDK in the app (keep Segment for the events other destinations need):
//! ```ruby
//! pod 'HeapIOSAutocapture', '~> 0.8'
//! ```
//! and start it where the app launches: `Heap.shared.startRecording("<app id>")`.
//!
//! ## References
//! - Heap, Segment installation (mobile): <https://help.heap.io/installation/third-party-installations/segment-installation/>
//! - Heap, iOS UIKit quick start: <https://help.heap.io/installation/standard-installations/ios-installation/>

use super::apps;
use super::{finding, Context, Rule};
use crate::model::{Finding, Severity, Vendor};
use crate::rules::{HeapDestination, SegmentSource};

pub struct SegmentWithoutHeapSdk;

impl Rule for SegmentWithoutHeapSdk {
    fn name(&self) -> &'static str {
        "segment-without-heap-sdk"
    }
    fn code(&self) -> &'static str {
        "HA017"
    }
    fn severity(&self) -> Severity {
        Severity::Info
    }
    fn summary(&self) -> &'static str {
        "a mobile app sends through Segment without Heap's SDK: Heap would get no autocapture"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("segment_without_heap_sdk.rs"))
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        apps::all(cx.report)
            .filter(|a| apps::is_mobile(a) && apps::uses(a, Vendor::Segment))
            .filter(|a| !apps::uses(a, Vendor::Heap))
            .filter_map(|app| {
                if apps::heap_not_a_destination(app, cx.config) {
                    // The config says Heap is no destination of this app's sources.
                    return None;
                }
                // The app's Segment sources the config says send to Heap, by write key.
                let to_heap: Vec<&SegmentSource> = apps::sources_to_heap(app, cx.config);
                let packages = apps::packages(app, Vendor::Segment);
                let (severity, message) = if to_heap.is_empty() {
                    (
                        self.severity(),
                        format!(
                            "the {} uses Segment ({packages}) and no Heap SDK: if Heap is a destination of this source, Heap gets only the events the app tracks in Segment, as server-side events, with no autocapture",
                            apps::name(app),
                        ),
                    )
                } else {
                    let sources: Vec<String> = to_heap.iter().map(|s| s.label()).collect();
                    let device = if to_heap.iter().any(|s| s.heap_destination == HeapDestination::Device) {
                        " (Segment's mobile SDKs have no device-mode Heap plugin: a mobile source reaches Heap in cloud mode)"
                    } else {
                        ""
                    };
                    (
                        Severity::Warning,
                        format!(
                            "the {} uses Segment ({packages}) and no Heap SDK, and the config says Heap is a destination of its Segment source {}{device}: Heap gets only the events the app tracks in Segment, as server-side events, with no autocapture",
                            apps::name(app),
                            sources.join(", "),
                        ),
                    )
                };
                let help = "Heap's guide: on mobile, install Heap's iOS or Android SDK directly to enable autocapture (in a React Native or Flutter app, Heap's SDK for it, which wraps them); Segment's cloud mode sends only Segment-tracked events through Heap's server-side API".to_owned();
                Some(finding(
                    self,
                    severity,
                    message,
                    help,
                    vec![app.path.clone()],
                    apps::evidence(app, Vendor::Segment),
                ))
            })
            .collect()
    }
}
