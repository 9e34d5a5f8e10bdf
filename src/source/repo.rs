//! A source repository on disk: which of its files are read (templates, components, scripts),
//! what is left out and why (dependencies, build output, caches, tests, `.gitignore`, globs), and
//! whether a folder is a repository at all or a built site.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::model::Skipped;

/// How a local target is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A built site: its `.html` files are the pages.
    Pages,
    /// A source repository: templates composed into the pages they render.
    Source,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Pages => "pages",
            Mode::Source => "source",
        }
    }
}

/// Folders never read, with the reason each is left out.
const SKIPPED_DIRS: &[(&str, &str)] = &[
    ("node_modules", "dependencies"),
    ("bower_components", "dependencies"),
    ("vendor", "dependencies"),
    ("jspm_packages", "dependencies"),
    (".git", "version control"),
    (".hg", "version control"),
    (".svn", "version control"),
    ("_site", "build output"),
    ("public", "build output"),
    (".next", "build output"),
    (".nuxt", "build output"),
    (".output", "build output"),
    (".svelte-kit", "build output"),
    (".astro", "build output"),
    (".vercel", "build output"),
    (".netlify", "build output"),
    ("dist", "build output"),
    ("build", "build output"),
    ("out", "build output"),
    ("storybook-static", "build output"),
    ("coverage", "build output"),
    (".cache", "build cache"),
    (".turbo", "build cache"),
    (".parcel-cache", "build cache"),
    (".sass-cache", "build cache"),
    (".jekyll-cache", "build cache"),
    ("__pycache__", "build cache"),
    ("tmp", "build cache"),
    ("target", "build cache"),
    (".venv", "dependencies"),
    ("venv", "dependencies"),
    ("__tests__", "tests"),
    ("__mocks__", "tests"),
    ("Pods", "dependencies"),
    ("Carthage", "dependencies"),
    ("cypress", "tests"),
    ("e2e", "tests"),
    ("spec", "tests"),
    ("test", "tests"),
    ("tests", "tests"),
];

/// Extensions of the files source mode reads.
const SOURCE_EXTENSIONS: &[&str] = &[
    "html",
    "htm",
    "erb",
    "rhtml",
    "liquid",
    "j2",
    "jinja",
    "jinja2",
    "twig",
    "njk",
    "hbs",
    "handlebars",
    "mustache",
    "gohtml",
    "tmpl",
    "gotmpl",
    "php",
    "phtml",
    "jsp",
    "jspf",
    "asp",
    "aspx",
    "js",
    "mjs",
    "cjs",
    "ts",
    "mts",
    "cts",
    "jsx",
    "tsx",
    "vue",
    "svelte",
    "astro",
    "md",
    "markdown",
];

/// Files at a folder's root that say it is a source repository, and the ecosystem each names.
const MARKERS: &[(&str, &str)] = &[
    ("Gemfile", "ruby"),
    ("config/routes.rb", "rails"),
    ("composer.json", "php"),
    ("artisan", "laravel"),
    ("_config.yml", "jekyll"),
    ("hugo.toml", "hugo"),
    ("hugo.yaml", "hugo"),
    ("hugo.json", "hugo"),
    ("manage.py", "django"),
    ("pyproject.toml", "python"),
    ("requirements.txt", "python"),
    ("package.json", "node"),
    ("next.config.js", "nextjs"),
    ("next.config.mjs", "nextjs"),
    ("next.config.ts", "nextjs"),
    ("nuxt.config.ts", "nuxt"),
    ("nuxt.config.js", "nuxt"),
    ("svelte.config.js", "sveltekit"),
    ("svelte.config.ts", "sveltekit"),
    ("astro.config.mjs", "astro"),
    ("astro.config.ts", "astro"),
    ("gatsby-config.js", "gatsby"),
    ("gatsby-config.ts", "gatsby"),
    ("remix.config.js", "remix"),
    ("go.mod", "go"),
    ("pom.xml", "java"),
    ("build.gradle", "java"),
    ("build.gradle.kts", "android"),
    ("settings.gradle", "android"),
    ("settings.gradle.kts", "android"),
    ("Podfile", "ios"),
    ("Package.swift", "swift"),
    ("Cartfile", "ios"),
    ("pubspec.yaml", "flutter"),
    (".git", "git"),
];

/// The files of a repository to read, and what was left out.
#[derive(Debug, Default)]
pub struct Listing {
    /// Paths relative to the root, sorted.
    pub files: Vec<PathBuf>,
    pub skipped: Vec<Skipped>,
    /// The ecosystems the root's files name (`rails`, `jekyll`, `nextjs`, ...).
    pub ecosystems: Vec<String>,
    /// Manifests, lock files and code read for mobile apps and server-side services
    /// ([`crate::extract::apps`]), relative to the root, sorted.
    pub app_files: Vec<PathBuf>,
}

/// Glob filters on paths relative to the root (`--include-path`, `--exclude-path`).
#[derive(Debug, Default, Clone)]
pub struct PathFilter {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
}

impl PathFilter {
    pub fn new(include: &[String], exclude: &[String]) -> Result<PathFilter, String> {
        let set = |globs: &[String], flag: &str| -> Result<Option<GlobSet>, String> {
            if globs.is_empty() {
                return Ok(None);
            }
            let mut builder = GlobSetBuilder::new();
            for g in globs {
                let glob =
                    Glob::new(g).map_err(|e| format!("{flag} {g}: not a valid glob: {e}"))?;
                builder.add(glob);
                // `dir` and `dir/` mean everything under it too.
                if !g.contains('*') {
                    let under = format!("{}/**", g.trim_end_matches('/'));
                    builder.add(Glob::new(&under).map_err(|e| format!("{flag} {g}: {e}"))?);
                }
            }
            builder
                .build()
                .map(Some)
                .map_err(|e| format!("{flag}: {e}"))
        };
        Ok(PathFilter {
            include: set(include, "--include-path")?,
            exclude: set(exclude, "--exclude-path")?,
        })
    }

    fn allows(&self, rel: &Path) -> Result<(), &'static str> {
        if self.exclude.as_ref().is_some_and(|s| s.is_match(rel)) {
            return Err("--exclude-path");
        }
        if self.include.as_ref().is_some_and(|s| !s.is_match(rel)) {
            return Err("--include-path");
        }
        Ok(())
    }
}

/// Whether a folder is a source repository (and why), from its root's files and the kinds of
/// files under it.
pub fn mode_of(root: &Path) -> (Mode, String) {
    let found = marked(root);
    if !found.is_empty() {
        return (Mode::Source, format!("found {}", found.join(", ")));
    }
    // No project file: templates or components anywhere (a theme, a folder of views), or an app's
    // manifest, make it a repository; only .html files, a built site.
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(true)
        .require_git(false)
        .max_depth(Some(6))
        .filter_entry(|e| skip_dir(e.path(), e.file_type()).is_none())
        .build();
    for entry in walker.flatten().take(20_000) {
        let path = entry.path();
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let file = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !names_source(file) {
            continue;
        }
        if crate::extract::apps::is_manifest(file) {
            // An app or a service (an Xcode or Gradle project, a Go module): read as source.
            let rel = path.strip_prefix(root).unwrap_or(path);
            return (
                Mode::Source,
                format!("{} is an app manifest", rel.display()),
            );
        }
        let rel = path.strip_prefix(root).unwrap_or(path);
        return (Mode::Source, format!("{} is a template", rel.display()));
    }
    (Mode::Pages, PAGES_WHY.into())
}

/// Why a folder is read as built pages.
pub const PAGES_WHY: &str = "only built .html files";

/// The project files (`package.json`, `Gemfile`, ...) at a folder's root: any of them makes it a
/// source repository.
pub fn marked(root: &Path) -> Vec<&'static str> {
    MARKERS
        .iter()
        .filter(|(name, _)| root.join(name).exists())
        .map(|(name, _)| *name)
        .collect()
}

/// Whether a file's name alone makes a folder without a project file a source repository, as
/// [`mode_of`] decides: an app's or a service's manifest, or a template other than plain HTML.
/// A folder's listing checks it on every name, so that a folder of built pages (none of these)
/// is known as such without a second walk.
pub fn names_source(file: &str) -> bool {
    use crate::extract::template::Dialect;
    crate::extract::apps::is_manifest(file)
        || Dialect::of_path(file).is_some_and(|d| d != Dialect::Html)
}

/// A single file's mode: templates and scripts are source, `.html` files pages unless they carry
/// template tags.
pub fn file_mode(path: &Path, text: &str) -> (Mode, String) {
    let name = path.to_string_lossy();
    use crate::extract::template::Dialect;
    match Dialect::of_path(&name) {
        Some(Dialect::Html) if Dialect::sniff(text) == Dialect::Html => {
            (Mode::Pages, "an .html file".into())
        }
        Some(Dialect::Html) => (Mode::Source, "an .html file with template tags".into()),
        Some(d) => (Mode::Source, format!("a {} template", d.name())),
        None => (Mode::Source, "a script".into()),
    }
}

/// The ecosystems a root's files name.
pub fn ecosystems(root: &Path) -> Vec<String> {
    let mut out: Vec<String> = MARKERS
        .iter()
        .filter(|(name, _)| root.join(name).exists())
        .map(|(_, eco)| (*eco).to_owned())
        .filter(|e| e != "git")
        .collect();
    if root.join("config.toml").exists() && root.join("layouts").is_dir() {
        out.push("hugo".into());
    }
    if root.join("app/views").is_dir() && !out.iter().any(|e| e == "rails") {
        out.push("rails".into());
    }
    out.sort();
    out.dedup();
    out
}

/// Why a folder is left out, if it is.
fn skip_dir(path: &Path, ty: Option<std::fs::FileType>) -> Option<&'static str> {
    if !ty.is_some_and(|t| t.is_dir()) {
        return None;
    }
    let name = path.file_name()?.to_str()?;
    if let Some((_, why)) = SKIPPED_DIRS.iter().find(|(dir, _)| *dir == name) {
        return Some(why);
    }
    // Hugo's generated resources.
    if name == "_gen" && path.parent()?.file_name()? == "resources" {
        return Some("build output");
    }
    None
}

/// Why a file is left out by its name, if it is.
fn skip_file(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit('.').next().unwrap_or("");
    if !SOURCE_EXTENSIONS.contains(&ext) || lower.ends_with(".d.ts") {
        return Some("not a source file");
    }
    if lower.ends_with(".min.js") || lower.ends_with("-min.js") || lower.ends_with(".bundle.js") {
        return Some("minified");
    }
    let stem = lower.trim_end_matches(&format!(".{ext}")[..]);
    if stem.ends_with(".test")
        || stem.ends_with(".spec")
        || stem.ends_with(".stories")
        || stem.ends_with(".cy")
    {
        return Some("tests");
    }
    None
}

/// List a repository's source files.
pub fn list(root: &Path, filter: &PathFilter) -> Result<Listing, String> {
    let mut skipped: BTreeMap<&'static str, (usize, Vec<String>)> = BTreeMap::new();
    let note = |skipped: &mut BTreeMap<&'static str, (usize, Vec<String>)>,
                why: &'static str,
                path: &Path| {
        let entry = skipped.entry(why).or_default();
        entry.0 += 1;
        if entry.1.len() < 5 {
            entry.1.push(path.to_string_lossy().replace('\\', "/"));
        }
    };
    let dirs = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(&'static str, PathBuf)>::new()));
    let (left_out, root_owned) = (std::sync::Arc::clone(&dirs), root.to_path_buf());
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .git_ignore(true)
        .git_exclude(true)
        .ignore(true)
        .require_git(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |e| {
            if e.depth() == 0 {
                return true;
            }
            let hidden = e.file_name().to_str().is_some_and(|n| n.starts_with('.'));
            let why = skip_dir(e.path(), e.file_type()).or_else(|| {
                (hidden && e.file_type().is_some_and(|t| t.is_dir())).then_some("hidden")
            });
            match why {
                Some(why) => {
                    if let Ok(mut d) = left_out.lock() {
                        let rel = e.path().strip_prefix(&root_owned).unwrap_or(e.path());
                        d.push((why, rel.to_path_buf()));
                    }
                    false
                }
                None => true,
            }
        })
        .build();
    let mut files = Vec::new();
    let mut app_files = Vec::new();
    for entry in walker {
        let entry = entry.map_err(|e| format!("{}: cannot list: {e}", root.display()))?;
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(root)
            .unwrap_or(entry.path())
            .to_path_buf();
        let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if crate::extract::apps::wanted(name)
            && filter.allows(&rel).is_ok()
            && !matches!(skip_file(name), Some("tests" | "minified"))
        {
            app_files.push(rel.clone());
        }
        if let Some(why) = skip_file(name) {
            if why != "not a source file" {
                note(&mut skipped, why, &rel);
            }
            continue;
        }
        if let Err(why) = filter.allows(&rel) {
            note(&mut skipped, why, &rel);
            continue;
        }
        files.push(rel);
    }
    // The folders the walk left out, each counted once (their files are not looked at).
    let left_out = std::mem::take(&mut *dirs.lock().unwrap_or_else(|e| e.into_inner()));
    for (why, rel) in left_out {
        note(&mut skipped, why, &rel.join(""));
    }
    Ok(Listing {
        files,
        skipped: skipped
            .into_iter()
            .map(|(reason, (count, examples))| Skipped {
                reason: reason.to_owned(),
                count,
                examples,
            })
            .collect(),
        ecosystems: ecosystems(root),
        app_files,
    })
}
