//! A profile and its secrets file, written where cloison reads them.

use std::path::PathBuf;

use tempfile::TempDir;

/// A profile written as `NAME.toml` and its secrets as `NAME.secrets.toml` beside it (the name a profile's
/// `secrets_file` gives) in a temporary directory, removed when this is dropped.
pub(crate) struct ProfileFiles {
    dir: TempDir,
    pub profile: PathBuf,
    pub secrets: PathBuf,
}

impl ProfileFiles {
    pub fn write(name: &str, profile: &str, secrets: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let profile_path = dir.path().join(format!("{name}.toml"));
        std::fs::write(&profile_path, profile).expect("write profile");
        let secrets_path = dir.path().join(format!("{name}.secrets.toml"));
        std::fs::write(&secrets_path, secrets).expect("write secrets");
        ProfileFiles {
            dir,
            profile: profile_path,
            secrets: secrets_path,
        }
    }

    /// Another file of the directory (a report, say).
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }
}
