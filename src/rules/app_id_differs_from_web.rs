//! ## What it does
//! Notes a mobile app whose Heap SDK starts with an app id that no web page of the repository
//! loads. When `[[environments]]` in the config names the Heap app id the whole setup must use
//! (an environment without `hosts`, `urls` or `condition`), an app id outside it is a warning.
//!
//! ## Why is this bad?
//! Separate Heap projects per platform are a valid choice, so by itself this is information: web
//! and app users then land in different projects, and journeys across them cannot be analysed
//! together. When the config says the ids must match, the app sends to the wrong project.
//!
//! ## Example
//! ```swift
//! Heap.shared.startRecording("604918273")   // the web snippet loads 1620493857
//! ```
//!
//! ## Use instead
//! The same id everywhere, when one project is meant:
//! ```swift
//! Heap.shared.startRecording("1620493857")
//! ```
//!
//! ## References
//! - Heap, iOS UIKit quick start: <https://help.heap.io/installation/standard-installations/ios-installation/>

use super::apps;
use super::{finding, Context, Rule};
use crate::model::{Finding, Severity, Vendor};

pub struct AppIdDiffersFromWeb;

impl Rule for AppIdDiffersFromWeb {
    fn name(&self) -> &'static str {
        "app-id-differs-from-web"
    }
    fn code(&self) -> &'static str {
        "HA019"
    }
    fn severity(&self) -> Severity {
        Severity::Info
    }
    fn summary(&self) -> &'static str {
        "a mobile app starts Heap with an app id that the web pages do not use"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("app_id_differs_from_web.rs"))
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut web: Vec<&str> = cx
            .report
            .pages
            .iter()
            .flat_map(|p| p.installs.iter())
            .filter(|i| i.vendor == Vendor::Heap)
            .flat_map(|i| i.id.iter().chain(i.alternative_ids.iter()))
            .map(String::as_str)
            .collect();
        web.sort_unstable();
        web.dedup();
        let required: Vec<&str> = cx
            .config
            .environments
            .iter()
            .filter(|e| e.hosts.is_empty() && e.urls.is_empty() && e.condition.is_none())
            .filter_map(|e| e.heap_app_id.as_deref())
            .collect();
        let mut out = Vec::new();
        for app in apps::all(cx.report).filter(|a| apps::is_mobile(a)) {
            for install in app.installs.iter().filter(|i| i.vendor == Vendor::Heap) {
                let Some(id) = install.id.as_deref() else {
                    continue;
                };
                let (severity, against) = if !required.is_empty() {
                    if required.contains(&id) {
                        continue;
                    }
                    (Severity::Warning, required.join(", "))
                } else {
                    if web.is_empty() || web.contains(&id) {
                        continue;
                    }
                    (Severity::Info, web.join(", "))
                };
                let message = format!(
                    "the {} starts Heap with app id {id}, the web uses {against}: app and web users land in different Heap projects",
                    apps::name(app)
                );
                let help = if severity == Severity::Warning {
                    format!("the config's [[environments]] say the id is {against}: start the app's SDK with it")
                } else {
                    "separate projects per platform are a valid choice; if one project is meant, use the same app id in the app and on the web (or name it in [[environments]] heap_app_id to have this checked)".to_owned()
                };
                out.push(finding(
                    self,
                    severity,
                    message,
                    help,
                    vec![app.path.clone()],
                    vec![install.evidence.clone()],
                ));
            }
        }
        out
    }
}
