//! Auditing one page: fetch, decode, scan its scripts (inline, and the site's own files), then
//! follow what it loads.

use super::*;

impl Ctx {
    /// Audit one page; in a crawl, its links go to the crawl's `frontier` (to be followed when
    /// `follow`, counted otherwise).
    pub(super) fn audit(
        &self,
        site: &Site,
        url: &Url,
        depth: u32,
        links: Option<(&Frontier, bool)>,
    ) -> Audited {
        let mut response = match self.fetch_page(site, url, depth) {
            Ok(response) => response,
            Err(e) => return self.unread(site, url, depth, &e),
        };
        let display = site.display(url);
        let mut page = Page::new(display.clone(), site.name().to_owned(), depth);
        page.status = response.status;
        page.redirects = response.redirects.clone();
        let ct = response.content_type.as_deref();
        if let Some(cut) = &response.incomplete {
            // What arrived is audited; the page says it is not all there.
            page.incomplete = true;
            self.problem(&display, cut.kind, cut.message.clone());
        }
        if response.truncated {
            page.truncated = true;
            let cap = self.opts.fetch.max_body;
            self.problem(
                &display,
                ProblemKind::Truncated,
                format!("body larger than {cap} bytes: only the first {cap} were audited"),
            );
        }
        if !decode::is_html(ct, &response.body) {
            let message = format!(
                "not an HTML page (Content-Type: {}): not parsed",
                ct.unwrap_or("none")
            );
            page.error = Some(message.clone());
            self.problem(&display, ProblemKind::NotHtml, message);
            return Audited {
                page,
                links: Links::default(),
            };
        }
        // The body becomes the text, not a copy of it: a page is held once.
        let body = std::mem::take(&mut response.body);
        let text = match decode::decode_owned(body, ct) {
            Body::Binary => {
                let message = "the body is binary, not HTML: not parsed".to_owned();
                page.error = Some(message.clone());
                self.problem(&display, ProblemKind::Binary, message);
                return Audited {
                    page,
                    links: Links::default(),
                };
            }
            Body::Text { text, note } => {
                if let Some(note) = note {
                    self.problem(&display, ProblemKind::Encoding, note);
                }
                text
            }
        };
        // Links resolve against the page's final URL (after redirects), as in a browser.
        let here = response
            .redirects
            .last()
            .and_then(|u| Url::parse(u).ok())
            .unwrap_or_else(|| url.clone());
        // Only a crawl's start page decides whether the site is behind a sign-in (a folder's
        // pages are all at depth 0).
        if depth == 0 && matches!(site, Site::Web { .. }) {
            page.sign_in = auth::has_password_field(&text);
        }
        page.csp.extend(response.csp.iter().map(|p| Csp {
            source: "header".into(),
            policy: p.clone(),
        }));
        self.read_page(site, &here, page, &text, links, false)
    }

    /// Audit a page's text: its scripts, the site's own script files it loads (unless `source`:
    /// a repository's files are read on their own, not as URLs), what they load, and its links
    /// when crawling.
    pub(super) fn read_page(
        &self,
        site: &Site,
        here: &Url,
        mut page: Page,
        text: &str,
        links: Option<(&Frontier, bool)>,
        source: bool,
    ) -> Audited {
        let display = page.url.clone();
        let mut found = Links::on(site.name());
        // Links stream from the scanner to the frontier, resolved against the page's URL, unless
        // a `<base href>` (which can come after a link) changes what they resolve against.
        let streaming = links.filter(|_| !has_base(text));
        let doc = match streaming {
            Some((frontier, follow)) => html::parse_streaming(text, &mut |href| {
                self.link(site, here, href, frontier, follow, &mut found);
            }),
            None => html::parse(text),
        };
        let base = doc
            .base_href
            .as_deref()
            .and_then(|b| site.resolve(here, b))
            .unwrap_or_else(|| here.clone());
        if let (Some((frontier, follow)), None) = (links, streaming) {
            for href in &doc.links {
                self.link(site, &base, href, frontier, follow, &mut found);
            }
        }
        found.seal();
        page.privacy = doc.privacy.clone();
        page.suppressions = crate::extract::suppress::parse(text);
        page.csp.extend(doc.meta_csp.iter().map(|p| Csp {
            source: "meta".into(),
            policy: p.clone(),
        }));

        let lines = Lines::new(text);
        let mut scan = Scan::default();
        let mut modules_seen: Vec<Url> = Vec::new();
        for script in doc
            .scripts
            .iter()
            .filter(|s| s.kind == ScriptKind::Code && !s.in_noscript && !s.nomodule)
        {
            let origin = Origin {
                source: &display,
                lines: Some(&lines),
                offset: script.offset,
                tag: None,
            };
            let mut found = Scan::default();
            match script.src.as_deref().map(|src| site.resolve(&base, src)) {
                Some(Some(src)) => {
                    if script.module {
                        if modules_seen.contains(&src) {
                            continue;
                        }
                        modules_seen.push(src.clone());
                    }
                    found.extend(detect::scan_src(self.sigs, src.as_str(), &origin));
                    if site.contains(&src) && !source {
                        found.extend((*self.first_party_script(site, &src)).clone());
                    }
                }
                Some(None) => {}
                None => {
                    let kind = if script.module {
                        js::Kind::Module
                    } else {
                        js::Kind::Classic
                    };
                    found.extend(detect::scan_script(self.sigs, &script.code, kind, &origin));
                }
            }
            // A script a consent manager holds back: whatever it loads waits for consent.
            if let Some(blocked) = &script.blocked {
                for install in found
                    .installs
                    .iter_mut()
                    .chain(&mut found.segment_candidates)
                {
                    install.gate.get_or_insert_with(|| Gate {
                        kind: "consent".into(),
                        manager: blocked.manager.map(str::to_owned),
                        category: blocked.category.clone(),
                        condition: blocked.condition.clone(),
                    });
                }
            }
            scan.extend(found);
        }
        self.link_scripts(&doc, &display, &lines, &mut scan);
        for (src, offset, _) in &doc.iframes {
            let Some(src) = site.resolve(&base, src) else {
                continue;
            };
            let origin = Origin {
                source: &display,
                lines: Some(&lines),
                offset: *offset,
                tag: None,
            };
            scan.installs.extend(
                detect::scan_iframe(self.sigs, src.as_str(), &origin)
                    .into_iter()
                    .map(inventory::noscript_only),
            );
        }
        self.finish(scan, &mut page);
        Audited { page, links: found }
    }

    /// One link of a crawled page: resolved, normalised, kept if the crawl could follow it (on
    /// the site, not an asset, not excluded). Once the crawl can queue no more and the count of
    /// what it left out is full, links are not even resolved.
    fn link(
        &self,
        site: &Site,
        base: &Url,
        href: &str,
        frontier: &Frontier,
        follow: bool,
        found: &mut Links,
    ) {
        if (!follow || frontier.is_full()) && frontier.beyond.saturated() {
            return;
        }
        let Some(url) = site.resolve(base, href) else {
            return;
        };
        if !matches!(url.scheme(), "http" | "https" | "file") {
            return;
        }
        let url = site::normalize(url);
        if site.contains(&url) && self.wanted(&url) {
            frontier.found(found, &url, follow);
        }
    }

    /// Follow what a page's loaders load (tag manager containers, Segment settings) and put
    /// the result on the page.
    pub(super) fn finish(&self, mut scan: Scan, page: &mut Page) {
        inventory::merge_tag_managers(&mut scan.installs);
        self.follow_tag_managers(&mut scan);
        self.follow_segment(&mut scan);
        // `analytics.*` calls are Segment calls only where Segment is loaded (clones share the API).
        if scan.installs.iter().any(|i| i.vendor == Vendor::Segment) {
            page.segment_calls = scan.calls;
            page.segment_calls.shrink_to_fit();
        }
        page.installs = scan.installs;
        // Kept for the whole run, page after page: without the room left by merging and growth.
        page.installs.shrink_to_fit();
    }

    /// What one script says about another's: calls through a renamed Segment global in the
    /// page's other scripts, and the write key Segment's consent manager is configured with for a
    /// snippet that leaves `analytics.load` to it.
    fn link_scripts(
        &self,
        doc: &html::Document,
        display: &str,
        lines: &Lines<'_>,
        scan: &mut Scan,
    ) {
        let globals = std::mem::take(&mut scan.globals);
        for global in &globals {
            for script in doc
                .scripts
                .iter()
                .filter(|s| s.kind == ScriptKind::Code && s.src.is_none() && !s.in_noscript)
            {
                let origin = Origin {
                    source: display,
                    lines: Some(lines),
                    offset: script.offset,
                    tag: None,
                };
                scan.calls.extend(detect::segment_calls_through(
                    self.sigs,
                    &script.code,
                    global,
                    &origin,
                ));
            }
        }
        for (key, evidence) in std::mem::take(&mut scan.consent_manager) {
            let waiting = scan.installs.iter_mut().find(|i| {
                i.vendor == Vendor::Segment
                    && i.id.is_none()
                    && i.id_from.is_none()
                    && i.placeholder.is_none()
            });
            let install = match waiting {
                Some(install) => install,
                None => {
                    scan.installs
                        .push(Install::new(Vendor::Segment, None, Via::Native, evidence));
                    let Some(last) = scan.installs.last_mut() else {
                        continue;
                    };
                    last.cdn = Some("https://cdn.segment.com".into());
                    last
                }
            };
            install.id = Some(key);
            install.gate = Some(Gate {
                kind: "consent".into(),
                manager: Some("segment-consent-manager".into()),
                category: None,
                condition: "window.consentManagerConfig".into(),
            });
        }
    }

    /// A page that could not be read: listed with its error, which is a problem too.
    pub(super) fn unread(&self, site: &Site, url: &Url, depth: u32, e: &FetchError) -> Audited {
        let display = site.display(url);
        let mut page = Page::new(display.clone(), site.name().to_owned(), depth);
        page.status = e.status;
        page.error = Some(e.message.clone());
        self.problem(&display, e.kind, e.message.clone());
        Audited {
            page,
            links: Links::default(),
        }
    }

    fn first_party_script(&self, site: &Site, url: &Url) -> std::sync::Arc<Scan> {
        self.scripts.get_or(url.as_str(), || {
            let display = site.display(url);
            let Some(text) = self.fetch_text(url.as_str(), &display) else {
                return Scan::default();
            };
            detect::scan_code(
                self.sigs,
                &text,
                &Origin {
                    source: &display,
                    lines: Some(&Lines::new(&text)),
                    offset: 0,
                    tag: None,
                },
            )
        })
    }

    /// Fetch a URL as text, recording any failure as a problem under `display`.
    pub(super) fn fetch_text(&self, url: &str, display: &str) -> Option<String> {
        let fetched = self.fetcher.get(url);
        let response = match &fetched {
            Ok(r) => r,
            Err(e) => {
                self.problem(display, e.kind, e.message.clone());
                return None;
            }
        };
        if let Some(cut) = &response.incomplete {
            // A script, container or settings file cut short is not read: half a JSON document
            // or half a script says nothing reliable.
            self.problem(display, cut.kind, cut.message.clone());
            return None;
        }
        if response.truncated {
            let cap = self.opts.fetch.max_body;
            self.problem(
                display,
                ProblemKind::Truncated,
                format!("body larger than {cap} bytes: only the first {cap} were scanned"),
            );
        }
        match decode::decode(&response.body, response.content_type.as_deref()) {
            Body::Text { text, .. } => Some(text),
            Body::Binary => {
                self.problem(
                    display,
                    ProblemKind::Binary,
                    "the body is binary, not text: not scanned",
                );
                None
            }
        }
    }
}

/// Whether a page has a `<base>` element (ASCII case-insensitive; a false positive only costs
/// the streaming of its links).
fn has_base(text: &str) -> bool {
    static BASE: std::sync::LazyLock<Regex> =
        std::sync::LazyLock::new(|| Regex::new(r"(?i)<base[\s/>]").expect("base pattern"));
    BASE.is_match(text)
}
