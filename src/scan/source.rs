//! Source mode: read a repository's templates, components and scripts, each once, then compose
//! the pages a visitor loads from them (layouts, partials, imported components), with each
//! loader kept at the file and line where it is written and the template conditions it is
//! rendered under.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use super::*;
use crate::extract::template::{self, Dialect, IncludeKind, Template};
use crate::model::{Condition, SourceRead};
use crate::source::repo::{self, Listing};

/// One file of the repository, read.
struct File {
    /// Path relative to the root, with `/`.
    rel: String,
    /// Structure: blocks, includes, front matter (its text is dropped once scanned).
    template: Template,
    /// Line of each block's opening tag.
    block_lines: Vec<u32>,
    /// Line of each include.
    include_lines: Vec<u32>,
    /// What the file itself holds (installs with evidence in this file).
    page: Page,
    /// A script or component module (not a template).
    script: bool,
    /// The file writes HTML markup (a template that renders a document or a fragment of one).
    markup: bool,
}

/// Where an include leads: the file, and the conditions the include sits under.
struct Edge {
    to: usize,
    conditions: Vec<Condition>,
    kind: IncludeKind,
}

/// Most files a page may compose (a partial included in a loop of includes is cut there).
const MAX_COMPOSED: usize = 2_000;

impl Ctx {
    /// Audit a repository (or one source file) in source mode.
    pub(super) fn walk_source(
        self: &Arc<Self>,
        target: &str,
        root: &Path,
        listing: Listing,
        why: String,
        pages: &mut Vec<Page>,
    ) -> Result<SourceRead, String> {
        let display = target.trim_end_matches('/');
        let site = Site::dir(root, display)
            .ok_or_else(|| format!("{target}: cannot resolve the folder"))?;
        let mut read = SourceRead {
            target: target.to_owned(),
            mode: repo::Mode::Source.as_str().to_owned(),
            why,
            ecosystems: listing.ecosystems.clone(),
            files: 0,
            skipped: listing.skipped.clone(),
            notes: Vec::new(),
            apps: Vec::new(),
        };
        // Apps first: the web code of a Capacitor or Cordova app runs in the app's web view, and
        // is not a page of a web site.
        read.apps = self.read_apps(root, display, &listing);
        let web_views = web_view_dirs(&read.apps, display);
        let (rels, in_apps): (Vec<String>, Vec<String>) = listing
            .files
            .iter()
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .partition(|rel| {
                !web_views
                    .iter()
                    .any(|d| d.is_empty() || rel.starts_with(&format!("{d}/")))
            });
        if !in_apps.is_empty() {
            read.skipped.push(crate::model::Skipped {
                reason: "web view of a Capacitor or Cordova app".into(),
                count: in_apps.len(),
                examples: in_apps.iter().take(5).cloned().collect(),
            });
        }
        let work = {
            let (ctx, site, root) = (Arc::clone(self), site.clone(), root.to_path_buf());
            move |rel: &String| ctx.read_source(&site, &root, rel)
        };
        let mut files: Vec<File> = Vec::new();
        let mut minified = Vec::new();
        let stop = super::parallel::parallel_in_order(
            rels,
            self.local_workers(),
            &self.opts.cancel,
            work,
            |file| match file {
                Ok(file) => files.push(file),
                Err(rel) => minified.push(rel),
            },
            |rel, _| Err(rel.clone()),
        );
        read.files = files.len();
        if !minified.is_empty() {
            read.skipped.push(crate::model::Skipped {
                reason: "minified".into(),
                count: minified.len(),
                examples: minified.iter().take(5).cloned().collect(),
            });
        }
        // A repository, like a build folder, is read whole unless --max-pages is given.
        let cap = if self.opts.max_pages_set {
            self.opts.max_pages
        } else {
            usize::MAX
        };
        let composed = compose(root, &files, &listing.ecosystems, cap, &mut read.notes);
        for problem in &composed.problems {
            self.problem(&problem.0, problem.1, problem.2.clone());
        }
        let total = composed.pages.len();
        // Coverage, as for a folder: pages composed vs audited, and the cap or stop that cut it.
        let stopped_by: Vec<String> = stop
            .map(|stop| super::crawl::stop_name(stop).to_owned())
            .into_iter()
            .chain((composed.found > total).then(|| "max-pages".to_owned()))
            .collect();
        self.covered(crate::model::Coverage {
            target: target.to_owned(),
            pages_audited: total,
            urls_left_out: composed.found - total,
            at_least: stop.is_some(),
            stopped_by,
            pages_found: composed.found,
            kind: "source".to_owned(),
            sampled: Vec::new(),
        });
        // Progress counts rendered pages, as the report does.
        self.queued(total);
        for (entry, kind, members) in composed.pages.into_iter() {
            let mut page = Page::new(files[entry].page.url.clone(), site.name().to_owned(), 0);
            page.kind = Some(kind.to_owned());
            for (file, conditions) in &members {
                let f = &files[*file];
                if !page.renders.contains(&f.page.url) {
                    page.renders.push(f.page.url.clone());
                }
                for install in &f.page.installs {
                    let mut install = install.clone();
                    let mut own = conditions.clone();
                    if let Some(offset) = install
                        .evidence
                        .offset
                        .filter(|_| install.evidence.source == f.page.url)
                    {
                        own.extend(arm_conditions(f, offset));
                    }
                    install.conditions = own;
                    install.evidence.offset = None;
                    page.installs.push(install);
                }
                page.segment_calls
                    .extend(f.page.segment_calls.iter().cloned());
                page.csp.extend(f.page.csp.iter().cloned());
                page.suppressions
                    .extend(f.page.suppressions.iter().cloned());
                page.privacy.redact_text += f.page.privacy.redact_text;
                page.privacy.redact_attributes += f.page.privacy.redact_attributes;
                page.privacy.heap_ignore += f.page.privacy.heap_ignore;
            }
            inventory::merge_conditions(&mut page.installs);
            if let Some(observer) = &self.opts.observer {
                observer.page_done(&page);
            }
            pages.push(page);
        }
        if total == 0 && read.apps.is_empty() {
            read.notes.push("no page was found to render: nothing in this repository loads Heap or Segment from a template".into());
        }
        if let Some(stop) = stop {
            self.stopped(target, stop, pages.len());
        }
        Ok(read)
    }

    /// The mobile apps and server-side services of a repository (not pages).
    fn read_apps(&self, root: &Path, display: &str, listing: &Listing) -> Vec<crate::model::App> {
        let files: Vec<String> = listing
            .app_files
            .iter()
            .map(|rel| rel.to_string_lossy().replace('\\', "/"))
            .collect();
        let (max, timeout) = (self.opts.fetch.max_body, self.opts.fetch.timeout);
        let read = |rel: &str| {
            read_bounded(&root.join(rel), max, timeout, &self.opts.cancel)
                .ok()
                .map(|(text, _)| text)
        };
        crate::extract::apps::scan(display, &files, &read)
    }

    /// Read one file: its structure, and what it holds. `Err` (with its path) for a minified
    /// bundle, which is not read.
    fn read_source(&self, site: &Site, root: &Path, rel: &String) -> Result<File, String> {
        let path = root.join(rel);
        let url = std::path::absolute(&path)
            .ok()
            .and_then(|a| Url::from_file_path(a).ok());
        let display = url
            .as_ref()
            .map_or_else(|| rel.clone(), |u| site.display(u));
        let mut page = Page::new(display.clone(), site.name().to_owned(), 0);
        let (cap, timeout) = (self.opts.fetch.max_body, self.opts.fetch.timeout);
        let text = match read_bounded(&path, cap, timeout, &self.opts.cancel) {
            Ok((text, truncated)) => {
                if truncated {
                    let cap = self.opts.fetch.max_body;
                    self.problem(
                        &display,
                        ProblemKind::Truncated,
                        format!("file larger than {cap} bytes: only the first {cap} were read"),
                    );
                }
                text
            }
            Err(e) => {
                self.problem(&display, ProblemKind::Io, format!("cannot read: {e}"));
                String::new()
            }
        };
        let lower = rel.to_ascii_lowercase();
        let markdown = lower.ends_with(".md") || lower.ends_with(".markdown");
        let dialect = match Dialect::of_path(rel) {
            Some(Dialect::Html) => Some(Dialect::sniff(&text)),
            other => other,
        };
        let script = dialect.is_none();
        if script && is_minified(&text) {
            return Err(rel.clone());
        }
        let lines = Lines::new(&text);
        let origin = |offset| Origin {
            source: &display,
            lines: Some(&lines),
            offset,
            tag: None,
        };
        let template = match dialect {
            None => {
                let kind = js::Kind::of_path(rel).unwrap_or(js::Kind::Module);
                let scan = detect::scan_script(self.sigs, &text, kind, &origin(0));
                self.finish(scan, &mut page);
                let mut template = Template::default();
                template.includes = template::js_imports(&text)
                    .into_iter()
                    .map(|(offset, name)| template::Include {
                        offset,
                        name,
                        kind: IncludeKind::Import,
                        dialect: Dialect::Html,
                        condition: None,
                    })
                    .collect();
                template
            }
            Some(dialect) => {
                let mut template = template::read(&text, dialect);
                // Markdown content is prose: a snippet shown in it is documentation, not a
                // load. Only its front matter (its layout) counts.
                if !markdown {
                    let here = url
                        .clone()
                        .unwrap_or_else(|| Url::parse("file:///").expect("a file URL"));
                    page = self
                        .read_page(site, &here, page, &template.text, None, true)
                        .page;
                    let mut code = Scan::default();
                    for (offset, text) in &template.code {
                        code.extend(detect::scan_script(
                            self.sigs,
                            text,
                            js::Kind::Ts,
                            &origin(*offset),
                        ));
                    }
                    let mut extra = Page::new(display.clone(), String::new(), 0);
                    self.finish(code, &mut extra);
                    page.installs.extend(extra.installs);
                    page.segment_calls.extend(extra.segment_calls);
                }
                template.text = String::new();
                for install in &mut page.installs {
                    restore(&template, install);
                }
                for call in &mut page.segment_calls {
                    call.evidence.snippet = template.restore(&call.evidence.snippet);
                }
                template
            }
        };
        let block_lines = template
            .blocks
            .iter()
            .map(|b| lines.line(b.offset))
            .collect();
        let include_lines = template
            .includes
            .iter()
            .map(|i| lines.line(i.offset))
            .collect();
        let markup = !script && !markdown && has_markup(&text);
        Ok(File {
            rel: rel.clone(),
            template,
            block_lines,
            include_lines,
            page,
            script,
            markup,
        })
    }
}

/// Put a template's output tags back where a scanner read their stand-ins: a value the template
/// fills in is never an id, it is where the id comes from.
fn restore(template: &Template, install: &mut Install) {
    if let Some(id) = install.id.take() {
        if Template::has_output(&id) {
            install.id_from.get_or_insert_with(|| template.restore(&id));
        } else {
            install.id = Some(id);
        }
    }
    if let Some(from) = &install.id_from {
        install.id_from = Some(template.restore(from));
    }
    if let Some(placeholder) = &install.placeholder {
        install.placeholder = Some(template.restore(placeholder));
    }
    install
        .alternative_ids
        .retain(|id| !Template::has_output(id));
    if install.id.is_none() && !install.alternative_ids.is_empty() {
        install.id = Some(install.alternative_ids.remove(0));
    }
    for branch in &mut install.branches {
        branch.condition = template.restore(&branch.condition);
        if branch.id.as_deref().is_some_and(Template::has_output) {
            branch.id = None;
        }
    }
    for value in install.options.values_mut() {
        if let serde_json::Value::String(text) = value {
            *text = template.restore(text);
        }
    }
    install.evidence.snippet = template.restore(&install.evidence.snippet);
}

/// The arms a loader at `offset` of a file sits in, as conditions.
fn arm_conditions(file: &File, offset: usize) -> Vec<Condition> {
    file.template
        .arms_at(offset)
        .into_iter()
        .map(|(block, arm, condition)| Condition {
            block: format!(
                "{}:{}",
                file.page.url,
                file.block_lines.get(block).copied().unwrap_or(1)
            ),
            arm: u32::try_from(arm).unwrap_or(u32::MAX),
            condition: condition.to_owned(),
        })
        .filter(|c| !c.condition.is_empty())
        .collect()
}

/// Read at most `cap` bytes of a file, as text, and say whether there was more: a regular file
/// only (a FIFO or device is an error, never opened), within `timeout`, until the run stops.
pub(super) fn read_bounded(
    path: &Path,
    cap: usize,
    timeout: Duration,
    cancel: &Cancel,
) -> std::io::Result<(String, bool)> {
    use crate::source::local::{self, ReadError};
    let (bytes, truncated) = local::read(path, cap, timeout, cancel).map_err(|e| match e {
        ReadError::Io(e) => e,
        ReadError::Cut(cut) => cut.into_io(),
    })?;
    Ok((String::from_utf8_lossy(&bytes).into_owned(), truncated))
}

/// A minified bundle: long, with lines far longer than written code has. A source file with a
/// pasted one-line snippet among ordinary lines is not.
fn is_minified(text: &str) -> bool {
    let lines = text.lines().count().max(1);
    text.len() > 4096 && text.len() / lines > 300
}

/// Whether a template writes HTML elements.
fn has_markup(text: &str) -> bool {
    static TAG: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)<(?:html|head|body|div|main|script|link|meta|section|header|footer|nav|p|span|a|ul|h[1-6]|template|svelte:head|!doctype)\b").expect("markup pattern")
    });
    TAG.is_match(text)
}

/// The files a page renders, each with the conditions it is rendered under.
type Members = Vec<(usize, Vec<Condition>)>;

/// What composition yields: each page (entry file, kind, the files it renders with the
/// conditions each is rendered under), and the problems met.
struct Composed {
    pages: Vec<(usize, &'static str, Members)>,
    problems: Vec<(String, ProblemKind, String)>,
    /// Pages composed before `--max-pages` cut them.
    found: usize,
}

/// Compose the pages of a repository from its files.
fn compose(
    root: &Path,
    files: &[File],
    ecosystems: &[String],
    max_pages: usize,
    notes: &mut Vec<String>,
) -> Composed {
    let index = Index::new(files);
    let aliases = Aliases::read(root);
    let mut problems = Vec::new();
    let mut edges: Vec<Vec<Edge>> = Vec::with_capacity(files.len());
    let mut referenced = vec![false; files.len()];
    let mut extended = vec![false; files.len()];
    for file in files {
        let mut out = Vec::new();
        for (n, include) in file.template.includes.iter().enumerate() {
            match resolve(file, include, &index, files, &aliases) {
                Some(to) => {
                    let mut conditions = arm_conditions(file, include.offset);
                    if let Some(condition) = &include.condition {
                        conditions.push(Condition {
                            block: format!(
                                "{}:{}",
                                file.page.url,
                                file.include_lines.get(n).copied().unwrap_or(1)
                            ),
                            arm: 0,
                            condition: condition.clone(),
                        });
                    }
                    referenced[to] = true;
                    if include.kind == IncludeKind::Layout {
                        extended[to] = true;
                    }
                    out.push(Edge {
                        to,
                        conditions,
                        kind: include.kind,
                    });
                }
                None if include.kind != IncludeKind::Import && !include.name.is_empty() => {
                    problems.push((
                        file.page.url.clone(),
                        ProblemKind::MissingInclude,
                        format!("includes {:?}, which is not in the repository (a theme's or a gem's file?): the page is composed without it", include.name),
                    ));
                }
                None => {}
            }
        }
        // A Jekyll page or layout names its layout in its front matter.
        if let Some(layout) = &file.template.layout {
            match index.stem("_layouts", layout) {
                Some(to) => {
                    referenced[to] = true;
                    extended[to] = true;
                    out.push(Edge { to, conditions: Vec::new(), kind: IncludeKind::Layout });
                }
                None => problems.push((
                    file.page.url.clone(),
                    ProblemKind::MissingInclude,
                    format!("uses layout {layout:?}, which is not in _layouts/ (a theme's?): the page is composed without it"),
                )),
            }
        }
        edges.push(out);
    }
    let eco = |e: &str| ecosystems.iter().any(|x| x == e);
    // Pages by ecosystem: the entries, and the files each gets implicitly (layouts, globals).
    let mut pages = Entries::new(files.len());
    let claim = |entry: usize, implicit: Vec<usize>, kind: &'static str, pages: &mut Entries| {
        pages.claim(entry, implicit, kind)
    };
    let find = |rel: &str| index.get(rel);
    let find_stem = |dir: &str, name: &str| index.stem(dir, name);
    if eco("rails") || files.iter().any(|f| f.rel.starts_with("app/views/")) {
        let application = find_stem("app/views/layouts", "application");
        let mut any = false;
        for (i, f) in files.iter().enumerate() {
            let Some(rest) = f.rel.strip_prefix("app/views/") else {
                continue;
            };
            let (dir, name) = rest.rsplit_once('/').unwrap_or(("", rest));
            if dir.is_empty()
                || dir.starts_with("layouts")
                || name.starts_with('_')
                || dir.ends_with("_mailer")
                || f.script
                || referenced[i]
            {
                continue;
            }
            let controller = dir.rsplit('/').next().unwrap_or(dir);
            let layout = find_stem("app/views/layouts", controller).or(application);
            claim(i, layout.into_iter().collect(), "page", &mut pages);
            any = true;
        }
        if !any {
            if let Some(layout) = application {
                claim(layout, Vec::new(), "layout", &mut pages);
                notes.push(
                    "no view was found under app/views/: the application layout counts as one page"
                        .into(),
                );
            }
        }
    }
    if eco("jekyll") {
        for (i, f) in files.iter().enumerate() {
            let top = f.rel.split('/').next().unwrap_or("");
            let in_special = top.starts_with('_') && top != "_posts" && f.rel.contains('/');
            if f.template.front_matter && !in_special {
                claim(i, Vec::new(), "page", &mut pages);
            }
        }
    }
    if eco("hugo") {
        let layout_for = |rel: &str| -> Option<usize> {
            let rest = rel.strip_prefix("content/")?;
            let section = rest.split_once('/').map_or("", |(s, _)| s);
            let list = stem(rel) == "_index";
            let kind = if list { "list" } else { "single" };
            if rest == "_index.md" {
                return find("layouts/index.html").or_else(|| find("layouts/_default/list.html"));
            }
            find(&format!("layouts/{section}/{kind}.html"))
                .or_else(|| find(&format!("layouts/_default/{kind}.html")))
        };
        let mut any = false;
        for (i, f) in files.iter().enumerate() {
            if !f.rel.starts_with("content/")
                || !(f.rel.ends_with(".md") || f.rel.ends_with(".html"))
            {
                continue;
            }
            let Some(template) = layout_for(&f.rel) else {
                continue;
            };
            // The template is rendered inside the base template of its folder, or the default one.
            let mut implicit = vec![template];
            let dir = files[template]
                .rel
                .rsplit_once('/')
                .map_or("layouts", |(d, _)| d);
            if let Some(base) =
                find(&format!("{dir}/baseof.html")).or_else(|| find("layouts/_default/baseof.html"))
            {
                if base != template {
                    implicit.push(base);
                }
            }
            claim(i, implicit, "page", &mut pages);
            any = true;
        }
        if !any {
            if let Some(base) = find("layouts/_default/baseof.html") {
                claim(base, Vec::new(), "layout", &mut pages);
                notes.push(
                    "no content file was found: layouts/_default/baseof.html counts as one page"
                        .into(),
                );
            }
        }
    }
    if eco("nextjs")
        || eco("node")
        || eco("nuxt")
        || eco("sveltekit")
        || eco("astro")
        || eco("remix")
        || eco("gatsby")
    {
        // Nuxt's client plugins run on every page.
        let plugins: Vec<usize> = files
            .iter()
            .enumerate()
            .filter(|(_, p)| p.rel.starts_with("plugins/") && !p.rel.contains(".server."))
            .map(|(j, _)| j)
            .collect();
        for (i, f) in files.iter().enumerate() {
            let rel = f.rel.as_str();
            let app = rel.strip_prefix("src/").unwrap_or(rel);
            let name = rel.rsplit('/').next().unwrap_or(rel);
            let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
            let ext_ok = [".tsx", ".jsx", ".ts", ".js", ".mdx"]
                .iter()
                .any(|e| name.ends_with(e));
            if app.starts_with("app/") && name.starts_with("page.") && ext_ok {
                // Next.js app router: every layout from the page's folder up to app/.
                let app_root = if rel.starts_with("src/") {
                    "src/app"
                } else {
                    "app"
                };
                let mut implicit = Vec::new();
                let mut d = dir;
                loop {
                    for n in ["layout", "template"] {
                        if let Some(l) = find_stem(d, n) {
                            implicit.push(l);
                        }
                    }
                    if d == app_root || !d.contains('/') {
                        break;
                    }
                    d = d.rsplit_once('/').map_or("", |(p, _)| p);
                }
                claim(i, implicit, "page", &mut pages);
            } else if app.starts_with("pages/")
                && ext_ok
                && !name.starts_with('_')
                && !app.starts_with("pages/api/")
                && !eco("nuxt")
            {
                let base = if rel.starts_with("src/") {
                    "src/pages"
                } else {
                    "pages"
                };
                let implicit = ["_app", "_document"]
                    .iter()
                    .filter_map(|n| find_stem(base, n))
                    .collect();
                claim(i, implicit, "page", &mut pages);
            } else if eco("nuxt") && app.starts_with("pages/") && name.ends_with(".vue") {
                let mut implicit: Vec<usize> = [
                    "app.vue",
                    "layouts/default.vue",
                    "nuxt.config.ts",
                    "nuxt.config.js",
                    "app.config.ts",
                ]
                .iter()
                .filter_map(|r| find(r))
                .collect();
                implicit.extend(&plugins);
                claim(i, implicit, "page", &mut pages);
            } else if app.starts_with("routes/") && name.starts_with("+page.svelte") {
                let mut implicit = Vec::new();
                let mut d = dir;
                loop {
                    if let Some(l) = find(&format!("{d}/+layout.svelte")) {
                        implicit.push(l);
                    }
                    if !d.contains("/routes/") && !d.ends_with("routes") || d.ends_with("routes") {
                        break;
                    }
                    d = d.rsplit_once('/').map_or("", |(p, _)| p);
                }
                implicit.extend(
                    ["src/app.html", "src/hooks.client.ts", "src/hooks.client.js"]
                        .iter()
                        .filter_map(|r| find(r)),
                );
                claim(i, implicit, "page", &mut pages);
            } else if app.starts_with("pages/")
                && (name.ends_with(".astro") || name.ends_with(".md") || name.ends_with(".mdx"))
                && eco("astro")
            {
                claim(i, Vec::new(), "page", &mut pages);
            } else if eco("remix") && app.starts_with("app/routes/") && ext_ok {
                claim(
                    i,
                    ["app/root.tsx", "app/root.jsx"]
                        .iter()
                        .filter_map(|r| find(r))
                        .collect(),
                    "page",
                    &mut pages,
                );
            } else if eco("gatsby") && app.starts_with("pages/") && ext_ok {
                claim(
                    i,
                    [
                        "gatsby-ssr.js",
                        "gatsby-ssr.tsx",
                        "gatsby-browser.js",
                        "gatsby-browser.tsx",
                    ]
                    .iter()
                    .filter_map(|r| find(r))
                    .collect(),
                    "page",
                    &mut pages,
                );
            }
        }
        if eco("nuxt")
            && !pages
                .list
                .iter()
                .any(|p| files[p.0].rel.starts_with("pages/"))
        {
            if let Some(app) = find("app.vue") {
                let implicit = ["nuxt.config.ts", "nuxt.config.js"]
                    .iter()
                    .filter_map(|r| find(r))
                    .collect();
                claim(app, implicit, "page", &mut pages);
            }
        }
    }
    // Generic: a template no other file includes, extends or imports is a page (with the
    // layouts it extends), unless it only extends others' work as a partial would.
    for (i, f) in files.iter().enumerate() {
        if pages.is_page[i]
            || pages.implicit[i]
            || referenced[i]
            || extended[i]
            || f.script
            || !f.markup
        {
            continue;
        }
        if is_partial_path(&f.rel)
            || (eco("rails") && f.rel.starts_with("app/views/"))
            || (eco("hugo") && f.rel.starts_with("layouts/"))
            || (eco("jekyll") && f.rel.starts_with('_'))
        {
            continue;
        }
        claim(i, Vec::new(), "page", &mut pages);
    }
    // Compose each page.
    let mut composed = Vec::new();
    let mut reached = vec![false; files.len()];
    let mut cycles = Vec::new();
    for (entry, kind, implicit) in &pages.list {
        let mut members = Vec::new();
        let mut stack = Vec::new();
        visit(
            *entry,
            Vec::new(),
            &edges,
            &mut members,
            &mut stack,
            &mut cycles,
        );
        for &layout in implicit {
            visit(
                layout,
                Vec::new(),
                &edges,
                &mut members,
                &mut stack,
                &mut cycles,
            );
        }
        for (m, _) in &members {
            reached[*m] = true;
        }
        composed.push((*entry, *kind, members));
    }
    // Files with a loader that no page renders: audited alone, so no install is lost.
    let mut alone = 0;
    for (i, f) in files.iter().enumerate() {
        if reached[i] || f.page.installs.is_empty() {
            continue;
        }
        let mut members = Vec::new();
        let mut stack = Vec::new();
        visit(i, Vec::new(), &edges, &mut members, &mut stack, &mut cycles);
        composed.push((i, "file", members));
        alone += 1;
    }
    if alone > 0 {
        notes.push(format!("{alone} file(s) with a loader are rendered by no page found (kind \"file\"): each is audited alone"));
    }
    for (from, to) in cycles {
        problems.push((
            files[from].page.url.clone(),
            ProblemKind::IncludeCycle,
            format!(
                "includes {}, which includes it back: the cycle is cut there",
                files[to].page.url
            ),
        ));
    }
    let found = composed.len();
    if composed.len() > max_pages {
        let left = composed.len() - max_pages;
        notes.push(format!(
            "{left} more page(s) were not audited (--max-pages {max_pages})"
        ));
        composed.truncate(max_pages);
    }
    Composed {
        pages: composed,
        problems,
        found,
    }
}

/// Add `file` and everything it renders to `members`, with the conditions on the way.
fn visit(
    file: usize,
    conditions: Vec<Condition>,
    edges: &[Vec<Edge>],
    members: &mut Vec<(usize, Vec<Condition>)>,
    stack: &mut Vec<usize>,
    cycles: &mut Vec<(usize, usize)>,
) {
    if members.len() >= MAX_COMPOSED {
        return;
    }
    members.push((file, conditions.clone()));
    stack.push(file);
    for edge in &edges[file] {
        if stack.contains(&edge.to) {
            if !cycles.contains(&(file, edge.to)) {
                cycles.push((file, edge.to));
            }
            continue;
        }
        // A module imported twice runs once; a partial included twice renders twice.
        if edge.kind == IncludeKind::Import && members.iter().any(|(m, _)| *m == edge.to) {
            continue;
        }
        let mut inner = conditions.clone();
        inner.extend(edge.conditions.iter().cloned());
        visit(edge.to, inner, edges, members, stack, cycles);
    }
    stack.pop();
}

/// The pages found, each with the files it gets implicitly (layouts, globals).
struct Entries {
    list: Vec<(usize, &'static str, Vec<usize>)>,
    is_page: Vec<bool>,
    /// Files some page renders implicitly: never pages of their own.
    implicit: Vec<bool>,
}

impl Entries {
    fn new(files: usize) -> Entries {
        Entries {
            list: Vec::new(),
            is_page: vec![false; files],
            implicit: vec![false; files],
        }
    }

    /// Take `entry` as a page (once).
    fn claim(&mut self, entry: usize, implicit: Vec<usize>, kind: &'static str) {
        if std::mem::replace(&mut self.is_page[entry], true) {
            return;
        }
        for &i in &implicit {
            self.implicit[i] = true;
        }
        self.list.push((entry, kind, implicit));
    }
}

/// The name of a file without folders and extensions (`_layouts/default.html` → `default`).
fn stem(rel: &str) -> &str {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.split('.').next().unwrap_or(name)
}

/// Partials by their path: `_x.html.erb`, `partials/`, `includes/`, `components/`.
fn is_partial_path(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.starts_with('_')
        || rel.split('/').any(|d| {
            matches!(
                d,
                "partials"
                    | "_partials"
                    | "includes"
                    | "_includes"
                    | "components"
                    | "snippets"
                    | "shortcodes"
                    | "template-parts"
                    | "layouts"
                    | "_layouts"
                    | "sections"
                    | "blocks"
            )
        })
}

/// Lookups over the repository's paths, built once, so that resolving an include or finding a
/// layout costs a lookup, not a pass over every file.
struct Index<'a> {
    /// Path → file; ordered, for prefixes.
    by_path: BTreeMap<&'a str, usize>,
    /// (folder, name up to its first `.`) → the first such file (`app/views/layouts`,
    /// `application` → `application.html.erb`).
    by_stem: HashMap<(&'a str, &'a str), usize>,
    /// File name → files with that name.
    by_name: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Index<'a> {
    fn new(files: &'a [File]) -> Index<'a> {
        let mut index = Index {
            by_path: BTreeMap::new(),
            by_stem: HashMap::new(),
            by_name: HashMap::new(),
        };
        for (i, f) in files.iter().enumerate() {
            let (dir, name) = f.rel.rsplit_once('/').unwrap_or(("", &f.rel));
            index.by_path.insert(&f.rel, i);
            index.by_stem.entry((dir, stem(name))).or_insert(i);
            index.by_name.entry(name).or_default().push(i);
        }
        index
    }

    fn get(&self, rel: &str) -> Option<usize> {
        self.by_path.get(normalize(rel).as_str()).copied()
    }

    /// The file named `name` (up to its first `.`) directly in folder `dir`.
    fn stem(&self, dir: &str, name: &str) -> Option<usize> {
        self.by_stem.get(&(dir, name)).copied()
    }

    /// The first path (in order) that starts with `prefix`.
    fn prefixed(&self, prefix: &str) -> Option<usize> {
        let prefix = normalize(prefix);
        self.by_path
            .range(prefix.as_str()..)
            .next()
            .filter(|(rel, _)| rel.starts_with(&prefix))
            .map(|(_, i)| *i)
    }

    /// The shortest path that ends with `suffix` at a folder boundary (`templates/base.html`
    /// finds `core/templates/base.html`).
    fn ending(&self, suffix: &str, files: &[File]) -> Option<usize> {
        let suffix = suffix.trim_start_matches('/');
        let name = suffix.rsplit('/').next().unwrap_or(suffix);
        self.by_name
            .get(name)?
            .iter()
            .map(|&i| (files[i].rel.as_str(), i))
            .filter(|(rel, _)| {
                rel.strip_suffix(suffix)
                    .is_some_and(|before| before.is_empty() || before.ends_with('/'))
            })
            .min_by_key(|(rel, _)| (rel.len(), *rel))
            .map(|(_, i)| i)
    }
}

/// Path aliases of the repository's `tsconfig.json`/`jsconfig.json` (`"@/*": ["./src/*"]`).
struct Aliases {
    prefixes: Vec<(String, String)>,
}

impl Aliases {
    fn read(root: &Path) -> Aliases {
        let mut prefixes = Vec::new();
        for config in ["tsconfig.json", "jsconfig.json"] {
            let Ok(text) = std::fs::read_to_string(root.join(config)) else {
                continue;
            };
            static PATH: LazyLock<Regex> = LazyLock::new(|| {
                Regex::new(r#""([^"*]+)\*"\s*:\s*\[\s*"([^"*]*)\*""#).expect("paths pattern")
            });
            for c in PATH.captures_iter(&text) {
                let (Some(from), Some(to)) = (c.get(1), c.get(2)) else {
                    continue;
                };
                let to = to.as_str().trim_start_matches("./").to_owned();
                prefixes.push((from.as_str().to_owned(), to));
            }
        }
        // Framework defaults: Nuxt's `~/`, `@/`; SvelteKit's `$lib`.
        for (from, to) in [
            ("~~/", ""),
            ("~/", ""),
            ("@/", "src/"),
            ("@/", ""),
            ("$lib/", "src/lib/"),
            ("$lib", "src/lib"),
        ] {
            prefixes.push((from.to_owned(), to.to_owned()));
        }
        Aliases { prefixes }
    }
}

/// The file an include names, if it is in the repository.
fn resolve(
    file: &File,
    include: &template::Include,
    index: &Index,
    files: &[File],
    aliases: &Aliases,
) -> Option<usize> {
    let name = include.name.trim();
    if name.is_empty()
        || name.contains("{{")
        || name.contains("<%")
        || name.contains('$') && !name.starts_with("$lib")
    {
        return None;
    }
    let dir = file.rel.rsplit_once('/').map_or("", |(d, _)| d);
    let get = |rel: &str| index.get(rel);
    let first = |candidates: Vec<String>| candidates.iter().find_map(|c| get(c));
    let with_prefix = |prefix: &str| index.prefixed(prefix);
    let ending = |suffix: &str| index.ending(suffix, files);
    let join = |d: &str, n: &str| {
        if d.is_empty() {
            n.to_owned()
        } else {
            format!("{d}/{n}")
        }
    };
    match (include.kind, include.dialect) {
        (IncludeKind::Import, _) => {
            let mut bases = Vec::new();
            if name.starts_with('.') {
                bases.push(join(dir, name));
            } else if let Some(rooted) = name.strip_prefix('/') {
                for d in ["", "src/", "static/", "assets/", "app/"] {
                    bases.push(format!("{d}{rooted}"));
                }
            } else {
                for (from, to) in &aliases.prefixes {
                    if let Some(rest) = name.strip_prefix(from.as_str()) {
                        bases.push(format!("{to}{rest}"));
                    }
                }
            }
            for base in bases {
                if let Some(i) = get(&base) {
                    return Some(i);
                }
                for ext in [
                    ".ts",
                    ".tsx",
                    ".js",
                    ".jsx",
                    ".mjs",
                    ".vue",
                    ".svelte",
                    ".astro",
                    "/index.ts",
                    "/index.tsx",
                    "/index.js",
                    "/index.jsx",
                ] {
                    if let Some(i) = get(&format!("{base}{ext}")) {
                        return Some(i);
                    }
                }
            }
            None
        }
        (_, Dialect::Erb) => {
            let (d, base) = name.rsplit_once('/').map_or(("", name), |(d, b)| (d, b));
            let base = base.trim_start_matches('_');
            if d.is_empty() {
                with_prefix(&format!("{dir}/_{base}."))
            } else {
                with_prefix(&format!("app/views/{d}/_{base}."))
                    .or_else(|| ending(&format!("/{d}/_{base}.html.erb")))
            }
        }
        (_, Dialect::Liquid) => {
            if let Some(rel) = name.strip_prefix("./") {
                return get(&join(dir, rel));
            }
            first(vec![
                format!("_includes/{name}"),
                format!("snippets/{name}.liquid"),
                format!("sections/{name}.liquid"),
                format!("_layouts/{name}"),
            ])
            .or_else(|| ending(&format!("_includes/{name}")))
        }
        (_, Dialect::Blade) => {
            let path = name.replace('.', "/");
            first(vec![
                format!("resources/views/{path}.blade.php"),
                format!("resources/views/components/{path}.blade.php"),
            ])
            .or_else(|| ending(&format!("views/{path}.blade.php")))
        }
        (_, Dialect::Go) => {
            let name = if name.contains('.') {
                name.to_owned()
            } else {
                format!("{name}.html")
            };
            first(vec![
                format!("layouts/partials/{name}"),
                format!("layouts/_partials/{name}"),
                format!("layouts/{name}"),
            ])
            .or_else(|| ending(&format!("layouts/partials/{name}")))
        }
        (_, Dialect::Handlebars) => {
            ["hbs", "handlebars", "mustache", "html"]
                .iter()
                .find_map(|ext| {
                    first(vec![
                        join(dir, &format!("{name}.{ext}")),
                        format!("views/partials/{name}.{ext}"),
                        format!("partials/{name}.{ext}"),
                    ])
                    .or_else(|| ending(&format!("/{name}.{ext}")))
                })
        }
        (_, Dialect::Php | Dialect::Jsp) => {
            let rel = name.trim_start_matches("./");
            if name.starts_with('/') {
                return first(vec![
                    rel.trim_start_matches('/').to_owned(),
                    format!("src/main/webapp{name}"),
                ])
                .or_else(|| ending(name));
            }
            first(vec![join(dir, rel), rel.to_owned()]).or_else(|| ending(&format!("/{rel}")))
        }
        _ => {
            // Jinja, Django, Twig, Nunjucks: template folders, then the including file's folder.
            let rel = name.trim_start_matches("./");
            first(vec![
                join(dir, rel),
                format!("templates/{rel}"),
                format!("_includes/{rel}"),
                rel.to_owned(),
            ])
            .or_else(|| ending(&format!("templates/{rel}")))
            .or_else(|| ending(&format!("/{rel}")))
        }
    }
}

/// `a/./b/../c` → `a/c`.
fn normalize(rel: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// The folders (relative to the root, `""` for the root) of the Capacitor and Cordova apps found:
/// their web code runs in the app's web view.
fn web_view_dirs(apps: &[crate::model::App], display: &str) -> Vec<String> {
    apps.iter()
        .filter(|a| matches!(a.platform.as_str(), "capacitor" | "cordova"))
        .map(|a| {
            if display.is_empty() || display == "." || a.path == display {
                if a.path == display || a.path == "." {
                    String::new()
                } else {
                    a.path.clone()
                }
            } else {
                a.path
                    .strip_prefix(&format!("{display}/"))
                    .unwrap_or(&a.path)
                    .to_owned()
            }
        })
        .collect()
}
