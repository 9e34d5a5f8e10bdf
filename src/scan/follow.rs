//! Following what a page loads: tag manager containers and libraries, and Segment settings.

use super::*;

impl Ctx {
    /// Scan every active tag manager's container or library, add what it loads, and record on
    /// the tag manager install whether it could be read (`library`: fetched, offline, error).
    pub(super) fn follow_tag_managers(&self, scan: &mut Scan) {
        let mut found = Scan::default();
        for manager in scan
            .installs
            .iter_mut()
            .filter(|i| i.active && i.vendor.is_tag_manager())
        {
            let Some(url) = self.library_url(manager) else {
                manager.library = Some("unavailable".into());
                continue;
            };
            if self.offline(&url) {
                let kind = if manager.vendor == Vendor::Gtm {
                    "gtm-container"
                } else {
                    "tag-manager-library"
                };
                self.unverified(
                    kind,
                    &url,
                    "--offline: not fetched, so what it loads is unknown",
                );
                manager.library = Some("offline".into());
                continue;
            }
            let vendor = manager.vendor;
            let what = || match (vendor, manager.id.as_deref()) {
                (Vendor::Gtm, Some(id)) => format!("the GTM container {id}"),
                _ => format!("the {} library", vendor.as_str()),
            };
            let followed = self.followed.get_or(&url, || {
                self.following(&url, what, || self.scan_library(&url, vendor))
            });
            let Some(loaded) = followed.as_ref() else {
                manager.library = Some("error".into());
                continue;
            };
            manager.library = Some("fetched".into());
            let mut loaded = loaded.clone();
            inventory::through_tag_manager(&mut loaded.installs, manager);
            inventory::through_tag_manager(&mut loaded.segment_candidates, manager);
            found.extend(loaded);
        }
        scan.extend(found);
    }

    fn library_url(&self, manager: &Install) -> Option<String> {
        if manager.vendor != Vendor::Gtm {
            return manager
                .options
                .get("url")
                .and_then(|u| u.as_str())
                .map(str::to_owned);
        }
        let id = manager.id.as_deref()?;
        let host = manager
            .options
            .get("host")
            .and_then(|h| h.as_str())
            .or(self.sigs.gtm.default_host.as_deref())?;
        let mut url = self
            .sigs
            .gtm
            .follow
            .as_deref()?
            .replace("{host}", host)
            .replace("{id}", id);
        let param = |k: &str| manager.options.get(k).and_then(|v| v.as_str());
        if let Some(auth) = param("gtm_auth") {
            url.push_str(&format!("&gtm_auth={auth}"));
            if let Some(preview) = param("gtm_preview") {
                url.push_str(&format!("&gtm_preview={preview}"));
            }
            url.push_str("&gtm_cookies_win=x");
        }
        Some(url)
    }

    /// What a container or library loads; `None` when it could not be fetched or read (the
    /// problem is recorded).
    fn scan_library(&self, url: &str, vendor: Vendor) -> Option<Scan> {
        let text = self.fetch_text(url, url)?;
        if vendor != Vendor::Gtm {
            let mut scan = self.scan_script_text(url, &text);
            if vendor == Vendor::Tealium {
                scan.extend(self.tealium_tags(url, &text));
            }
            return Some(scan);
        }
        let container = match gtm::parse_container(&text) {
            Ok(c) => c,
            Err(e) => {
                self.problem(
                    url,
                    ProblemKind::UnparsableContainer,
                    format!("cannot read the GTM container: {e}"),
                );
                return None;
            }
        };
        let mut scan = Scan::default();
        for tag in &container.html_tags {
            let label = tag.tag_id.as_ref().map(|id| format!("tag {id}"));
            let origin = Origin {
                source: url,
                lines: None,
                offset: 0,
                tag: label.as_deref(),
            };
            let doc = html::parse(&tag.html);
            for script in doc.scripts.iter().filter(|s| s.kind == ScriptKind::Code) {
                match script.src.as_deref() {
                    Some(src) => scan.extend(detect::scan_src(self.sigs, src, &origin)),
                    None => scan.extend(detect::scan_code(self.sigs, &script.code, &origin)),
                }
            }
        }
        for template in &container.templates {
            scan.extend(self.template_scan(url, template));
        }
        Some(scan)
    }

    fn scan_script_text(&self, url: &str, text: &str) -> Scan {
        let lines = Lines::new(text);
        let origin = Origin {
            source: url,
            lines: Some(&lines),
            offset: 0,
            tag: None,
        };
        detect::scan_code(self.sigs, text, &origin)
    }

    /// The tag files `utag.js` loads (`utag.<N>.js` beside it, listed in `utag.loader.cfg`).
    fn tealium_tags(&self, utag_url: &str, text: &str) -> Scan {
        const MAX_TAGS: usize = 100;
        let mut scan = Scan::default();
        let (Some(template), Ok(base)) =
            (self.sigs.tealium.follow.as_deref(), Url::parse(utag_url))
        else {
            return scan;
        };
        let mut ids: Vec<String> = self
            .sigs
            .tealium
            .captures("tag_id")
            .flat_map(|p| p.regex.captures_iter(text))
            .filter(|c| {
                !c.name("cfg").is_some_and(|cfg| {
                    cfg.as_str().contains("bundled:1") || cfg.as_str().contains("bundled:!0")
                })
            })
            .filter_map(|c| c.name("value").map(|m| m.as_str().to_owned()))
            .collect();
        ids.dedup();
        for id in ids.into_iter().take(MAX_TAGS) {
            let Ok(tag_url) = base.join(&template.replace("{id}", &id)) else {
                continue;
            };
            if let Some(tag_text) = self.fetch_text(tag_url.as_str(), tag_url.as_str()) {
                scan.extend(self.scan_script_text(tag_url.as_str(), &tag_text));
            }
        }
        scan
    }

    /// A custom template allowed to inject a Heap or Segment script (`inject_script` permission).
    fn template_scan(&self, url: &str, template: &gtm::TemplateScript) -> Scan {
        let label = match &template.tag_id {
            Some(id) => format!("{} (tag {id})", template.template),
            None => template.template.clone(),
        };
        let origin = Origin {
            source: url,
            lines: None,
            offset: 0,
            tag: Some(&label),
        };
        // The template's id parameter (appId, writeKey, ...) fills the URL's wildcard; without
        // one, a stand-in finds the vendor and the id stays unknown.
        let id_param = template
            .params
            .iter()
            .find(|(name, _)| is_id_param(name))
            .map(|(_, v)| v.as_str());
        for (value, is_id) in id_param
            .map(|v| (v, true))
            .into_iter()
            .chain([("0", false)])
        {
            let mut scan = detect::scan_src(self.sigs, &template.url.replace('*', value), &origin);
            if scan.installs.is_empty() && scan.segment_candidates.is_empty() {
                continue;
            }
            for install in scan
                .installs
                .iter_mut()
                .chain(scan.segment_candidates.iter_mut())
            {
                install.evidence.signature = "gtm-template-inject-script".into();
                install.evidence.snippet = format!(
                    "custom template {} may inject {}",
                    template.template, template.url
                );
                if !is_id {
                    install.id = None;
                }
            }
            return scan;
        }
        Scan::default()
    }

    /// Read each Segment install's settings, confirm candidates, and add the Heap it loads.
    pub(super) fn follow_segment(&self, scan: &mut Scan) {
        let mut heap = Vec::new();
        let first_snippet = inventory::first_segment_snippet(&scan.installs);
        for segment in scan
            .installs
            .iter_mut()
            .filter(|i| i.vendor == Vendor::Segment)
        {
            if let Some(settings) = self.segment_settings(segment) {
                segment.api_host = settings.api_host.clone();
                let mut destinations = inventory::heap_from_settings(
                    segment,
                    &settings,
                    &inventory::settings_url(segment),
                );
                if let Some(first) = first_snippet
                    .as_ref()
                    .filter(|f| inventory::snippet_shadowed(segment, f))
                {
                    inventory::shadow(&mut destinations, first);
                }
                heap.extend(destinations);
            }
        }
        for mut candidate in std::mem::take(&mut scan.segment_candidates) {
            let Some(settings) = self.segment_settings(&mut candidate) else {
                // Never silent: a Segment-shaped snippet we could not confirm or rule out.
                let host = candidate.cdn.clone().unwrap_or_default();
                let state = candidate.settings.clone().unwrap_or_default();
                self.unverified(
                    "segment-candidate",
                    &candidate.evidence.source,
                    format!(
                        "a Segment-like snippet (write key {}) loads from {host}, whose settings could not be read ({state}): whether it is Segment, and loads Heap, is unknown",
                        candidate.id.as_deref().unwrap_or("unreadable")
                    ),
                );
                continue;
            };
            if settings.has_segment_io {
                candidate.api_host = settings.api_host.clone();
                heap.extend(inventory::heap_from_settings(
                    &candidate,
                    &settings,
                    &inventory::settings_url(&candidate),
                ));
                scan.installs.push(candidate);
            }
        }
        // Two snippets of one write key on a page read the same settings: one destination.
        for install in heap {
            let same = |i: &Install| {
                i.via == Via::Segment
                    && i.write_key == install.write_key
                    && i.destination == install.destination
                    && i.id == install.id
            };
            if !scan.installs.iter().any(same) {
                scan.installs.push(install);
            }
        }
    }

    /// The settings of a Segment install, recording in `install.settings` what became of them.
    fn segment_settings(&self, install: &mut Install) -> Option<Settings> {
        if install.settings.as_deref() == Some("embedded") {
            self.unverified(
                "segment-settings",
                &install.evidence.source,
                "settings are embedded in the bundle (cdnSettings): not read",
            );
            return None;
        }
        let url = inventory::settings_url(install);
        if install.id.is_none() {
            install.settings = Some("unavailable".into());
            // A placeholder is never fetched, and placeholder-id says why.
            let reason = match (&install.placeholder, &install.id_from) {
                (Some(_), _) => return None,
                (None, Some(from)) => format!(
                    "the write key comes from {from}, outside the code, so Segment's settings were not fetched"
                ),
                (None, None) => {
                    "the write key could not be read, so Segment's settings were not fetched".into()
                }
            };
            self.unverified("segment-settings", &install.evidence.source, &reason);
            return None;
        }
        if self.offline(&url) {
            install.settings = Some("offline".into());
            self.unverified(
                "segment-settings",
                &url,
                "--offline: not fetched, so whether Segment loads Heap is unknown",
            );
            return None;
        }
        let what = || {
            format!(
                "the Segment settings of write key {}",
                install.id.as_deref().unwrap_or("unreadable")
            )
        };
        let settings = self.settings.get_or(&url, || {
            let text = self.following(&url, what, || self.fetch_text(&url, &url))?;
            match segment_settings::parse_settings(&text) {
                Ok(s) => Some(s),
                Err(e) => {
                    self.problem(
                        &url,
                        ProblemKind::InvalidSettings,
                        format!("cannot read Segment settings: {e}"),
                    );
                    None
                }
            }
        });
        install.settings = Some(
            if settings.is_some() {
                "fetched"
            } else {
                "error"
            }
            .into(),
        );
        (*settings).clone()
    }
}

/// Template parameters that hold a Heap app id or a Segment write key.
fn is_id_param(name: &str) -> bool {
    let name: String = name
        .chars()
        .filter(|c| *c != '_')
        .collect::<String>()
        .to_ascii_lowercase();
    matches!(
        name.as_str(),
        "appid"
            | "envid"
            | "heapappid"
            | "heapenvid"
            | "environmentid"
            | "writekey"
            | "apikey"
            | "segmentwritekey"
            | "sourcekey"
    )
}
