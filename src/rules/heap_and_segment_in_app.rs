//! ## What it does
//! Notes a mobile app that runs Heap's own SDK and Segment's SDK together.
//!
//! ## Why is this bad?
//! It is a valid setup, with a cost worth knowing. Heap's guide: installing Heap natively as
//! well as through Segment gives "both autocaptured events and Segment-tracked events", but
//! "since Segment data will come into Heap as server-side events, this will limit the ability to
//! perform within-a-session analysis"; a time restriction ("within an hour") is the proxy.
//!
//! The config's `[[segment_sources]]` settle the "if": with the app's write key and
//! `heap_destination = "cloud"` or `"device"` the message says the Segment events do reach Heap
//! server-side, naming the source; with `heap_destination = "none"` nothing of Segment's reaches
//! Heap and there is nothing to note.
//!
//! ## Example
//! ```kotlin
//! Heap.startRecording(this, "1620493857")
//! val analytics = Analytics("Qm7Tz2LpXv9RwKd4NsYb8HcJf3GeAu6V", applicationContext)
//! ```
//!
//! ## Use instead
//! Keep both if the Segment events are needed in Heap, and analyse them with a time window
//! rather than within a session; or track those events with Heap's SDK as well.
//!
//! ## References
//! - Heap, Segment installation (mobile): <https://help.heap.io/installation/third-party-installations/segment-installation/>

use super::apps;
use super::{finding, Context, Rule};
use crate::model::{Finding, Severity, Vendor};

pub struct HeapAndSegmentInApp;

impl Rule for HeapAndSegmentInApp {
    fn name(&self) -> &'static str {
        "heap-and-segment-in-app"
    }
    fn code(&self) -> &'static str {
        "HA018"
    }
    fn severity(&self) -> Severity {
        Severity::Info
    }
    fn summary(&self) -> &'static str {
        "a mobile app runs Heap's SDK and Segment's: Segment's events reach Heap server-side"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("heap_and_segment_in_app.rs"))
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        apps::all(cx.report)
            .filter(|a| apps::is_mobile(a) && apps::uses(a, Vendor::Segment))
            .filter(|a| apps::uses(a, Vendor::Heap))
            // The config says Heap is no destination of the app's sources: no server-side events.
            .filter(|a| !apps::heap_not_a_destination(a, cx.config))
            .map(|app| {
                let to_heap: Vec<String> = apps::sources_to_heap(app, cx.config)
                    .into_iter()
                    .map(|s| s.label())
                    .collect();
                let (name, packages) = (apps::name(app), apps::packages(app, Vendor::Segment));
                let message = if to_heap.is_empty() {
                    format!(
                        "the {name} runs Heap's SDK and Segment ({packages}): Heap autocaptures, and if Heap is a destination of this Segment source the Segment events arrive as server-side events, outside the app's sessions"
                    )
                } else {
                    format!(
                        "the {name} runs Heap's SDK and Segment ({packages}), and the config says Heap is a destination of its Segment source {}: Heap autocaptures, and the Segment events arrive as server-side events, outside the app's sessions",
                        to_heap.join(", ")
                    )
                };
                let help = "Heap's guide: this gives autocaptured and Segment-tracked events, but limits within-a-session analysis of the Segment events; use a time window (e.g. \"within an hour\") instead".to_owned();
                let mut evidence = apps::evidence(app, Vendor::Heap);
                evidence.extend(apps::evidence(app, Vendor::Segment));
                finding(self, self.severity(), message, help, vec![app.path.clone()], evidence)
            })
            .collect()
    }
}
