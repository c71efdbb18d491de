//! Who is asking and what they may do: roles, the principal of a request or command, and API
//! tokens (configured as SHA-256 hashes, never in clear, in `saker.yaml` or `SAKER_API_TOKENS`).
//!
//! | role        | may                                                                 |
//! |-------------|---------------------------------------------------------------------|
//! | `viewer`    | ask (chat, sessions, events, tools, the response history)           |
//! | `analyst`   | and ingest, propose response actions, generate exceptions, escalate |
//! | `responder` | and approve, reject, execute and revert response actions            |
//! | `admin`     | everything, configuration included                                  |
//!
//! The CLI on the same machine acts as the local admin unless `auth.local_role` says otherwise.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use saker_tools::actions::{Actor, hex};

/// A role, from least to most allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Asks questions.
    Viewer,
    /// Asks, ingests, proposes actions, generates exceptions, escalates.
    Analyst,
    /// Also approves, rejects, executes and reverts actions.
    Responder,
    /// Everything, configuration included.
    Admin,
}

/// Something a request or command does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read: chat, sessions, the event feed, tools, the response history.
    Ask,
    /// Send alerts.
    Ingest,
    /// Propose response actions, generate exceptions, escalate.
    Propose,
    /// Approve, reject, execute and revert response actions.
    Respond,
    /// Change configuration.
    Configure,
}

impl Permission {
    /// The least role that has it.
    pub fn least_role(self) -> Role {
        match self {
            Permission::Ask => Role::Viewer,
            Permission::Ingest | Permission::Propose => Role::Analyst,
            Permission::Respond => Role::Responder,
            Permission::Configure => Role::Admin,
        }
    }

    /// What it is called in messages.
    pub fn describe(self) -> &'static str {
        match self {
            Permission::Ask => "ask questions",
            Permission::Ingest => "ingest alerts",
            Permission::Propose => "propose response actions, generate exceptions or escalate",
            Permission::Respond => "approve, reject or revert response actions",
            Permission::Configure => "change the configuration",
        }
    }
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Analyst, Role::Responder, Role::Admin];

    /// The snake-case name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Responder => "responder",
            Role::Admin => "admin",
        }
    }

    /// The role with this name.
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.name() == name.trim())
    }

    /// True when the role has `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        self >= permission.least_role()
    }

    /// `responder or admin`: the roles that have `permission`, for messages.
    pub fn those_allowed(permission: Permission) -> String {
        let roles: Vec<&str> = Role::ALL.into_iter().filter(|role| role.allows(permission)).map(Role::name).collect();
        roles.join(" or ")
    }
}

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// The token's name, or `local:<user>` for the CLI and an unauthenticated loopback server.
    pub name: String,
    /// The role acted in.
    pub role: Role,
}

impl Principal {
    /// A principal.
    pub fn new(name: impl Into<String>, role: Role) -> Principal {
        Principal { name: name.into(), role }
    }

    /// The local user (`local:$USER`) in `role`.
    pub fn local(role: Role) -> Principal {
        let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "user".into());
        Principal::new(format!("local:{user}"), role)
    }

    /// True when the principal may do `permission`.
    pub fn may(&self, permission: Permission) -> bool {
        self.role.allows(permission)
    }

    /// The principal as recorded in the response history.
    pub fn actor(&self) -> Actor {
        Actor::new(self.name.clone(), self.role.name())
    }

    /// Why the principal may not do `permission`, for a 403 or a tool error.
    pub fn refusal(&self, permission: Permission) -> String {
        format!(
            "{} has the role {}, which may not {}: {} may",
            self.name,
            self.role.name(),
            permission.describe(),
            Role::those_allowed(permission)
        )
    }
}

/// One API token as configured: its name, role and the SHA-256 of the token (hex).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    /// Who holds it (recorded as the actor).
    pub name: String,
    /// Its role.
    pub role: Role,
    /// `sha256:<64 hex>` or the 64 hex digits of the token's SHA-256 (`saker token create`
    /// prints it). The token itself is never stored.
    pub sha256: String,
}

/// The `auth:` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// API tokens (hashed). With none, the server only listens on loopback.
    #[serde(default)]
    pub tokens: Vec<TokenSettings>,
    /// The role of the CLI on this machine (default `admin`).
    #[serde(default)]
    pub local_role: Option<Role>,
}

/// The environment variable with more tokens: `name:role:sha256hex`, comma-separated.
pub const TOKENS_VARIABLE: &str = "SAKER_API_TOKENS";

/// The tokens a server accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenTable {
    entries: Vec<(String, Role, [u8; 32])>,
    local_role: Option<Role>,
}

impl TokenTable {
    /// The tokens of the `auth:` section and of `SAKER_API_TOKENS` (read through `env`), or
    /// what is wrong with one (its place and what is allowed).
    pub fn from_settings(
        settings: Option<&AuthSettings>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<TokenTable, String> {
        let mut table =
            TokenTable { entries: Vec::new(), local_role: settings.and_then(|settings| settings.local_role) };
        for (index, token) in settings.map(|settings| settings.tokens.as_slice()).unwrap_or_default().iter().enumerate()
        {
            let place = format!("auth.tokens[{index}] ({:?})", token.name);
            table.add(&token.name, token.role, &token.sha256).map_err(|problem| format!("{place}: {problem}"))?;
        }
        if let Some(text) = env(TOKENS_VARIABLE).filter(|text| !text.trim().is_empty()) {
            for (index, entry) in text.split(',').map(str::trim).filter(|entry| !entry.is_empty()).enumerate() {
                let place = format!("{TOKENS_VARIABLE} entry {}", index + 1);
                let mut parts = entry.splitn(3, ':');
                let (Some(name), Some(role), Some(hash)) = (parts.next(), parts.next(), parts.next()) else {
                    return Err(format!("{place}: expected name:role:sha256, e.g. alice:responder:9f86d0…"));
                };
                let role = Role::from_name(role)
                    .ok_or_else(|| format!("{place}: role {role:?} is not one of viewer, analyst, responder, admin"))?;
                table.add(name, role, hash).map_err(|problem| format!("{place}: {problem}"))?;
            }
        }
        Ok(table)
    }

    fn add(&mut self, name: &str, role: Role, hash: &str) -> Result<(), String> {
        if name.trim().is_empty() {
            return Err("the name is empty".into());
        }
        let digits = hash.trim().strip_prefix("sha256:").unwrap_or(hash.trim());
        let bytes = parse_sha256(digits).ok_or_else(|| {
            "`sha256` must be the 64 hex digits of the token's SHA-256 (`saker token create` prints it), not the \
             token itself"
                .to_string()
        })?;
        if self.entries.iter().any(|(_, _, existing)| *existing == bytes) {
            return Err("the same token is configured twice".into());
        }
        self.entries.push((name.trim().to_string(), role, bytes));
        Ok(())
    }

    /// True when no token is configured: the server then only listens on loopback, and every
    /// request acts as the local user.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The role of the CLI on this machine.
    pub fn local_role(&self) -> Role {
        self.local_role.unwrap_or(Role::Admin)
    }

    /// The principal holding `token`, if it is configured. Every entry is compared, in
    /// constant time, so timing does not tell which or how much of a hash matched.
    pub fn authenticate(&self, token: &str) -> Option<Principal> {
        let presented: [u8; 32] = Sha256::digest(token.trim().as_bytes()).into();
        let mut found = None;
        for (name, role, expected) in &self.entries {
            let difference = expected.iter().zip(presented.iter()).fold(0u8, |acc, (left, right)| acc | (left ^ right));
            if difference == 0 {
                found = Some(Principal::new(name.clone(), *role));
            }
        }
        found
    }
}

fn parse_sha256(digits: &str) -> Option<[u8; 32]> {
    if digits.len() != 64 || !digits.is_ascii() {
        return None;
    }
    let mut bytes = [0u8; 32];
    for (index, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&digits[index * 2..index * 2 + 2], 16).ok()?;
    }
    Some(bytes)
}

/// The SHA-256 of a token as configured: `sha256:<hex>`.
pub fn hash_token(token: &str) -> String {
    format!("sha256:{}", hex(&Sha256::digest(token.trim().as_bytes())))
}

/// A new random token: `saker_` and 64 hex digits (256 bits from a CSPRNG seeded by the
/// operating system).
pub fn generate_token() -> String {
    use rand::RngCore as _;
    let mut bytes = [0u8; 32];
    // The thread generator is a CSPRNG seeded from the operating system.
    rand::rng().fill_bytes(&mut bytes);
    format!("saker_{}", hex(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_what_they_allow() {
        assert!(Role::Viewer.allows(Permission::Ask) && !Role::Viewer.allows(Permission::Propose));
        assert!(Role::Analyst.allows(Permission::Propose) && !Role::Analyst.allows(Permission::Respond));
        assert!(Role::Responder.allows(Permission::Respond) && !Role::Responder.allows(Permission::Configure));
        assert!(Role::Admin.allows(Permission::Configure));
        assert_eq!(Role::those_allowed(Permission::Respond), "responder or admin");
        let refusal = Principal::new("eve", Role::Analyst).refusal(Permission::Respond);
        assert!(refusal.contains("eve") && refusal.contains("analyst") && refusal.contains("responder or admin"));
    }

    #[test]
    fn tokens_are_configured_hashed_and_checked_against_the_hash() {
        let token = generate_token();
        assert!(token.starts_with("saker_") && token.len() == 6 + 64);
        assert_ne!(token, generate_token());
        let hash = hash_token(&token);
        let settings = AuthSettings {
            tokens: vec![TokenSettings { name: "alice".into(), role: Role::Responder, sha256: hash.clone() }],
            local_role: None,
        };
        let env = |name: &str| {
            (name == TOKENS_VARIABLE)
                .then(|| format!("bob:viewer:{}", hash_token("bob-token").trim_start_matches("sha256:")))
        };
        let table = TokenTable::from_settings(Some(&settings), env).expect("valid");
        assert_eq!(table.authenticate(&token), Some(Principal::new("alice", Role::Responder)));
        assert_eq!(table.authenticate("bob-token"), Some(Principal::new("bob", Role::Viewer)));
        assert_eq!(table.authenticate("guess"), None);
        assert_eq!(table.authenticate(&hash), None, "the hash is not a token");
        assert_eq!(table.local_role(), Role::Admin);
    }

    #[test]
    fn a_clear_token_or_a_bad_entry_is_refused_with_its_place() {
        let settings = AuthSettings {
            tokens: vec![TokenSettings { name: "alice".into(), role: Role::Admin, sha256: "saker_secret".into() }],
            local_role: Some(Role::Viewer),
        };
        let error = TokenTable::from_settings(Some(&settings), |_| None).expect_err("not a hash");
        assert!(error.contains("auth.tokens[0]") && error.contains("not the token itself"), "{error}");
        let error = TokenTable::from_settings(None, |_| Some("carol:root:abcd".into())).expect_err("bad role");
        assert!(error.contains("SAKER_API_TOKENS entry 1") && error.contains("\"root\""), "{error}");
    }
}
