//! The "Apps and services" section of the human and Markdown reports: the mobile apps and
//! server-side services source mode found, apart from the web pages (they are not pages).

use std::io::{self, Write};

use super::human::Paint;
use crate::model::{App, AppInstall, AppPackage, Evidence, Report};

fn apps(report: &Report) -> impl Iterator<Item = &App> {
    report.sources.iter().flat_map(|s| s.apps.iter())
}

fn at(e: &Evidence) -> String {
    match e.line {
        Some(line) => format!("{}:{line}", e.source),
        None => e.source.clone(),
    }
}

fn package(p: &AppPackage) -> String {
    let version = p
        .version
        .as_deref()
        .map(|v| format!(" {v}"))
        .unwrap_or_default();
    format!(
        "{} {}{version} ({})",
        p.vendor.as_str(),
        p.name,
        p.ecosystem
    )
}

fn init(i: &AppInstall) -> String {
    let id = match (&i.id, &i.id_from, &i.placeholder) {
        (Some(id), _, _) => id.clone(),
        (None, Some(from), _) => format!("from {from}"),
        (None, None, Some(placeholder)) => format!("placeholder {placeholder}"),
        _ => "id not read".into(),
    };
    let what = if i.vendor == crate::model::Vendor::Heap {
        "app id"
    } else {
        "write key"
    };
    format!("{} {} {what} {id}", i.vendor.as_str(), i.call)
}

fn title(app: &App) -> String {
    let kind = if app.platform == "server" {
        "service"
    } else {
        "app"
    };
    match &app.language {
        Some(lang) => format!("{} {kind}, {lang}", app.platform),
        None => format!("{} {kind}", app.platform),
    }
}

/// The section for the human report; nothing when there is no app.
pub fn human(report: &Report, p: Paint, out: &mut dyn Write) -> io::Result<()> {
    let all: Vec<&App> = apps(report).collect();
    if all.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{}",
        p.bold(&format!("Apps and services ({}), not web pages", all.len()))
    )?;
    for app in all {
        writeln!(out, "{} {}", p.bold(&app.path), p.dim(&title(app)))?;
        for pk in &app.packages {
            writeln!(out, "  {}  {}", package(pk), p.dim(&at(&pk.evidence)))?;
        }
        for i in &app.installs {
            writeln!(out, "  {}  {}", init(i), p.dim(&at(&i.evidence)))?;
        }
        for c in &app.calls {
            let event = c
                .event
                .as_deref()
                .map(|e| format!(" \"{e}\""))
                .unwrap_or_default();
            let email = if c.email_trait { " (email trait)" } else { "" };
            let line = format!("{} {}{event}{email}", c.vendor.as_str(), c.method);
            writeln!(out, "  {line}  {}", p.dim(&at(&c.evidence)))?;
        }
    }
    writeln!(out)
}

/// The section for the Markdown report; nothing when there is no app.
pub fn markdown(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let all: Vec<&App> = apps(report).collect();
    if all.is_empty() {
        return Ok(());
    }
    writeln!(out, "### Apps and services (not web pages)\n")?;
    writeln!(
        out,
        "| app | platform | SDK or call | where |\n|---|---|---|---|"
    )?;
    let cell = |s: &str| s.replace('|', "\\|").replace(['\n', '\r'], " ");
    for app in all {
        let mut rows: Vec<(String, String)> = Vec::new();
        rows.extend(app.packages.iter().map(|p| (package(p), at(&p.evidence))));
        rows.extend(app.installs.iter().map(|i| (init(i), at(&i.evidence))));
        rows.extend(app.calls.iter().map(|c| {
            let event = c
                .event
                .as_deref()
                .map(|e| format!(" \"{e}\""))
                .unwrap_or_default();
            (
                format!("{} {}{event}", c.vendor.as_str(), c.method),
                at(&c.evidence),
            )
        }));
        for (n, (what, place)) in rows.iter().enumerate() {
            let (path, platform) = if n == 0 {
                (format!("`{}`", cell(&app.path)), cell(&title(app)))
            } else {
                (String::new(), String::new())
            };
            writeln!(
                out,
                "| {path} | {platform} | {} | `{}` |",
                cell(what),
                cell(place)
            )?;
        }
    }
    writeln!(out)
}
