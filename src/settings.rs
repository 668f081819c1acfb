//! Settings that come from the environment, read once into one value that
//! both the CLI and the libtest runner build: `CI` and `PARITY_UPDATE`, and
//! the one async runtime builder.
//!
//! Reading them in one place means one meaning: `CI` is true for `true` or
//! `1` (any case), everywhere; an unknown `PARITY_UPDATE` is an error, not a
//! silent default.

/// `PARITY_UPDATE`: whether runs write pending golden files (`.new`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Update {
    /// Unset or `auto`: with `--baseline golden`, for cases that differ from
    /// or lack their golden file, except under `CI`.
    #[default]
    Auto,
    /// `new` (or `always`): always, for every failing case.
    New,
    /// `no` (or `never`): never.
    Never,
}

/// An environment variable with a value edgeparity does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}=`{value}` is not one of {expected}")]
pub struct SettingsError {
    pub name: &'static str,
    pub value: String,
    pub expected: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settings {
    /// Running under CI: no interaction, no progress bar, no files written
    /// unless asked for.
    pub ci: bool,
    pub update: Update,
}

impl Settings {
    /// From the process environment.
    pub fn from_env() -> Result<Settings, SettingsError> {
        Settings::read(&|k| std::env::var(k).ok())
    }

    /// From any lookup (tests).
    pub fn read(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let ci = lookup("CI")
            .map(|v| v.eq_ignore_ascii_case("true") || v == "1")
            .unwrap_or(false);
        let update = match lookup("PARITY_UPDATE").as_deref().map(str::trim) {
            None | Some("") | Some("auto") => Update::Auto,
            Some("new") | Some("always") => Update::New,
            Some("no") | Some("never") => Update::Never,
            Some(other) => {
                return Err(SettingsError {
                    name: "PARITY_UPDATE",
                    value: other.to_string(),
                    expected: "auto, new (always), no (never)",
                })
            }
        };
        Ok(Settings { ci, update })
    }

    /// Does a run write pending golden files? `golden_mode`: the run
    /// compares against golden files.
    pub fn writes_pending(&self, golden_mode: bool) -> bool {
        match self.update {
            Update::New => true,
            Update::Never => false,
            Update::Auto => golden_mode && !self.ci,
        }
    }
}

/// `--rate` (`PARITY_RATE` for the libtest runner): the most requests per
/// second sent to each provider.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Rate {
    /// [`DEFAULT_RATE`] to a provider with any address off loopback
    /// (production edges, staging); unlimited to one only on loopback
    /// (the testbed, a local `wrangler dev`, in-test servers).
    #[default]
    Default,
    /// No cap.
    Off,
    /// At most this many requests per second to each provider.
    PerSecond(f64),
}

/// The default cap off loopback, in requests per second per provider:
/// low enough for a WAF's or a bot rule's rate limits on a shared edge,
/// high enough for a few hundred cases in a minute.
pub const DEFAULT_RATE: f64 = 10.0;
/// The highest `--rate` accepted.
pub const MAX_RATE: f64 = 100_000.0;

impl Rate {
    /// `N/s`, `N/min` (or `N/m`), `N` (per second), or `off`.
    pub fn parse(s: &str) -> Result<Rate, String> {
        let t = s.trim().to_ascii_lowercase();
        if matches!(t.as_str(), "off" | "none" | "unlimited") {
            return Ok(Rate::Off);
        }
        let (n, per) = match t.split_once('/') {
            None => (t.as_str(), 1.0),
            Some((n, "s" | "sec" | "second")) => (n, 1.0),
            Some((n, "m" | "min" | "minute")) => (n, 60.0),
            Some(_) => return Err(format!("`{s}`: the unit is /s or /min, like 10/s")),
        };
        let n: f64 = n
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not a rate like 10/s, 600/min or off"))?;
        let rate = n / per;
        if !(rate.is_finite() && rate > 0.0 && rate <= MAX_RATE) {
            return Err(format!(
                "`{s}`: a rate is above 0 and at most {MAX_RATE}/s (or `off`)"
            ));
        }
        Ok(Rate::PerSecond(rate))
    }
}

impl std::str::FromStr for Rate {
    type Err = String;
    fn from_str(s: &str) -> Result<Rate, String> {
        Rate::parse(s)
    }
}

/// The async runtime every command and the test runner use.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::read(&move |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    #[test]
    fn ci_means_the_same_everywhere_and_update_is_checked() {
        assert!(read(&[("CI", "true")]).unwrap().ci);
        assert!(read(&[("CI", "1")]).unwrap().ci);
        assert!(read(&[("CI", "TRUE")]).unwrap().ci);
        assert!(!read(&[("CI", "false")]).unwrap().ci);
        assert!(!read(&[]).unwrap().ci);
        let s = read(&[("PARITY_UPDATE", "always")]).unwrap();
        assert_eq!(s.update, Update::New);
        assert!(s.writes_pending(false));
        let s = read(&[("CI", "1")]).unwrap();
        assert!(!s.writes_pending(true));
        assert!(read(&[]).unwrap().writes_pending(true));
        assert!(!read(&[("PARITY_UPDATE", "never")])
            .unwrap()
            .writes_pending(true));
        let e = read(&[("PARITY_UPDATE", "yes")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "PARITY_UPDATE=`yes` is not one of auto, new (always), no (never)"
        );
    }

    #[test]
    fn rates_parse_with_their_unit() {
        assert_eq!(Rate::parse("10/s"), Ok(Rate::PerSecond(10.0)));
        assert_eq!(Rate::parse(" 5 "), Ok(Rate::PerSecond(5.0)));
        assert_eq!(Rate::parse("600/min"), Ok(Rate::PerSecond(10.0)));
        assert_eq!(Rate::parse("0.5/s"), Ok(Rate::PerSecond(0.5)));
        assert_eq!(Rate::parse("OFF"), Ok(Rate::Off));
        for bad in ["0", "-1/s", "10/h", "fast", "NaN", "inf", "1e9"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }
}
