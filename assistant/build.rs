//! Build script: records the version line of `saker --version`, with the git commit the
//! binary is built from (see `src/build_info.rs`).

#[path = "src/build_info.rs"]
#[allow(dead_code)]
mod build_info;

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/build_info.rs");
    println!("cargo:rerun-if-env-changed=SAKER_GIT_COMMIT");
    let directory = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let directory = Path::new(&directory);
    let given = std::env::var("SAKER_GIT_COMMIT").ok().map(|commit| commit.trim().to_string());
    let commit = given.filter(|commit| !commit.is_empty()).or_else(|| build_info::git_commit(directory));
    for file in build_info::commit_files(directory) {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_else(|_| "0.0.0".into());
    println!("cargo:rustc-env=SAKER_VERSION_LINE={}", build_info::version_line(&version, commit.as_deref()));
}
