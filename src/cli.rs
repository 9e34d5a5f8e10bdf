//! Command-line arguments (clap derive). Defaults live here and nowhere else.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};
use regex::Regex;

use crate::batch::Shard;
use crate::options::{
    Choice, ColorChoice, FailOn, Format, RenderConsent, ReportFile, SegmentCommitment,
    TextCaptureNeed,
};
use crate::progress::Verbosity;
use crate::scan::{Cancel, ScanOptions};
use crate::source::fetch::{CaCert, FetchConfig, Proxy, Remap};
use crate::source::repo::Mode;

/// The configuration file looked for in the current directory when `--config` is not given.
pub const DEFAULT_FILE: &str = "heap-audit.toml";

#[derive(Debug, Parser)]
#[command(
    name = "heap-audit",
    version,
    about = "Audit how Heap analytics is installed: natively, through Segment, through tag managers"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Crawl a site or read a build folder, report every Heap, Segment and tag manager install,
    /// run the rules and recommend an install path.
    Scan(Box<ScanArgs>),
    /// List every rule: code, name, default severity, summary.
    Rules,
    /// Write a commented starter heap-audit.toml: the ids found on TARGET, every option's default.
    Init(InitArgs),
    /// Print a rule's documentation.
    Explain {
        /// A rule name (duplicate-heap-load) or code (HA001).
        rule: String,
    },
    /// Print a shell completion script, e.g. `heap-audit completions bash > /etc/bash_completion.d/heap-audit`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `heap-audit man > heap-audit.1`, or a subcommand's
    /// (`heap-audit man scan > heap-audit-scan.1`).
    Man {
        /// A subcommand (scan, init, rules, explain, completions).
        command: Option<String>,
    },
}

// The output choices are the core's own types (`options.rs`); clap learns their names here.
macro_rules! value_enum {
    ($($t:ty),*) => {$(
        impl ValueEnum for $t {
            fn value_variants<'a>() -> &'a [Self] {
                <$t as Choice>::ALL
            }

            fn to_possible_value(&self) -> Option<PossibleValue> {
                let value = PossibleValue::new(self.name());
                Some(match self.help() {
                    "" => value,
                    help => value.help(help),
                })
            }
        }
    )*};
}

value_enum!(
    Format,
    FailOn,
    ColorChoice,
    Mode,
    SegmentCommitment,
    TextCaptureNeed,
    RenderConsent
);

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// http(s) URLs to crawl, local build folders, or local .html files, audited together as one
    /// site.
    #[arg(required_unless_present = "targets_from", value_name = "TARGET")]
    pub targets: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also write the report in FORMAT to PATH (repeatable), e.g. `--report sarif=heap-audit.sarif`.
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    pub reports: Vec<ReportFile>,

    /// When to use colour in the human format (NO_COLOR is honoured in `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Do not show the progress line (it is shown only when stderr is a terminal and CI is not
    /// set).
    #[arg(long)]
    pub no_progress: bool,

    /// Print the report only: no progress, no warnings.
    #[arg(long, short = 'q', conflicts_with = "verbose")]
    pub quiet: bool,

    /// Also print each page to stderr as it is fetched or fails.
    #[arg(long, short = 'v')]
    pub verbose: bool,

    /// Stop after this many pages per site (default: 200 for a crawl; a local folder is read whole).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_pages: Option<u32>,

    /// Follow links at most this many clicks away from the start URL (default: no limit).
    #[arg(long, value_name = "N")]
    pub max_depth: Option<u32>,

    /// Pages audited at the same time (a local folder or repository: at most one per CPU core).
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    /// Seconds to wait for each request.
    #[arg(long, default_value_t = 20, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,

    /// User-Agent header sent with every request.
    #[arg(long, value_name = "UA", default_value = concat!("heap-audit/", env!("CARGO_PKG_VERSION")))]
    pub user_agent: String,

    /// Extra request header for the target sites, e.g. 'Authorization: Basic …' (repeatable).
    #[arg(long = "header", short = 'H', value_name = "'NAME: VALUE'", value_parser = HEADER)]
    pub headers: Vec<(String, String)>,

    /// Send every request through this proxy: http://[user:password@]host:port [default: the
    /// HTTPS_PROXY, HTTP_PROXY and ALL_PROXY variables; NO_PROXY is honoured either way].
    #[arg(long, value_name = "URL", value_parser = PROXY)]
    pub proxy: Option<Proxy>,

    /// Also trust the certificates in this PEM file (repeatable): a company's CA, or one that
    /// inspects TLS [the system's store (or SSL_CERT_FILE, SSL_CERT_DIR) and Mozilla's roots are
    /// always trusted].
    #[arg(long, value_name = "FILE", value_parser = parse_ca_cert)]
    pub ca_cert: Vec<CaCert>,

    /// Accept any TLS certificate (a self-signed staging site); every report says so.
    #[arg(long)]
    pub insecure: bool,

    /// Crawl only URLs matching this regex (repeatable; the start URL is always audited).
    #[arg(long, value_name = "REGEX")]
    pub include: Vec<Regex>,

    /// Do not crawl URLs matching this regex (repeatable).
    #[arg(long, value_name = "REGEX")]
    pub exclude: Vec<Regex>,

    /// How a local folder is read [default: decided from the folder: a repository's project
    /// files or templates make it source].
    #[arg(long, value_enum, value_name = "MODE")]
    pub mode: Option<Mode>,

    /// Source mode: read only files whose path (from the repository root) matches this glob
    /// (repeatable), e.g. 'app/views/**'.
    #[arg(long, value_name = "GLOB")]
    pub include_path: Vec<String>,

    /// Source mode: leave out files whose path matches this glob (repeatable), e.g. 'legacy/**'.
    #[arg(long, value_name = "GLOB")]
    pub exclude_path: Vec<String>,

    /// Crawl pages that robots.txt disallows.
    #[arg(long)]
    pub ignore_robots: bool,

    /// Rewrite URLs before fetching: 'REGEX REPLACEMENT' (repeatable, first match wins; a
    /// replacement that is not a URL is a local path).
    #[arg(long, value_name = "'REGEX REPLACEMENT'")]
    pub remap: Vec<Remap>,

    /// Fetch nothing beyond the targets (no GTM containers, no Segment settings), except what a
    /// --remap turns into a local file.
    #[arg(long)]
    pub offline: bool,

    /// Bodies larger than this many bytes are cut (and noted in the report).
    #[arg(long, default_value_t = 10 * 1024 * 1024, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..=1 << 30))]
    pub max_body: u64,

    /// Retries of a request answered 429 or 503, after the wait its Retry-After asks (at most
    /// 30 s) or an exponential back-off from 1 s.
    #[arg(long, default_value_t = 2, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=10))]
    pub max_retries: u32,

    /// Requests per second to any one host (e.g. 2 or 0.5) [default: no limit beyond
    /// --concurrency and --max-host-connections].
    #[arg(long, value_name = "PER_SECOND", value_parser = parse_rate)]
    pub rate: Option<f64>,

    /// Requests in flight to any one host at a time.
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub max_host_connections: u16,

    /// Crawl at most this many pages per URL pattern (digits count as one: /page/N,
    /// /cal/N/N/N), so generated links cannot starve the site; 0: no cap.
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub max_per_pattern: usize,

    /// Stop after this many seconds and report what was audited by then.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=7 * 24 * 3600))]
    pub max_time: Option<u64>,

    /// Run only these rules (names or codes; comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub select: Vec<String>,

    /// Do not run these rules (names or codes; comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub ignore: Vec<String>,

    /// Exit with status 1 when a finding reaches this severity [default: error].
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,

    /// Exit with status 1 when a target's audited share of the pages found is below this
    /// percentage (0-100): a folder capped by --max-pages, a crawl that left pages out.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub min_coverage: Option<f64>,

    /// The Heap app id the site must use; any other is reported (app-id-mismatch).
    #[arg(long, value_name = "ID", value_parser = parse_app_id)]
    pub expect_app_id: Option<String>,

    /// The team is not committed to Segment long-term: recommend a native Heap install (Heap's guide).
    /// The same as --segment-commitment not-committed.
    #[arg(long, conflicts_with = "segment_commitment")]
    pub not_committed_to_segment: bool,

    /// The team's commitment to Segment, weighed by the recommended install path [default:
    /// unknown].
    #[arg(long, value_enum, value_name = "STATE")]
    pub segment_commitment: Option<SegmentCommitment>,

    /// Whether the site needs Heap's text capture disabled in code (disableTextCapture), weighed
    /// by the recommended install path [default: unknown: a need when most pages disable it].
    #[arg(long, value_enum, value_name = "NEED")]
    pub disable_text_capture: Option<TextCaptureNeed>,

    /// Configuration file [default: ./heap-audit.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Do not report the findings recorded in this file (written by --write-baseline).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record the current findings in this file, to use with --baseline.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Also render a sample of the pages in headless Chromium and check what really runs.
    #[arg(long, help_heading = "Browser")]
    pub render: bool,

    /// The Chromium binary for --render [default: chromium on PATH].
    #[arg(long, value_name = "PATH", help_heading = "Browser")]
    pub chromium: Option<PathBuf>,

    /// The most pages --render renders: the start page, one per template, then the rest.
    #[arg(long, default_value_t = 10, value_name = "N", help_heading = "Browser", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub render_pages: u64,

    /// Milliseconds --render waits after a page's load event and network idle.
    #[arg(long, default_value_t = 0, value_name = "MS", help_heading = "Browser", value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub render_wait: u64,

    /// Consent --render gives: none, or accept (through OneTrust, Cookiebot, Usercentrics).
    #[arg(long, value_enum, default_value_t = RenderConsent::None, value_name = "MODE", help_heading = "Browser")]
    pub render_consent: RenderConsent,

    /// Block requests outside the site, the remaps and the vendors' hosts while rendering.
    #[arg(long, help_heading = "Browser")]
    pub render_block_third_party: bool,

    /// Pages rendered at a time (tabs of one browser).
    #[arg(long, default_value_t = 2, value_name = "N", help_heading = "Browser", value_parser = clap::value_parser!(u64).range(1..=16))]
    pub render_concurrency: u64,

    // Last: clap applies the flattened struct's help heading to every argument after it.
    #[command(flatten)]
    pub batch: BatchArgs,
}

/// `heap-audit init`: what to scan and where to write.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The site (URL) or build folder whose ids go into the file; none: a file without ids.
    #[arg(value_name = "TARGET")]
    pub target: Option<String>,

    /// Where to write the file ('-' for standard output).
    #[arg(long, short = 'o', value_name = "FILE", default_value = DEFAULT_FILE)]
    pub output: PathBuf,

    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,

    /// Fetch nothing beyond the target (ids in Segment settings and GTM containers are not seen).
    #[arg(long)]
    pub offline: bool,

    /// Rewrite URLs before fetching, as for scan (repeatable).
    #[arg(long, value_name = "'REGEX REPLACEMENT'")]
    pub remap: Vec<Remap>,

    /// Extra request header for the target site, as for scan (repeatable; not written to the file).
    #[arg(long = "header", short = 'H', value_name = "'NAME: VALUE'", value_parser = HEADER)]
    pub headers: Vec<(String, String)>,
}

/// `scan --targets-from`: a list of sites, each audited as its own site.
#[derive(Debug, Args)]
#[command(next_help_heading = "Batch audits")]
pub struct BatchArgs {
    /// Audit each target listed in FILE ('-': standard input) as its own site: one per line,
    /// blank lines and '#' comments skipped.
    #[arg(long, value_name = "FILE", conflicts_with = "targets")]
    pub targets_from: Option<PathBuf>,

    /// Audit only this part of the --targets-from list: INDEX/COUNT, INDEX from 0 (e.g.
    /// $JOB_COMPLETION_INDEX/4); a stable hash of each target picks its part.
    #[arg(long, value_name = "INDEX/COUNT", requires = "targets_from")]
    pub shard: Option<Shard>,

    /// Sites of a --targets-from list audited at the same time; --concurrency is shared among
    /// them.
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub sites_at_once: u16,
}

impl ScanArgs {
    /// `--render` and its options; `None` without `--render`.
    pub fn render_options(&self) -> Option<crate::render::RenderOptions> {
        self.render.then(|| crate::render::RenderOptions {
            chromium: self.chromium.clone(),
            pages: usize::try_from(self.render_pages).unwrap_or(usize::MAX),
            wait: Duration::from_millis(self.render_wait),
            accept_consent: self.render_consent == RenderConsent::Accept,
            block_third_party: self.render_block_third_party,
            concurrency: usize::try_from(self.render_concurrency).unwrap_or(2),
            ..crate::render::RenderOptions::default()
        })
    }

    pub fn scan_options(&self) -> ScanOptions {
        ScanOptions {
            max_pages: self
                .max_pages
                .map_or(ScanOptions::default().max_pages, |n| n as usize),
            max_pages_set: self.max_pages.is_some(),
            max_depth: self.max_depth,
            concurrency: usize::from(self.concurrency),
            include: self.include.clone(),
            exclude: self.exclude.clone(),
            ignore_robots: self.ignore_robots,
            offline: self.offline,
            max_per_pattern: self.max_per_pattern,
            cancel: Cancel::new().with_budget(self.max_time.map(Duration::from_secs)),
            fetch: FetchConfig {
                timeout: Duration::from_secs(self.timeout),
                user_agent: self.user_agent.clone(),
                headers: self.headers.clone(),
                header_hosts: Vec::new(),
                credentials: Vec::new(),
                max_body: usize::try_from(self.max_body).unwrap_or(usize::MAX),
                max_redirects: 10,
                remaps: self.remap.clone(),
                max_retries: self.max_retries,
                rate: self.rate,
                max_host_connections: usize::from(self.max_host_connections),
                proxy: self.proxy.clone(),
                ca_certs: self.ca_cert.clone(),
                insecure: self.insecure,
            },
            observer: None,
            mode: self.mode,
            include_paths: self.include_path.clone(),
            exclude_paths: self.exclude_path.clone(),
        }
    }

    /// How much to say on standard error.
    pub fn verbosity(&self) -> Verbosity {
        match (self.quiet, self.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, true) => Verbosity::Verbose,
            (false, false) => Verbosity::Normal,
        }
    }
}

/// Parses an option whose value is never echoed: clap's own "invalid value '…'" message would
/// print the whole argument, which may be a token, a cookie or a password.
#[derive(Clone, Copy)]
struct Secret<T> {
    /// The option's long name, for the message.
    flag: &'static str,
    parse: fn(&str) -> Result<T, String>,
}

impl<T> std::fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret(--{})", self.flag)
    }
}

/// `--header`: a token or a cookie.
const HEADER: Secret<(String, String)> = Secret {
    flag: "header",
    parse: parse_header,
};

/// `--proxy`: its URL may hold a password.
const PROXY: Secret<Proxy> = Secret {
    flag: "proxy",
    parse: |s| s.parse(),
};

impl<T: Clone + Send + Sync + 'static> clap::builder::TypedValueParser for Secret<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let invalid = |message: String| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid --{}: {message}\n", self.flag),
            )
            .with_cmd(cmd)
        };
        let text = value
            .to_str()
            .ok_or_else(|| invalid("not valid UTF-8".to_owned()))?;
        (self.parse)(text).map_err(invalid)
    }
}

/// A `--ca-cert` file, read and checked now: a wrong path is a usage error, not a TLS failure on
/// every page.
fn parse_ca_cert(s: &str) -> Result<CaCert, String> {
    CaCert::read(std::path::Path::new(s))
}

/// A Heap app (environment) id: digits, 1 to 12 of them (Heap's ids have 9 or 10).
fn parse_app_id(s: &str) -> Result<String, String> {
    let id = s.trim();
    if !id.is_empty() && id.len() <= 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(id.to_owned())
    } else {
        Err(format!(
            "expected a Heap app id (digits, e.g. 1535634150: Account > Manage > Projects), got '{s}'"
        ))
    }
}

/// Requests per second: from one an hour to ten thousand.
fn parse_percent(s: &str) -> Result<f64, String> {
    let number = s.trim().trim_end_matches('%');
    match number.parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("expected a percentage from 0 to 100, got '{s}'")),
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(rate) if (1.0 / 3600.0..=10_000.0).contains(&rate) => Ok(rate),
        _ => Err(format!(
            "expected requests per second, from 0.0003 (one an hour) to 10000, got '{s}'"
        )),
    }
}

fn parse_header(s: &str) -> Result<(String, String), String> {
    // The value is usually a secret: errors name the header, never echo it.
    let (name, value) = s.split_once(':').ok_or_else(|| {
        "expected 'Name: value' (no ':' found; the text is not shown, it may hold a secret)"
            .to_owned()
    })?;
    let name = name.trim();
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
    {
        return Err(format!("invalid header name '{name}'"));
    }
    if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
        return Err(format!("the value of '{name}' holds a control character"));
    }
    // HTTP clients refuse other bytes, and their errors would quote the whole header.
    if !value.is_ascii() {
        return Err(format!(
            "the value of '{name}' is not ASCII (percent- or base64-encode it)"
        ));
    }
    Ok((name.to_owned(), value.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn app_ids() {
        assert_eq!(parse_app_id(" 1535634150 "), Ok("1535634150".into()));
        for bad in ["abc", "", "12345678901234", "1535-634150", "YOUR_APP_ID"] {
            assert!(parse_app_id(bad).is_err_and(|e| e.contains(bad)), "{bad}");
        }
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("2"), Ok(2.0));
        assert_eq!(parse_rate("0.5"), Ok(0.5));
        for bad in ["0", "-1", "fast", "inf", "NaN", "1e-300", "1e9"] {
            assert!(parse_rate(bad).is_err_and(|e| e.contains(bad)), "{bad}");
        }
    }

    #[test]
    fn headers() {
        assert_eq!(
            parse_header("Cookie: a=b; c=d").unwrap(),
            ("Cookie".into(), "a=b; c=d".into())
        );
        assert!(parse_header("nocolon").is_err());
        assert!(parse_header("bad name: x").is_err());
        let err = parse_header("X-Token: sécret").unwrap_err();
        assert!(err.contains("X-Token") && !err.contains("sécret"), "{err}");
        let err = parse_header("X-Token: abc\r\nHost: evil").unwrap_err();
        assert!(err.contains("X-Token") && !err.contains("abc"), "{err}");
    }
}
