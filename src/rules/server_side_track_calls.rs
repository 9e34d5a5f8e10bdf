//! ## What it does
//! Lists the `track` calls of server-side services (Segment's server libraries, Heap's
//! server-side API) in the repository, one finding per service, and names the events that the
//! web or the mobile code tracks too. It also notes `identify` calls that send an `email` trait.
//!
//! ## Why is this bad?
//! Heap's guide recommends server-side sources (development, staging, production), but says
//! server-side custom events are only needed for offline events, mission-critical or
//! end-of-funnel events whose values must be exact, and when custom properties are needed.
//! An event tracked both in the client and on the server is counted twice unless only one is
//! sent to Heap. Autocaptured events are named in Heap's UI, so they cannot be compared here.
//! An `email` trait sent through Segment's `identify` arrives in Heap as `_email`.
//!
//! ## Example
//! ```python
//! analytics.track(user.id, "Order Completed", {"revenue": order.total})
//! ```
//!
//! ## Use instead
//! Keep server-side events for what only the server knows exactly; send to Heap only the events
//! relevant to analysis, and use one name per event across sources.
//!
//! ## References
//! - Heap, Segment installation (custom events, user identity): <https://help.heap.io/installation/third-party-installations/segment-installation/>

use super::apps;
use super::{finding, Context, Rule};
use crate::model::{Finding, Severity};

pub struct ServerSideTrackCalls;

impl Rule for ServerSideTrackCalls {
    fn name(&self) -> &'static str {
        "server-side-track-calls"
    }
    fn code(&self) -> &'static str {
        "HA020"
    }
    fn severity(&self) -> Severity {
        Severity::Info
    }
    fn summary(&self) -> &'static str {
        "server-side track calls: Heap's guide keeps them for offline, exact or custom-property events"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("server_side_track_calls.rs"))
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        // Event names tracked by the web pages and the mobile apps.
        let mut client: Vec<String> = cx
            .report
            .pages
            .iter()
            .flat_map(|p| p.segment_calls.iter())
            .filter(|c| c.method == "track")
            .filter_map(|c| event_of(&c.evidence.snippet))
            .collect();
        client.extend(
            apps::all(cx.report)
                .filter(|a| apps::is_mobile(a))
                .flat_map(|a| a.calls.iter())
                .filter(|c| c.method == "track")
                .filter_map(|c| c.event.clone()),
        );
        let mut out = Vec::new();
        for app in apps::all(cx.report).filter(|a| !apps::is_mobile(a)) {
            let tracks: Vec<_> = app.calls.iter().filter(|c| c.method == "track").collect();
            let email = app
                .calls
                .iter()
                .filter(|c| c.method == "identify" && c.email_trait);
            let email: Vec<_> = email.collect();
            if tracks.is_empty() && email.is_empty() {
                continue;
            }
            let mut events: Vec<&str> = tracks.iter().filter_map(|c| c.event.as_deref()).collect();
            events.dedup();
            let both: Vec<&str> = events
                .iter()
                .copied()
                .filter(|e| client.iter().any(|c| c == e))
                .collect();
            let mut message = format!(
                "the {} tracks {} server-side{}",
                apps::name(app),
                super::common::count(tracks.len(), "event call"),
                if events.is_empty() {
                    String::new()
                } else {
                    format!(": {}", events.join(", "))
                }
            );
            if !both.is_empty() {
                message.push_str(&format!(
                    "; also tracked by the web or app code: {}",
                    both.join(", ")
                ));
            }
            if !email.is_empty() {
                message
                    .push_str("; identify sends an email trait, which arrives in Heap as _email");
            }
            let help = "Heap's guide: server-side custom events are only needed for offline events, mission-critical end-of-funnel events whose values must be exact, and custom properties; send Heap only the events relevant to analysis, one name per event across sources (an email trait via Segment identify is _email in Heap, as expected)".to_owned();
            let evidence = tracks
                .iter()
                .chain(email.iter())
                .map(|c| c.evidence.clone())
                .collect();
            out.push(finding(
                self,
                self.severity(),
                message,
                help,
                vec![app.path.clone()],
                evidence,
            ));
        }
        out
    }
}

/// The event name of a web `analytics.track("…")` call, from its snippet.
fn event_of(snippet: &str) -> Option<String> {
    let rest = snippet.split("track(").nth(1)?.trim_start();
    let q = rest
        .chars()
        .next()
        .filter(|c| matches!(c, '"' | '\'' | '`'))?;
    Some(rest[1..].split(q).next()?.to_owned())
}
