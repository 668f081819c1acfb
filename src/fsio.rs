//! Files in and out: bounded reads of regular files only (a FIFO or a
//! device could block or never end), and atomic writes (a temp file in the
//! same folder, renamed into place, so a reader never sees half a file).

use std::io::{Read, Write};
use std::path::Path;

/// Write `contents` to `path` atomically, creating the folder.
///
/// The file gets the mode a plain write would give it: an existing file
/// keeps its own, a new one gets 0666 less the umask (0644 usually), so
/// reports and golden files are readable by the group and others as usual.
/// (A temporary file alone would be 0600.)
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, &|w| w.write_all(contents))
}

/// Write to `path` atomically what `render` writes, as it writes it
/// (buffered, never whole in memory), creating the folder.
pub fn write_atomic_with(
    path: &Path,
    render: &dyn Fn(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = temp_file_in(dir, path)?;
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, tmp);
    render(&mut out)?;
    let tmp = out.into_inner().map_err(|e| e.into_error())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(unix)]
fn temp_file_in(dir: &Path, target: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    use std::os::unix::fs::PermissionsExt;
    let mut builder = tempfile::Builder::new();
    match std::fs::metadata(target) {
        // The existing file's mode, as it is (the umask does not apply to a
        // later chmod, so set it after creating).
        Ok(meta) if meta.is_file() => {
            let tmp = builder.tempfile_in(dir)?;
            tmp.as_file().set_permissions(meta.permissions())?;
            Ok(tmp)
        }
        // A new file: created with 0666, which open(2) reduces by the umask.
        _ => builder
            .permissions(std::fs::Permissions::from_mode(0o666))
            .tempfile_in(dir),
    }
}

#[cfg(not(unix))]
fn temp_file_in(dir: &Path, _target: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    tempfile::NamedTempFile::new_in(dir)
}

/// Read a whole regular file of at most `limit` bytes. The error is a
/// sentence for the user (the path is added by the caller): the OS error
/// once, or what is wrong with the file and how to fix it.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| os_error(path, &e))?;
    if !meta.is_file() {
        return Err("not a regular file".to_string());
    }
    if meta.len() > limit {
        return Err(format!(
            "{} bytes is more than the limit of {limit} bytes",
            meta.len()
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| os_error(path, &e))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow between the check and the read: read one byte past
    // the limit to tell.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| os_error(path, &e))?;
    if bytes.len() as u64 > limit {
        return Err(format!("more than the limit of {limit} bytes"));
    }
    Ok(bytes)
}

/// An OS error about `path` as one sentence, by its kind, with what to
/// check (the OS text otherwise, once). The caller names the path, once.
pub fn os_error(path: &Path, e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => {
            let mut hint = String::from("check the path");
            // The outermost folder on the way that is missing, if one is.
            let missing = path
                .ancestors()
                .skip(1)
                .filter(|a| !a.as_os_str().is_empty())
                .take_while(|a| !a.exists())
                .last();
            if let Some(m) = missing {
                hint.push_str(&format!(": the folder {} does not exist", m.display()));
            }
            if path.is_relative() {
                if let Ok(cwd) = std::env::current_dir() {
                    hint.push_str(&format!("; a relative path is read from {}", cwd.display()));
                }
            }
            format!("no such file or folder ({hint})")
        }
        K::PermissionDenied => {
            "permission denied (check the owner and mode of the file and of its folders)"
                .to_string()
        }
        K::IsADirectory => "is a folder, not a file (name a file in it)".to_string(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// New files get 0666 less the umask, replaced files keep their mode.
    /// The umask is the process's own: read it back from a plain file.
    #[cfg(unix)]
    #[test]
    fn written_files_have_the_modes_of_plain_writes() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let plain = dir.path().join("plain");
        std::fs::write(&plain, b"x").unwrap();
        let fresh = dir.path().join("sub/report.json");
        write_atomic(&fresh, b"{}").unwrap();
        assert_eq!(mode(&fresh), mode(&plain));
        assert_ne!(mode(&fresh), 0o600, "umask 077 is not expected here");
        let kept = dir.path().join("suite.yaml");
        std::fs::write(&kept, b"a").unwrap();
        std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&kept, b"b").unwrap();
        assert_eq!(mode(&kept), 0o640);
        assert_eq!(std::fs::read(&kept).unwrap(), b"b");
    }

    #[test]
    fn only_regular_files_of_bounded_size_are_read() {
        // A device that never ends and a folder: refused before reading.
        assert_eq!(
            read_regular(Path::new("/dev/zero"), 1024).unwrap_err(),
            "not a regular file"
        );
        assert_eq!(
            read_regular(Path::new("/"), 1024).unwrap_err(),
            "not a regular file"
        );
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.map(|s| s.success()).unwrap_or(false) {
            // Opening a FIFO for reading would block forever.
            assert_eq!(read_regular(&fifo, 1024).unwrap_err(), "not a regular file");
        }
        let big = dir.path().join("big.yaml");
        std::fs::write(&big, vec![b'a'; 2048]).unwrap();
        assert!(read_regular(&big, 1024)
            .unwrap_err()
            .contains("limit of 1024 bytes"));
        let missing = read_regular(&dir.path().join("missing"), 1024).unwrap_err();
        assert_eq!(missing, "no such file or folder (check the path)");
        let deep = dir.path().join("a/b/missing.yaml");
        assert_eq!(
            read_regular(&deep, 1024).unwrap_err(),
            format!(
                "no such file or folder (check the path: the folder {} does not exist)",
                dir.path().join("a").display()
            )
        );
        let relative = read_regular(Path::new("no-such-folder/x.yaml"), 1024).unwrap_err();
        assert!(
            relative.starts_with(
                "no such file or folder (check the path: the folder no-such-folder does not \
                 exist; a relative path is read from /"
            ),
            "{relative}"
        );
    }
}
