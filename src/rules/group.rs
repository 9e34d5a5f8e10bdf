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
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
    let mut at: HashMap<(String, String), usize> = HashMap::default();
    // An index of the pages and evidence of each finding absorbing others, to look up (not scan)
    // what it has: linear in pages however many findings one cause gathers.
    let mut has: HashMap<usize, Has> = HashMap::default();
    for f in findings {
        let Some(cause) = f.cause.clone() else {
            out.push(f);
            continue;
        };
        match at.get(&(f.code.clone(), cause.clone())) {
            Some(&i) => {
                let lead = &mut out[i];
                let has = has.entry(i).or_insert_with(|| Has::of(lead));
                absorb(lead, f, has);
            }
            None => {
                at.insert((f.code.clone(), cause), out.len());
                out.push(f);
            }
        }
    }
    out
}

/// Add `other` (same rule, same cause) to `lead`: its pages, evidence, and the clauses of its
/// message and help that `lead` does not already say.
fn absorb(lead: &mut Finding, other: Finding, has: &mut Has) {
    if lead.parts.is_empty() {
        let mut first = lead.clone();
        first.parts.clear();
        lead.parts.push(first);
    }
    lead.severity = lead.severity.max(other.severity);
    lead.message = join_clauses(&lead.message, &other.message);
    lead.help = join_clauses(&lead.help, &other.help);
    for p in &other.pages {
        let hash = hash_of(p.as_str());
        has.pages
            .add_with(&mut lead.pages, hash, p, |a, b| a == *b, Clone::clone);
    }
    for e in &other.evidence {
        let hash = crate::baseline::evidence_hash(e);
        has.evidence
            .add_with(&mut lead.evidence, hash, e, |a, b| a == *b, Clone::clone);
    }
    if other.parts.is_empty() {
        lead.parts.push(other);
    } else {
        lead.parts.extend(other.parts);
    }
}

/// What a finding that absorbs others already lists: hash indexes over its own lists.
struct Has {
    pages: Seen,
    evidence: Seen,
}

impl Has {
    fn of(lead: &Finding) -> Has {
        Has {
            pages: Seen::over(&lead.pages, |p| hash_of(p.as_str())),
            evidence: Seen::over(&lead.evidence, crate::baseline::evidence_hash),
        }
    }
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
    let removed = |i: &Install| match path {
        Path::Segment => i.via != Via::Segment,
        Path::Native => i.via != Via::Native,
    };
    let loaders: Vec<&Install> = report
        .pages
        .iter()
        .flat_map(|p| &p.installs)
        .filter(|i| i.vendor == crate::model::Vendor::Heap)
        .collect();
    let mut moves = Vec::new();
    for (n, f) in report.findings.iter().enumerate() {
        if f.rule != "duplicate-heap-load" {
            continue;
        }
        let of_removed = |e: &Evidence| loaders.iter().any(|i| i.evidence == *e && removed(i));
        let pick = f
            .evidence
            .iter()
            .find(|e| of_removed(e) && local_line(e))
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
