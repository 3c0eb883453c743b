//! File checks whose errors name the path.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, ensure};

/// Checks that `path` is a directory (not a link) with exactly `expected` permissions.
pub fn assert_dir(path: &Path, expected: u32) -> anyhow::Result<()> {
    let metadata = std::fs::symlink_metadata(path)
        .with_context(|| format!("{} is missing", path.display()))?;
    ensure!(metadata.is_dir(), "{} is not a directory", path.display());
    let actual = metadata.permissions().mode() & 0o777;
    ensure!(
        actual == expected,
        "{} has mode {actual:o}, expected {expected:o}",
        path.display()
    );
    Ok(())
}

/// Checks that `path` is a regular file (not a link) with exactly `expected` permissions.
pub fn assert_file(path: &Path, expected: u32) -> anyhow::Result<()> {
    let metadata = std::fs::symlink_metadata(path)
        .with_context(|| format!("{} is missing", path.display()))?;
    ensure!(
        metadata.is_file(),
        "{} is not a regular file",
        path.display()
    );
    let actual = metadata.permissions().mode() & 0o777;
    ensure!(
        actual == expected,
        "{} has mode {actual:o}, expected {expected:o}",
        path.display()
    );
    Ok(())
}

/// Checks that `path` is a symbolic link whose text is exactly `target`.
pub fn assert_link(path: &Path, target: &str) -> anyhow::Result<()> {
    let actual = std::fs::read_link(path)
        .with_context(|| format!("{} is missing or not a link", path.display()))?;
    ensure!(
        actual == Path::new(target),
        "{} points to {}, expected {target}",
        path.display(),
        actual.display()
    );
    Ok(())
}

/// Checks that nothing exists at `path`, not even a dangling link.
pub fn assert_absent(path: &Path) -> anyhow::Result<()> {
    ensure!(
        std::fs::symlink_metadata(path).is_err(),
        "{} should not exist",
        path.display()
    );
    Ok(())
}

/// The bytes of `path`.
pub fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// The text of `path`.
pub fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Writes `contents` to `path`, creating its parent directories.
pub fn write(path: &Path, contents: impl AsRef<[u8]>) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}

/// The names in directory `dir`, sorted.
pub fn entries(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// Renames `from` to `to`.
pub fn rename(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::rename(from, to)
        .with_context(|| format!("renaming {} to {}", from.display(), to.display()))
}

/// Replaces whatever is at `link` with a symbolic link whose text is `target`.
pub fn relink(target: &str, link: &Path) -> anyhow::Result<()> {
    if std::fs::symlink_metadata(link).is_ok() {
        std::fs::remove_file(link).with_context(|| format!("removing {}", link.display()))?;
    }
    std::os::unix::fs::symlink(target, link)
        .with_context(|| format!("linking {} to {target}", link.display()))
}

/// `path` with `root` in front of it, for an absolute path as the installed system sees it.
pub fn under(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}
