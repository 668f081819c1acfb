//! Files in and out: atomic writes (a temp file in the same folder, renamed
//! into place, so a reader never sees half a file).

use std::io::Write;
use std::path::Path;

/// Write `contents` to `path` atomically, creating the folder.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
