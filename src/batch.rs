//! Batch audits for support teams: a list of sites (`--targets-from`), each audited as its own site
//! with its own report, several at once, handed back one by one as each completes.
//!
//! **Concurrency.** At most `sites_at_once` sites run together (never more than `--concurrency`),
//! and the page workers are shared out: each site gets `max(1, concurrency / sites)` of them, so
//! the total number of pages fetched at once stays within `--concurrency`.
//!
//! **Sharding.** `--shard INDEX/COUNT` keeps the targets whose stable hash (64-bit FNV-1a of the
//! normalised target) modulo COUNT is INDEX. A hash, not the line number, so that adding or
//! removing a line never moves the other sites to another shard; the split is the same on every
//! machine and every release. INDEX is 0-based, like Kubernetes' `JOB_COMPLETION_INDEX`.

use std::io::{self, BufRead};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use url::Url;

use crate::audit::{self, AuditError, Settings};
use crate::model::{Report, Severity};

/// The targets of a list: one per line, surrounding blanks trimmed, blank lines and `#` comments
/// skipped, duplicates (after [`normalise`]) dropped.
pub fn read_targets(input: impl BufRead) -> io::Result<Vec<String>> {
    let mut targets = Vec::new();
    for line in input.lines() {
        let line = line?;
        let target = line.trim();
        if target.is_empty() || target.starts_with('#') {
            continue;
        }
        targets.push(target.to_owned());
    }
    Ok(dedup(targets))
}

/// The targets without their duplicates (after [`normalise`]), the first of each kept.
pub fn dedup(mut targets: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    targets.retain(|target| seen.insert(normalise(target)));
    targets
}

/// The form of a target that sharding and de-duplication compare: a URL as the `url` crate writes
/// it (lower-case scheme and host, default port dropped, `/` for an empty path); a path without
/// trailing slashes.
pub fn normalise(target: &str) -> String {
    let target = target.trim();
    match Url::parse(target) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => url.to_string(),
        _ if target.len() > 1 => target.trim_end_matches('/').to_owned(),
        _ => target.to_owned(),
    }
}

/// One part of a target list: `INDEX/COUNT`, INDEX counted from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = |why: &str| format!("'{s}' is not a shard: {why}");
        let (index, count) = s
            .split_once('/')
            .ok_or_else(|| bad("expected INDEX/COUNT, e.g. 0/4"))?;
        let index: u64 = index
            .trim()
            .parse()
            .map_err(|_| bad("INDEX must be a whole number from 0"))?;
        let count: u64 = count
            .trim()
            .parse()
            .map_err(|_| bad("COUNT must be a whole number from 1"))?;
        if count == 0 {
            return Err(bad("COUNT must be at least 1"));
        }
        if index >= count {
            return Err(bad(&format!(
                "INDEX counts from 0, so it must be below COUNT ({count})"
            )));
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Whether `target` belongs to this shard.
    pub fn contains(&self, target: &str) -> bool {
        fnv1a(normalise(target).as_bytes()) % self.count == self.index
    }
}

/// 64-bit FNV-1a: tiny, and unlike `std`'s hasher, the same on every platform and release.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// How many sites run at once, and how many page workers each gets.
pub fn plan(sites: usize, sites_at_once: usize, concurrency: usize) -> (usize, usize) {
    let concurrency = concurrency.max(1);
    let at_once = sites_at_once.clamp(1, concurrency).min(sites.max(1));
    (at_once, (concurrency / at_once).max(1))
}

/// One site's finished audit.
#[derive(Debug, Clone)]
pub struct Site {
    /// Position of the target in the list.
    pub index: usize,
    pub target: String,
    pub report: Report,
    /// Why the site could not be audited at all (it is also among the report's problems).
    pub error: Option<String>,
}

/// Audit every target as its own site, `sites_at_once` at a time, calling `done` with each site
/// as soon as it completes (on the calling thread, in completion order). When `done` fails (a
/// closed pipe), no further site is started and the error is returned.
pub fn run(
    targets: &[String],
    settings: &Settings,
    sites_at_once: usize,
    mut done: impl FnMut(Site) -> io::Result<()>,
) -> Result<(), BatchError> {
    let (at_once, per_site) = plan(targets.len(), sites_at_once, settings.scan.concurrency);
    let mut site_settings = settings.clone();
    site_settings.scan.concurrency = per_site;
    if let Some(observer) = &settings.scan.observer {
        observer.sites(targets.len());
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (send, receive) = mpsc::channel::<Result<Site, AuditError>>();
    std::thread::scope(|scope| {
        for _ in 0..at_once {
            let send = send.clone();
            let (next, stop, settings) = (&next, &stop, &site_settings);
            scope.spawn(move || {
                // After a stop (a signal, --max-time), the site in progress ends as a single run
                // does (each phase is cut within a moment, see `audit`), and each remaining site
                // still gets its report: at once, with the `interrupted` problem that says it was
                // not audited.
                while !stop.load(Ordering::Relaxed) {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(target) = targets.get(index) else {
                        break;
                    };
                    let site = audit_one(index, target, settings);
                    if send.send(site).is_err() {
                        break;
                    }
                }
            });
        }
        drop(send);
        let mut result = Ok(());
        for site in receive {
            if result.is_err() {
                continue; // draining: the workers stop after their current site
            }
            if let Some(observer) = &settings.scan.observer {
                observer.site_done();
            }
            result = match site {
                Ok(site) => done(site).map_err(BatchError::Output),
                Err(e) => Err(BatchError::Audit(e)),
            };
            if result.is_err() {
                stop.store(true, Ordering::Relaxed);
            }
        }
        result
    })
}

/// Why a batch stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("writing the report: {0}")]
    Output(#[source] io::Error),
}

fn audit_one(index: usize, target: &str, settings: &Settings) -> Result<Site, AuditError> {
    let audit = audit::site(&[target.to_owned()], settings)?;
    let report = audit.report;
    let error = (!audit.fatal.is_empty()).then(|| audit.fatal.join("; "));
    Ok(Site {
        index,
        target: target.to_owned(),
        report,
        error,
    })
}

/// One line of the closing table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub site: String,
    pub pages: usize,
    /// Active installs by vendor, e.g. `heap 5, segment 5`; `-` when none.
    pub installs: String,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// `segment`, `native`, or `-`.
    pub path: String,
    /// `ok`, `ok, 2 pages failed`, or the reason the site could not be audited.
    pub status: String,
    /// Whether the site could be audited at all.
    pub audited: bool,
}

impl Row {
    pub fn of(site: &Site) -> Row {
        let report = &site.report;
        let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
        let installs: Vec<String> = report
            .summary
            .installs
            .iter()
            .map(|(vendor, n)| format!("{vendor} {n}"))
            .collect();
        let failed = report.summary.pages_with_errors;
        let status = match (&site.error, failed) {
            (Some(error), _) => format!("error: {error}"),
            (None, 0) => "ok".to_owned(),
            (None, 1) => "ok, 1 page failed".to_owned(),
            (None, n) => format!("ok, {n} pages failed"),
        };
        Row {
            site: site.target.clone(),
            pages: report.summary.pages,
            installs: if installs.is_empty() {
                "-".to_owned()
            } else {
                installs.join(", ")
            },
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            path: report
                .recommendation
                .as_ref()
                .map_or("-".to_owned(), |r| r.install_path.clone()),
            status,
            audited: site.error.is_none(),
        }
    }

    /// The highest severity among the site's findings.
    pub fn worst(&self) -> Option<Severity> {
        [
            (self.errors, Severity::Error),
            (self.warnings, Severity::Warning),
            (self.infos, Severity::Info),
        ]
        .into_iter()
        .find_map(|(n, s)| (n > 0).then_some(s))
    }
}

/// The one-line-per-site table that ends a batch in the human format, columns aligned.
pub fn table(rows: &[Row]) -> String {
    let header = [
        "SITE", "PAGES", "INSTALLS", "ERRORS", "WARNINGS", "INFO", "PATH", "STATUS",
    ]
    .map(str::to_owned);
    let lines: Vec<[String; 8]> = std::iter::once(header)
        .chain(rows.iter().map(|r| {
            [
                r.site.clone(),
                r.pages.to_string(),
                r.installs.clone(),
                r.errors.to_string(),
                r.warnings.to_string(),
                r.infos.to_string(),
                r.path.clone(),
                r.status.clone(),
            ]
        }))
        .collect();
    let mut widths = [0; 8];
    for line in &lines {
        for (w, cell) in widths.iter_mut().zip(line) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for line in &lines {
        let cells: Vec<String> = line
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (cell, w))| match i {
                7 => cell.clone(), // the last column is not padded
                1 | 3..=5 => format!("{cell:>w$}"),
                _ => format!("{cell:<w$}"),
            })
            .collect();
        out.push_str(&cells.join("  "));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_skip_blanks_comments_and_repeats() {
        let text = "# customers\nhttps://a.example/\n\n  https://B.example  \nhttps://A.example\n# done\ndist/\n";
        let targets = read_targets(text.as_bytes()).unwrap();
        assert_eq!(
            targets,
            vec!["https://a.example/", "https://B.example", "dist/"]
        );
    }

    #[test]
    fn shards_parse_and_name_bad_values() {
        assert_eq!("1/3".parse(), Ok(Shard { index: 1, count: 3 }));
        assert_eq!("0/1".parse(), Ok(Shard { index: 0, count: 1 }));
        for bad in ["3/2", "2/2", "x", "1/0", "-1/2", "a/b", "1"] {
            let err = bad.parse::<Shard>().unwrap_err();
            assert!(err.contains(&format!("'{bad}'")), "{bad}: {err}");
        }
    }

    #[test]
    fn shards_partition_the_list_stably() {
        let targets: Vec<String> = (0..200)
            .map(|i| format!("https://site{i}.example/"))
            .collect();
        let count = 4;
        let mut seen = vec![0; targets.len()];
        for index in 0..count {
            let shard = Shard { index, count };
            let mine: Vec<_> = targets.iter().filter(|t| shard.contains(t)).collect();
            assert!(mine.len() > 20, "a shard of 200 over 4 is not near empty");
            for (i, t) in targets.iter().enumerate() {
                if shard.contains(t) {
                    seen[i] += 1;
                }
            }
        }
        assert!(
            seen.iter().all(|&n| n == 1),
            "every target in exactly one shard"
        );
        // The same target lands in the same shard however it is written.
        let shard_of = |t: &str| (0..count).find(|&i| Shard { index: i, count }.contains(t));
        assert_eq!(
            shard_of("https://SITE7.example"),
            shard_of("https://site7.example/")
        );
        // Fixed values: the split must not change between releases or machines.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn page_workers_are_shared_within_the_limit() {
        assert_eq!(plan(10, 4, 8), (4, 2));
        assert_eq!(plan(10, 4, 2), (2, 1));
        assert_eq!(plan(2, 4, 8), (2, 4));
        assert_eq!(plan(1, 4, 8), (1, 8));
        assert_eq!(plan(10, 3, 8), (3, 2));
        for sites in 1..6 {
            for at_once in 1..6 {
                for concurrency in 1..20 {
                    let (k, per) = plan(sites, at_once, concurrency);
                    assert!(k * per <= concurrency, "{sites} {at_once} {concurrency}");
                }
            }
        }
    }

    #[test]
    fn the_table_aligns_columns() {
        let row = |site: &str, errors, status: &str| Row {
            site: site.into(),
            pages: 12,
            installs: "heap 12".into(),
            errors,
            warnings: 0,
            infos: 1,
            path: "native".into(),
            status: status.into(),
            audited: true,
        };
        let text = table(&[
            row("https://a.example/", 2, "ok"),
            row("dist/", 0, "error: dist/: cannot read"),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        let col = |l: &str| l.find("PATH").or_else(|| l.find("native"));
        assert_eq!(col(lines[0]), col(lines[1]));
        assert_eq!(col(lines[1]), col(lines[2]));
        assert!(lines[2].ends_with("error: dist/: cannot read"));
        assert_eq!(row("x", 2, "ok").worst(), Some(Severity::Error));
        assert_eq!(row("x", 0, "ok").worst(), Some(Severity::Info));
    }
}
