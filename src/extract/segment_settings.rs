//! Segment's CDN settings (`<cdn>/v1/projects/<writeKey>/settings`) → the Heap destinations in them.
//!
//! A Segment snippet on a page says nothing about Heap: whether analytics.js loads Heap, with which
//! app id and options, lives in the settings JSON the snippet fetches, and can still be changed by
//! the page's `analytics.load(key, { integrations: … })` options. This module reads the settings
//! the way analytics-next does: the classic `"Heap"` integration (device mode only when it is not
//! unbundled and is a browser component), the "Heap Web (Actions)" plugin in `remotePlugins`
//! (device mode), and other Heap Actions destinations that only appear in `integrations` (cloud
//! mode). [`apply_load_options`] then applies the page's load options on top.

use serde_json::{Map, Value};

use crate::model::Mode;

/// The classic destination's key in `integrations`.
const CLASSIC_KEY: &str = "Heap";
/// Segment's own integration: present in every genuine settings response.
const SEGMENT_IO_KEY: &str = "Segment.io";
/// Keys that describe the destination to analytics.js rather than configure Heap.
const NON_SETTING_KEYS: [&str; 5] = [
    "versionSettings",
    "bundlingStatus",
    "type",
    "subscriptions",
    "consentSettings",
];

/// Which Segment destination carries Heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestinationKind {
    /// The classic `"Heap"` integration (`analytics.js-integration-heap`); passes only `appId`.
    Classic,
    /// An Actions destination: "Heap Web (Actions)" in the browser, or a cloud one.
    Actions,
}

/// One Heap destination found in Segment settings.
#[derive(Debug, Clone, PartialEq)]
pub struct HeapDestination {
    pub kind: DestinationKind,
    /// The `integrations` key (`"Heap"`) or `remotePlugins[].name` (`"Heap Web (Actions)"`).
    pub name: String,
    /// `remotePlugins[].creationName`, for a device-mode Actions plugin.
    pub creation_name: Option<String>,
    /// `appId` as text (numbers converted); `None` when missing or empty.
    pub app_id: Option<String>,
    pub mode: Mode,
    /// Destination settings, without `versionSettings`, `bundlingStatus`, `type`,
    /// `subscriptions` and `consentSettings`.
    pub settings: Map<String, Value>,
    /// `false` once disabled by the page's load options.
    pub enabled: bool,
    /// Why `enabled` is false.
    pub disabled_reason: Option<String>,
}

/// What heap-audit needs from one settings response.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `integrations["Segment.io"]` is present: the host speaks Segment's protocol.
    pub has_segment_io: bool,
    /// `integrations["Segment.io"].apiHost`.
    pub api_host: Option<String>,
    /// Classic first, then device-mode Actions plugins, then cloud-only Actions destinations.
    pub heap: Vec<HeapDestination>,
}

/// Why a settings body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("Segment settings are not JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error("Segment settings are JSON but not an object (found {found})")]
    NotObject { found: &'static str },
    #[error("Segment settings have no \"integrations\" object")]
    NoIntegrations,
}

/// Reads a settings response body.
pub fn parse_settings(text: &str) -> Result<Settings, SettingsError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root: Value = serde_json::from_str(text)?;
    let Value::Object(root) = root else {
        return Err(SettingsError::NotObject {
            found: json_type(&root),
        });
    };
    let Some(Value::Object(integrations)) = root.get("integrations") else {
        return Err(SettingsError::NoIntegrations);
    };

    let segment_io = integrations.get(SEGMENT_IO_KEY);
    let segment_io_obj = segment_io.and_then(Value::as_object);
    let api_host = segment_io_obj
        .and_then(|o| o.get("apiHost"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from);
    let unbundled: Vec<&str> = segment_io_obj
        .and_then(|o| o.get("unbundledIntegrations"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();

    let mut heap = Vec::new();
    if let Some(value) = integrations.get(CLASSIC_KEY) {
        heap.push(classic(value, &unbundled));
    }

    let mut device_actions: Vec<HeapDestination> = root
        .get("remotePlugins")
        .and_then(Value::as_array)
        .map(|plugins| {
            plugins
                .iter()
                .filter_map(Value::as_object)
                .filter(|p| is_heap_plugin(p))
                .map(remote_plugin)
                .collect()
        })
        .unwrap_or_default();

    let mut cloud_actions = Vec::new();
    for (key, value) in integrations {
        if key == CLASSIC_KEY || !contains_ci(key, "heap") {
            continue;
        }
        let copy = value.as_object();
        if let Some(dest) = device_actions.iter_mut().find(|d| d.name == *key) {
            // analytics-next passes `{...remotePlugin.settings, ...integrations[remotePlugin.name]}`.
            if let Some(copy) = copy {
                merge_settings(dest, copy, true);
            }
            continue;
        }
        if let Some(dest) = device_actions
            .iter_mut()
            .find(|d| d.creation_name.as_deref() == Some(key.as_str()))
        {
            // Segment's copy of the plugin's settings under its creation name: fill gaps only.
            if let Some(copy) = copy {
                merge_settings(dest, copy, false);
            }
            continue;
        }
        let settings = copy.map(strip_non_settings).unwrap_or_default();
        cloud_actions.push(HeapDestination {
            kind: DestinationKind::Actions,
            name: key.clone(),
            creation_name: None,
            app_id: settings.get("appId").and_then(app_id_text),
            mode: Mode::Cloud,
            settings,
            enabled: true,
            disabled_reason: None,
        });
    }

    heap.append(&mut device_actions);
    heap.append(&mut cloud_actions);
    Ok(Settings {
        has_segment_io: segment_io.is_some(),
        api_host,
        heap,
    })
}

/// Applies the page's `analytics.load` options (`load_options["integrations"]`) to the Heap
/// destinations, as analytics-next does: `false` under a destination's name or creation name
/// disables it, `All: false` disables what no key explicitly enables, and an object value is
/// merged over the destination's settings.
pub fn apply_load_options(
    settings: &Settings,
    load_options: &Map<String, Value>,
) -> Vec<HeapDestination> {
    let Some(Value::Object(integrations)) = load_options.get("integrations") else {
        return settings.heap.clone();
    };
    settings
        .heap
        .iter()
        .map(|dest| apply_to_one(dest, integrations))
        .collect()
}

fn apply_to_one(dest: &HeapDestination, integrations: &Map<String, Value>) -> HeapDestination {
    let mut dest = dest.clone();
    let mut keys: Vec<&str> = vec![dest.name.as_str()];
    if let Some(creation) = dest.creation_name.as_deref() {
        if creation != dest.name {
            keys.push(creation);
        }
    }
    let keys: Vec<String> = keys.into_iter().map(String::from).collect();

    if let Some(key) = keys
        .iter()
        .find(|k| integrations.get(k.as_str()) == Some(&Value::Bool(false)))
    {
        disable(
            &mut dest,
            format!(
                "analytics.load options set {} to false",
                integrations_path(key)
            ),
        );
        return dest;
    }

    // ajs-destination (classic): `All === false && integrations[name] === undefined`.
    // remote-loader (Actions): `All === false && !integrations[creationName] && !integrations[name]`.
    let explicitly_enabled = keys.iter().any(|k| match integrations.get(k.as_str()) {
        None => false,
        Some(v) => dest.kind == DestinationKind::Classic || is_truthy(v),
    });
    if integrations.get("All") == Some(&Value::Bool(false)) && !explicitly_enabled {
        let named: Vec<String> = keys.iter().map(|k| integrations_path(k)).collect();
        disable(
            &mut dest,
            format!(
                "analytics.load options set integrations.All to false and do not enable {}",
                named.join(" or ")
            ),
        );
        return dest;
    }

    // Object values override the CDN settings. analytics-next merges by `name`, so it is applied
    // last and wins over the creation name.
    for key in keys.iter().rev() {
        if let Some(Value::Object(overrides)) = integrations.get(key.as_str()) {
            merge_settings(&mut dest, overrides, true);
        }
    }
    dest
}

fn disable(dest: &mut HeapDestination, reason: String) {
    if dest.enabled {
        dest.enabled = false;
        dest.disabled_reason = Some(reason);
    }
}

/// The classic `"Heap"` integration.
fn classic(value: &Value, unbundled: &[&str]) -> HeapDestination {
    let empty = Map::new();
    let obj = value.as_object().unwrap_or(&empty);
    let bundled = obj.get("bundlingStatus").and_then(Value::as_str) != Some("unbundled");
    let browser_type = obj.get("type").and_then(Value::as_str) == Some("browser");
    let browser_component = obj
        .get("versionSettings")
        .and_then(|v| v.get("componentTypes"))
        .and_then(Value::as_array)
        .is_some_and(|types| types.iter().any(|t| t.as_str() == Some("browser")));
    let listed_unbundled = unbundled.contains(&CLASSIC_KEY);
    let device = bundled && (browser_type || browser_component) && !listed_unbundled;
    let settings = strip_non_settings(obj);
    HeapDestination {
        kind: DestinationKind::Classic,
        name: CLASSIC_KEY.to_string(),
        creation_name: None,
        app_id: settings.get("appId").and_then(app_id_text),
        mode: if device { Mode::Device } else { Mode::Cloud },
        settings,
        enabled: true,
        disabled_reason: None,
    }
}

/// A `remotePlugins[]` entry that loads Heap in the browser.
fn is_heap_plugin(plugin: &Map<String, Value>) -> bool {
    let field = |k: &str| plugin.get(k).and_then(Value::as_str).unwrap_or("");
    let (name, creation) = (field("name"), field("creationName"));
    if field("libraryName") == "heapDestination" || field("url").contains("/actions/heap/") {
        return true;
    }
    let named_heap = contains_ci(name, "heap") || contains_ci(creation, "heap");
    let cloud = contains_ci(name, "cloud") || contains_ci(creation, "cloud");
    named_heap && !cloud
}

fn remote_plugin(plugin: &Map<String, Value>) -> HeapDestination {
    let field = |k: &str| {
        plugin
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    let creation_name = field("creationName");
    let name = field("name")
        .or_else(|| creation_name.clone())
        .or_else(|| field("libraryName"))
        .unwrap_or_else(|| "Heap Web (Actions)".to_string());
    let settings = plugin
        .get("settings")
        .and_then(Value::as_object)
        .map(strip_non_settings)
        .unwrap_or_default();
    HeapDestination {
        kind: DestinationKind::Actions,
        name,
        creation_name,
        app_id: settings.get("appId").and_then(app_id_text),
        mode: Mode::Device,
        settings,
        enabled: true,
        disabled_reason: None,
    }
}

/// Lays `extra` over (`overwrite`) or under the destination's settings, keeping `app_id` in step.
fn merge_settings(dest: &mut HeapDestination, extra: &Map<String, Value>, overwrite: bool) {
    for (k, v) in extra {
        if NON_SETTING_KEYS.contains(&k.as_str()) {
            continue;
        }
        if overwrite || !dest.settings.contains_key(k) {
            dest.settings.insert(k.clone(), v.clone());
        }
    }
    if let Some(app_id) = dest.settings.get("appId") {
        dest.app_id = app_id_text(app_id);
    }
}

fn strip_non_settings(obj: &Map<String, Value>) -> Map<String, Value> {
    obj.iter()
        .filter(|(k, _)| !NON_SETTING_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn app_id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// JavaScript truthiness of a JSON value.
fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// `integrations.Heap`, or `integrations["Heap Web (Actions)"]` for a key that is not an identifier.
fn integrations_path(key: &str) -> String {
    let identifier = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if identifier {
        format!("integrations.{key}")
    } else {
        format!("integrations[{}]", Value::String(key.to_string()))
    }
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(needle)
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CLASSIC_DEVICE: &str =
        include_str!("../../fixtures/segment/q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH.json");
    const CLASSIC_DEVICE_2: &str =
        include_str!("../../fixtures/segment/bKVNiLl0RNlUfe2nS5JiKvEjrZX5mbKY.json");
    const CLASSIC_CLOUD: &str =
        include_str!("../../fixtures/segment/Cl0udM0deHeapKey0000000000000000.json");
    const ACTIONS_WEB: &str =
        include_str!("../../fixtures/segment/Act1onsHeapWebKey00000000000000a.json");
    const NO_HEAP: &str =
        include_str!("../../fixtures/segment/N0HeapAtAllKey000000000000000000.json");
    const CLASSIC_DEVICE_3: &str =
        include_str!("../../fixtures/segment/Zx81LmQp3RstUvW0yAbC4dEfGh5iJkLm.json");
    const INVALID: &str =
        include_str!("../../fixtures/segment/InvalidJsonKey000000000000000000.json");

    fn parse(text: &str) -> Settings {
        parse_settings(text).expect("fixture parses")
    }

    /// Settings with only `Segment.io` (listing `unbundled`) and the given classic Heap entry.
    fn classic_only(heap: Value, unbundled: &[&str]) -> HeapDestination {
        let body = json!({
            "integrations": {
                "Segment.io": { "apiKey": "k", "unbundledIntegrations": unbundled },
                "Heap": heap,
            }
        });
        let settings = parse(&body.to_string());
        assert_eq!(settings.heap.len(), 1);
        settings.heap[0].clone()
    }

    fn options(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("load options must be an object"),
        }
    }

    // ---- fixtures ----

    #[test]
    fn fixture_classic_device_mode() {
        let s = parse(CLASSIC_DEVICE);
        assert!(s.has_segment_io);
        assert_eq!(s.api_host.as_deref(), Some("api.segment.io/v1"));
        assert_eq!(s.heap.len(), 1);
        let heap = &s.heap[0];
        assert_eq!(heap.kind, DestinationKind::Classic);
        assert_eq!(heap.name, "Heap");
        assert_eq!(heap.creation_name, None);
        assert_eq!(heap.app_id.as_deref(), Some("2682025610"));
        assert_eq!(heap.mode, Mode::Device);
        assert!(heap.enabled);
        assert_eq!(heap.disabled_reason, None);
        // Only the destination's own settings are kept.
        assert_eq!(heap.settings, options(json!({ "appId": "2682025610" })));
    }

    #[test]
    fn fixture_classic_device_mode_other_ids() {
        let two = parse(CLASSIC_DEVICE_2);
        assert_eq!(two.heap.len(), 1);
        assert_eq!(two.heap[0].app_id.as_deref(), Some("1884442793"));
        assert_eq!(two.heap[0].mode, Mode::Device);
        // consentSettings is not a Heap setting.
        assert!(!two.heap[0].settings.contains_key("consentSettings"));

        let three = parse(CLASSIC_DEVICE_3);
        assert_eq!(three.heap.len(), 1);
        assert_eq!(three.heap[0].app_id.as_deref(), Some("1535634150"));
        assert_eq!(three.heap[0].mode, Mode::Device);
    }

    #[test]
    fn fixture_classic_cloud_mode() {
        let s = parse(CLASSIC_CLOUD);
        assert_eq!(s.heap.len(), 1);
        assert_eq!(s.heap[0].kind, DestinationKind::Classic);
        assert_eq!(s.heap[0].app_id.as_deref(), Some("1535634150"));
        assert_eq!(s.heap[0].mode, Mode::Cloud);
        assert!(s.heap[0].enabled);
    }

    #[test]
    fn fixture_heap_web_actions() {
        let s = parse(ACTIONS_WEB);
        // The plugin and Segment's copy under its creation name are one destination.
        assert_eq!(s.heap.len(), 1);
        let heap = &s.heap[0];
        assert_eq!(heap.kind, DestinationKind::Actions);
        assert_eq!(heap.name, "Heap Web (Actions)");
        assert_eq!(heap.creation_name.as_deref(), Some("Actions Heap Web"));
        assert_eq!(heap.mode, Mode::Device);
        assert_eq!(heap.app_id.as_deref(), Some("4062471324"));
        assert_eq!(heap.settings.get("disableTextCapture"), Some(&json!(true)));
        assert_eq!(heap.settings.get("secureCookie"), Some(&json!(true)));
        assert!(!heap.settings.contains_key("subscriptions"));
        assert!(!heap.settings.contains_key("versionSettings"));
    }

    #[test]
    fn fixture_without_heap() {
        let s = parse(NO_HEAP);
        assert!(s.has_segment_io);
        assert!(s.heap.is_empty());
    }

    #[test]
    fn fixture_invalid_json_is_an_error() {
        assert!(matches!(
            parse_settings(INVALID),
            Err(SettingsError::NotJson(_))
        ));
    }

    // ---- errors ----

    #[test]
    fn html_error_page_is_not_json() {
        let err = parse_settings("<html><body>502 Bad Gateway</body></html>");
        assert!(matches!(err, Err(SettingsError::NotJson(_))));
    }

    #[test]
    fn json_that_is_not_an_object() {
        assert!(matches!(
            parse_settings("[1, 2]"),
            Err(SettingsError::NotObject { found: "an array" })
        ));
        assert!(matches!(
            parse_settings("\"settings\""),
            Err(SettingsError::NotObject { found: "a string" })
        ));
    }

    #[test]
    fn object_without_integrations() {
        assert!(matches!(
            parse_settings(r#"{"plan": {}, "remotePlugins": []}"#),
            Err(SettingsError::NoIntegrations)
        ));
        assert!(matches!(
            parse_settings(r#"{"integrations": []}"#),
            Err(SettingsError::NoIntegrations)
        ));
    }

    #[test]
    fn byte_order_mark_is_tolerated() {
        let s = parse_settings("\u{feff}{\"integrations\": {\"Segment.io\": {}}}");
        assert!(s.is_ok_and(|s| s.has_segment_io));
    }

    #[test]
    fn segment_io_absent_and_api_host_read() {
        let s = parse(r#"{"integrations": {"Heap": {"appId": "1"}}}"#);
        assert!(!s.has_segment_io);
        assert_eq!(s.api_host, None);
        let s = parse(
            r#"{"integrations": {"Segment.io": {"apiKey": "k", "apiHost": "events.eu1.segmentapis.com/v1"}}}"#,
        );
        assert!(s.has_segment_io);
        assert_eq!(s.api_host.as_deref(), Some("events.eu1.segmentapis.com/v1"));
    }

    // ---- classic device vs cloud ----

    #[test]
    fn type_browser_alone_is_device_mode() {
        let heap = classic_only(json!({ "appId": "1", "type": "browser" }), &[]);
        assert_eq!(heap.mode, Mode::Device);
    }

    #[test]
    fn component_types_alone_is_device_mode() {
        let heap = classic_only(
            json!({ "appId": "1", "versionSettings": { "componentTypes": ["server", "browser"] } }),
            &[],
        );
        assert_eq!(heap.mode, Mode::Device);
    }

    #[test]
    fn neither_browser_type_nor_component_is_cloud_mode() {
        let heap = classic_only(
            json!({ "appId": "1", "type": "server", "versionSettings": { "componentTypes": ["server"] } }),
            &[],
        );
        assert_eq!(heap.mode, Mode::Cloud);
        let heap = classic_only(json!({ "appId": "1" }), &[]);
        assert_eq!(heap.mode, Mode::Cloud);
    }

    #[test]
    fn missing_bundling_status_counts_as_bundled() {
        let heap = classic_only(json!({ "appId": "1", "type": "browser" }), &[]);
        assert_eq!(heap.mode, Mode::Device);
        let heap = classic_only(
            json!({ "appId": "1", "type": "browser", "bundlingStatus": "unbundled" }),
            &[],
        );
        assert_eq!(heap.mode, Mode::Cloud);
    }

    #[test]
    fn listed_in_unbundled_integrations_is_cloud_mode() {
        let entry = json!({
            "appId": "1",
            "type": "browser",
            "bundlingStatus": "bundled",
            "versionSettings": { "componentTypes": ["browser"] }
        });
        assert_eq!(classic_only(entry.clone(), &[]).mode, Mode::Device);
        assert_eq!(
            classic_only(entry.clone(), &["Google Analytics"]).mode,
            Mode::Device
        );
        assert_eq!(
            classic_only(entry, &["Google Analytics", "Heap"]).mode,
            Mode::Cloud
        );
    }

    #[test]
    fn numeric_app_id_becomes_text_and_empty_is_none() {
        let heap = classic_only(json!({ "appId": 2682025610u64, "type": "browser" }), &[]);
        assert_eq!(heap.app_id.as_deref(), Some("2682025610"));
        let heap = classic_only(json!({ "appId": "", "type": "browser" }), &[]);
        assert_eq!(heap.app_id, None);
    }

    #[test]
    fn classic_key_is_exact() {
        let s = parse(
            r#"{"integrations": {"heap": {"appId": "1", "type": "browser"}, "Segment.io": {}}}"#,
        );
        assert_eq!(s.heap.len(), 1);
        assert_eq!(s.heap[0].kind, DestinationKind::Actions);
        assert_eq!(s.heap[0].mode, Mode::Cloud);
    }

    // ---- Actions ----

    fn with_plugin(plugin: Value) -> Settings {
        parse(
            &json!({ "integrations": { "Segment.io": {} }, "remotePlugins": [plugin] }).to_string(),
        )
    }

    #[test]
    fn plugin_detected_by_library_name() {
        let s = with_plugin(json!({
            "name": "Web Analytics", "creationName": "Web Analytics",
            "libraryName": "heapDestination", "url": "https://example.com/x.js",
            "settings": { "appId": "7" }
        }));
        assert_eq!(s.heap.len(), 1);
        assert_eq!(s.heap[0].mode, Mode::Device);
        assert_eq!(s.heap[0].app_id.as_deref(), Some("7"));
    }

    #[test]
    fn plugin_detected_by_url() {
        let s = with_plugin(json!({
            "name": "Analytics", "creationName": "Analytics", "libraryName": "x",
            "url": "https://cdn.segment.com/next-integrations/actions/heap/0123abcd.js",
            "settings": {}
        }));
        assert_eq!(s.heap.len(), 1);
        assert_eq!(s.heap[0].kind, DestinationKind::Actions);
    }

    #[test]
    fn plugin_detected_by_name_but_not_cloud() {
        let s = with_plugin(json!({
            "name": "heap web (actions)", "creationName": "x", "libraryName": "x",
            "url": "https://example.com/a.js", "settings": {}
        }));
        assert_eq!(s.heap.len(), 1);
        let s = with_plugin(json!({
            "name": "Heap Cloud (Actions)", "creationName": "Actions Heap Cloud",
            "libraryName": "x", "url": "https://example.com/a.js", "settings": {}
        }));
        assert!(s.heap.is_empty());
        let s = with_plugin(json!({
            "name": "Amplitude (Actions)", "creationName": "Actions Amplitude",
            "libraryName": "amplitude-pluginsDestination",
            "url": "https://cdn.segment.com/next-integrations/actions/amplitude-plugins/1.js",
            "settings": {}
        }));
        assert!(s.heap.is_empty());
    }

    #[test]
    fn plugin_settings_keep_heap_options_only() {
        let s = with_plugin(json!({
            "name": "Heap Web (Actions)", "creationName": "Heap Web (Actions)",
            "libraryName": "heapDestination",
            "url": "https://cdn.segment.com/next-integrations/actions/heap/1.js",
            "settings": {
                "appId": 4062471324u64, "disableTextCapture": true, "secureCookie": false,
                "trackingServer": "https://t.example.com", "ingestServer": "https://i.example.com",
                "hostname": "heap.example.com", "browserArrayLimit": 10,
                "versionSettings": { "componentTypes": [] }, "subscriptions": [],
                "consentSettings": { "categories": [] }, "bundlingStatus": "bundled", "type": "browser"
            }
        }));
        let heap = &s.heap[0];
        assert_eq!(heap.app_id.as_deref(), Some("4062471324"));
        let keys: Vec<&str> = heap.settings.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "appId",
                "disableTextCapture",
                "secureCookie",
                "trackingServer",
                "ingestServer",
                "hostname",
                "browserArrayLimit"
            ]
        );
    }

    #[test]
    fn integrations_copy_under_name_overrides_plugin_settings() {
        let s = parse(
            &json!({
                "integrations": {
                    "Segment.io": {},
                    "Heap Web (Actions)": { "appId": "222", "hostname": "h.example.com" }
                },
                "remotePlugins": [{
                    "name": "Heap Web (Actions)", "creationName": "Actions Heap Web",
                    "libraryName": "heapDestination",
                    "url": "https://cdn.segment.com/next-integrations/actions/heap/1.js",
                    "settings": { "appId": "111" }
                }]
            })
            .to_string(),
        );
        assert_eq!(s.heap.len(), 1);
        assert_eq!(s.heap[0].app_id.as_deref(), Some("222"));
        assert_eq!(
            s.heap[0].settings.get("hostname"),
            Some(&json!("h.example.com"))
        );
    }

    #[test]
    fn cloud_actions_in_integrations_only() {
        let s = parse(
            &json!({
                "integrations": {
                    "Segment.io": {},
                    "Heap Cloud (Actions)": { "appId": "333", "region": "EU", "versionSettings": { "componentTypes": ["server"] } },
                    "Actions Heap Cloud": { "appId": 444 }
                },
                "remotePlugins": []
            })
            .to_string(),
        );
        assert_eq!(s.heap.len(), 2);
        assert!(s
            .heap
            .iter()
            .all(|d| d.kind == DestinationKind::Actions && d.mode == Mode::Cloud));
        assert_eq!(s.heap[0].name, "Heap Cloud (Actions)");
        assert_eq!(s.heap[0].app_id.as_deref(), Some("333"));
        assert_eq!(
            s.heap[0].settings,
            options(json!({ "appId": "333", "region": "EU" }))
        );
        assert_eq!(s.heap[1].name, "Actions Heap Cloud");
        assert_eq!(s.heap[1].app_id.as_deref(), Some("444"));
    }

    #[test]
    fn web_actions_copy_without_plugin_is_cloud() {
        // Without a remote plugin nothing loads in the browser.
        let s =
            parse(r#"{"integrations": {"Segment.io": {}, "Heap Web (Actions)": {"appId": "5"}}}"#);
        assert_eq!(s.heap.len(), 1);
        assert_eq!(s.heap[0].mode, Mode::Cloud);
    }

    #[test]
    fn classic_then_device_actions_then_cloud_actions() {
        let s = parse(
            &json!({
                "integrations": {
                    "Actions Heap Cloud": { "appId": "3" },
                    "Heap": { "appId": "1", "type": "browser" },
                    "Segment.io": {}
                },
                "remotePlugins": [{
                    "name": "Heap Web (Actions)", "creationName": "Heap Web (Actions)",
                    "libraryName": "heapDestination", "url": "u", "settings": { "appId": "2" }
                }]
            })
            .to_string(),
        );
        let ids: Vec<_> = s.heap.iter().map(|d| d.app_id.as_deref()).collect();
        assert_eq!(ids, [Some("1"), Some("2"), Some("3")]);
    }

    // ---- load options ----

    #[test]
    fn no_integrations_option_changes_nothing() {
        let s = parse(CLASSIC_DEVICE);
        assert_eq!(apply_load_options(&s, &Map::new()), s.heap);
        let opts = options(json!({ "cdnURL": "https://x.example.com" }));
        assert_eq!(apply_load_options(&s, &opts), s.heap);
    }

    #[test]
    fn heap_false_disables_classic() {
        let s = parse(CLASSIC_DEVICE);
        let out = apply_load_options(&s, &options(json!({ "integrations": { "Heap": false } })));
        assert!(!out[0].enabled);
        assert_eq!(
            out[0].disabled_reason.as_deref(),
            Some("analytics.load options set integrations.Heap to false")
        );
    }

    #[test]
    fn keys_match_case_sensitively() {
        let s = parse(CLASSIC_DEVICE);
        let out = apply_load_options(&s, &options(json!({ "integrations": { "heap": false } })));
        assert!(out[0].enabled);
    }

    #[test]
    fn all_false_disables_unless_enabled() {
        let s = parse(CLASSIC_DEVICE);
        let out = apply_load_options(&s, &options(json!({ "integrations": { "All": false } })));
        assert!(!out[0].enabled);
        assert!(out[0]
            .disabled_reason
            .as_deref()
            .is_some_and(|r| r.contains("integrations.All")));

        let out = apply_load_options(
            &s,
            &options(json!({ "integrations": { "All": false, "Heap": true } })),
        );
        assert!(out[0].enabled);
        assert_eq!(out[0].disabled_reason, None);

        let out = apply_load_options(
            &s,
            &options(json!({ "integrations": { "All": false, "Heap": {} } })),
        );
        assert!(out[0].enabled);

        let out = apply_load_options(&s, &options(json!({ "integrations": { "All": true } })));
        assert!(out[0].enabled);
    }

    #[test]
    fn all_false_and_actions_plugin_enabled_by_either_key() {
        let s = parse(ACTIONS_WEB);
        let out = apply_load_options(&s, &options(json!({ "integrations": { "All": false } })));
        assert!(!out[0].enabled);
        for key in ["Heap Web (Actions)", "Actions Heap Web"] {
            let mut integrations = Map::new();
            integrations.insert("All".into(), json!(false));
            integrations.insert(key.into(), json!(true));
            let mut opts = Map::new();
            opts.insert("integrations".into(), Value::Object(integrations));
            assert!(apply_load_options(&s, &opts)[0].enabled, "{key}");
        }
    }

    #[test]
    fn all_false_follows_each_loader_for_falsy_values() {
        // ajs-destination only asks whether the classic key is defined; remote-loader asks whether
        // a key is truthy.
        let classic = parse(CLASSIC_DEVICE);
        let opts = options(json!({ "integrations": { "All": false, "Heap": null } }));
        assert!(apply_load_options(&classic, &opts)[0].enabled);
        let actions = parse(ACTIONS_WEB);
        let opts = options(json!({ "integrations": { "All": false, "Heap Web (Actions)": null } }));
        assert!(!apply_load_options(&actions, &opts)[0].enabled);
    }

    #[test]
    fn object_override_changes_app_id_and_settings() {
        let s = parse(CLASSIC_DEVICE);
        let out = apply_load_options(
            &s,
            &options(json!({ "integrations": { "Heap": { "appId": "999", "extra": 1 } } })),
        );
        assert!(out[0].enabled);
        assert_eq!(out[0].disabled_reason, None);
        assert_eq!(out[0].app_id.as_deref(), Some("999"));
        assert_eq!(out[0].settings.get("appId"), Some(&json!("999")));
        assert_eq!(out[0].settings.get("extra"), Some(&json!(1)));
        // The input is left alone.
        assert_eq!(s.heap[0].app_id.as_deref(), Some("2682025610"));
    }

    #[test]
    fn object_override_of_actions_plugin() {
        let s = parse(ACTIONS_WEB);
        let out = apply_load_options(
            &s,
            &options(
                json!({ "integrations": { "Heap Web (Actions)": { "disableTextCapture": false, "appId": 12 } } }),
            ),
        );
        assert!(out[0].enabled);
        assert_eq!(out[0].app_id.as_deref(), Some("12"));
        assert_eq!(
            out[0].settings.get("disableTextCapture"),
            Some(&json!(false))
        );
    }

    #[test]
    fn actions_plugin_disabled_by_name() {
        let s = parse(ACTIONS_WEB);
        let out = apply_load_options(
            &s,
            &options(json!({ "integrations": { "Heap Web (Actions)": false } })),
        );
        assert!(!out[0].enabled);
        assert_eq!(
            out[0].disabled_reason.as_deref(),
            Some("analytics.load options set integrations[\"Heap Web (Actions)\"] to false")
        );
    }

    #[test]
    fn actions_plugin_disabled_by_creation_name() {
        let s = parse(ACTIONS_WEB);
        let out = apply_load_options(
            &s,
            &options(json!({ "integrations": { "Actions Heap Web": false } })),
        );
        assert!(!out[0].enabled);
        assert!(out[0]
            .disabled_reason
            .as_deref()
            .is_some_and(|r| r.contains("Actions Heap Web")));
        // The classic key does not address the Actions plugin.
        let out = apply_load_options(&s, &options(json!({ "integrations": { "Heap": false } })));
        assert!(out[0].enabled);
    }

    #[test]
    fn error_messages_say_what_went_wrong() {
        let not_object = SettingsError::NotObject { found: "an array" };
        assert_eq!(
            not_object.to_string(),
            "Segment settings are JSON but not an object (found an array)"
        );
        assert!(parse_settings(INVALID)
            .err()
            .is_some_and(|e| e.to_string().starts_with("Segment settings are not JSON: ")));
    }
}
