//! ## What it does
//! Notes a mobile app (iOS, Android, React Native, Capacitor, Cordova, Flutter) that sends
//! data with Segment's SDK and has no Heap SDK of its own.
//!
//! ## Why is this bad?
//! On mobile, Segment reaches Heap only in cloud mode: Heap's guide says that this "won't enable
//! autocapture functionality, and only Segment-tracked events will be sent to Heap (as
//! server-side events)". Autocapture on iOS and Android needs Heap's SDK installed directly. A
//! repository does not say whether Heap is a destination of the app's Segment source, so the
//! finding is information: if it is, Heap sees only what the app tracks by hand.
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
            .map(|app| {
                let message = format!(
                    "the {} uses Segment ({}) and no Heap SDK: if Heap is a destination of this source, Heap gets only the events the app tracks in Segment, as server-side events, with no autocapture",
                    apps::name(app),
                    apps::packages(app, Vendor::Segment)
                );
                let help = "Heap's guide: on mobile, install Heap's iOS or Android SDK directly to enable autocapture (in a React Native or Flutter app, Heap's SDK for it, which wraps them); Segment's cloud mode sends only Segment-tracked events through Heap's server-side API".to_owned();
                finding(
                    self,
                    self.severity(),
                    message,
                    help,
                    vec![app.path.clone()],
                    apps::evidence(app, Vendor::Segment),
                )
            })
            .collect()
    }
}
