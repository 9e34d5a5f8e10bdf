//! What the app and service rules share: the apps of a report, and what each uses.

use crate::model::{App, Evidence, Report, Vendor};
use crate::rules::{Config, HeapDestination, SegmentSource};

/// Every app and service of the report, across source targets.
pub fn all(report: &Report) -> impl Iterator<Item = &App> {
    report.sources.iter().flat_map(|s| s.apps.iter())
}

/// A mobile app (not a server-side service).
pub fn is_mobile(app: &App) -> bool {
    app.platform != "server"
}

/// Whether the app uses the vendor: a package or an init call.
pub fn uses(app: &App, vendor: Vendor) -> bool {
    app.packages.iter().any(|p| p.vendor == vendor)
        || app.installs.iter().any(|i| i.vendor == vendor)
}

/// Where the app uses the vendor: its init calls first, then its packages.
pub fn evidence(app: &App, vendor: Vendor) -> Vec<Evidence> {
    app.installs
        .iter()
        .filter(|i| i.vendor == vendor)
        .map(|i| i.evidence.clone())
        .chain(
            app.packages
                .iter()
                .filter(|p| p.vendor == vendor)
                .map(|p| p.evidence.clone()),
        )
        .collect()
}

/// `ios app fixtures/x/ios`.
pub fn name(app: &App) -> String {
    let kind = if is_mobile(app) { "app" } else { "service" };
    format!("{} {kind} {}", app.platform, app.path)
}

/// The Segment packages of an app, as `name version`.
pub fn packages(app: &App, vendor: Vendor) -> String {
    let names: Vec<String> = app
        .packages
        .iter()
        .filter(|p| p.vendor == vendor)
        .map(|p| match &p.version {
            Some(v) => format!("{} {v}", p.name),
            None => p.name.clone(),
        })
        .collect();
    names.join(", ")
}

/// The codes of the rules about mobile apps (segment-without-heap-sdk, heap-and-segment-in-app,
/// app-id-differs-from-web) and about services (server-side-track-calls).
const MOBILE_RULES: &[&str] = &["HA017", "HA018", "HA019"];
const SERVICE_RULES: &[&str] = &["HA020"];

/// Whether the rule of this code is about apps or services of this one's kind.
pub fn rule_applies(code: &str, app: &App) -> bool {
    if is_mobile(app) {
        MOBILE_RULES.contains(&code)
    } else {
        SERVICE_RULES.contains(&code)
    }
}

/// The config's `[[segment_sources]]` for the write keys the app starts Segment with.
pub fn stated_sources<'a>(app: &App, config: &'a Config) -> Vec<&'a SegmentSource> {
    app.installs
        .iter()
        .filter(|i| i.vendor == Vendor::Segment)
        .filter_map(|i| i.id.as_deref())
        .filter_map(|key| config.segment_sources.iter().find(|s| s.write_key == key))
        .collect()
}

/// The app's Segment sources the config says send to Heap (`heap_destination` other than
/// `"none"`).
pub fn sources_to_heap<'a>(app: &App, config: &'a Config) -> Vec<&'a SegmentSource> {
    stated_sources(app, config)
        .into_iter()
        .filter(|s| s.heap_destination != HeapDestination::None)
        .collect()
}

/// Whether the config says Heap is a destination of none of the app's Segment sources (it names
/// at least one, each with `heap_destination = "none"`).
pub fn heap_not_a_destination(app: &App, config: &Config) -> bool {
    let stated = stated_sources(app, config);
    !stated.is_empty()
        && stated
            .iter()
            .all(|s| s.heap_destination == HeapDestination::None)
}
