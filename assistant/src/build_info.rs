//! What `saker --version` says: the package version and the git commit the binary was built
//! from. The build script (`assistant/build.rs`) includes this file to find the commit; the
//! library reads the line it recorded.
//!
//! The commit comes from `SAKER_GIT_COMMIT` when set at build time (a container build from a
//! source archive passes it), else from `git rev-parse HEAD` in the source tree; without
//! either, the line says so instead of naming a commit.

use std::path::{Path, PathBuf};
use std::process::Command;

/// How many hex digits of the commit the version line shows.
pub const SHORT_COMMIT: usize = 12;

/// The version line for `version` and `commit` (full or short hex).
pub fn version_line(version: &str, commit: Option<&str>) -> String {
    match commit {
        Some(commit) => {
            let short: String = commit.chars().take(SHORT_COMMIT).collect();
            format!("{version} (commit {short})")
        }
        None => format!("{version} (commit unknown: built outside a git checkout and without SAKER_GIT_COMMIT)"),
    }
}

/// The commit checked out in the git work tree that holds `directory`, when git is installed
/// and `directory` is inside a work tree.
pub fn git_commit(directory: &Path) -> Option<String> {
    let commit = git(directory, &["rev-parse", "--verify", "HEAD"])?;
    (commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit())).then_some(commit)
}

/// The files whose change means another commit is checked out: the work tree's `HEAD`, the
/// branch it points to and the packed refs. Only files that exist (a build script told of a
/// missing file would run on every build).
pub fn commit_files(directory: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let absolute = |path: String| {
        let path = PathBuf::from(path);
        if path.is_absolute() { path } else { directory.join(path) }
    };
    if let Some(head) = git(directory, &["rev-parse", "--git-path", "HEAD"]) {
        files.push(absolute(head));
    }
    if let Some(branch) = git(directory, &["symbolic-ref", "-q", "HEAD"])
        && let Some(reference) = git(directory, &["rev-parse", "--git-path", &branch])
    {
        files.push(absolute(reference));
    }
    if let Some(packed) = git(directory, &["rev-parse", "--git-path", "packed-refs"]) {
        files.push(absolute(packed));
    }
    files.retain(|file| file.is_file());
    files
}

/// One line of git's output, or `None` when git is missing or fails.
fn git(directory: &Path, arguments: &[&str]) -> Option<String> {
    let output = Command::new("git").args(arguments).current_dir(directory).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let line = text.trim();
    (!line.is_empty()).then(|| line.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_is_shortened_and_its_absence_said() {
        assert_eq!(version_line("0.1.0", Some("60cafc1abcdef0123456789")), "0.1.0 (commit 60cafc1abcde)");
        let unknown = version_line("0.1.0", None);
        assert!(unknown.starts_with("0.1.0 (commit unknown: built outside a git checkout"), "{unknown}");
    }

    #[test]
    fn outside_a_work_tree_there_is_no_commit() {
        let directory = tempfile::tempdir().expect("temporary directory");
        // GIT_CEILING_DIRECTORIES is not needed: the temporary directory is not inside a work
        // tree unless TMPDIR is, which the next assertion would show.
        assert_eq!(git_commit(directory.path()), None);
        assert!(commit_files(directory.path()).is_empty());
    }

    #[test]
    fn inside_the_source_tree_the_commit_is_heads() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let Some(commit) = git_commit(here) else {
            // A source archive without .git: the version line says unknown (checked above).
            return;
        };
        assert!(commit.len() >= 40, "{commit}");
        assert!(!commit_files(here).is_empty(), "HEAD is watched for the next build");
    }
}
