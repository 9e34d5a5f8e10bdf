//! Findings grouped by root cause: a rule marks each finding with its cause
//! ([`Finding::cause`]: the site whose pages use several app ids, the site where Heap loads more
//! than once), and the findings of one rule with one cause are reported as one ([`merge`]). The
//! rule puts first what a person must change (the odd page, the loader to remove); the first
//! finding of a cause leads the merged one. Every finding then lists at most
//! [`Finding::RELATED_SHOWN`] related locations after its primary one ([`cap`]), with
//! `related_total` counting them all.
//!
//! The findings as the rules made them stay in [`Finding::parts`]: baselines record and match
//! those, so a baseline written before grouping keeps matching, entry for entry.

use crate::hashing::HashMap;

use super::common::{hash_of, Seen};

use crate::model::{Evidence, Finding, Install, Recommendation, Report, Via};

/// Merge the findings of one rule that share a cause, in the order the first of each came.
/// Findings without a cause are left as they are.
pub fn merge(findings: Vec<Finding>) -> Vec<Finding> {
    merge_showing(findings, usize::MAX)
}

/// [`merge`], a finding made of several then listing at most `shown` related locations (after
/// its primary one) and counting them all in `related_total`, as [`cap`] would: the locations
/// left out are never copied (on a 10,000-page site, a cause's findings hold tens of thousands).
pub fn merge_showing(findings: Vec<Finding>, shown: usize) -> Vec<Finding> {
    let mut groups: Vec<Vec<Finding>> = Vec::with_capacity(findings.len());
    let mut at: HashMap<(String, String), usize> = HashMap::default();
    for f in findings {
        let Some(cause) = &f.cause else {
            groups.push(vec![f]);
            continue;
        };
        match at.entry((f.code.clone(), cause.clone())) {
            std::collections::hash_map::Entry::Occupied(i) => groups[*i.get()].push(f),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(groups.len());
                groups.push(vec![f]);
            }
        }
    }
    groups
        .into_iter()
        .filter_map(|members| join(members, shown))
        .collect()
}

/// One finding for `members` (one rule, one cause, in the order they came; `None` for none): a
/// single one as it is; several as the first's, with the highest severity, the clauses of their
/// messages and help that the first does not already say, their pages and evidence once each
/// (hash indexes, linear in them), and themselves as its parts.
fn join(mut members: Vec<Finding>, shown: usize) -> Option<Finding> {
    if members.len() < 2 {
        return members.pop();
    }
    let first = &members[0];
    let mut severity = first.severity;
    let (mut message, mut help) = (first.message.clone(), first.help.clone());
    let mut pages: Vec<String> = Vec::new();
    let mut evidence: Vec<&Evidence> = Vec::new();
    let (mut has_page, mut has_evidence) = (Seen::default(), Seen::default());
    for (n, m) in members.iter().enumerate() {
        if n > 0 {
            severity = severity.max(m.severity);
            message = join_clauses(&message, &m.message);
            help = join_clauses(&help, &m.help);
        }
        for p in &m.pages {
            has_page.add_with(
                &mut pages,
                hash_of(p.as_str()),
                p,
                |a, b| a == *b,
                Clone::clone,
            );
        }
        for e in &m.evidence {
            has_evidence.add(&mut evidence, crate::baseline::evidence_hash(e), e);
        }
    }
    let related = evidence.len().saturating_sub(1);
    let evidence: Vec<Evidence> = evidence
        .into_iter()
        .take(shown.saturating_add(1))
        .cloned()
        .collect();
    let related_total = if related > shown {
        Some(related)
    } else {
        first.related_total
    };
    let (rule, code, cause) = (first.rule.clone(), first.code.clone(), first.cause.clone());
    let mut parts = Vec::with_capacity(members.len());
    for m in members {
        if m.parts.is_empty() {
            parts.push(m);
        } else {
            parts.extend(m.parts);
        }
    }
    Some(Finding {
        rule,
        code,
        severity,
        message,
        help,
        pages,
        evidence,
        related_total,
        cause,
        parts,
    })
}

/// `a`, then the `; `-separated clauses of `b` that `a` does not have.
fn join_clauses(a: &str, b: &str) -> String {
    let have: Vec<&str> = a.split("; ").collect();
    let mut out = a.to_owned();
    for clause in b.split("; ") {
        if !clause.is_empty() && !have.contains(&clause) {
            out.push_str("; ");
            out.push_str(clause);
        }
    }
    out
}

/// Keep at most [`Finding::RELATED_SHOWN`] related locations on each finding, counting them all
/// in `related_total` (the finding as it was stays in `parts`).
pub fn cap(findings: &mut [Finding]) {
    for f in findings {
        let related = f.evidence.len().saturating_sub(1);
        if related > Finding::RELATED_SHOWN {
            // The whole list moves to the part; the finding keeps a copy of the first ones.
            let shown = f.evidence[..1 + Finding::RELATED_SHOWN].to_vec();
            let whole = std::mem::replace(&mut f.evidence, shown);
            if f.parts.is_empty() {
                let mut part = f.clone();
                part.evidence = whole;
                f.parts.push(part);
            }
            f.related_total = Some(related);
        }
    }
}

/// Move `primary` to the front of `evidence` (adding it if missing).
pub fn put_first(evidence: &mut Vec<Evidence>, primary: Evidence) {
    evidence.retain(|e| *e != primary);
    evidence.insert(0, primary);
}

/// Whether evidence is a line of a local file: what a pull request annotation can point at.
pub fn local_line(e: &Evidence) -> bool {
    !e.source.contains("://") && e.line.is_some()
}

/// Point each `duplicate-heap-load` finding at a loader the recommended install path removes:
/// the native snippet or tag manager for the Segment path, Segment's Heap destination or a tag
/// manager for the native path; a line of a local file first. Done once the advice is known.
pub fn point_at_removed(report: &mut Report) {
    let Some(path) = report.recommendation.as_ref().map(install_path) else {
        return;
    };
    if !report
        .findings
        .iter()
        .any(|f| f.rule == "duplicate-heap-load")
    {
        return;
    }
    let removed = |i: &Install| match path {
        Path::Segment => i.via != Via::Segment,
        Path::Native => i.via != Via::Native,
    };
    // The evidence of every Heap loader the path removes, once each, hash-indexed: looked up for
    // each piece of a finding's evidence, not searched (linear in installs and findings).
    let mut index = Seen::default();
    let mut removed_evidence: Vec<&Evidence> = Vec::new();
    for i in report.pages.iter().flat_map(|p| &p.installs) {
        if i.vendor == crate::model::Vendor::Heap && removed(i) {
            let hash = crate::baseline::evidence_hash(&i.evidence);
            index.add(&mut removed_evidence, hash, &i.evidence);
        }
    }
    let mut moves = Vec::new();
    for (n, f) in report.findings.iter().enumerate() {
        if f.rule != "duplicate-heap-load" {
            continue;
        }
        let of_removed =
            |e: &Evidence| index.has(&removed_evidence, crate::baseline::evidence_hash(e), &e);
        let pick = f
            .evidence
            .iter()
            .find(|e| local_line(e) && of_removed(e))
            .or_else(|| f.evidence.iter().find(|e| of_removed(e)));
        if let Some(e) = pick {
            moves.push((n, e.clone()));
        }
    }
    for (n, e) in moves {
        put_first(&mut report.findings[n].evidence, e);
    }
}

#[derive(Clone, Copy)]
enum Path {
    Segment,
    Native,
}

fn install_path(r: &Recommendation) -> Path {
    if r.install_path == "segment" {
        Path::Segment
    } else {
        Path::Native
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;

    fn finding(cause: Option<&str>, message: &str, page: &str, n: usize) -> Finding {
        Finding {
            rule: "app-id-mismatch".into(),
            code: "HA003".into(),
            severity: Severity::Error,
            message: message.into(),
            help: "use one id".into(),
            pages: vec![page.into()],
            evidence: (0..n)
                .map(|i| Evidence {
                    source: page.into(),
                    line: Some(i as u32 + 1),
                    ..Evidence::default()
                })
                .collect(),
            related_total: None,
            cause: cause.map(str::to_owned),
            parts: Vec::new(),
        }
    }

    #[test]
    fn one_finding_per_cause_keeping_the_parts() {
        let merged = merge(vec![
            finding(Some("site:a"), "ids differ; note", "/a", 1),
            finding(None, "environments", "/b", 1),
            finding(Some("site:a"), "same page; note", "/c", 1),
        ]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].message, "ids differ; note; same page");
        assert_eq!(merged[0].help, "use one id");
        assert_eq!(merged[0].pages, vec!["/a", "/c"]);
        assert_eq!(merged[0].parts.len(), 2);
        assert_eq!(merged[0].as_made().len(), 2);
        assert!(merged[1].parts.is_empty());
    }

    #[test]
    fn merging_showing_what_cap_keeps_gives_what_merging_then_capping_gives() {
        // Three findings of one cause whose locations overlap (25 + 25 + 10, 40 distinct), one
        // of another cause, one without: the same outcome as merging them whole, then capping.
        let shifted = |cause, page, from: u32, n: usize| {
            let mut f = finding(Some(cause), "ids differ", page, n);
            for e in &mut f.evidence {
                e.source = "/shared".into();
                e.line = e.line.map(|l| l + from);
            }
            f
        };
        let findings = vec![
            shifted("site:a", "/a", 0, 25),
            shifted("site:b", "/b", 0, 2),
            shifted("site:a", "/c", 15, 25),
            finding(None, "alone", "/d", 30),
            shifted("site:a", "/e", 30, 10),
        ];
        let mut whole = merge(findings.clone());
        cap(&mut whole);
        let mut shown = merge_showing(findings, Finding::RELATED_SHOWN);
        cap(&mut shown);
        assert_eq!(shown, whole);
        assert_eq!(shown[0].related_total, Some(39));
        assert_eq!(shown[0].evidence.len(), 1 + Finding::RELATED_SHOWN);
        assert_eq!(shown[0].parts.len(), 3);
        assert_eq!(shown[0].pages, vec!["/a", "/c", "/e"]);
        assert_eq!(shown[2].related_total, Some(29));
    }

    #[test]
    fn related_locations_are_capped_and_counted() {
        let mut findings = vec![finding(None, "m", "/a", 30), finding(None, "m", "/b", 3)];
        cap(&mut findings);
        assert_eq!(findings[0].evidence.len(), 1 + Finding::RELATED_SHOWN);
        assert_eq!(findings[0].related_total, Some(29));
        assert_eq!(findings[0].parts[0].evidence.len(), 30);
        assert_eq!(findings[1].related_total, None);
        assert!(findings[1].parts.is_empty());
    }
}
