//! Mobile apps and server-side services in a repository: which Heap and Segment SDKs their
//! manifests and lock files declare (with versions), and where their code starts them (with the
//! app id or write key) or calls `track`/`identify`. Pure: file text in, [`App`]s out.
//!
//! Code is read with its comments blanked out and its strings known ([`lex`]), so a
//! commented-out `Heap.startRecording(…)` or a call written inside a string is not an install.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::model::{App, AppCall, AppInstall, AppPackage, Evidence, Vendor};

/// A package of a vendor: its name as the ecosystem spells it, the vendor, the generation, and
/// whether it is a mobile SDK (true) or a server library (false).
#[allow(dead_code)] // `mobile` documents the table; rules tell mobile apps by platform.
struct Known {
    name: &'static str,
    vendor: Vendor,
    generation: &'static str,
    mobile: bool,
}

const fn k(name: &'static str, vendor: Vendor, generation: &'static str, mobile: bool) -> Known {
    Known {
        name,
        vendor,
        generation,
        mobile,
    }
}

/// Every Heap and Segment package recognised, per ecosystem. Names compare case-insensitively.
const PACKAGES: &[(&str, &[Known])] = &[
    (
        "cocoapods",
        &[
            k("Heap", Vendor::Heap, "classic", true),
            k("HeapSwiftCore", Vendor::Heap, "core", true),
            k("HeapIOSAutocapture", Vendor::Heap, "core", true),
            k("Analytics", Vendor::Segment, "classic", true),
        ],
    ),
    (
        "spm",
        &[
            k("heap-swift-core-sdk", Vendor::Heap, "core", true),
            k("heap-ios-autocapture-sdk", Vendor::Heap, "core", true),
            k("heap-swift-core", Vendor::Heap, "core", true),
            k("heap-ios-sdk", Vendor::Heap, "classic", true),
            k("analytics-swift", Vendor::Segment, "current", true),
            k("analytics-ios", Vendor::Segment, "classic", true),
        ],
    ),
    (
        "gradle",
        &[
            k(
                "com.heapanalytics.android:heap-android-client",
                Vendor::Heap,
                "classic",
                true,
            ),
            k("io.heap.core:heap-android-core", Vendor::Heap, "core", true),
            k(
                "io.heap.autocapture:heap-autocapture-view",
                Vendor::Heap,
                "core",
                true,
            ),
            k(
                "io.heap.autocapture:heap-autocapture-compose",
                Vendor::Heap,
                "core",
                true,
            ),
            k(
                "com.segment.analytics.android:analytics",
                Vendor::Segment,
                "classic",
                true,
            ),
            k(
                "com.segment.analytics.kotlin:android",
                Vendor::Segment,
                "current",
                true,
            ),
            k(
                "com.segment.analytics.kotlin:core",
                Vendor::Segment,
                "current",
                false,
            ),
            k(
                "com.segment.analytics.java:analytics",
                Vendor::Segment,
                "current",
                false,
            ),
        ],
    ),
    (
        "npm",
        &[
            k("@heap/react-native-heap", Vendor::Heap, "classic", true),
            k("@heap/heap-react-native-bridge", Vendor::Heap, "core", true),
            k(
                "@heap/heap-react-native-autocapture",
                Vendor::Heap,
                "core",
                true,
            ),
            k("@heap/heap-capacitor-bridge", Vendor::Heap, "core", true),
            k("heap-api", Vendor::Heap, "server", false),
            k(
                "@segment/analytics-react-native",
                Vendor::Segment,
                "current",
                true,
            ),
            k(
                "@segment/sovran-react-native",
                Vendor::Segment,
                "current",
                true,
            ),
            k("@segment/analytics-node", Vendor::Segment, "current", false),
            k("analytics-node", Vendor::Segment, "classic", false),
        ],
    ),
    (
        "pub",
        &[
            k("heap_flutter_bridge", Vendor::Heap, "core", true),
            k("heap_flutter_autocapture", Vendor::Heap, "core", true),
            k("segment_analytics", Vendor::Segment, "current", true),
        ],
    ),
    (
        "pypi",
        &[
            k(
                "segment-analytics-python",
                Vendor::Segment,
                "current",
                false,
            ),
            k("analytics-python", Vendor::Segment, "classic", false),
            k("heapapi", Vendor::Heap, "server", false),
        ],
    ),
    (
        "rubygems",
        &[k("analytics-ruby", Vendor::Segment, "current", false)],
    ),
    (
        "go",
        &[
            k(
                "github.com/segmentio/analytics-go/v3",
                Vendor::Segment,
                "current",
                false,
            ),
            k(
                "github.com/segmentio/analytics-go",
                Vendor::Segment,
                "classic",
                false,
            ),
            k(
                "gopkg.in/segmentio/analytics-go.v3",
                Vendor::Segment,
                "current",
                false,
            ),
        ],
    ),
    (
        "composer",
        &[k(
            "segmentio/analytics-php",
            Vendor::Segment,
            "current",
            false,
        )],
    ),
    (
        "maven",
        &[k(
            "com.segment.analytics.java:analytics",
            Vendor::Segment,
            "current",
            false,
        )],
    ),
    (
        "nuget",
        &[
            k("Analytics", Vendor::Segment, "classic", false),
            k(
                "Segment.Analytics.CSharp",
                Vendor::Segment,
                "current",
                false,
            ),
            k("HeapInc.Xamarin", Vendor::Heap, "core", true),
            k("HeapInc.Xamarin.iOS", Vendor::Heap, "core", true),
            k("HeapInc.Xamarin.Android", Vendor::Heap, "core", true),
        ],
    ),
];

fn known(ecosystem: &str, name: &str) -> Option<&'static Known> {
    // Carthage names the same GitHub repositories as Swift Package Manager.
    let ecosystem = if ecosystem == "carthage" {
        "spm"
    } else {
        ecosystem
    };
    PACKAGES
        .iter()
        .find(|(e, _)| *e == ecosystem)
        .and_then(|(_, list)| list.iter().find(|p| p.name.eq_ignore_ascii_case(name)))
}

/// Manifest and lock file names read, with their ecosystem.
fn manifest_kind(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    Some(match lower.as_str() {
        "podfile" | "podfile.lock" => "cocoapods",
        "package.swift" | "package.resolved" => "spm",
        "cartfile" | "cartfile.resolved" => "carthage",
        "build.gradle" | "build.gradle.kts" | "libs.versions.toml" => "gradle",
        "package.json" | "package-lock.json" | "yarn.lock" => "npm",
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

/// The language of a code file, by extension.
fn language(name: &str) -> Option<&'static str> {
    let ext = name.rsplit('.').next()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "swift" => "swift",
        "m" | "mm" => "objective-c",
        "kt" => "kotlin",
        "java" => "java",
        "dart" => "dart",
        "js" | "mjs" | "cjs" | "jsx" => "javascript",
        "ts" | "mts" | "cts" | "tsx" => "typescript",
        "py" => "python",
        "rb" => "ruby",
        "go" => "go",
        "php" => "php",
        "cs" => "csharp",
        _ => return None,
    })
}

/// Whether source mode should hand this file to [`scan`]: a manifest, a lock file or code.
pub fn wanted(name: &str) -> bool {
    manifest_kind(name).is_some() || language(name).is_some()
}

/// One file of the repository: its path relative to the root (with `/`) and its text.
pub struct SourceFile {
    pub rel: String,
    pub text: String,
}

/// Find the apps and services of a repository. `display` prefixes paths as the report names
/// files (the target as given).
pub fn scan(display: &str, files: &[SourceFile]) -> Vec<App> {
    let shown = |rel: &str| {
        if display.is_empty() || display == "." {
            rel.to_owned()
        } else {
            format!("{}/{rel}", display.trim_end_matches('/'))
        }
    };
    // Folders with a manifest: their platform and packages.
    let mut dirs: BTreeMap<String, Folder> = BTreeMap::new();
    for f in files {
        let (dir, name) = split(&f.rel);
        let Some(ecosystem) = manifest_kind(name) else {
            continue;
        };
        let folder = dirs.entry(app_dir(dir, name)).or_default();
        folder.platforms.extend(platforms_of(name, &f.text));
        for mut p in packages(ecosystem, name, &f.text) {
            p.evidence.source = shown(&f.rel);
            folder.add(p);
        }
    }
    // Cross-platform apps hold their ios/ and android/ folders.
    let cross: Vec<String> = dirs
        .iter()
        .filter(|(_, f)| f.platform().is_some_and(is_cross_platform))
        .map(|(d, _)| d.clone())
        .collect();
    let inner: Vec<String> = dirs
        .keys()
        .filter(|d| cross.iter().any(|c| *d != c && within(d, c)))
        .cloned()
        .collect();
    for d in inner {
        if let Some(f) = dirs.remove(&d) {
            if let Some(owner) = cross
                .iter()
                .filter(|c| within(&d, c))
                .max_by_key(|c| c.len())
            {
                if let Some(o) = dirs.get_mut(owner) {
                    for p in f.packages {
                        o.add(p);
                    }
                }
            }
        }
    }
    // Code: each file belongs to the deepest app folder above it.
    for f in files {
        let (_, name) = split(&f.rel);
        let Some(lang) = language(name) else { continue };
        let Some(owner) = dirs
            .keys()
            .filter(|d| within(&f.rel, d))
            .max_by_key(|d| d.len())
            .cloned()
        else {
            continue;
        };
        let Some(folder) = dirs.get_mut(&owner) else {
            continue;
        };
        // A web project's code (no mobile platform, no Heap or Segment package) is read as pages.
        if folder.platforms.is_empty() && folder.packages.is_empty() {
            continue;
        }
        let code = lex(&f.text, lang);
        for mut i in installs(&f.text, &code) {
            i.evidence.source = shown(&f.rel);
            folder.installs.push(i);
            *folder.languages.entry(lang).or_default() += 1;
        }
        for mut c in calls(&f.text, &code, lang) {
            c.evidence.source = shown(&f.rel);
            *folder.languages.entry(lang).or_default() += 1;
            folder.calls.push(c);
        }
    }
    dirs.into_iter()
        .filter_map(|(dir, f)| {
            let platform = f.platform().or_else(|| {
                // A folder with server libraries only is a service.
                (!f.packages.is_empty() || !f.installs.is_empty()).then_some("server")
            })?;
            if f.packages.is_empty() && f.installs.is_empty() {
                return None;
            }
            let path = if dir.is_empty() {
                shown("").trim_end_matches('/').to_owned()
            } else {
                shown(&dir)
            };
            let language = f
                .languages
                .iter()
                .max_by_key(|(_, n)| **n)
                .map(|(l, _)| (*l).to_owned());
            Some(App {
                path: if path.is_empty() { ".".into() } else { path },
                platform: platform.to_owned(),
                language,
                packages: f.packages,
                installs: f.installs,
                calls: f.calls,
            })
        })
        .collect()
}

/// What one folder with a manifest holds.
#[derive(Default)]
struct Folder {
    platforms: Vec<&'static str>,
    packages: Vec<AppPackage>,
    installs: Vec<AppInstall>,
    calls: Vec<AppCall>,
    languages: BTreeMap<&'static str, usize>,
}

impl Folder {
    /// The app's platform: a cross-platform framework wins over the native folders it holds.
    fn platform(&self) -> Option<&'static str> {
        const ORDER: &[&str] = &[
            "flutter",
            "react-native",
            "capacitor",
            "cordova",
            "ios",
            "android",
        ];
        ORDER.iter().find(|p| self.platforms.contains(p)).copied()
    }

    /// Add a package, keeping the lock file's version (and line) over the manifest's requirement.
    fn add(&mut self, p: AppPackage) {
        if let Some(old) = self
            .packages
            .iter_mut()
            .find(|o| o.name.eq_ignore_ascii_case(&p.name) && o.ecosystem == p.ecosystem)
        {
            if p.evidence.signature == "lock" && old.evidence.signature != "lock" {
                *old = p;
            }
            return;
        }
        self.packages.push(p);
    }
}

fn is_cross_platform(p: &str) -> bool {
    matches!(p, "flutter" | "react-native" | "capacitor" | "cordova")
}

/// `a/b/c.txt` → (`a/b`, `c.txt`).
fn split(rel: &str) -> (&str, &str) {
    rel.rsplit_once('/').unwrap_or(("", rel))
}

/// Whether `path` is inside folder `dir` (`""` is the root).
fn within(path: &str, dir: &str) -> bool {
    dir.is_empty() || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// The folder an app of this manifest is: Gradle's `app/` module and the `gradle/` version
/// catalog count for the project above them.
fn app_dir(dir: &str, name: &str) -> String {
    if name == "libs.versions.toml" {
        return dir
            .strip_suffix("gradle")
            .unwrap_or(dir)
            .trim_end_matches('/')
            .to_owned();
    }
    if name.starts_with("build.gradle") {
        if let Some(parent) = dir.strip_suffix("app") {
            return parent.trim_end_matches('/').to_owned();
        }
    }
    dir.to_owned()
}

/// The platforms a manifest says its folder is.
fn platforms_of(name: &str, text: &str) -> Vec<&'static str> {
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
    Regex::new(r"^\s*([A-Za-z0-9_.-]+)\s*(?:\[[^\]]*\])?\s*((?:[=<>!~]=?|===)\s*[^\s;#]+)?")
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
static PUB_DEP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^  ([a-z0-9_]+):\s*(?:["']?([^"'\s#]+)["']?)?"#).expect("regex")
});

/// The Heap and Segment packages a manifest or lock file declares.
fn packages(ecosystem: &str, name: &str, text: &str) -> Vec<AppPackage> {
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
            for (n, v, line) in json_dependencies_in(text, key) {
                push(&n, Some(&v), line, false, &format!("\"{n}\": \"{v}\""));
            }
            return out;
        }
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

/// Code with comments blanked (newlines kept) and, for each byte, whether it is inside a string.
pub struct Code {
    pub text: String,
    pub in_string: Vec<bool>,
}

/// Blank a file's comments and mark its strings, by the language's rules.
pub fn lex(src: &str, lang: &str) -> Code {
    let hash = matches!(lang, "python" | "ruby" | "php");
    let slash = !matches!(lang, "python" | "ruby");
    let triple = matches!(lang, "python" | "swift" | "kotlin" | "dart" | "java");
    let backtick = matches!(lang, "javascript" | "typescript" | "go");
    let b = src.as_bytes();
    let mut out = b.to_vec();
    let mut in_string = vec![false; b.len()];
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in out.iter_mut().take(to).skip(from) {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if slash && c == b'/' && b.get(i + 1) == Some(&b'/') || hash && c == b'#' {
            let end = src[i..].find('\n').map_or(b.len(), |e| i + e);
            blank(&mut out, i, end);
            i = end;
        } else if slash && c == b'/' && b.get(i + 1) == Some(&b'*') {
            let end = src[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
            blank(&mut out, i, end);
            i = end;
        } else if c == b'"' || c == b'\'' || backtick && c == b'`' {
            let quote = if triple && src[i..].starts_with(&format!("{0}{0}{0}", c as char)) {
                format!("{0}{0}{0}", c as char)
            } else {
                (c as char).to_string()
            };
            let mut j = i + quote.len();
            while j < b.len() {
                if b[j] == b'\\' && c != b'`' {
                    j += 2;
                    continue;
                }
                if src[j..].starts_with(&quote) {
                    break;
                }
                if b[j] == b'\n' && quote.len() == 1 && c != b'`' {
                    break;
                }
                j += 1;
            }
            let end = (j + quote.len()).min(b.len());
            for s in in_string.iter_mut().take(end.saturating_sub(1)).skip(i + 1) {
                *s = true;
            }
            i = end;
        } else {
            i += 1;
        }
    }
    Code {
        text: String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        in_string,
    }
}

/// Init calls: the vendor, the call as reported, and a regex whose match ends where the id
/// argument starts.
static INITS: LazyLock<Vec<(Vendor, &'static str, Regex)>> = LazyLock::new(|| {
    let r = |s: &str| Regex::new(s).expect("regex");
    vec![
        // Heap: iOS (Swift core, classic), Android (core, classic), Flutter, React Native
        // and Capacitor bridges, Xamarin, server libraries.
        (
            Vendor::Heap,
            "Heap.shared.startRecording",
            r(r"\bHeap\.shared\.startRecording\s*\(\s*"),
        ),
        (
            Vendor::Heap,
            "Heap.startRecording",
            r(r"\bHeap(?:\(\))?\.startRecording\s*\(\s*(?:[A-Za-z_][\w.]*(?:\(\))?\s*,\s*)?"),
        ),
        (
            Vendor::Heap,
            "Heap.StartRecording",
            r(r"\bHeap\.StartRecording\s*\(\s*"),
        ),
        (
            Vendor::Heap,
            "Heap.initialize",
            r(r"\bHeap\.initialize\s*\(\s*"),
        ),
        (
            Vendor::Heap,
            "[Heap initialize:]",
            r(r"\[\s*Heap\s+(?:initialize|setAppId)\s*:\s*"),
        ),
        (
            Vendor::Heap,
            "Heap.setAppId",
            r(r"\bHeap\.setAppId\s*\(\s*"),
        ),
        (
            Vendor::Heap,
            "Heap.init",
            r(r"\bHeap\.init\s*\(\s*[A-Za-z_][\w.]*(?:\(\))?\s*,\s*"),
        ),
        (
            Vendor::Heap,
            "require('heap-api')",
            r(r#"require\s*\(\s*['"]heap-api['"]\s*\)\s*\(\s*"#),
        ),
        (Vendor::Heap, "HeapAPIClient", r(r"\bHeapAPIClient\s*\(\s*")),
        // Segment: analytics-swift, analytics-ios, analytics-kotlin, analytics-android, React
        // Native, Flutter, server libraries.
        (
            Vendor::Segment,
            "Configuration(writeKey:)",
            r(r"\b(?:SEGAnalytics|Analytics)?Configuration\s*\(\s*writeKey\s*:\s*"),
        ),
        (
            Vendor::Segment,
            "[SEGAnalyticsConfiguration configurationWithWriteKey:]",
            r(r"\[\s*SEGAnalyticsConfiguration\s+configurationWithWriteKey\s*:\s*"),
        ),
        (
            Vendor::Segment,
            "Analytics.Builder",
            r(r"\bAnalytics\.Builder\s*\(\s*[A-Za-z_][\w.]*(?:\(\))?\s*,\s*"),
        ),
        (
            Vendor::Segment,
            "new Analytics",
            r(r"\bnew\s+Analytics\s*\(\s*(?:\{[^}]*?\bwriteKey\s*:\s*)?"),
        ),
        (
            Vendor::Segment,
            "Analytics",
            r(r"(?m)(?:^|[=(,\s])Analytics\s*\(\s*(?:writeKey\s*=\s*)?"),
        ),
        (
            Vendor::Segment,
            "Analytics.builder",
            r(r"\bAnalytics\.builder\s*\(\s*"),
        ),
        (
            Vendor::Segment,
            "Analytics.Initialize",
            r(r"\bAnalytics\.Initialize\s*\(\s*"),
        ),
        (
            Vendor::Segment,
            "createClient",
            r(r"\bcreateClient\s*\(\s*\{[^}]*?\bwriteKey\s*:\s*"),
        ),
        (
            Vendor::Segment,
            "createClient(Configuration())",
            r(r"\bcreateClient\s*\(\s*Configuration\s*\(\s*"),
        ),
        (
            Vendor::Segment,
            "analytics.write_key =",
            r(r"\banalytics\.write_key\s*=\s*"),
        ),
        (
            Vendor::Segment,
            "Segment::Analytics.new",
            r(r"\bSegment::Analytics\.new\s*\(?\s*\{?\s*(?:write_key\s*:|:write_key\s*=>)\s*"),
        ),
        (
            Vendor::Segment,
            "analytics.New",
            r(r"\banalytics\.New(?:WithConfig)?\s*\(\s*"),
        ),
        (
            Vendor::Segment,
            "Segment::init",
            r(r"\bSegment::init\s*\(\s*"),
        ),
    ]
});

/// The init calls of one code file.
fn installs(src: &str, code: &Code) -> Vec<AppInstall> {
    let mut out: Vec<AppInstall> = Vec::new();
    let mut seen = Vec::new();
    for (vendor, call, re) in INITS.iter() {
        for m in re.find_iter(&code.text) {
            // The call's own first character must be code, not a string's.
            let first = m.as_str().len() - m.as_str().trim_start().len() + m.start();
            if code.in_string.get(first).copied().unwrap_or(true) {
                continue;
            }
            // One init per line and vendor: the more specific pattern (listed first) names it.
            let line = line_of(src, first);
            if seen.contains(&(*vendor, line)) {
                continue;
            }
            seen.push((*vendor, line));
            let (id, id_from) = argument(src, m.end());
            let placeholder = id.as_ref().filter(|i| is_placeholder(i)).cloned();
            out.push(AppInstall {
                vendor: *vendor,
                call: (*call).to_owned(),
                id: id.filter(|_| placeholder.is_none()),
                id_from,
                placeholder,
                evidence: evidence(src, line),
            });
        }
    }
    out.sort_by_key(|i| i.evidence.line);
    out
}

fn is_placeholder(id: &str) -> bool {
    let upper = id.to_ascii_uppercase();
    upper.starts_with("YOUR_")
        || upper.starts_with("YOUR ")
        || upper.contains("APP_ID_HERE")
        || upper.contains("WRITE_KEY_HERE")
}

/// The id argument that starts at `at`: a string literal (`"…"`, `'…'`, `@"…"`), or the
/// expression as written.
fn argument(src: &str, at: usize) -> (Option<String>, Option<String>) {
    let rest = src.get(at..).unwrap_or_default();
    let rest = rest.strip_prefix('@').unwrap_or(rest);
    if let Some(q) = rest
        .chars()
        .next()
        .filter(|c| matches!(c, '"' | '\'' | '`'))
    {
        if let Some(end) = rest[1..].find(q) {
            let lit = &rest[1..1 + end];
            if !lit.contains("${") && !lit.contains('\n') {
                return (Some(lit.to_owned()), None);
            }
        }
    }
    let mut depth = 0i32;
    let mut end = rest.len();
    for (i, c) in rest.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => {
                end = i;
                break;
            }
            ')' | ']' | '}' => depth -= 1,
            ',' | ';' | '\n' if depth == 0 => {
                end = i;
                break;
            }
            _ => {}
        }
        if i > 200 {
            end = i;
            break;
        }
    }
    let expr = rest[..end].trim();
    (None, (!expr.is_empty()).then(|| expr.to_owned()))
}

static CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b((?:[a-z_]\w*)?(?:analytics|segment|heap)\w*(?:\(\))?(?:\.shared(?:\(\))?)?)\s*(?:\.|::|->)\s*(track|identify)\s*\(").expect("regex")
});
static GO_TRACK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\banalytics\.(Track|Identify)\s*\{").expect("regex"));
static EVENT_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:\bevent\b|["']event["']|\bEvent\b|\bname\b)\s*(?::|=>|=)\s*["']([^"'\n]+)["']"#,
    )
    .expect("regex")
});
static EMAIL_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(?:\bemail\b|["']email["'])\s*(?::|=>|=|,)"#).expect("regex")
});
static FIRST_STRING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"["']([^"'\n]+)["']"#).expect("regex"));

/// The `track`/`identify` calls of one code file.
fn calls(src: &str, code: &Code, lang: &str) -> Vec<AppCall> {
    let mut out = Vec::new();
    let mut push = |start: usize, args_at: usize, receiver: &str, method: &str| {
        if code.in_string.get(start).copied().unwrap_or(true) {
            return;
        }
        let args = balanced(&code.text, src, args_at);
        let method = method.to_ascii_lowercase();
        let event = (method == "track")
            .then(|| {
                EVENT_KEY
                    .captures(&args)
                    .or_else(|| {
                        // Positional: the first string argument (after the user id in Python
                        // and the Heap server API, which are usually variables).
                        FIRST_STRING.captures(&args)
                    })
                    .map(|c| c[1].to_owned())
            })
            .flatten();
        let vendor = if receiver.to_ascii_lowercase().contains("heap") {
            Vendor::Heap
        } else {
            Vendor::Segment
        };
        let _ = lang;
        out.push(AppCall {
            vendor,
            method: method.clone(),
            event,
            email_trait: method == "identify" && EMAIL_KEY.is_match(&args),
            evidence: evidence(src, line_of(src, start)),
        });
    };
    for c in CALL.captures_iter(&code.text) {
        let (Some(all), Some(recv), Some(method)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        push(all.start(), all.end(), recv.as_str(), method.as_str());
    }
    for c in GO_TRACK.captures_iter(&code.text) {
        let (Some(all), Some(method)) = (c.get(0), c.get(1)) else {
            continue;
        };
        push(all.start(), all.end(), "analytics", method.as_str());
    }
    out.sort_by_key(|c| c.evidence.line);
    out
}

/// The argument text from `at` to the closing bracket (comments blanked, strings kept), at most
/// 1,000 bytes.
fn balanced(code: &str, _src: &str, at: usize) -> String {
    let rest = code.get(at..).unwrap_or_default();
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => return rest[..i].to_owned(),
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
        if i > 1000 {
            return rest[..i].to_owned();
        }
    }
    rest.to_owned()
}

fn line_of(src: &str, at: usize) -> u32 {
    src.as_bytes()
        .iter()
        .take(at)
        .filter(|b| **b == b'\n')
        .count() as u32
        + 1
}

fn evidence(src: &str, line: u32) -> Evidence {
    Evidence {
        source: String::new(),
        line: Some(line),
        snippet: src
            .lines()
            .nth(line as usize - 1)
            .unwrap_or_default()
            .trim()
            .chars()
            .take(160)
            .collect(),
        signature: "app-code".into(),
        tag: None,
        offset: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commented_out_init_is_not_an_install() {
        let src = "// Heap.shared.startRecording(\"111\")\n/* Heap.shared.startRecording(\"222\") */\nlet s = \"Heap.shared.startRecording(\\\"333\\\")\"\nHeap.shared.startRecording(\"444\")\n";
        let code = lex(src, "swift");
        let found = installs(src, &code);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].id.as_deref(), Some("444"));
        assert_eq!(found[0].evidence.line, Some(4));
    }

    #[test]
    fn python_comments_and_expressions() {
        let src = "import os\n# analytics.write_key = 'old'\nanalytics.write_key = os.environ[\"SEGMENT_WRITE_KEY\"]\n";
        let found = installs(src, &lex(src, "python"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].id, None);
        assert_eq!(
            found[0].id_from.as_deref(),
            Some("os.environ[\"SEGMENT_WRITE_KEY\"]")
        );
    }

    #[test]
    fn track_event_names() {
        let src = "analytics.track(user_id, 'Order Completed', {'revenue': 42})\nanalytics.track({ userId: id, event: 'Invoice Paid' })\n";
        let found = calls(src, &lex(src, "python"), "python");
        let events: Vec<_> = found.iter().filter_map(|c| c.event.as_deref()).collect();
        assert_eq!(events, ["Order Completed", "Invoice Paid"]);
    }
}
