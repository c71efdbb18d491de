//! `saker token create --name NAME --role ROLE`: a new random API token, printed once, with
//! the line that configures its SHA-256 (Saker keeps only the hash). `saker token hash` prints
//! the hash of a token read from stdin.

use std::io::Read as _;
use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand};
use saker::auth::{Role, TOKENS_VARIABLE, generate_token, hash_token};

/// Arguments of `saker token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Make a new token: the token goes to stdout (shown once), the configuration to stderr.
    Create {
        /// Who holds it (recorded as the actor of what they do).
        #[arg(long)]
        name: String,
        /// viewer, analyst, responder or admin.
        #[arg(long)]
        role: String,
    },
    /// Print the SHA-256 of a token read from stdin, as configured.
    Hash,
}

/// Runs `saker token`.
pub fn run(arguments: TokenArgs) -> anyhow::Result<ExitCode> {
    match arguments.command {
        TokenCommand::Create { name, role } => {
            let Some(role) = Role::from_name(&role) else {
                bail!("role {role:?} is not one of viewer, analyst, responder, admin");
            };
            if name.trim().is_empty() || name.contains([':', ',']) {
                bail!("name {name:?}: give a non-empty name without ':' or ','");
            }
            let token = generate_token();
            let hash = hash_token(&token);
            out!("{token}");
            eprintln!("the token above is shown once; Saker keeps only its hash. Add to saker.yaml:");
            eprintln!("auth:\n  tokens:\n    - name: {name}\n      role: {}\n      sha256: {hash}", role.name());
            eprintln!("or: {TOKENS_VARIABLE}={name}:{}:{}", role.name(), hash.trim_start_matches("sha256:"));
        }
        TokenCommand::Hash => {
            let mut token = String::new();
            std::io::stdin().read_to_string(&mut token)?;
            if token.trim().is_empty() {
                bail!("give the token on stdin");
            }
            out!("{}", hash_token(&token));
        }
    }
    Ok(ExitCode::SUCCESS)
}
