//! Manifests and lock files: the platform they make of their folder, and the Heap and Segment
//! packages they declare, with versions and lines.

use std::sync::LazyLock;

use regex::Regex;

use super::catalog::known;
use crate::model::{AppInstall, AppPackage, Evidence, Vendor};

/// Manifest and lock file names read, with their ecosystem.
pub fn manifest_kind(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    Some(match lower.as_str() {
        "podfile" | "podfile.lock" => "cocoapods",
        "package.swift" | "package.resolved" => "spm",
        "cartfile" | "cartfile.resolved" => "carthage",
        "build.gradle" | "build.gradle.kts" | "libs.versions.toml" => "gradle",
        "package.json" | "package-lock.json" | "yarn.lock" => "npm",
        // Capacitor's and Cordova's app configs, and classic React Native Heap's config: their
        // plugins are npm packages.
        "capacitor.config.json" | "capacitor.config.ts" | "config.xml" | "heap.config.json" => {
            "npm"
        }
        "pubspec.yaml" | "pubspec.lock" => "pub",
        "pyproject.toml" | "poetry.lock" | "setup.py" => "pypi",
        "gemfile" | "gemfile.lock" => "rubygems",
        "go.mod" => "go",
        "composer.json" | "composer.lock" => "composer",
        "pom.xml" => "maven",
        _ if lower.starts_with("requirements") && lower.ends_with(".txt") => "pypi",
        _ if lower.ends_with(".csproj") || lower == "packages.config" => "nuget",
        _ => return None,
    })
}

/// The platforms a manifest says its folder is.
pub fn platforms_of(name: &str, text: &str) -> Vec<&'static str> {
    let lower = name.to_ascii_lowercase();
    let mut out = Vec::new();
    match lower.as_str() {
        "podfile" | "cartfile" => out.push("ios"),
        "package.swift" if text.contains(".iOS(") => out.push("ios"),
        "build.gradle" | "build.gradle.kts"
            if text.contains("com.android.application") || text.contains("android {") =>
        {
            out.push("android")
        }
        "pubspec.yaml" if text.contains("sdk: flutter") => out.push("flutter"),
        "capacitor.config.json" | "capacitor.config.ts" => out.push("capacitor"),
        "config.xml" if is_cordova_config(text) => out.push("cordova"),
        "package.json" => {
            let deps = json_dependencies(text);
            let has = |n: &str| deps.iter().any(|(d, _, _)| d == n);
            if has("react-native") || has("expo") {
                out.push("react-native");
            } else if has("@capacitor/core") {
                out.push("capacitor");
            } else if has("cordova-ios") || has("cordova-android") || text.contains("\"cordova\"") {
                out.push("cordova");
            }
        }
        _ => {}
    }
    out
}

fn package(
    ecosystem: &str,
    name: &str,
    version: Option<String>,
    line: u32,
    lock: bool,
    snippet: &str,
) -> Option<AppPackage> {
    let kn = known(ecosystem, name)?;
    Some(AppPackage {
        vendor: kn.vendor,
        name: kn.name.to_owned(),
        ecosystem: ecosystem.to_owned(),
        version: version.filter(|v| !v.is_empty()),
        generation: Some(kn.generation.to_owned()),
        evidence: Evidence {
            source: String::new(),
            line: Some(line),
            snippet: snippet.trim().chars().take(160).collect(),
            signature: if lock {
                "lock".into()
            } else {
                "manifest".into()
            },
            tag: None,
            offset: None,
        },
    })
}

static POD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*pod\s+['"]([^'"/]+)(?:/[^'"]*)?['"]\s*(?:,\s*['"]([^'"]+)['"])?"#)
        .expect("regex")
});
static POD_LOCK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^  - ([A-Za-z0-9_+-]+)(?:/[^ ]*)? \(([^)]+)\)").expect("regex"));
static GITHUB_REPO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"github\.com[/:]([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?["'/\s]"#)
        .expect("regex")
});
static CARTHAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*github\s+"([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?""#).expect("regex")
});
static SWIFT_VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:from:\s*|exact:\s*|~>\s*|==\s*)"?([0-9][^"\s)]*)"#).expect("regex")
});
static GRADLE_DEP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"["']([A-Za-z0-9_.-]+):([A-Za-z0-9_.-]+):([^"'\s]+)["']"#).expect("regex")
});
static CATALOG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:module\s*=\s*"([A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+)"|group\s*=\s*"([A-Za-z0-9_.-]+)"\s*,\s*name\s*=\s*"([A-Za-z0-9_.-]+)")(?:.*?version(?:\.ref)?\s*=\s*"([^"]+)")?"#)
        .expect("regex")
});
static REQUIREMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*([A-Za-z0-9_.-]+)\s*(?:\[[^\]]*\])?\s*((?:[=<>!~]=?|===)\s*[^\s;#"',]+)?"#)
        .expect("regex")
});
static GEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*gem\s+['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"])?"#).expect("regex")
});
static GEM_LOCK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^    ([A-Za-z0-9_.-]+) \(([^)]+)\)").expect("regex"));
static GO_REQ: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:require\s+)?([a-z0-9.-]+\.[a-z]+/[^\s]+)\s+(v[^\s]+)").expect("regex")
});
static NUGET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"<PackageReference\s+Include="([^"]+)"(?:\s+Version="([^"]+)")?"#).expect("regex")
});
static MAVEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)<dependency>\s*<groupId>([^<]+)</groupId>\s*<artifactId>([^<]+)</artifactId>(?:\s*<version>([^<]+)</version>)?").expect("regex")
});
static CORDOVA_PLUGIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"<plugin\s+name="([^"]+)"(?:\s+spec="([^"]+)")?"#).expect("regex")
});
static PREFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"<preference\s+name="(analytics_write_key|analytics_debug_write_key)"\s+value="([^"]*)""#,
    )
    .expect("regex")
});
static PUB_DEP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^  ([a-z0-9_]+):\s*(?:["']?([^"'\s#]+)["']?)?"#).expect("regex")
});

/// The Heap and Segment packages a manifest or lock file declares.
pub fn packages(ecosystem: &str, name: &str, text: &str) -> Vec<AppPackage> {
    let lower = name.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut push = |n: &str, v: Option<&str>, line: usize, lock: bool, snippet: &str| {
        if let Some(p) = package(
            ecosystem,
            n,
            v.map(str::to_owned),
            line as u32 + 1,
            lock,
            snippet,
        ) {
            out.push(p);
        }
    };
    match lower.as_str() {
        "package.json" | "composer.json" => {
            let key = if lower == "composer.json" {
                "require"
            } else {
                "dependencies"
            };
            let mut deps = json_dependencies_in(text, key);
            if lower == "package.json" && platforms_of(name, text).contains(&"cordova") {
                // `cordova plugin add` saves plugins in devDependencies and "cordova"."plugins".
                deps.extend(json_dependencies_in(text, "devDependencies"));
                deps.extend(cordova_plugins(text));
            }
            for (n, v, line) in deps {
                if v.is_empty() {
                    push(&n, None, line, false, &format!("\"{n}\""));
                } else {
                    push(&n, Some(&v), line, false, &format!("\"{n}\": \"{v}\""));
                }
            }
            return out;
        }
        "config.xml" => {
            // Cordova: `<plugin name="cordova-plugin-segment" spec="^0.1.0" />`.
            for (i, l) in text.lines().enumerate() {
                if let Some(c) = CORDOVA_PLUGIN.captures(l) {
                    push(&c[1], c.get(2).map(|m| m.as_str()), i, false, l);
                }
            }
            return out;
        }
        "capacitor.config.json" | "capacitor.config.ts" | "heap.config.json" => return out,
        "package-lock.json" => {
            // npm 7+: "node_modules/<name>": { "version": "x" }
            for (i, l) in text.lines().enumerate() {
                let t = l.trim();
                let Some(rest) = t.strip_prefix("\"node_modules/") else {
                    continue;
                };
                let Some((n, _)) = rest.split_once('"') else {
                    continue;
                };
                let version = text
                    .lines()
                    .skip(i + 1)
                    .take(4)
                    .find_map(|l| l.trim().strip_prefix("\"version\": \""))
                    .and_then(|v| v.split('"').next());
                push(n, version, i, true, t);
            }
            return out;
        }
        "composer.lock" => return out,
        _ => {}
    }
    let lines: Vec<&str> = text.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        let line = *l;
        match lower.as_str() {
            "podfile" => {
                if let Some(c) = POD.captures(line) {
                    push(&c[1], c.get(2).map(|m| m.as_str()), i, false, line);
                }
            }
            "podfile.lock" => {
                if let Some(c) = POD_LOCK.captures(line) {
                    push(&c[1], Some(&c[2]), i, true, line);
                }
            }
            "package.swift" | "cartfile" => {
                let repo = GITHUB_REPO
                    .captures(&format!("{line} "))
                    .or_else(|| CARTHAGE.captures(line))
                    .map(|c| c[2].to_owned());
                if let Some(repo) = repo {
                    let version = SWIFT_VERSION.captures(line).map(|v| v[1].to_owned());
                    push(&repo, version.as_deref(), i, false, line);
                }
            }
            "package.resolved" => {
                if let Some(c) = GITHUB_REPO.captures(&format!("{line} ")) {
                    let version = lines
                        .iter()
                        .skip(i + 1)
                        .take(6)
                        .find_map(|l| l.trim().strip_prefix("\"version\" : \""))
                        .or_else(|| {
                            lines
                                .iter()
                                .skip(i + 1)
                                .take(6)
                                .find_map(|l| l.trim().strip_prefix("\"version\": \""))
                        })
                        .and_then(|v| v.split('"').next());
                    push(&c[2], version, i, true, line);
                }
            }
            "cartfile.resolved" => {}
            "build.gradle" | "build.gradle.kts" => {
                let code = strip_line_comment(line);
                if let Some(c) = GRADLE_DEP.captures(code) {
                    push(&format!("{}:{}", &c[1], &c[2]), Some(&c[3]), i, false, line);
                }
            }
            "libs.versions.toml" => {
                if let Some(c) = CATALOG.captures(line) {
                    let n = c
                        .get(1)
                        .map(|m| m.as_str().to_owned())
                        .or_else(|| Some(format!("{}:{}", c.get(2)?.as_str(), c.get(3)?.as_str())));
                    let version = c.get(4).map(|v| catalog_version(text, v.as_str()));
                    if let Some(n) = n {
                        push(&n, version.as_deref(), i, false, line);
                    }
                }
            }
            "yarn.lock" => {
                let t = line.trim_start_matches('"');
                if !line.starts_with(' ') && !line.is_empty() {
                    let n = if let Some(rest) = t.strip_prefix('@') {
                        rest.split_once('@').map(|(a, _)| format!("@{a}"))
                    } else {
                        t.split_once('@').map(|(a, _)| a.to_owned())
                    };
                    if let Some(n) = n {
                        let version = lines
                            .get(i + 1)
                            .and_then(|l| l.trim().strip_prefix("version "))
                            .map(|v| v.trim_matches('"'));
                        push(&n, version, i, true, line);
                    }
                }
            }
            "pubspec.yaml" => {
                if let Some(c) = PUB_DEP.captures(line) {
                    push(&c[1], c.get(2).map(|m| m.as_str()), i, false, line);
                }
            }
            "pubspec.lock" => {
                if let Some(n) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
                    if !n.starts_with(' ') {
                        let version = lines
                            .iter()
                            .skip(i + 1)
                            .take(8)
                            .find_map(|l| l.trim().strip_prefix("version: "))
                            .map(|v| v.trim_matches('"'));
                        push(n, version, i, true, line);
                    }
                }
            }
            "gemfile" => {
                if let Some(c) = GEM.captures(strip_hash_comment(line)) {
                    push(&c[1], c.get(2).map(|m| m.as_str()), i, false, line);
                }
            }
            "gemfile.lock" => {
                if let Some(c) = GEM_LOCK.captures(line) {
                    push(&c[1], Some(&c[2]), i, true, line);
                }
            }
            "go.mod" => {
                if let Some(c) = GO_REQ.captures(strip_line_comment(line)) {
                    push(&c[1], Some(&c[2]), i, false, line);
                }
            }
            "pyproject.toml" | "poetry.lock" | "setup.py" => {
                // `name = "x"` (poetry.lock), `"x>=1"` (PEP 621 lists), `x = "^1"` (Poetry).
                let t = line.trim().trim_start_matches('"').trim_start_matches('\'');
                if lower == "poetry.lock" {
                    if let Some(n) = t.strip_prefix("name = \"") {
                        let n = n.trim_end_matches('"');
                        let version = lines
                            .get(i + 1)
                            .and_then(|l| l.strip_prefix("version = \""))
                            .map(|v| v.trim_end_matches('"'));
                        push(n, version, i, true, line);
                    }
                } else if let Some(c) = REQUIREMENT.captures(t) {
                    let rest = t[c[1].len()..].trim_start();
                    let version = c.get(2).map(|v| v.as_str().to_owned()).or_else(|| {
                        rest.strip_prefix('=')
                            .map(|v| v.trim().trim_matches('"').to_owned())
                    });
                    push(&c[1], version.as_deref(), i, false, line);
                }
            }
            "pom.xml" => {}
            _ if lower.starts_with("requirements") => {
                if let Some(c) = REQUIREMENT.captures(strip_hash_comment(line)) {
                    push(&c[1], c.get(2).map(|m| m.as_str()), i, false, line);
                }
            }
            _ if lower.ends_with(".csproj") => {
                if let Some(c) = NUGET.captures(line) {
                    push(&c[1], c.get(2).map(|m| m.as_str()), i, false, line);
                }
            }
            _ => {}
        }
    }
    if lower == "pom.xml" {
        for c in MAVEN.captures_iter(text) {
            let Some(m) = c.get(0) else { continue };
            let line = text[..m.start()].matches('\n').count();
            let n = format!("{}:{}", c[1].trim(), c[2].trim());
            push(
                &n,
                c.get(3).map(|v| v.as_str().trim()),
                line,
                false,
                "<dependency>",
            );
        }
    }
    out
}

/// Whether a `config.xml` is a Cordova app's (`<widget>` in Cordova's namespace).
pub fn is_cordova_config(text: &str) -> bool {
    text.contains("<widget") && text.contains("cordova.apache.org")
}

/// Init settings a config file holds instead of code: the Segment write key of
/// cordova-plugin-segment (`<preference name="analytics_write_key" value="…" />` in Cordova's
/// `config.xml`), and the app ids of classic React Native Heap (`heap.config.json`, an object per
/// build: `default`, `dev`, `prod`, each with `heapAppId`).
pub fn installs(name: &str, text: &str) -> Vec<AppInstall> {
    let lower = name.to_ascii_lowercase();
    let install = |vendor, call: String, id: &str, line: usize, snippet: &str| AppInstall {
        vendor,
        call,
        id: Some(id.to_owned()),
        id_from: None,
        placeholder: None,
        evidence: Evidence {
            source: String::new(),
            line: Some(line as u32 + 1),
            snippet: snippet.trim().chars().take(160).collect(),
            signature: "app-config".into(),
            tag: None,
            offset: None,
        },
    };
    let mut out = Vec::new();
    match lower.as_str() {
        "config.xml" if is_cordova_config(text) => {
            for (i, l) in text.lines().enumerate() {
                if let Some(c) = PREFERENCE.captures(l) {
                    if !c[2].trim().is_empty() {
                        out.push(install(
                            Vendor::Segment,
                            format!("config.xml {}", &c[1]),
                            c[2].trim(),
                            i,
                            l,
                        ));
                    }
                }
            }
        }
        "heap.config.json" => {
            let Ok(serde_json::Value::Object(root)) =
                serde_json::from_str::<serde_json::Value>(text)
            else {
                return out;
            };
            for (build, settings) in &root {
                let Some(id) = settings.get("heapAppId") else {
                    continue;
                };
                let id = match id {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(n) => n.to_string(),
                    _ => continue,
                };
                // The line of this build's `heapAppId`: after the build's key.
                let start = text.find(&format!("\"{build}\"")).unwrap_or(0);
                let at = text[start..]
                    .find("\"heapAppId\"")
                    .map_or(start, |o| start + o);
                let line = text[..at].matches('\n').count();
                let snippet = text.lines().nth(line).unwrap_or_default();
                out.push(install(
                    Vendor::Heap,
                    format!("heap.config.json {build}"),
                    &id,
                    line,
                    snippet,
                ));
            }
        }
        _ => {}
    }
    out
}

/// `(name, "", 0-based line)` of the plugins of a Cordova `package.json`'s `"cordova"` object.
fn cordova_plugins(text: &str) -> Vec<(String, String, usize)> {
    let Ok(serde_json::Value::Object(root)) = serde_json::from_str::<serde_json::Value>(text)
    else {
        return Vec::new();
    };
    let Some(serde_json::Value::Object(plugins)) =
        root.get("cordova").and_then(|c| c.get("plugins"))
    else {
        return Vec::new();
    };
    let start = text.find("\"plugins\"").unwrap_or(0);
    plugins
        .keys()
        .map(|n| {
            let at = text[start..]
                .find(&format!("\"{n}\""))
                .map_or(0, |o| text[..start + o].matches('\n').count());
            (n.clone(), String::new(), at)
        })
        .collect()
}

/// A version catalog's `version.ref` resolved to `[versions]`, or the version as written.
fn catalog_version(text: &str, v: &str) -> String {
    text.lines()
        .find_map(|l| {
            let (k, val) = l.split_once('=')?;
            (k.trim() == v).then(|| val.trim().trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| v.to_owned())
}

fn strip_line_comment(line: &str) -> &str {
    line.split("//").next().unwrap_or(line)
}

fn strip_hash_comment(line: &str) -> &str {
    line.split('#').next().unwrap_or(line)
}

/// `(name, version, 0-based line)` of every entry of `package.json`'s dependency objects.
fn json_dependencies(text: &str) -> Vec<(String, String, usize)> {
    let mut all = json_dependencies_in(text, "dependencies");
    all.extend(json_dependencies_in(text, "devDependencies"));
    all
}

/// `(name, version, 0-based line)` of the entries of one top-level object of a JSON manifest.
fn json_dependencies_in(text: &str, key: &str) -> Vec<(String, String, usize)> {
    let Ok(serde_json::Value::Object(root)) = serde_json::from_str::<serde_json::Value>(text)
    else {
        return Vec::new();
    };
    let Some(serde_json::Value::Object(deps)) = root.get(key) else {
        return Vec::new();
    };
    let start = text.find(&format!("\"{key}\"")).unwrap_or(0);
    deps.iter()
        .map(|(n, v)| {
            let at = text[start..]
                .find(&format!("\"{n}\""))
                .map_or(0, |o| text[..start + o].matches('\n').count());
            (n.clone(), v.as_str().unwrap_or_default().to_owned(), at)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(name, version, line)` of the packages of one manifest.
    fn found(name: &str, text: &str) -> Vec<(String, String, u32)> {
        let Some(ecosystem) = manifest_kind(name) else {
            return Vec::new();
        };
        packages(ecosystem, name, text)
            .into_iter()
            .map(|p| {
                let line = p.evidence.line.unwrap_or(0);
                (p.name, p.version.unwrap_or_default(), line)
            })
            .collect()
    }

    fn one(name: &str, version: &str, line: u32) -> Vec<(String, String, u32)> {
        vec![(name.to_owned(), version.to_owned(), line)]
    }

    #[test]
    fn every_manifest_kind() {
        let resolved = "{\n  \"pins\" : [\n    {\n      \"identity\" : \"heap-swift-core-sdk\",\n      \"location\" : \"https://github.com/heap/heap-swift-core-sdk.git\",\n      \"state\" : {\n        \"revision\" : \"abc\",\n        \"version\" : \"0.8.8\"\n      }\n    }\n  ]\n}\n";
        assert_eq!(
            found("Package.resolved", resolved),
            one("heap-swift-core-sdk", "0.8.8", 5)
        );
        let swift = ".package(url: \"https://github.com/segmentio/analytics-swift.git\", from: \"1.5.11\"),\n";
        assert_eq!(
            found("Package.swift", swift),
            one("analytics-swift", "1.5.11", 1)
        );
        assert_eq!(
            found("Cartfile", "github \"segmentio/analytics-ios\" ~> 4.1\n"),
            [("analytics-ios".to_owned(), "4.1".to_owned(), 1)]
        );
        let gradle = "dependencies {\n    // implementation 'com.segment.analytics.android:analytics:4.10.4'\n    implementation 'com.heapanalytics.android:heap-android-client:1.10.6'\n}\n";
        assert_eq!(
            found("build.gradle", gradle),
            one("com.heapanalytics.android:heap-android-client", "1.10.6", 3)
        );
        let lock = "{\n  \"packages\": {\n    \"node_modules/@segment/analytics-node\": {\n      \"version\": \"2.1.2\",\n";
        assert_eq!(
            found("package-lock.json", lock),
            one("@segment/analytics-node", "2.1.2", 3)
        );
        assert_eq!(
            found(
                "requirements-prod.txt",
                "# analytics-python==1.2\nsegment-analytics-python>=2.3\n"
            ),
            one("segment-analytics-python", ">=2.3", 2)
        );
        let poetry = "[[package]]\nname = \"segment-analytics-python\"\nversion = \"2.3.2\"\n";
        assert_eq!(
            found("poetry.lock", poetry),
            one("segment-analytics-python", "2.3.2", 2)
        );
        let pyproject = "[project]\ndependencies = [\n  \"segment-analytics-python>=2.3\",\n]\n";
        assert_eq!(
            found("pyproject.toml", pyproject),
            one("segment-analytics-python", ">=2.3", 3)
        );
        assert_eq!(
            found(
                "Gemfile",
                "gem 'analytics-ruby', '~> 2.4', require: 'segment'\n"
            ),
            one("analytics-ruby", "~> 2.4", 1)
        );
        assert_eq!(
            found(
                "Gemfile.lock",
                "GEM\n  specs:\n    analytics-ruby (2.4.0)\n"
            ),
            one("analytics-ruby", "2.4.0", 3)
        );
        let gomod = "module example.com/billing\n\nrequire (\n\tgithub.com/segmentio/analytics-go/v3 v3.3.0\n)\n";
        assert_eq!(
            found("go.mod", gomod),
            one("github.com/segmentio/analytics-go/v3", "v3.3.0", 4)
        );
        let composer = "{\n  \"require\": {\n    \"php\": \"^8.2\",\n    \"segmentio/analytics-php\": \"^3.7\"\n  }\n}\n";
        assert_eq!(
            found("composer.json", composer),
            one("segmentio/analytics-php", "^3.7", 4)
        );
        let pom = "<dependencies>\n  <dependency>\n    <groupId>com.segment.analytics.java</groupId>\n    <artifactId>analytics</artifactId>\n    <version>3.5.1</version>\n  </dependency>\n</dependencies>\n";
        assert_eq!(
            found("pom.xml", pom),
            one("com.segment.analytics.java:analytics", "3.5.1", 2)
        );
        let csproj = "<ItemGroup>\n  <PackageReference Include=\"Segment.Analytics.CSharp\" Version=\"2.4.0\" />\n</ItemGroup>\n";
        assert_eq!(
            found("Billing.csproj", csproj),
            one("Segment.Analytics.CSharp", "2.4.0", 2)
        );
    }

    #[test]
    fn init_settings_in_config_files() {
        let ids = |name: &str, text: &str| -> Vec<(String, String, u32)> {
            installs(name, text)
                .into_iter()
                .map(|i| {
                    (
                        i.call,
                        i.id.unwrap_or_default(),
                        i.evidence.line.unwrap_or(0),
                    )
                })
                .collect()
        };
        let heap = "{\n  \"default\": { \"heapAutoInit\": true },\n  \"prod\": {\n    \"heapAppId\": 12\n  }\n}\n";
        assert_eq!(
            ids("heap.config.json", heap),
            [("heap.config.json prod".to_owned(), "12".to_owned(), 4)]
        );
        let cordova = "<widget xmlns:cdv=\"http://cordova.apache.org/ns/1.0\">\n  <preference name=\"analytics_write_key\" value=\"abc\" />\n  <preference name=\"analytics_debug_write_key\" value=\"\" />\n</widget>\n";
        assert_eq!(
            ids("config.xml", cordova),
            [(
                "config.xml analytics_write_key".to_owned(),
                "abc".to_owned(),
                2
            )]
        );
        assert!(ids(
            "config.xml",
            "<widget><preference name=\"analytics_write_key\" value=\"abc\"/></widget>"
        )
        .is_empty());
    }

    #[test]
    fn platforms() {
        assert_eq!(platforms_of("Podfile", "platform :ios"), ["ios"]);
        assert_eq!(
            platforms_of("pubspec.yaml", "  flutter:\n    sdk: flutter\n"),
            ["flutter"]
        );
        let expo = "{\"dependencies\": {\"expo\": \"~51.0.0\"}}";
        assert_eq!(platforms_of("package.json", expo), ["react-native"]);
        let capacitor = "{\"dependencies\": {\"@capacitor/core\": \"6.1.0\"}}";
        assert_eq!(platforms_of("package.json", capacitor), ["capacitor"]);
        let next = "{\"dependencies\": {\"next\": \"14.2.3\"}}";
        assert!(platforms_of("package.json", next).is_empty());
        let gradle = "plugins {\n    id(\"com.android.application\")\n}\n";
        assert_eq!(platforms_of("build.gradle.kts", gradle), ["android"]);
        assert_eq!(
            platforms_of("capacitor.config.ts", "const config = {};"),
            ["capacitor"]
        );
        let cordova = "<widget id=\"com.acme\" xmlns=\"http://www.w3.org/ns/widgets\" xmlns:cdv=\"http://cordova.apache.org/ns/1.0\">\n    <plugin name=\"cordova-plugin-segment\" spec=\"^0.1.0\" />\n</widget>\n";
        assert_eq!(platforms_of("config.xml", cordova), ["cordova"]);
        assert_eq!(
            found("config.xml", cordova),
            one("cordova-plugin-segment", "^0.1.0", 2)
        );
        // Another tool's config.xml is not Cordova's.
        assert!(platforms_of(
            "config.xml",
            "<configuration><plugin name=\"x\"/></configuration>"
        )
        .is_empty());
        assert!(!super::super::is_manifest("config.xml"));
    }
}
