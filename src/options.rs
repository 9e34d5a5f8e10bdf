//! The choices a caller makes about an audit's output, owned by the core so that any front end
//! (the command line, a config file, another program) can set them. `cli.rs` maps its flags onto
//! these types; nothing here knows about the command line.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::model::Severity;

/// A closed set of named values (`--format json`): the names a front end offers and parses.
pub trait Choice: Copy + Sized + 'static {
    /// Every value, in the order they are listed.
    const ALL: &'static [Self];
    /// The name a person types (`json`).
    fn name(self) -> &'static str;
    /// One line on what the value does; empty when the name says it all.
    fn help(self) -> &'static str {
        ""
    }
    /// The value named `name` (ASCII case-insensitive).
    fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.name().eq_ignore_ascii_case(name))
    }
    /// Every name, comma-separated, for error messages.
    fn names() -> String {
        let names: Vec<&str> = Self::ALL.iter().map(|v| v.name()).collect();
        names.join(", ")
    }
}

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Junit,
    Markdown,
    Jsonl,
}

impl Choice for Format {
    const ALL: &'static [Format] = &[
        Format::Human,
        Format::Json,
        Format::Sarif,
        Format::Github,
        Format::Junit,
        Format::Markdown,
        Format::Jsonl,
    ];

    fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Github => "github",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
            Format::Jsonl => "jsonl",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Format::Human => "Per-page listing for people, coloured on a terminal",
            Format::Json => "The versioned JSON report (see the README)",
            Format::Sarif => "SARIF 2.1.0, for code scanning",
            Format::Github => {
                "GitHub Actions annotations (::error file=…,line=…::…), plus the Markdown report \
                 as the job summary when GITHUB_STEP_SUMMARY is set"
            }
            Format::Junit => {
                "JUnit XML: one test case per page and rule, failures at the --fail-on level"
            }
            Format::Markdown => {
                "A compact Markdown report for a pull request comment or a support ticket"
            }
            Format::Jsonl => {
                "One compact JSON report per line: one per site of a batch, written as each \
                 completes"
            }
        }
    }
}

/// The lowest severity that fails a run (`scan` exits with status 1; JUnit marks failures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailOn {
    #[default]
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    /// Whether a finding of this severity fails the run.
    pub fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::Error => severity >= Severity::Error,
            FailOn::Warning => severity >= Severity::Warning,
            FailOn::Info => true,
            FailOn::Never => false,
        }
    }
}

impl Choice for FailOn {
    const ALL: &'static [FailOn] = &[FailOn::Error, FailOn::Warning, FailOn::Info, FailOn::Never];

    fn name(self) -> &'static str {
        match self {
            FailOn::Error => "error",
            FailOn::Warning => "warning",
            FailOn::Info => "info",
            FailOn::Never => "never",
        }
    }
}

/// What the team states about its commitment to Segment (`--segment-commitment`): Heap's guide
/// gives "not committed to using Segment long-term" as a reason to install Heap natively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SegmentCommitment {
    Committed,
    NotCommitted,
    #[default]
    Unknown,
}

impl Choice for SegmentCommitment {
    const ALL: &'static [SegmentCommitment] = &[
        SegmentCommitment::Committed,
        SegmentCommitment::NotCommitted,
        SegmentCommitment::Unknown,
    ];

    fn name(self) -> &'static str {
        match self {
            SegmentCommitment::Committed => "committed",
            SegmentCommitment::NotCommitted => "not-committed",
            SegmentCommitment::Unknown => "unknown",
        }
    }

    fn help(self) -> &'static str {
        match self {
            SegmentCommitment::Committed => "Segment stays: recommend it wherever the site uses it",
            SegmentCommitment::NotCommitted => "Segment may go: recommend a native Heap install",
            SegmentCommitment::Unknown => "not said: weigh the pages",
        }
    }
}

/// Whether the team needs Heap's text capture disabled in code (`--disable-text-capture`):
/// Heap's guide gives privacy concerns served by disableTargetText as a reason for a native
/// install when the Segment destination in use cannot pass the option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextCaptureNeed {
    Needed,
    NotNeeded,
    #[default]
    Unknown,
}

impl Choice for TextCaptureNeed {
    const ALL: &'static [TextCaptureNeed] = &[
        TextCaptureNeed::Needed,
        TextCaptureNeed::NotNeeded,
        TextCaptureNeed::Unknown,
    ];

    fn name(self) -> &'static str {
        match self {
            TextCaptureNeed::Needed => "needed",
            TextCaptureNeed::NotNeeded => "not-needed",
            TextCaptureNeed::Unknown => "unknown",
        }
    }

    fn help(self) -> &'static str {
        match self {
            TextCaptureNeed::Needed => "disableTextCapture must be set on every page",
            TextCaptureNeed::NotNeeded => {
                "text capture may stay on (or Heap's own setting handles it)"
            }
            TextCaptureNeed::Unknown => "not said: a need only when most pages disable it",
        }
    }
}

/// When to colour the human format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour output going to a stream that is (or is not) a terminal: `auto` colours
    /// a terminal unless `NO_COLOR` is set to a non-empty value (<https://no-color.org>).
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

impl Choice for ColorChoice {
    const ALL: &'static [ColorChoice] =
        &[ColorChoice::Auto, ColorChoice::Always, ColorChoice::Never];

    fn name(self) -> &'static str {
        match self {
            ColorChoice::Auto => "auto",
            ColorChoice::Always => "always",
            ColorChoice::Never => "never",
        }
    }
}

macro_rules! display_and_parse {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $t {
            type Err = String;

            fn from_str(s: &str) -> Result<$t, String> {
                <$t>::parse(s.trim())
                    .ok_or_else(|| format!("unknown value '{s}': expected one of {}", <$t>::names()))
            }
        }
    )*};
}

display_and_parse!(Format, FailOn, ColorChoice);

/// One more report, written to a file in the same run (`--report FORMAT=PATH`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFile {
    pub format: Format,
    pub path: PathBuf,
}

impl FromStr for ReportFile {
    type Err = String;

    fn from_str(s: &str) -> Result<ReportFile, String> {
        let (format, path) = s.split_once('=').ok_or_else(|| {
            format!("expected FORMAT=PATH (e.g. sarif=heap-audit.sarif), got '{s}'")
        })?;
        let format = Format::parse(format.trim()).ok_or_else(|| {
            format!(
                "unknown format '{format}' in '{s}': expected one of {}",
                Format::names()
            )
        })?;
        if path.is_empty() {
            return Err(format!("no file name after '=' in '{s}'"));
        }
        Ok(ReportFile {
            format,
            path: PathBuf::from(path),
        })
    }
}

impl Choice for crate::source::repo::Mode {
    const ALL: &'static [Self] = &[Self::Pages, Self::Source];

    fn name(self) -> &'static str {
        self.as_str()
    }

    fn help(self) -> &'static str {
        match self {
            Self::Pages => "A built site: each .html file is a page",
            Self::Source => {
                "A source repository: templates, components and scripts, composed into the pages they render"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_levels() {
        assert!(FailOn::Error.fails(Severity::Error) && !FailOn::Error.fails(Severity::Warning));
        assert!(FailOn::Warning.fails(Severity::Warning) && !FailOn::Warning.fails(Severity::Info));
        assert!(FailOn::Info.fails(Severity::Info));
        assert!(!FailOn::Never.fails(Severity::Error));
    }

    #[test]
    fn names_round_trip_and_ignore_case() {
        for format in Format::ALL {
            assert_eq!(format.to_string().parse::<Format>(), Ok(*format));
        }
        assert_eq!("SARIF".parse::<Format>(), Ok(Format::Sarif));
        let err = "xml".parse::<Format>().unwrap_err();
        assert!(err.contains("'xml'") && err.contains("junit"), "{err}");
        assert_eq!("never".parse::<FailOn>(), Ok(FailOn::Never));
        assert_eq!("Always".parse::<ColorChoice>(), Ok(ColorChoice::Always));
    }

    #[test]
    fn report_files() {
        let r: ReportFile = "SARIF=out/a.sarif".parse().unwrap();
        assert_eq!(
            (r.format, r.path),
            (Format::Sarif, PathBuf::from("out/a.sarif"))
        );
        let missing = "sarif".parse::<ReportFile>().unwrap_err();
        assert!(missing.contains("'sarif'"), "{missing}");
        let unknown = "xml=a.xml".parse::<ReportFile>().unwrap_err();
        assert!(
            unknown.contains("'xml'") && unknown.contains("junit"),
            "{unknown}"
        );
        assert!("json=".parse::<ReportFile>().is_err());
    }
}

/// Consent `--render` gives to the consent managers on a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RenderConsent {
    /// None: tags that wait for consent do not run (what a visitor who ignores the banner gets).
    #[default]
    None,
    /// Accept every category, by the manager's documented cookie or its accept control.
    Accept,
}

impl Choice for RenderConsent {
    const ALL: &'static [RenderConsent] = &[RenderConsent::None, RenderConsent::Accept];

    fn name(self) -> &'static str {
        match self {
            RenderConsent::None => "none",
            RenderConsent::Accept => "accept",
        }
    }

    fn help(self) -> &'static str {
        match self {
            RenderConsent::None => "give no consent: tags waiting for it do not run",
            RenderConsent::Accept => {
                "accept through OneTrust, Cookiebot or Usercentrics (their cookie or accept control)"
            }
        }
    }
}
