//! The checker on small crates whose answer is known.

use std::process::Command;

fn run(fixture: &str) -> (bool, String) {
    let root = format!(
        "{}/tests/fixtures/{fixture}/src/lib.rs",
        env!("CARGO_MANIFEST_DIR")
    );
    let output = Command::new(env!("CARGO_BIN_EXE_module-cycles"))
        .arg(root)
        .output()
        .expect("the checker runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn two_modules_that_name_each_other_are_a_cycle() {
    let (ok, out) = run("cycle");
    assert!(!ok, "{out}");
    assert!(out.contains("a -> b"), "{out}");
    assert!(out.contains("b -> a"), "{out}");
}

#[test]
fn a_re_export_from_the_root_is_followed_to_its_module() {
    // user names `crate::Node`, which is node's: user -> node -> user would be a cycle, and it
    // is one; the root that re-exports Node is not part of it.
    let (ok, out) = run("reexport");
    assert!(!ok, "{out}");
    assert!(out.contains("user -> node"), "{out}");
    assert!(!out.contains("crate ->"), "{out}");
}

#[test]
fn dependencies_pointing_one_way_pass() {
    let (ok, out) = run("layered");
    assert!(ok, "{out}");
    assert!(
        out.contains("4 modules, 3 dependencies between them, no cycle"),
        "{out}"
    );
}
