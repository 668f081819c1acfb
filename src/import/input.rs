//! Opening inputs and reading them line by line in bounded memory.
//!
//! Import reads every input twice (see `mod.rs`: the first pass learns
//! which path positions are high-cardinality, the second groups requests),
//! so an input must be re-openable. A file is opened again; standard input
//! (`-`) is copied once, as it comes (still compressed if it was), to a
//! temporary file: disk, never memory.
//!
//! Gzip is recognised by its magic bytes (`1f 8b`), not by the file name, and
//! read with `MultiGzDecoder`, so concatenated gzip members (what `cat a.gz
//! b.gz` and many log shippers produce) are read to the end.
//!
//! Lines are bounded: a line longer than [`MAX_LINE`] bytes is not kept in
//! memory; it is consumed and reported as too long.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The longest line kept (bytes). Logpush lines with custom fields run to a
/// few KiB; 256 KiB leaves room and bounds memory.
pub const MAX_LINE: usize = 256 * 1024;

const READ_BUF: usize = 64 * 1024;

/// One input as the user named it.
#[derive(Debug)]
pub struct Source {
    /// What messages call it: the path as given, or `<stdin>`.
    pub name: String,
    /// Where the bytes are (stdin is spooled to a temporary file).
    pub path: PathBuf,
    /// Keeps the spooled copy of stdin alive.
    _spool: Option<tempfile::NamedTempFile>,
}

impl Source {
    /// A file, or `-` for standard input (copied to a temporary file).
    pub fn new(arg: &Path) -> io::Result<Source> {
        if arg.as_os_str() == "-" {
            let mut spool = tempfile::NamedTempFile::new()?;
            io::copy(&mut io::stdin().lock(), spool.as_file_mut())?;
            return Ok(Source {
                name: "<stdin>".into(),
                path: spool.path().to_path_buf(),
                _spool: Some(spool),
            });
        }
        // Fail early and plainly on a missing or unreadable file.
        File::open(arg)?;
        Ok(Source {
            name: arg.display().to_string(),
            path: arg.to_path_buf(),
            _spool: None,
        })
    }

    /// The decompressed bytes, buffered.
    pub fn open(&self) -> io::Result<Box<dyn BufRead>> {
        let file = File::open(&self.path)?;
        let mut raw = BufReader::with_capacity(READ_BUF, file);
        let gz = {
            let head = raw.fill_buf()?;
            head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b
        };
        if gz {
            Ok(Box::new(BufReader::with_capacity(
                READ_BUF,
                flate2::bufread::MultiGzDecoder::new(raw),
            )))
        } else {
            Ok(Box::new(raw))
        }
    }

    /// Up to `n` decompressed bytes from the start (for format detection).
    /// A read error after some bytes (a truncated gzip file) is not an
    /// error here: the parsers report it at its line.
    pub fn head(&self, n: usize) -> io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(n.min(READ_BUF));
        let mut r = self.open()?.take(n as u64);
        let mut chunk = [0u8; 8192];
        loop {
            match r.read(&mut chunk) {
                Ok(0) => return Ok(out),
                Ok(k) => out.extend_from_slice(&chunk[..k]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if out.is_empty() => return Err(e),
                Err(_) => return Ok(out),
            }
        }
    }
}

/// What one line turned out to be.
pub enum Line<'a> {
    Text(&'a str),
    TooLong,
    NotUtf8,
}

/// Call `f(line_number, line)` for every line (1-based, `\r\n` or `\n`,
/// the last line with or without a newline). Stops at the first read error
/// (a truncated or corrupt gzip stream) and returns it with the number of
/// the line it happened on; `f` returning `false` stops early.
pub fn for_each_line(
    reader: &mut dyn BufRead,
    mut f: impl FnMut(u64, Line<'_>) -> bool,
) -> Result<u64, (u64, io::Error)> {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut n: u64 = 0;
    loop {
        buf.clear();
        let too_long = match read_line_bounded(reader, &mut buf, MAX_LINE) {
            Ok(None) => return Ok(n),
            Ok(Some(t)) => t,
            Err(e) => return Err((n + 1, e)),
        };
        n += 1;
        let line = if too_long {
            Line::TooLong
        } else {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            match std::str::from_utf8(&buf) {
                Ok(s) => Line::Text(s),
                Err(_) => Line::NotUtf8,
            }
        };
        if !f(n, line) {
            return Ok(n);
        }
    }
}

/// Read one line into `buf` (without its `\n`), keeping at most `max`
/// bytes. `None` at end of input; `Some(true)` when the line was longer
/// than `max` (then `buf` is empty and the line was consumed).
fn read_line_bounded(
    r: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<Option<bool>> {
    let mut too_long = false;
    let mut any = false;
    loop {
        let available = match r.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(any.then_some(too_long));
        }
        any = true;
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], true),
            None => (available, false),
        };
        let used = chunk.len() + usize::from(done);
        if !too_long {
            if buf.len() + chunk.len() > max {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        r.consume(used);
        if done {
            return Ok(Some(too_long));
        }
    }
}

/// A reader that counts the newlines it hands out, so that streaming
/// parsers (HAR, sitemaps) can name a line.
pub struct LineCounter<R> {
    inner: R,
    pub lines: u64,
}

impl<R: BufRead> LineCounter<R> {
    pub fn new(inner: R) -> Self {
        LineCounter { inner, lines: 1 }
    }
}

impl<R: BufRead> Read for LineCounter<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let available = self.inner.fill_buf()?;
            let n = available.len().min(out.len());
            out[..n].copy_from_slice(&available[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineCounter<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        if let Ok(available) = self.inner.fill_buf() {
            let amt = amt.min(available.len());
            self.lines += available[..amt].iter().filter(|&&b| b == b'\n').count() as u64;
        }
        self.inner.consume(amt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(data: &[u8], max: usize) -> Vec<String> {
        let mut r: &[u8] = data;
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(t) = read_line_bounded(&mut r, &mut buf, max).unwrap() {
            out.push(if t {
                "<too long>".to_string()
            } else {
                String::from_utf8_lossy(&buf).into_owned()
            });
            buf.clear();
        }
        out
    }

    #[test]
    fn lines_are_bounded_and_the_last_needs_no_newline() {
        assert_eq!(
            lines(b"a\nbbbbbbbbbb\ncc\nd", 4),
            ["a", "<too long>", "cc", "d"]
        );
        assert_eq!(lines(b"a\n\nb\n", 4), ["a", "", "b"]);
        assert!(lines(b"", 4).is_empty());
    }

    #[test]
    fn gzip_is_found_by_its_magic_bytes() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("log.txt"); // no .gz: the name does not matter
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b"one\ntwo\n").unwrap();
        let mut data = e.finish().unwrap();
        // A second member, as `cat a.gz b.gz` makes.
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b"three\n").unwrap();
        data.extend(e.finish().unwrap());
        std::fs::write(&p, data).unwrap();
        let src = Source::new(&p).unwrap();
        let mut seen = Vec::new();
        for_each_line(&mut src.open().unwrap(), |n, l| {
            if let Line::Text(t) = l {
                seen.push(format!("{n}:{t}"));
            }
            true
        })
        .unwrap();
        assert_eq!(seen, ["1:one", "2:two", "3:three"]);
    }
}
