//! The case results of a run, on disk as they finish, so that a run's
//! memory does not grow with its number of cases.
//!
//! Each finished case is appended to an anonymous file (deleted when the
//! run ends, even by a crash) as one line of JSON; memory keeps only what
//! orders the cases (its [`SortKey`], about 100 bytes a case; what the run
//! counts as they finish is `run::Totals`). The report
//! files are then rendered from it ([`Spooled`] is a [`CaseSource`]), each
//! case read back and dropped in turn: 100,000 cases render in the memory
//! of one.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::model::report::{arrange, CaseSource, Order, SortKey};
use crate::model::CaseResult;

/// Where one case's line is, and what orders it.
struct Entry {
    offset: u64,
    len: u32,
    suite: u32,
    key: SortKey,
}

/// Cases being written, in the order they finish.
pub struct Spool {
    out: BufWriter<File>,
    written: u64,
    line: Vec<u8>,
    /// By plan position; `None` until that case has finished.
    entries: Vec<Option<Entry>>,
    suites: Vec<String>,
    suite_ids: HashMap<String, u32>,
}

impl Spool {
    /// A spool for `cases` cases, in an anonymous file in `dir` (the report
    /// folder, so that it lands on the disk the reports go to; created when
    /// missing), or in the system's temporary folder when `dir` cannot hold
    /// one.
    pub fn new(dir: &Path, cases: usize) -> io::Result<Spool> {
        let file = std::fs::create_dir_all(dir)
            .and_then(|_| tempfile::tempfile_in(dir))
            .or_else(|_| tempfile::tempfile())?;
        let mut entries = Vec::new();
        entries.resize_with(cases, || None);
        Ok(Spool {
            out: BufWriter::with_capacity(256 * 1024, file),
            written: 0,
            line: Vec::with_capacity(4096),
            entries,
            suites: Vec::new(),
            suite_ids: HashMap::new(),
        })
    }

    /// Append the case at plan position `at` (each position once).
    pub fn push(&mut self, at: usize, c: &CaseResult) -> io::Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, c)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        let suite = match self.suite_ids.get(&c.suite) {
            Some(&id) => id,
            None => {
                let id = self.suites.len() as u32;
                self.suites.push(c.suite.clone());
                self.suite_ids.insert(c.suite.clone(), id);
                id
            }
        };
        let entry = Entry {
            offset: self.written,
            len: u32::try_from(self.line.len())
                .map_err(|_| io::Error::other("one case result is over 4 GiB of JSON"))?,
            suite,
            key: SortKey::of(c),
        };
        self.written += self.line.len() as u64;
        match self.entries.get_mut(at) {
            Some(slot @ None) => *slot = Some(entry),
            _ => return Err(io::Error::other(format!("case {at} spooled twice"))),
        }
        Ok(())
    }

    /// Append a case after every position the spool was made for (a merge,
    /// which learns its cases as it reads them).
    pub fn append(&mut self, c: &CaseResult) -> io::Result<()> {
        let at = self.entries.len();
        self.entries.push(None);
        self.push(at, c)
    }

    /// Every case written so far, ready to read back in any order.
    pub fn finish(self) -> io::Result<Spooled> {
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        // `filter_map` collects in place (an `Option<Entry>` is an `Entry`'s
        // size): the entries of 100,000 cases are not held twice.
        #[allow(clippy::filter_map_identity)]
        let entries: Vec<Entry> = self.entries.into_iter().filter_map(|e| e).collect();
        Ok(Spooled {
            file,
            entries,
            suites: self.suites,
        })
    }
}

/// A finished spool: the run's cases in plan order (a case that never
/// finished is absent).
pub struct Spooled {
    file: File,
    entries: Vec<Entry>,
    suites: Vec<String>,
}

impl Spooled {
    /// Put the cases in order of id (a merged report's plan order), from
    /// their keys alone.
    pub fn sort_by_id(&mut self) {
        self.entries.sort_by(|a, b| a.key.id.cmp(&b.key.id));
    }

    fn read(&self, e: &Entry, buf: &mut Vec<u8>) -> io::Result<CaseResult> {
        buf.resize(e.len as usize, 0);
        self.file.read_exact_at(buf, e.offset)?;
        serde_json::from_slice(buf).map_err(|err| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the case spool cannot be read back: {err}"),
            )
        })
    }
}

impl CaseSource for Spooled {
    fn visit_json(&self, f: &mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        let mut buf = Vec::new();
        for e in &self.entries {
            buf.resize(e.len as usize, 0);
            self.file.read_exact_at(&mut buf, e.offset)?;
            // The line without its newline.
            f(buf.strip_suffix(b"\n").unwrap_or(&buf))?;
        }
        Ok(())
    }

    fn count(&self) -> usize {
        self.entries.len()
    }

    fn suites(&self) -> Vec<(String, usize)> {
        let mut order: Vec<(u32, usize)> = Vec::new();
        let mut at: HashMap<u32, usize> = HashMap::new();
        for e in &self.entries {
            match at.get(&e.suite) {
                Some(&i) => order[i].1 += 1,
                None => {
                    at.insert(e.suite, order.len());
                    order.push((e.suite, 1));
                }
            }
        }
        order
            .into_iter()
            .map(|(s, n)| (self.suites[s as usize].clone(), n))
            .collect()
    }

    fn for_each_key(&self, f: &mut dyn FnMut(&SortKey, &str)) {
        for e in &self.entries {
            f(&e.key, &self.suites[e.suite as usize]);
        }
    }

    fn visit(
        &self,
        order: Order,
        f: &mut dyn FnMut(&CaseResult) -> io::Result<()>,
    ) -> io::Result<()> {
        // Suites numbered by first appearance in plan order.
        let mut rank: HashMap<u32, usize> = HashMap::new();
        for e in &self.entries {
            let next = rank.len();
            rank.entry(e.suite).or_insert(next);
        }
        let suite_of = |i: usize| rank.get(&self.entries[i].suite).copied().unwrap_or(0);
        let keys = self.entries.iter().map(|e| &e.key).zip(0..);
        let mut buf = Vec::new();
        for i in arrange(keys, suite_of, order) {
            let c = self.read(&self.entries[i], &mut buf)?;
            f(&c)?;
        }
        Ok(())
    }
}
