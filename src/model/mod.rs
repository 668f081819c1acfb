//! The model layer: the types the stages exchange. Every stage imports it
//! and it imports no stage (only the vendor tables of `provider` and the
//! `shard` arithmetic, which import nothing of ours), so the module graph is
//! a DAG: `provider → model → suite/plan → exec → normalize → compare/cache/
//! noise → judge → run → report/render/gate/golden → cli/testrunner`.

pub mod diff;
pub mod exchange;
pub mod report;
pub mod result;

pub use diff::{
    clip, is_web_url, unified, Allowed, DiffLine, DiffPart, Difference, Hint, Hunk, Kind, LineTag,
    Severity, AGAINST_OWN_GET, MAX_VALUE,
};
pub use exchange::{BodyCapture, Exchange, ExchangeError, FailureKind, Resolution, Timing};
pub use report::{
    sum_ignore_rules, tool, with_unused_rule_warnings, IgnoreRuleUse, Latency, ProviderInfo,
    Report, Summary, Tool, SCHEMA_VERSION, UNUSED_RULE,
};
pub use result::{
    check_expectation, provider_outages, CaseResult, Confirmation, Expectation, ExpectedDifference,
    Label, Masked, Noise, OutageAcc, ProbeSummary, RequestShown, ResponseSummary, Served, SlotNote,
    VaryFinding, Verdict,
};

/// Is `c` a character that changes how text looks without showing itself
/// (C0/C1 controls except tab and newline, bidirectional controls, zero-width
/// and other format characters)? Such characters from a server or a suite are
/// shown as escapes, never obeyed.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{feff}' | '\u{061c}' | '\u{00ad}'
    )
}

/// `s` with every invisible character shown as `⟨U+202E⟩`: what every
/// human-readable format prints.
pub fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(is_invisible) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_invisible(c) {
            out.push_str(&format!("⟨U+{:04X}⟩", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn invisible_characters_are_shown_as_escapes() {
        assert_eq!(super::visible("evil\u{202e}lvie"), "evil⟨U+202E⟩lvie");
        assert_eq!(super::visible("tab\tok\nline"), "tab\tok\nline");
        assert_eq!(
            super::visible("a\u{0}b\u{1b}[31m"),
            "a⟨U+0000⟩b⟨U+001B⟩[31m"
        );
        assert_eq!(super::visible("zero\u{200b}width"), "zero⟨U+200B⟩width");
    }
}
