//! Reading and writing pairwise models in either of the two formats the
//! command line accepts: the binary model file (recognised by its magic) and
//! JSON (dense when `couplings` is a matrix, sparse when it is an edge list).

use anyhow::{Context, anyhow};
use ebm_core::file::{self, MAGIC};
use ebm_core::{DensePairwise, DiscreteEnergy, SparsePairwise};
use std::io::Read;
use std::path::Path;

/// A pairwise model with either kind of couplings.
pub enum Pairwise {
    /// Dense couplings.
    Dense(DensePairwise),
    /// Sparse couplings.
    Sparse(SparsePairwise),
}

impl Pairwise {
    /// The model seen through the energy interface.
    pub fn energy(&self) -> &dyn DiscreteEnergy {
        match self {
            Pairwise::Dense(m) => m,
            Pairwise::Sparse(m) => m,
        }
    }

    /// Writes the model to `path`: JSON if `json`, otherwise a model file. Atomic.
    pub fn save(&self, path: &Path, json: bool) -> Result<(), ebm_core::Error> {
        match (self, json) {
            (Pairwise::Dense(m), true) => file::export_json(path, m),
            (Pairwise::Sparse(m), true) => file::export_json(path, m),
            (Pairwise::Dense(m), false) => file::save(path, m),
            (Pairwise::Sparse(m), false) => file::save(path, m),
        }
    }
}

/// The output format implied by a path: JSON for a `.json` extension.
pub fn is_json_path(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Whether the file starts with the model-file magic.
fn has_magic(path: &Path) -> anyhow::Result<bool> {
    let mut head = Vec::with_capacity(MAGIC.len());
    std::fs::File::open(path)
        .and_then(|f| f.take(MAGIC.len() as u64).read_to_end(&mut head))
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(head == MAGIC)
}

/// Reads a pairwise model from a model file or a JSON file.
pub fn load(path: &Path) -> anyhow::Result<Pairwise> {
    if has_magic(path)? {
        let header = file::peek_header(path)?;
        let loaded = match header.kind.as_str() {
            "pairwise-dense" => file::load(path).map(Pairwise::Dense),
            "pairwise-sparse" => file::load(path).map(Pairwise::Sparse),
            other => return Err(anyhow!("{}: a {other:?} model is not a pairwise model", path.display())),
        };
        return loaded.map_err(anyhow::Error::from);
    }
    let value: serde_json::Value = file::import_json(path)?;
    let in_file = || format!("{}: invalid pairwise model", path.display());
    match value.get("couplings") {
        Some(serde_json::Value::Array(_)) => {
            serde_json::from_value(value).map(Pairwise::Dense).with_context(in_file)
        }
        Some(serde_json::Value::Object(_)) => {
            serde_json::from_value(value).map(Pairwise::Sparse).with_context(in_file)
        }
        _ => Err(anyhow!(
            "{}: expected a JSON object with \"domain\", \"couplings\" (a matrix, or {{\"units\", \"edges\"}}) \
             and \"bias\"",
            path.display()
        )),
    }
}
