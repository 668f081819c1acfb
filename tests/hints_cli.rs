//! `edgeparity hints [ID]`: the list (id, title, what it matches), one entry
//! in full as YAML that parses back to the same entry, the config's entries,
//! and an unknown id (exit 2 with "did you mean").

use std::path::Path;

fn hints(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_edgeparity"))
        .arg("hints")
        .args(args)
        .current_dir(cwd)
        .env_remove("PARITY_CONFIG")
        .output()
        .expect("run edgeparity");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_list_names_every_entry_with_its_title_and_what_it_matches() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = hints(&[], dir.path());
    assert_eq!(code, 0, "{err}");
    let builtin = edgeparity::hints::builtin();
    assert!(out.starts_with(&format!("{} entries", builtin.entries().len())));
    for e in builtin.entries() {
        assert!(
            out.contains(&format!("\n{}  {}\n", e.id, e.title.trim())),
            "{}: {out}",
            e.id
        );
    }
    assert!(out.contains(
        "strong-etag-weakened  Cloudflare weakened a strong ETag (W/)\n    matches: header · field etag · candidate cloudflare · candidate weakens baseline\n"
    ));
}

#[test]
fn one_entry_in_full_is_yaml_that_reads_back_as_the_same_entry() {
    let dir = tempfile::tempdir().unwrap();
    for e in edgeparity::hints::builtin().entries() {
        let (code, out, err) = hints(&[&e.id], dir.path());
        assert_eq!(code, 0, "{err}");
        assert!(out.starts_with(&format!("# {} — built in", e.id)), "{out}");
        let parsed = edgeparity::hints::parse_catalogue(&out)
            .unwrap_or_else(|err| panic!("{}: {err}\n{out}", e.id));
        let mut want = e.clone();
        for s in [&mut want.title, &mut want.behaviour, &mut want.fix] {
            *s = s.trim().to_string();
        }
        if let Some(a) = &mut want.alternative {
            *a = a.trim().to_string();
        }
        assert_eq!(parsed, vec![want], "{out}");
    }
}

#[test]
fn an_unknown_id_is_exit_2_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = hints(&["strong-etag-weakned"], dir.path());
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains(
            "no hint `strong-etag-weakned` in the catalogue, did you mean `strong-etag-weakened`?"
        ),
        "{err}"
    );
}

#[test]
fn the_configs_entries_are_listed_and_shown_as_its_own() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("parity.yaml"),
        "environments:\n  t:\n    baseline: fastly\n    providers:\n      fastly: {addrs: [127.0.0.2]}\n      cloudflare: {addrs: [127.0.0.3]}\nhints:\n  - id: edge-compression\n    title: Compression (our runbook)\n    behaviour: a. b.\n    fix: See runbook NET-7.\n    match: [{kind: header, field: content-encoding}]\n",
    )
    .unwrap();
    let (code, out, err) = hints(&[], dir.path());
    assert_eq!(code, 0, "{err}");
    let n = edgeparity::hints::builtin().entries().len();
    assert!(
        out.starts_with(&format!("{n} entries, 1 from parity.yaml")),
        "{out}"
    );
    assert!(
        out.contains("\nedge-compression  Compression (our runbook)  [parity.yaml]\n"),
        "{out}"
    );
    let (code, out, _) = hints(&["edge-compression"], dir.path());
    assert_eq!(code, 0);
    assert!(
        out.starts_with("# edge-compression — parity.yaml\n"),
        "{out}"
    );
    assert!(out.contains("  fix: \"See runbook NET-7.\"\n"), "{out}");
    // A broken config is exit 2 with its position.
    std::fs::write(
        dir.path().join("bad.yaml"),
        "environments: {}\nhints:\n  - {id: x, title: t, behaviour: b, fix: f, match: [{kind: headr}]}\n",
    )
    .unwrap();
    let (code, _, err) = hints(&["--config", "bad.yaml"], dir.path());
    assert_eq!(code, 2);
    assert!(err.contains("bad.yaml:3:5"), "{err}");
}
