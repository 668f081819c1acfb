//! How the command line talks, the same for every subcommand: `-q` and `-v`
//! (how much), `--color` (whether), `--format human|json` (in what form).
//!
//! Why one place: scripts rely on these conventions across tools. `-q`
//! leaves only errors and warnings (on stderr) and what was explicitly asked
//! for (a JSON document); `-v` adds detail; colour follows `--color`, and
//! under `auto` only a terminal gets it and `NO_COLOR` turns it off
//! (anstream strips the styles otherwise, per stream). With `--format json`
//! stdout carries exactly one JSON document: every other line (progress,
//! warnings, notes) goes to stderr.

use std::io::Write;
use std::sync::OnceLock;

use anstyle::{AnsiColor, Style};

/// The flags every subcommand accepts (global: before or after it).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct OutputArgs {
    /// Print only errors and warnings (no progress, no summary, no list of
    /// what was written); what was asked for (a JSON document, hints,
    /// completions, the man page) is still printed.
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        help_heading = "Output"
    )]
    pub quiet: bool,
    /// Say more: which files of the suite folders were skipped as project
    /// configs.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = "Output")]
    pub verbose: u8,
    /// Colour the output: auto (only on a terminal, and not when NO_COLOR is
    /// set), always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN", help_heading = "Output")]
    pub color: ColorWhen,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorWhen {
    #[default]
    Auto,
    Always,
    Never,
}

/// What stdout carries.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
}

/// `--format` of the subcommands that have a machine-readable form.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct FormatArg {
    /// What stdout carries: human (readable text) or json (one JSON
    /// document; progress and notes go to stderr).
    #[arg(long, value_enum, default_value_t = Format::Human, value_name = "FORMAT", help_heading = "Output")]
    pub format: Format,
}

impl FormatArg {
    pub fn json(&self) -> bool {
        self.format == Format::Json
    }
}

static OUTPUT: OnceLock<OutputArgs> = OnceLock::new();

/// Set once, from the parsed command line, before the subcommand runs.
pub fn init(args: OutputArgs) {
    let choice = match args.color {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
    let _ = OUTPUT.set(args);
}

fn get() -> &'static OutputArgs {
    static DEFAULT: OutputArgs = OutputArgs {
        quiet: false,
        verbose: 0,
        color: ColorWhen::Auto,
    };
    OUTPUT.get().unwrap_or(&DEFAULT)
}

pub fn quiet() -> bool {
    get().quiet
}

pub fn verbose() -> u8 {
    get().verbose
}

/// `println!` unless `-q`: what a command says it did (not what was asked
/// for, which is printed anyway).
macro_rules! say {
    ($($arg:tt)*) => {
        if !$crate::cli::output::quiet() {
            println!($($arg)*);
        }
    };
}
pub(crate) use say;

/// Print text that may carry styles on stdout; the styles are kept only
/// when `--color` (and the terminal, and `NO_COLOR`) allow.
pub fn print(text: &str) -> std::io::Result<()> {
    let mut out = anstream::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Print a styled line on stderr, under the same rule.
pub fn eprint(text: &str) {
    let mut err = anstream::stderr().lock();
    let _ = err.write_all(text.as_bytes());
}

/// Whether an error is stdout's reader going away (`edgeparity list |
/// head`): not worth a message.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

/// One JSON document on stdout, then a newline.
pub fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    serde_json::to_writer_pretty(&mut out, value)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

fn paint(style: Style, word: &str) -> String {
    format!("{style}{word}{style:#}")
}

/// Styles for the first word of a line of the run summary or the gate:
/// what is wrong in red, what needs a look in yellow, what is fine in green.
fn style_of(word: &str) -> Option<Style> {
    let color = match word {
        "DIFFERS" | "BLOCKING" | "EXPIRED" | "ERROR" | "error:" => AnsiColor::Red,
        "FLAKY" | "NO-GOLDEN" | "STALE" | "WARNING:" => AnsiColor::Yellow,
        "ALLOWED" => AnsiColor::Cyan,
        "PARITY" => AnsiColor::Green,
        "GATE" => AnsiColor::Magenta,
        _ => return None,
    };
    Some(Style::new().fg_color(Some(color.into())).bold())
}

/// The summary or gate text with its verdict words and diff lines styled.
/// The text was made visible before (server bytes cannot carry escapes), so
/// the only escapes in the result are the ones added here.
pub fn styled(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let ending = &line[body.len()..];
        let word = body.split(' ').next().unwrap_or("");
        if let Some(style) = style_of(word) {
            out.push_str(&paint(style, word));
            out.push_str(&body[word.len()..]);
        } else if let Some(rest) = body.strip_prefix("      ") {
            let style = match rest.as_bytes().first() {
                Some(b'-') if !rest.starts_with("---") => {
                    Some(Style::new().fg_color(Some(AnsiColor::Red.into())))
                }
                Some(b'+') if !rest.starts_with("+++") => {
                    Some(Style::new().fg_color(Some(AnsiColor::Green.into())))
                }
                _ => None,
            };
            match style {
                Some(s) => out.push_str(&paint(s, body)),
                None => out.push_str(body),
            }
        } else {
            out.push_str(body);
        }
        out.push_str(ending);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_words_and_diff_lines_are_styled_and_nothing_else() {
        let text = "DIFFERS  www::home\n  [cloudflare] body: text bodies differ\n      -old\n      +new\n      --- baseline\nPARITY is a word\nplain line\n";
        let s = styled(text);
        assert!(
            s.contains("\u{1b}[1m\u{1b}[31mDIFFERS\u{1b}[0m  www::home\n"),
            "{s:?}"
        );
        assert!(s.contains("\u{1b}[31m      -old\u{1b}[0m\n"), "{s:?}");
        assert!(s.contains("\u{1b}[32m      +new\u{1b}[0m\n"), "{s:?}");
        assert!(s.contains("\n      --- baseline\n"), "{s:?}");
        assert!(s.ends_with("\nplain line\n"), "{s:?}");
        // Stripped of the styles, the text is what it was.
        let plain = anstream::adapter::strip_str(&s).to_string();
        assert_eq!(plain, text);
    }
}
