//! File quarantine on the local filesystem: the file is copied (hashing it) into
//! `<quarantine-dir>/<action-id>/file` with mode 0400, a `manifest.json` records its original
//! path, SHA-256, size, owner, mode and modification time, and only then is the original
//! removed. Restoring checks the copy's hash, refuses to overwrite anything, and puts the file
//! back with its owner, mode and time.
//!
//! Symbolic links are refused on the way (the file and every directory below the root), so a
//! link planted by an intruder cannot make Saker move a file it was not asked to.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Component, Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use saker_tools::actions::hex;

/// What is kept about a quarantined file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The action that quarantined it.
    pub action_id: String,
    /// The path as the alerts name it (inside the container, for container files).
    pub original_path: String,
    /// The path Saker moved it from on this machine (`/proc/<pid>/root/...` for containers).
    pub resolved_path: String,
    /// Where the copy is.
    pub quarantined_file: String,
    /// SHA-256 of the content (hex).
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// Permission bits (e.g. 0o755 as 493).
    pub mode: u32,
    /// Last modification, RFC 3339.
    pub modified: Option<String>,
    /// When it was quarantined.
    pub quarantined_at: String,
    /// When it was restored, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored_at: Option<String>,
}

/// `<root>` joined with the absolute `path`, refusing `..`, and symbolic links in any
/// component below `root`.
pub fn resolve_below(root: &Path, path: &str) -> Result<PathBuf, String> {
    let relative = Path::new(path);
    if !relative.is_absolute() {
        return Err(format!("{path:?} is not an absolute path"));
    }
    let mut resolved = root.to_path_buf();
    for component in relative.components() {
        match component {
            Component::RootDir => {}
            Component::Normal(part) => {
                resolved.push(part);
                if let Ok(metadata) = std::fs::symlink_metadata(&resolved)
                    && metadata.file_type().is_symlink()
                {
                    return Err(format!(
                        "{} is a symbolic link: Saker does not follow links when it quarantines or restores",
                        resolved.display()
                    ));
                }
            }
            Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => {
                return Err(format!("{path:?} contains `..`: give the file's real path"));
            }
        }
    }
    Ok(resolved)
}

fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Copies `source` to `destination` (created new, mode `mode`), returning its SHA-256 and size;
/// the copy is flushed to disk.
fn copy_hashing(source: &Path, destination: &Path, mode: u32) -> Result<(String, u64), String> {
    let mut input = File::open(source).map_err(|error| format!("cannot read {}: {error}", source.display()))?;
    let mut output = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(destination)
        .map_err(|error| format!("cannot create {}: {error}", destination.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let read = input.read(&mut buffer).map_err(|error| format!("cannot read {}: {error}", source.display()))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        output
            .write_all(&buffer[..read])
            .map_err(|error| format!("cannot write {}: {error}", destination.display()))?;
        size += read as u64;
    }
    output.sync_all().map_err(|error| format!("cannot flush {}: {error}", destination.display()))?;
    Ok((hex(&hasher.finalize()), size))
}

fn hash_of(path: &Path) -> Result<String, String> {
    let mut input = File::open(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = input.read(&mut buffer).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex(&hasher.finalize()))
}

fn write_manifest(path: &Path, manifest: &Manifest) -> Result<(), String> {
    let text = serde_json::to_string_pretty(manifest).map_err(|error| error.to_string())?;
    let partial = path.with_extension("json.partial");
    let mut file = File::create(&partial).map_err(|error| format!("cannot write {}: {error}", partial.display()))?;
    file.write_all(text.as_bytes()).map_err(|error| format!("cannot write {}: {error}", partial.display()))?;
    file.sync_all().map_err(|error| format!("cannot flush {}: {error}", partial.display()))?;
    std::fs::rename(&partial, path).map_err(|error| format!("cannot write {}: {error}", path.display()))
}

/// The quarantine folder of an action.
pub fn folder(quarantine_dir: &Path, action_id: &str) -> PathBuf {
    quarantine_dir.join(action_id)
}

/// Quarantines the regular file at `resolved` (named `original` in the alerts) for action
/// `action_id`.
pub fn quarantine(quarantine_dir: &Path, action_id: &str, resolved: &Path, original: &str) -> Result<Manifest, String> {
    let metadata = std::fs::symlink_metadata(resolved)
        .map_err(|error| format!("cannot quarantine {original}: {} ({error})", resolved.display()))?;
    if !metadata.file_type().is_file() {
        return Err(format!("{original} is not a regular file: only regular files are quarantined"));
    }
    let folder = folder(quarantine_dir, action_id);
    std::fs::create_dir_all(&folder).map_err(|error| format!("cannot create {}: {error}", folder.display()))?;
    std::fs::set_permissions(quarantine_dir, std::fs::Permissions::from_mode(0o700))
        .and_then(|()| std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700)))
        .map_err(|error| format!("cannot restrict {}: {error}", folder.display()))?;
    let stored = folder.join("file");
    if stored.exists() {
        return Err(format!("{} already holds a quarantined file for this action", folder.display()));
    }
    let partial = folder.join("file.partial");
    let _ = std::fs::remove_file(&partial);
    let (sha256, size) = copy_hashing(resolved, &partial, 0o400)?;
    std::fs::rename(&partial, &stored).map_err(|error| format!("cannot move into quarantine: {error}"))?;
    let modified = metadata.modified().ok().map(|time| DateTime::<Utc>::from(time).to_rfc3339());
    let manifest = Manifest {
        action_id: action_id.to_string(),
        original_path: original.to_string(),
        resolved_path: resolved.display().to_string(),
        quarantined_file: stored.display().to_string(),
        sha256,
        size,
        uid: metadata.uid(),
        gid: metadata.gid(),
        mode: metadata.mode() & 0o7777,
        modified,
        quarantined_at: now_text(),
        restored_at: None,
    };
    write_manifest(&folder.join("manifest.json"), &manifest)?;
    if let Err(error) = std::fs::remove_file(resolved) {
        // Keep things as they were: the original stays, the copy goes.
        let _ = std::fs::remove_file(&stored);
        let _ = std::fs::remove_file(folder.join("manifest.json"));
        return Err(format!("copied {original} but could not remove it ({error}); nothing was quarantined"));
    }
    Ok(manifest)
}

/// Restores the file quarantined by `action_id` to `destination` (the resolved original path).
/// Returns the manifest and warnings (an owner that could not be set without privileges).
pub fn restore(quarantine_dir: &Path, action_id: &str, destination: &Path) -> Result<(Manifest, Vec<String>), String> {
    let folder = folder(quarantine_dir, action_id);
    let manifest_path = folder.join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path)
        .map_err(|error| format!("no quarantine manifest at {}: {error}", manifest_path.display()))?;
    let mut manifest: Manifest =
        serde_json::from_str(&text).map_err(|error| format!("{} is unreadable: {error}", manifest_path.display()))?;
    if manifest.restored_at.is_some() {
        return Err(format!("{} was already restored", manifest.original_path));
    }
    let stored = PathBuf::from(&manifest.quarantined_file);
    let actual = hash_of(&stored)?;
    if actual != manifest.sha256 {
        return Err(format!(
            "the quarantined copy of {} has SHA-256 {actual}, not {} as recorded: it was altered; nothing was restored",
            manifest.original_path, manifest.sha256
        ));
    }
    if std::fs::symlink_metadata(destination).is_ok() {
        return Err(format!(
            "{} exists again: Saker does not overwrite it; move it away and revert again",
            manifest.original_path
        ));
    }
    let partial = destination.with_file_name(format!(
        ".{}.saker-restore",
        destination.file_name().and_then(|name| name.to_str()).unwrap_or("file")
    ));
    let _ = std::fs::remove_file(&partial);
    copy_hashing(&stored, &partial, 0o600)?;
    let mut warnings = Vec::new();
    if let Err(error) = std::os::unix::fs::chown(&partial, Some(manifest.uid), Some(manifest.gid)) {
        warnings.push(format!(
            "owner {}:{} not restored ({error}); it is owned by Saker's user",
            manifest.uid, manifest.gid
        ));
    }
    std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(manifest.mode))
        .map_err(|error| format!("cannot set the mode of {}: {error}", partial.display()))?;
    if let Some(modified) = manifest.modified.as_deref().and_then(|text| DateTime::parse_from_rfc3339(text).ok()) {
        let time: std::time::SystemTime = modified.with_timezone(&Utc).into();
        if let Err(error) = File::options().write(true).open(&partial).and_then(|file| file.set_modified(time)) {
            warnings.push(format!("modification time not restored ({error})"));
        }
    }
    std::fs::rename(&partial, destination)
        .map_err(|error| format!("cannot put {} back: {error}", manifest.original_path))?;
    std::fs::remove_file(&stored)
        .map_err(|error| format!("restored, but cannot remove the quarantined copy: {error}"))?;
    manifest.restored_at = Some(now_text());
    write_manifest(&manifest_path, &manifest)?;
    Ok((manifest, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_parent_references_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("real")).expect("dir");
        std::fs::write(dir.path().join("real/file"), "x").expect("file");
        std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("link")).expect("link");
        assert!(resolve_below(dir.path(), "/real/file").is_ok());
        let error = resolve_below(dir.path(), "/link/file").expect_err("a link on the way");
        assert!(error.contains("symbolic link"), "{error}");
        assert!(resolve_below(dir.path(), "/real/../etc/shadow").expect_err("parent").contains(".."));
        assert!(resolve_below(dir.path(), "real/file").expect_err("relative").contains("absolute"));
    }
}
