//! The configuration file, `heap-audit.toml`: what a team states once instead of on every command
//! line. It is found in the current directory, or given with `--config FILE`.
//!
//! Every top-level key is a long option of `scan`, in snake_case or kebab-case (`max_pages`,
//! `fail-on`, `header`, ...), so an option added to the command line has a key with no code here.
//! The file's values are turned back into arguments (`--max-pages=50`; arrays repeat the option,
//! `true` gives a flag) and parsed with the command line, by the same value parsers; options given
//! on the command line win. Three tables are not options:
//!
//! ```toml
//! fail_on = "warning"
//! header = ["Authorization: Bearer ${PREVIEW_TOKEN}"]   # ${VAR}: from the environment
//!
//! [rules]                          # rule name or code = "error" | "warning" | "info" | "off"
//! heap-via-tag-manager = "off"
//! HA008 = "error"
//!
//! [[environments]]                 # the ids each environment must use (app-id-mismatch)
//! name = "production"
//! hosts = ["www.example.com"]
//! heap_app_id = "1535634150"
//! segment_write_key = "q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH"
//!
//! [[segment_sources]]              # whether Heap is a destination (segment-without-heap-sdk)
//! write_key = "Qm7Tz2LpXv9RwKd4NsYb8HcJf3GeAu6V"
//! heap_destination = "cloud"       # cloud | device | none
//! ```
//!
//! Unknown keys and bad values are errors naming the file, the line and the key.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::ops::Range;
use std::path::{Path, PathBuf};

use clap::error::ErrorKind;
use clap::{Arg, ArgAction, ArgMatches, CommandFactory, FromArgMatches};
use regex::Regex;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::baseline::{Baseline, BaselineError};
use crate::cli::{Cli, ScanArgs};
use crate::model::Severity;
use crate::options::{SegmentCommitment, TextCaptureNeed};
use crate::rules::{self, Environment, HeapDestination, Intent, RuleLevel, SegmentSource};

pub use crate::cli::DEFAULT_FILE;

/// Options whose values get `${VAR}` substituted from the environment, so secrets stay out of
/// the file. Their values are never shown in an error.
const INTERPOLATED: &[&str] = &["header", "proxy"];

/// `scan` options that have no key: they are about the file itself.
const NOT_KEYS: &[&str] = &["config", "help", "version"];

/// What the file says beyond command-line options.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The file read, if any.
    pub path: Option<PathBuf>,
    /// `[rules]`: severity overrides and disabled rules, by rule code.
    pub rules: BTreeMap<String, RuleLevel>,
    /// `[[environments]]`, in file order.
    pub environments: Vec<Environment>,
    /// `[[segment_sources]]`, in file order.
    pub segment_sources: Vec<SegmentSource>,
}

/// The command line, completed by the configuration file.
#[derive(Debug)]
pub struct Parsed {
    pub cli: Cli,
    pub settings: Settings,
}

/// Why the configuration could not be used. Messages name the file, and the line and key where
/// there is one; they never show a value that came from `${VAR}`.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}:{line}: {key}: {message}", path.display())]
    Key {
        path: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
    #[error("{}: {message}", path.display())]
    Combined { path: PathBuf, message: String },
    #[error("{0}")]
    Cli(#[from] clap::Error),
}

/// The `scan` options that are keys of the file, in `--help` order.
pub fn options() -> Vec<Arg> {
    Cli::command()
        .find_subcommand("scan")
        .map(|c| {
            c.get_arguments()
                .filter(|a| a.get_long().is_some_and(|l| !NOT_KEYS.contains(&l)))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

impl Settings {
    /// What the rules are told: the `scan` options and the file's settings; reads `--baseline`.
    pub fn rule_config(self, args: &ScanArgs) -> Result<rules::Config, BaselineError> {
        Ok(rules::Config {
            expect_app_id: args.expect_app_id.clone(),
            not_committed_to_segment: args.not_committed_to_segment,
            rule_levels: self.rules,
            environments: self.environments,
            baseline: args.baseline.as_deref().map(Baseline::load).transpose()?,
            segment_commitment: match args.segment_commitment.unwrap_or_default() {
                SegmentCommitment::Committed => Intent::Yes,
                SegmentCommitment::NotCommitted => Intent::No,
                SegmentCommitment::Unknown => Intent::Unknown,
            },
            disable_text_capture: match args.disable_text_capture.unwrap_or_default() {
                TextCaptureNeed::Needed => Intent::Yes,
                TextCaptureNeed::NotNeeded => Intent::No,
                TextCaptureNeed::Unknown => Intent::Unknown,
            },
            segment_sources: self.segment_sources,
        })
    }
}

/// The ids of the `scan` arguments that cannot be given with `id` (declared on either side).
fn conflicts(id: &str) -> Vec<String> {
    let command = Cli::command();
    let Some(scan) = command.find_subcommand("scan") else {
        return Vec::new();
    };
    let Some(arg) = scan.get_arguments().find(|a| a.get_id() == id) else {
        return Vec::new();
    };
    let mut ids: Vec<String> = scan
        .get_arg_conflicts_with(arg)
        .into_iter()
        .map(|a| a.get_id().to_string())
        .collect();
    for other in scan.get_arguments() {
        if scan
            .get_arg_conflicts_with(other)
            .iter()
            .any(|a| a.get_id() == id)
        {
            ids.push(other.get_id().to_string());
        }
    }
    ids
}

/// The command line as first parsed, before the file is read. `scan` may lack its targets when
/// the file gives `targets_from`: that one error is put off until the file is read (the line is
/// parsed again, whole, then).
pub fn first_pass(argv: &[OsString]) -> ArgMatches {
    match Cli::command().try_get_matches_from(argv) {
        Ok(matches) => matches,
        Err(e) if e.kind() == ErrorKind::MissingRequiredArgument => {
            let relaxed = Cli::command().mut_subcommand("scan", |scan| {
                scan.mut_arg("targets", |_| {
                    Arg::new("targets")
                        .value_name("TARGET")
                        .num_args(1..)
                        .action(ArgAction::Append)
                        .value_parser(clap::value_parser!(String))
                })
            });
            relaxed
                .try_get_matches_from(argv)
                .unwrap_or_else(|_| e.exit())
        }
        Err(e) => e.exit(),
    }
}

/// Complete the parsed command line with the configuration file, for `scan` (other commands
/// read no file). `argv` is what `matches` was parsed from.
pub fn resolve(argv: &[OsString], matches: &ArgMatches) -> Result<Parsed, ConfigError> {
    let Some(("scan", scan)) = matches.subcommand() else {
        return Ok(Parsed {
            cli: Cli::from_arg_matches(matches)?,
            settings: Settings::default(),
        });
    };
    let Some(file) = File::find(scan.get_one::<PathBuf>("config").map(PathBuf::as_path))? else {
        // No file: the command line alone must be complete.
        let matches = Cli::command().try_get_matches_from(argv)?;
        return Ok(Parsed {
            cli: Cli::from_arg_matches(&matches)?,
            settings: Settings::default(),
        });
    };
    file.complete(argv, scan)
}

/// Check a configuration text as if it were `heap-audit.toml` (for tests and fuzzing: no file).
pub fn parse(text: &str) -> Result<Settings, ConfigError> {
    let argv: Vec<OsString> = ["heap-audit", "scan", "."].map(OsString::from).to_vec();
    let matches = Cli::command().try_get_matches_from(&argv)?;
    let file = File {
        path: PathBuf::from(DEFAULT_FILE),
        text: text.to_owned(),
    };
    let scan = matches
        .subcommand_matches("scan")
        .ok_or_else(|| clap::Error::new(ErrorKind::MissingSubcommand))?;
    Ok(file.complete(&argv, scan)?.settings)
}

impl File {
    /// The command line `argv` (parsed as `scan`) completed by this file.
    fn complete(&self, argv: &[OsString], scan: &ArgMatches) -> Result<Parsed, ConfigError> {
        let file = self;
        let (tokens, settings) = file.read(scan)?;
        // The file's options go right after `scan`, before anything (such as `--`) could end options.
        let at = argv
            .iter()
            .skip(1)
            .position(|a| a == "scan")
            .map_or(argv.len(), |i| i + 2);
        let mut merged = argv[..at].to_vec();
        merged.extend(tokens);
        merged.extend_from_slice(&argv[at..]);
        let combined = |e: clap::Error| ConfigError::Combined {
            path: file.path.clone(),
            message: first_line(&e),
        };
        let matches = Cli::command()
            .try_get_matches_from(merged)
            .map_err(combined)?;
        Ok(Parsed {
            cli: Cli::from_arg_matches(&matches).map_err(combined)?,
            settings,
        })
    }
}

/// A configuration file's text.
struct File {
    path: PathBuf,
    text: String,
}

impl File {
    /// The file given, else `heap-audit.toml` here if it exists.
    fn find(explicit: Option<&Path>) -> Result<Option<File>, ConfigError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None if Path::new(DEFAULT_FILE).is_file() => PathBuf::from(DEFAULT_FILE),
            None => return Ok(None),
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        Ok(Some(File { path, text }))
    }

    fn line(&self, span: &Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    fn error(&self, span: &Range<usize>, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Key {
            path: self.path.clone(),
            line: self.line(span),
            key: key.to_owned(),
            message: message.into(),
        }
    }

    /// The arguments for the options the command line leaves unset, and the other settings.
    fn read(&self, scan: &ArgMatches) -> Result<(Vec<OsString>, Settings), ConfigError> {
        let table = DeTable::parse(&self.text).map_err(|e| ConfigError::Syntax {
            path: self.path.clone(),
            line: self.line(&e.span().unwrap_or(0..0)),
            message: e.message().trim().to_owned(),
        })?;
        let options = options();
        let mut tokens = Vec::new();
        let mut settings = Settings {
            path: Some(self.path.clone()),
            ..Settings::default()
        };
        // In file order, so the first mistake reported is the first one in the file.
        let mut entries: Vec<_> = table.get_ref().iter().collect();
        entries.sort_by_key(|(key, _)| key.span().start);
        for (key, value) in entries {
            let (name, span) = (key.get_ref().as_ref(), key.span());
            match name {
                "rules" => settings.rules = self.rule_levels(value)?,
                "environments" => settings.environments = self.environments(value)?,
                "segment_sources" => settings.segment_sources = self.segment_sources(value)?,
                _ => {
                    let long = name.replace('_', "-");
                    let arg = options
                        .iter()
                        .find(|a| a.get_long() == Some(long.as_str()))
                        .ok_or_else(|| self.error(&span, name, unknown_key(name, &options)))?;
                    // Checked even when the command line overrides it: a bad file is an error.
                    let args = self.option(arg, name, value)?;
                    // The command line wins: over the same option, and over an option it
                    // cannot be combined with (`-q` over `verbose`, targets over `targets_from`).
                    let given = |id: &str| {
                        scan.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
                    };
                    let overridden = given(arg.get_id().as_str())
                        || conflicts(arg.get_id().as_str()).iter().any(|id| given(id));
                    if !overridden {
                        tokens.extend(args);
                    }
                }
            }
        }
        Ok((tokens, settings))
    }

    /// The arguments for one option's value, checked by the option's own parser.
    fn option(
        &self,
        arg: &Arg,
        key: &str,
        value: &Spanned<DeValue>,
    ) -> Result<Vec<OsString>, ConfigError> {
        let long = arg.get_long().unwrap_or(key);
        let err = |message: String| self.error(&value.span(), key, message);
        let raw: Vec<String> = match arg.get_action() {
            ArgAction::SetTrue | ArgAction::SetFalse => {
                let on = value
                    .get_ref()
                    .as_bool()
                    .ok_or_else(|| err(format!("expected true or false, got {}", kind(value))))?;
                let wanted = matches!(arg.get_action(), ArgAction::SetTrue);
                return Ok(if on == wanted {
                    vec![format!("--{long}").into()]
                } else {
                    Vec::new()
                });
            }
            ArgAction::Count => {
                let n = value
                    .get_ref()
                    .as_integer()
                    .and_then(|i| u8::from_str_radix(i.as_str(), i.radix()).ok())
                    .ok_or_else(|| err(format!("expected a count (0-255), got {}", kind(value))))?;
                return Ok(vec![format!("--{long}").into(); usize::from(n)]);
            }
            ArgAction::Append => match value.get_ref() {
                DeValue::Array(items) => items
                    .iter()
                    .map(|v| scalar(v).ok_or_else(|| err(format!("expected an array of strings or numbers, got an element that is {}", kind(v)))))
                    .collect::<Result<_, _>>()?,
                _ => vec![scalar(value).ok_or_else(|| {
                    err(format!("expected a string, a number or an array, got {}", kind(value)))
                })?],
            },
            _ => vec![scalar(value).ok_or_else(|| {
                err(format!("expected a string or a number, got {}", kind(value)))
            })?],
        };
        let interpolated = INTERPOLATED.contains(&long);
        let mut tokens = Vec::new();
        for text in raw {
            let token = if interpolated {
                // Check the text as written first, so an error shows no substituted secret.
                check_value(long, &text).map_err(&err)?;
                let value = interpolate(&text).map_err(&err)?;
                check_value(long, &value).map_err(|_| {
                    err(format!(
                        "invalid value '{text}' once its ${{VARIABLES}} are substituted (the result is not shown: it may hold a secret)"
                    ))
                })?;
                value
            } else {
                check_value(long, &text).map_err(&err)?;
                text
            };
            tokens.push(format!("--{long}={token}").into());
        }
        Ok(tokens)
    }

    /// `[rules]`: rule name or code = error | warning | info | off.
    fn rule_levels(
        &self,
        value: &Spanned<DeValue>,
    ) -> Result<BTreeMap<String, RuleLevel>, ConfigError> {
        let table = value
            .get_ref()
            .as_table()
            .ok_or_else(|| self.error(&value.span(), "rules", "expected a table: [rules]"))?;
        let mut levels = BTreeMap::new();
        for (key, level) in table {
            let name = key.get_ref().as_ref();
            let rule = rules::find(name).ok_or_else(|| {
                self.error(
                    &key.span(),
                    name,
                    rules::UnknownRule(name.to_owned()).to_string(),
                )
            })?;
            let level = level
                .get_ref()
                .as_str()
                .and_then(RuleLevel::parse)
                .ok_or_else(|| {
                    self.error(
                        &level.span(),
                        name,
                        format!(
                            "expected \"error\", \"warning\", \"info\" or \"off\", got {}",
                            match level.get_ref() {
                                DeValue::String(text) => format!("\"{text}\""),
                                _ => kind(level).to_owned(),
                            }
                        ),
                    )
                })?;
            levels.insert(rule.code().to_owned(), level);
        }
        Ok(levels)
    }

    /// `[[environments]]`: name, hosts, urls, condition, heap_app_id, segment_write_key.
    fn environments(&self, value: &Spanned<DeValue>) -> Result<Vec<Environment>, ConfigError> {
        let array = match value.get_ref() {
            DeValue::Array(items) => items,
            _ => {
                return Err(self.error(
                    &value.span(),
                    "environments",
                    "expected an array of tables: [[environments]]",
                ))
            }
        };
        let mut out: Vec<Environment> = Vec::new();
        for item in array.iter() {
            let table = item.get_ref().as_table().ok_or_else(|| {
                self.error(
                    &item.span(),
                    "environments",
                    "expected a table: [[environments]]",
                )
            })?;
            let env = self.environment(item.span(), table)?;
            if out.iter().any(|e| e.name == env.name) {
                return Err(self.error(
                    &item.span(),
                    "environments",
                    format!("environment '{}' is defined twice", env.name),
                ));
            }
            out.push(env);
        }
        Ok(out)
    }

    /// `[[segment_sources]]`: write_key, name, heap_destination.
    fn segment_sources(&self, value: &Spanned<DeValue>) -> Result<Vec<SegmentSource>, ConfigError> {
        const KEY: &str = "segment_sources";
        let DeValue::Array(items) = value.get_ref() else {
            return Err(self.error(
                &value.span(),
                KEY,
                "expected an array of tables: [[segment_sources]]",
            ));
        };
        let mut out: Vec<SegmentSource> = Vec::new();
        for item in items.iter() {
            let table = item.get_ref().as_table().ok_or_else(|| {
                self.error(&item.span(), KEY, "expected a table: [[segment_sources]]")
            })?;
            let (mut write_key, mut name, mut destination) = (None, None, None);
            for (key, value) in table {
                let k = key.get_ref().as_ref();
                let err = |message: &str| self.error(&value.span(), k, message);
                let text = || {
                    value
                        .get_ref()
                        .as_str()
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                };
                match k {
                    "write_key" => {
                        write_key = Some(text().ok_or_else(|| err("expected a non-empty string"))?)
                    }
                    "name" => name = Some(text().ok_or_else(|| err("expected a non-empty string"))?),
                    "heap_destination" => {
                        destination = Some(match text().as_deref() {
                            Some("cloud") => HeapDestination::Cloud,
                            Some("device") => HeapDestination::Device,
                            Some("none") => HeapDestination::None,
                            _ => return Err(err("expected \"cloud\", \"device\" or \"none\"")),
                        })
                    }
                    _ => {
                        return Err(self.error(
                            &key.span(),
                            k,
                            "unknown key in [[segment_sources]]: expected write_key, name or heap_destination",
                        ))
                    }
                }
            }
            let write_key = write_key.ok_or_else(|| {
                self.error(&item.span(), KEY, "a Segment source needs its write_key")
            })?;
            let heap_destination = destination.ok_or_else(|| {
                self.error(
                    &item.span(),
                    KEY,
                    "a Segment source needs heap_destination: \"cloud\", \"device\" or \"none\"",
                )
            })?;
            if out.iter().any(|s| s.write_key == write_key) {
                return Err(self.error(
                    &item.span(),
                    KEY,
                    format!("write key '{write_key}' is listed twice"),
                ));
            }
            out.push(SegmentSource {
                write_key,
                name,
                heap_destination,
            });
        }
        Ok(out)
    }

    fn environment(&self, span: Range<usize>, table: &DeTable) -> Result<Environment, ConfigError> {
        let mut env = Environment::default();
        let mut named = false;
        for (key, value) in table {
            let name = key.get_ref().as_ref();
            let err = |message: &str| self.error(&value.span(), name, message);
            match name {
                "name" => {
                    env.name = value.get_ref().as_str().filter(|s| !s.trim().is_empty()).ok_or_else(|| err("expected a non-empty string"))?.trim().to_owned();
                    named = true;
                }
                "heap_app_id" => env.heap_app_id = Some(scalar(value).ok_or_else(|| err("expected a string or a number"))?.trim().to_owned()),
                "segment_write_key" => env.segment_write_key = Some(value.get_ref().as_str().ok_or_else(|| err("expected a string"))?.trim().to_owned()),
                "hosts" => env.hosts = strings(value).ok_or_else(|| err("expected an array of host names"))?,
                "urls" => {
                    for pattern in strings(value).ok_or_else(|| err("expected an array of regular expressions"))? {
                        env.urls.push(Regex::new(&pattern).map_err(|e| {
                            // regex's syntax errors draw a caret under the pattern: keep the last line.
                            let text = e.to_string();
                            let why = text.lines().last().unwrap_or_default().trim_start_matches("error: ");
                            err(&format!("invalid regular expression '{pattern}': {why}"))
                        })?);
                    }
                }
                "condition" => {
                    let pattern = value.get_ref().as_str().ok_or_else(|| err("expected a regular expression (a string)"))?;
                    env.condition = Some(Regex::new(pattern).map_err(|e| {
                        let text = e.to_string();
                        let why = text.lines().last().unwrap_or_default().trim_start_matches("error: ");
                        err(&format!("invalid regular expression '{pattern}': {why}"))
                    })?);
                }
                _ => {
                    return Err(self.error(
                        &key.span(),
                        name,
                        "unknown key in [[environments]]: expected name, hosts, urls, condition, heap_app_id or segment_write_key",
                    ))
                }
            }
        }
        if !named {
            return Err(self.error(&span, "environments", "an environment needs a name"));
        }
        Ok(env)
    }
}

/// A string, integer or float as text; booleans too, for options that take them as values.
fn scalar(value: &Spanned<DeValue>) -> Option<String> {
    match value.get_ref() {
        DeValue::String(s) => Some(s.to_string()),
        DeValue::Integer(i) => i128::from_str_radix(i.as_str(), i.radix())
            .ok()
            .map(|n| n.to_string()),
        DeValue::Float(f) => Some(f.as_str().to_owned()),
        DeValue::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An array of strings.
fn strings(value: &Spanned<DeValue>) -> Option<Vec<String>> {
    match value.get_ref() {
        DeValue::Array(items) => items
            .iter()
            .map(|v| v.get_ref().as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

/// What kind of TOML value this is, for messages.
fn kind(value: &Spanned<DeValue>) -> &'static str {
    match value.get_ref() {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// Run one option's value through the real command line's parser.
fn check_value(long: &str, value: &str) -> Result<(), String> {
    let argv = [
        "heap-audit",
        "scan",
        &format!("--{long}={value}"),
        "--",
        ".",
    ];
    match Cli::command().try_get_matches_from(argv) {
        Ok(_) => Ok(()),
        // Alone, an option may miss a companion or conflict with the placeholder target; the
        // whole command line is parsed again later.
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::ArgumentConflict | ErrorKind::MissingRequiredArgument
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(first_line(&e)),
    }
}

/// A clap error on one line, without its `error: ` prefix, usage and `--help` hint.
fn first_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information")
        })
        .collect();
    let joined = lines.join(" ");
    joined.strip_prefix("error: ").unwrap_or(&joined).to_owned()
}

/// The message for a key that is no option, with the closest one.
fn unknown_key(name: &str, options: &[Arg]) -> String {
    let wanted = name.replace('-', "_");
    let closest = options
        .iter()
        .filter_map(|a| a.get_long())
        .map(|l| l.replace('-', "_"))
        .chain(["rules", "environments", "segment_sources"].map(str::to_owned))
        .map(|k| (strsim::levenshtein(&wanted, &k), k))
        .min();
    match closest {
        Some((d, key)) if d <= 3 => format!("unknown key (did you mean '{key}'?)"),
        _ => "unknown key: keys are the long options of `heap-audit scan --help` (e.g. max_pages), [rules], [[environments]] and [[segment_sources]]".to_owned(),
    }
}

/// Substitute `${NAME}` with the environment variable NAME. An unset variable is an error naming
/// it (never a value).
pub fn interpolate(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| "unclosed '${' (write ${NAME})".to_owned())?;
        let name = &after[..end];
        let valid = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            return Err(format!("'${{{name}}}' is not a variable name"));
        }
        match std::env::var(name) {
            Ok(value) => out.push_str(&value),
            Err(_) => return Err(format!("environment variable {name} is not set")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

impl RuleLevel {
    /// `error`, `warning`, `info` or `off`, any case.
    pub fn parse(text: &str) -> Option<RuleLevel> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "off" => RuleLevel::Off,
            "error" => RuleLevel::Severity(Severity::Error),
            "warning" => RuleLevel::Severity(Severity::Warning),
            "info" => RuleLevel::Severity(Severity::Info),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_names_the_missing_variable() {
        std::env::set_var("HEAP_AUDIT_TEST_TOKEN", "s3cret");
        assert_eq!(
            interpolate("Authorization: Bearer ${HEAP_AUDIT_TEST_TOKEN}").unwrap(),
            "Authorization: Bearer s3cret"
        );
        assert_eq!(interpolate("a $1 b").unwrap(), "a $1 b");
        let err = interpolate("X: ${HEAP_AUDIT_SURELY_UNSET}").unwrap_err();
        assert!(err.contains("HEAP_AUDIT_SURELY_UNSET"), "{err}");
        assert!(interpolate("X: ${1}").is_err());
        assert!(interpolate("X: ${OPEN").is_err());
    }

    #[test]
    fn rule_levels() {
        assert_eq!(RuleLevel::parse("Off"), Some(RuleLevel::Off));
        assert_eq!(
            RuleLevel::parse("warning"),
            Some(RuleLevel::Severity(Severity::Warning))
        );
        assert_eq!(RuleLevel::parse("fatal"), None);
    }

    #[test]
    fn a_missing_explicit_file_is_an_error() {
        let argv: Vec<OsString> = [
            "heap-audit",
            "scan",
            "--config",
            "/no/such/heap-audit.toml",
            ".",
        ]
        .map(OsString::from)
        .to_vec();
        let matches = Cli::command().try_get_matches_from(&argv).unwrap();
        assert!(matches!(
            resolve(&argv, &matches),
            Err(ConfigError::Read { .. })
        ));
    }
}
