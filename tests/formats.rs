//! Every output format on the same fixture site, as snapshots in `tests/snapshots/formats/`, plus
//! the validations: the JSON report against `schema/report.schema.json` (itself checked against
//! the types), SARIF against the official SARIF 2.1.0 schema, JUnit parsed back.
//! To accept changed snapshots after reviewing the diff: `UPDATE_SNAPSHOTS=1 cargo test --test formats`;
//! to regenerate the shipped schema: `UPDATE_SCHEMA=1 cargo test --test formats`.

mod common;

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_shipped_schema_is_the_one_the_types_generate() {
    let path = root().join(heap_audit::report::json::SCHEMA_PATH);
    let generated = heap_audit::report::json::schema_text();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        shipped == generated,
        "{} differs from what src/model.rs generates: run `UPDATE_SCHEMA=1 cargo test --test formats`, review and commit it",
        path.display()
    );
}
