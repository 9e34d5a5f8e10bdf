//! Mobile apps and server-side services in a repository: which Heap and Segment SDKs their
//! manifests and lock files declare (with versions), and where their code starts them (with the
//! app id or write key) or calls `track`/`identify`. Pure: file text in, [`App`]s out.
//!
//! Manifests are read first ([`manifests`], against the table in [`catalog`]); code only in the
//! folders they make apps of, with its comments blanked out and its strings known
//! ([`code::lex`]), so a commented-out `Heap.startRecording(…)` or a call written inside a string
//! is not an install.

mod catalog;
mod code;
mod manifests;

use std::collections::BTreeMap;

use crate::model::{App, AppCall, AppInstall, AppPackage};
use code::{calls, installs, language, lex};
use manifests::{is_cordova_config, manifest_kind, packages, platforms_of};

/// Whether a file name is a manifest or lock file of an app or service (`Podfile`, `go.mod`, ...).
pub fn is_manifest(name: &str) -> bool {
    // `config.xml` is a Cordova app's only when it says so: the name alone does not make a
    // folder a repository.
    manifests::manifest_kind(name).is_some() && !name.eq_ignore_ascii_case("config.xml")
}

/// Whether source mode should hand this file to [`scan`]: a manifest, a lock file or code.
pub fn wanted(name: &str) -> bool {
    manifest_kind(name).is_some() || language(name).is_some()
}

/// Find the apps and services of a repository. `files` are paths relative to its root (with
/// `/`), as [`wanted`] chose them; `read` gives a file's text. Manifests are read first, and code
/// only inside the folders they make apps of. `display` prefixes paths as the report names files
/// (the target as given).
pub fn scan(display: &str, files: &[String], read: &dyn Fn(&str) -> Option<String>) -> Vec<App> {
    let shown = |rel: &str| {
        if display.is_empty() || display == "." {
            rel.to_owned()
        } else {
            format!("{}/{rel}", display.trim_end_matches('/'))
        }
    };
    // Folders with a manifest: their platform and packages.
    let mut dirs: BTreeMap<String, Folder> = BTreeMap::new();
    for rel in files {
        let (dir, name) = split(rel);
        let Some(ecosystem) = manifest_kind(name) else {
            continue;
        };
        let Some(text) = read(rel) else { continue };
        if name.eq_ignore_ascii_case("config.xml") && !is_cordova_config(&text) {
            continue;
        }
        let folder = dirs.entry(app_dir(dir, name)).or_default();
        folder.platforms.extend(platforms_of(name, &text));
        for mut p in packages(ecosystem, name, &text) {
            p.evidence.source = shown(rel);
            folder.add(p);
        }
        for mut i in manifests::installs(name, &text) {
            i.evidence.source = shown(rel);
            folder.installs.push(i);
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
                    o.platforms.extend(f.platforms);
                    for p in f.packages {
                        o.add(p);
                    }
                }
            }
        }
    }
    // Code: each file belongs to the deepest app folder above it.
    for rel in files {
        let (_, name) = split(rel);
        let Some(lang) = language(name) else { continue };
        let Some(owner) = dirs
            .keys()
            .filter(|d| within(rel, d))
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
        let Some(text) = read(rel) else { continue };
        let code = lex(&text, lang);
        for mut i in installs(&text, &code) {
            i.evidence.source = shown(rel);
            folder.installs.push(i);
            *folder.languages.entry(lang).or_default() += 1;
        }
        for mut c in calls(&text, &code, lang) {
            c.evidence.source = shown(rel);
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
