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
}
