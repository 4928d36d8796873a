//! Loading `pipelines/`: one TOML file per product, validated before any work.
//!
//! A wrong file stops the run with every problem listed as `file, key: reason`, so staff
//! fix the rules once instead of discovering them one batch row at a time.

use crate::product::{Product, RuleError};
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every product the CA offers, by id.
#[derive(Debug, Clone)]
pub struct Pipelines {
    pub dir: PathBuf,
    pub products: BTreeMap<String, Product>,
}

impl Pipelines {
    pub fn product(&self, id: &str) -> Option<&Product> {
        self.products.get(id)
    }
}

/// Reads and validates every `*.toml` directly under `dir` (sub-folders such as `banks/`
/// and `letters/` hold other kinds of rules).
pub fn load(dir: &Path) -> Result<Pipelines> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read the pipelines folder {}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("{}: no product files (*.toml) found", dir.display());
    }
    let mut products = BTreeMap::new();
    let mut problems = Vec::new();
    for file in &files {
        match load_product(file) {
            Ok(p) => {
                products.insert(p.id.clone(), p);
            }
            Err(errs) => problems.extend(errs),
        }
    }
    if !problems.is_empty() {
        bail!("invalid product rules:\n  {}", problems.join("\n  "));
    }
    Ok(Pipelines { dir: dir.to_path_buf(), products })
}

/// One product file; the errors are lines `file, key: reason`.
pub fn load_product(file: &Path) -> Result<Product, Vec<String>> {
    let shown = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|e| vec![format!("{shown}: cannot read: {e}")])?;
    let product: Product = parse_toml(&shown, &text).map_err(|e| vec![e])?;
    let mut errors: Vec<RuleError> = product.validate();
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    if product.id != stem {
        errors.push(RuleError {
            key: "id".into(),
            reason: format!("is {:?} but the file is named {stem}.toml", product.id),
        });
    }
    if errors.is_empty() {
        Ok(product)
    } else {
        Err(errors.into_iter().map(|e| format!("{shown}, key {}: {}", e.key, e.reason)).collect())
    }
}

/// Parses a TOML rule file, the error in one line: `file, line N, at `key`: reason`.
pub fn parse_toml<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, String> {
    toml::from_str(text).map_err(|e| describe_toml_error(file, text, &e))
}

/// Reads and parses a TOML rule file, every error in one line.
pub fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {shown}"))?;
    parse_toml(&shown, &text).map_err(anyhow::Error::msg)
}

pub fn describe_toml_error(file: &str, text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim();
    match e.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            let found = text.get(span.clone()).unwrap_or_default().lines().next().unwrap_or_default();
            format!("{file}, line {line}, at `{found}`: {message}")
        }
        None => format!("{file}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_pipelines() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines")
    }

    #[test]
    fn shipped_products_load() {
        let p = load(&repo_pipelines()).expect("shipped rules are valid");
        for id in ["gid-download", "gid-media", "aosign-g2", "cecsign", "passport-web"] {
            assert!(p.product(id).is_some(), "{id} is shipped");
        }
    }

    #[test]
    fn an_unknown_key_names_file_line_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let src = std::fs::read_to_string(repo_pipelines().join("gid-download.toml")).unwrap();
        let bad = src.replacen("[screening]", "[screening]\nfreshnes_months = 3", 1);
        std::fs::write(dir.path().join("gid-download.toml"), bad).unwrap();
        let err = load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("gid-download.toml, line"), "{err}");
        assert!(err.contains("freshnes_months"), "{err}");
    }

    #[test]
    fn a_dangling_document_reference_names_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let src = std::fs::read_to_string(repo_pipelines().join("gid-download.toml")).unwrap();
        let bad = src.replacen("\"seal_certificate\"", "\"seal_cert\"", 1);
        std::fs::write(dir.path().join("gid-download.toml"), bad).unwrap();
        let err = load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("key cert_types.") && err.contains("unknown document \"seal_cert\""), "{err}");
    }

    #[test]
    fn file_name_must_match_id() {
        let dir = tempfile::tempdir().unwrap();
        let src = std::fs::read_to_string(repo_pipelines().join("cecsign.toml")).unwrap();
        std::fs::write(dir.path().join("other.toml"), src).unwrap();
        let err = load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("other.toml, key id"), "{err}");
    }

    #[test]
    fn an_empty_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).unwrap_err().to_string().contains("no product files"));
    }
}
