//! `heap-audit init`: a commented starter `heap-audit.toml` for a site. It scans the target for
//! the Heap app ids and Segment write keys in use and writes them as the environment of the
//! target's host; every option of `scan` follows, commented out, with its default and its help
//! line (both taken from the command-line definition, so the file never lags behind it).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use anyhow::{anyhow, bail, Context as _};
use clap::{Arg, ArgAction, Parser};

use crate::cli::{Cli, Command, InitArgs};
use crate::config;
use crate::model::{Report, Vendor};
use crate::scan;

/// Run `init`: scan the target (if any), write the file.
pub fn run(args: &InitArgs) -> anyhow::Result<()> {
    // Credentials in the URL are used for the scan, never written to the file.
    let target = args
        .target
        .as_deref()
        .map(crate::source::site::split_credentials);
    let found = match &target {
        Some((target, credentials)) => Some(scan_target(args, target, credentials.clone())?),
        None => None,
    };
    let text = starter(target.as_ref().map(|(t, _)| t.as_str()), found.as_ref());
    if args.output == Path::new("-") {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        return Ok(out.flush()?);
    }
    if args.output.exists() && !args.force {
        bail!(
            "{} exists: use --force to overwrite it, or --output FILE",
            args.output.display()
        );
    }
    std::fs::write(&args.output, text).with_context(|| args.output.display().to_string())?;
    eprintln!("heap-audit: wrote {}", args.output.display());
    Ok(())
}

fn scan_target(
    args: &InitArgs,
    target: &str,
    credentials: Option<crate::source::site::Credentials>,
) -> anyhow::Result<Report> {
    // The scan's own defaults, from the command-line definition.
    let Command::Scan(mut scan_args) = Cli::try_parse_from(["heap-audit", "scan", target])?.command
    else {
        bail!("internal: `scan` did not parse as scan");
    };
    scan_args.offline = args.offline;
    scan_args.remap = args.remap.clone();
    scan_args.headers = args.headers.clone();
    let mut options = scan_args.scan_options();
    options.fetch.credentials.extend(credentials);
    let outcome = scan::run(&[target.to_owned()], &options)
        .map_err(|e| anyhow!("built-in signatures are invalid: {e}"))?;
    if let Some(message) = outcome.fatal.first() {
        bail!("{message}");
    }
    Ok(outcome.report)
}

/// Ids of one vendor in a report, most used first (by pages).
fn ids(report: &Report, vendor: Vendor) -> Vec<(String, usize)> {
    let mut pages: BTreeMap<&str, usize> = BTreeMap::new();
    for page in &report.pages {
        let mut here: Vec<&str> = page
            .installs
            .iter()
            .filter(|i| i.vendor == vendor)
            .filter_map(|i| i.id.as_deref())
            .collect();
        here.sort_unstable();
        here.dedup();
        for id in here {
            *pages.entry(id).or_default() += 1;
        }
    }
    let mut out: Vec<(String, usize)> = pages
        .into_iter()
        .map(|(id, n)| (id.to_owned(), n))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// The text of the starter file.
pub fn starter(target: Option<&str>, report: Option<&Report>) -> String {
    let mut out = String::new();
    let from = target.map_or(String::new(), |t| format!(" {t}"));
    let _ = writeln!(
        out,
        "# heap-audit configuration, written by `heap-audit init{from}` (heap-audit {}).",
        env!("CARGO_PKG_VERSION")
    );
    out.push_str(
        "# Keys are the long options of `heap-audit scan` (snake_case or kebab-case); an option given on\n\
         # the command line wins over this file. Remove a leading '#' to set a key. Paths are relative to\n\
         # the current directory. In header values, ${NAME} is the environment variable NAME.\n\n\
         # The lowest severity that makes `scan` exit with status 1 (error | warning | info | never).\n\
         fail_on = \"error\"\n",
    );
    for arg in config::options() {
        if arg.get_long() == Some("fail-on") {
            continue;
        }
        out.push('\n');
        out.push_str(&commented(&arg));
    }
    out.push_str(
        "\n# Per-rule severity: a rule name or code = \"error\" | \"warning\" | \"info\" | \"off\".\n\
         # `heap-audit rules` lists them.\n\
         [rules]\n\
         # heap-via-tag-manager = \"off\"\n\
         # HA008 = \"error\"\n",
    );
    out.push_str(&environment(target, report));
    out.push_str(&segment_sources(report));
    out
}

/// The `[[segment_sources]]` blocks, commented out (only the team knows what to state): one per
/// Segment write key a mobile app of the target starts Segment with, else an example.
fn segment_sources(report: Option<&Report>) -> String {
    let mut out = String::from(
        "\n# Whether Heap is a destination of the Segment sources of the repository's mobile apps: only\n\
         # Segment's workspace shows it. A block with an app's write key settles segment-without-heap-sdk\n\
         # and heap-and-segment-in-app for that app. Uncomment and say what the workspace shows.\n",
    );
    let mut keys: BTreeMap<&str, &str> = BTreeMap::new();
    for app in report
        .into_iter()
        .flat_map(|r| &r.sources)
        .flat_map(|s| &s.apps)
    {
        if app.platform == "server" {
            continue;
        }
        for install in app.installs.iter().filter(|i| i.vendor == Vendor::Segment) {
            if let Some(key) = install.id.as_deref() {
                keys.entry(key).or_insert(&app.path);
            }
        }
    }
    if keys.is_empty() {
        keys.insert("Qm7Tz2LpXv9RwKd4NsYb8HcJf3GeAu6V", "iOS app (production)");
    }
    for (key, name) in keys {
        let _ = write!(
            out,
            "# [[segment_sources]]\n#   name = {}\n#   write_key = {}\n\
             #   heap_destination = \"cloud\"   # \"cloud\" | \"device\" | \"none\"\n",
            toml_string(name),
            toml_string(key)
        );
    }
    out
}

/// One option, commented out: its help line, then `# key = default`.
fn commented(arg: &Arg) -> String {
    let key = arg.get_long().unwrap_or_default().replace('-', "_");
    let help = arg
        .get_help()
        .map(|h| h.to_string())
        .unwrap_or_default()
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let flag = !arg.get_action().takes_values();
    let choices: Vec<String> = arg
        .get_possible_values()
        .iter()
        .map(|p| p.get_name().to_owned())
        .collect();
    let choices = if choices.is_empty() || flag {
        String::new()
    } else {
        format!(" ({})", choices.join(" | "))
    };
    let value = match arg.get_action() {
        ArgAction::SetTrue => "false".to_owned(),
        ArgAction::SetFalse => "true".to_owned(),
        ArgAction::Count => "0".to_owned(),
        ArgAction::Append => "[]".to_owned(),
        _ => match arg.get_default_values().first() {
            Some(default) => literal(&default.to_string_lossy()),
            None => {
                let name = arg
                    .get_value_names()
                    .and_then(|n| n.first())
                    .map_or("VALUE".to_owned(), |n| n.to_string());
                format!("{}   # no default", literal(&name))
            }
        },
    };
    format!("# {help}{choices}\n# {key} = {value}\n")
}

/// A TOML literal for a default value: a number as is, anything else as a string.
fn literal(text: &str) -> String {
    if text.parse::<i64>().is_ok() {
        text.to_owned()
    } else {
        toml_string(text)
    }
}

fn toml_string(text: &str) -> String {
    // A JSON string is a valid TOML basic string for the characters found in options and ids.
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

/// The `[[environments]]` block: the ids found on the target, for its host.
fn environment(target: Option<&str>, report: Option<&Report>) -> String {
    let mut out = String::from(
        "\n# The ids each environment must use: a page of one environment that uses another's Heap app id\n\
         # or Segment write key is an app-id-mismatch naming both. A page belongs to the first environment\n\
         # whose `hosts` (host or host:port) or `urls` (regular expressions) match it; an environment\n\
         # with neither matches every page. Add one block per environment (staging, development, ...).\n",
    );
    let host = target
        .and_then(|t| url::Url::parse(t).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .and_then(|u| {
            let host = u.host_str()?.to_owned();
            Some(u.port().map_or(host.clone(), |p| format!("{host}:{p}")))
        });
    let Some(report) = report else {
        out.push_str(
            "# [[environments]]\n# name = \"production\"\n# hosts = [\"www.example.com\"]\n\
             # heap_app_id = \"1535634150\"\n# segment_write_key = \"q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH\"\n\
             # [[environments]]\n# name = \"staging\"\n# urls = ['^https://preview-.*\\.example\\.com/']\n\
             # heap_app_id = \"2682025610\"\n",
        );
        return out;
    };
    out.push_str("[[environments]]\nname = \"production\"\n");
    match host {
        Some(host) => {
            let _ = writeln!(out, "hosts = [{}]", toml_string(&host));
        }
        None => {
            out.push_str("# hosts = [\"www.example.com\"]   # none: every page of the folder\n")
        }
    }
    let pages = report.pages.len();
    for (vendor, key, what) in [
        (Vendor::Heap, "heap_app_id", "Heap app id"),
        (Vendor::Segment, "segment_write_key", "Segment write key"),
    ] {
        let found = ids(report, vendor);
        match found.split_first() {
            Some(((id, n), rest)) => {
                let _ = writeln!(
                    out,
                    "{key} = {}   # on {n} of {pages} pages",
                    toml_string(id)
                );
                for (id, n) in rest {
                    let _ = writeln!(
                        out,
                        "# also found: {what} {id} on {n} of {pages} pages (another environment's?)"
                    );
                }
            }
            None => {
                let _ = writeln!(out, "# {key} = \"\"   # no {what} found");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_is_in_the_starter_file() {
        let text = starter(None, None);
        for arg in config::options() {
            let key = arg.get_long().unwrap_or_default().replace('-', "_");
            assert!(
                text.contains(&format!("{key} = ")),
                "{key} missing:\n{text}"
            );
        }
        assert!(text.contains("[rules]") && text.contains("# [[environments]]"));
    }
}
