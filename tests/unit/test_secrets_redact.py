"""Redaction: markers in place of values (line numbers kept, YAML still parses to strings), every
string of a store document cleaned (nested payloads, word tokens), hashes computed again as
``finish_doc`` would on the clean texts, ``sensitivity`` set; the salt is private to the data dir."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from planvec.records import finish_doc
from planvec.secrets import SALT_NAME, Guard, load_salt, redact, secret_spans, sensitivity

GH = "ghp_" + "Zq8vK2mN5pL7xR1tY4wB6cD9fH3jS0gA1uE2"
KEY_LINE = "MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5jKo6GpSf9vsLoAoGCCqGSM49"
KEY = f"-----BEGIN EC PRIVATE KEY-----\n{KEY_LINE}\n-----END EC PRIVATE KEY-----"


def test_redact_keeps_lines_and_yaml() -> None:
    block = KEY.replace("\n", "\n  ")
    text = f"a: 1\nkey: |\n  {block}\npassword: Zq9-vK2mN5pL\nurl: https://u:Pa55w0rdQ9@h/x\nz: 2\n"
    spans = secret_spans(text, "c.yaml")
    out = redact(text, spans, yaml=True)
    assert out.count("\n") == text.count("\n")
    data = yaml.safe_load(out)
    assert data["password"] == "[REDACTED:password]" and data["z"] == 2
    assert data["url"] == "https://u:[REDACTED:basic-auth]@h/x"
    assert data["key"].startswith("[REDACTED:private-key]")


def _doc(title: str, body: str, tokens: list[str]) -> object:
    payload = {
        "kind": "task",
        "root": "/r",
        "file": "plan.md",
        "line": 7,
        "anchor": title,
        "title": title,
        "body": body,
        "section_tokens": tokens,
        "nested": {"deep": [{"value": body}]},
    }
    return finish_doc("tasks", "/r", "plan.md", title, f"{title}\n{body}", f"{title} {body}", payload, "m")


def test_clean_doc_every_string_and_hashes(tmp_path: Path) -> None:
    guard = Guard(data_dir=tmp_path)
    doc = _doc("Deploy", f"use {GH} now", ["deploy", GH.lower(), GH.lower()[4:20]])
    clean = guard.clean_doc(doc, "m")  # type: ignore[arg-type]
    blob = json.dumps([clean.text, clean.sparse_text, clean.payload]).lower()
    assert GH.lower() not in blob and GH.lower()[4:20] not in blob
    assert clean.payload["nested"]["deep"][0]["value"] == "use [REDACTED:github-token] now"
    assert clean.payload["sensitivity"] == "secret" and clean.point_id == doc.point_id  # type: ignore[attr-defined]
    again = _doc("Deploy", "use [REDACTED:github-token] now", clean.payload["section_tokens"])
    assert clean.content_hash == again.content_hash  # type: ignore[attr-defined]
    # The document's own line is the finding's (the value came through a document, not a file).
    assert {(f.type, f.file, f.line) for f in guard.findings} == {("github-token", "plan.md", 7)}


def test_clean_doc_public_and_personal(tmp_path: Path) -> None:
    guard = Guard(data_dir=tmp_path)
    source = guard.clean_source("- [ ] 1.1 Call jeanne.martin@orange.fr\n- [ ] 1.2 Nothing\n", "plan.md")
    assert "jeanne.martin@orange.fr" in source and guard.personal == {"email": 1}
    personal = guard.clean_doc(_doc("Call jeanne.martin@orange.fr", "", []), "m")  # type: ignore[arg-type]
    public = guard.clean_doc(_doc("Nothing", "", []), "m")  # type: ignore[arg-type]
    assert (personal.payload["sensitivity"], public.payload["sensitivity"]) == ("personal", "public")
    assert public.payload_hash == _doc("Nothing", "", []).payload_hash or "sensitivity" in public.payload
    redacting = Guard(redact_personal=True, data_dir=tmp_path)
    text = redacting.clean_source("Call jeanne.martin@orange.fr or 06 12 34 56 78\n", "plan.md")
    assert text == "Call [REDACTED:email] or [REDACTED:phone]\n"
    assert redacting.findings == []  # (personal data is counted, not listed as secrets)
    assert sensitivity([text]) == "personal" and sensitivity(["x [REDACTED:jwt]", text]) == "secret"


def test_salt_is_private_and_stable(tmp_path: Path) -> None:
    salt = load_salt(tmp_path / "data")
    path = tmp_path / "data" / SALT_NAME
    assert (path.stat().st_mode & 0o777) == 0o600 and load_salt(tmp_path / "data") == salt
    assert len(salt) == 32 and load_salt(None) != salt
    a = Guard(data_dir=tmp_path / "data")
    b = Guard(data_dir=tmp_path / "data")
    a.clean_source(f"t {GH}\n", "x.md")
    b.clean_source(f"other file\nt {GH}\n", "y.md")
    assert a.findings[0].hash == b.findings[0].hash  # the same value, recognised across runs


def test_document_lines_seen_clean_still_classify(tmp_path: Path) -> None:
    """A line its file showed free of secrets is not scanned again for secrets, but its personal
    data and the markers of redacted secrets still classify the document."""
    guard = Guard(data_dir=tmp_path)
    guard.clean_source(f"- [ ] 1.1 Call jeanne.martin@orange.fr\n- [ ] 1.2 Use {GH}\n", "plan.md")
    assert (
        guard.clean_doc(_doc("Call jeanne.martin@orange.fr", "", []), "m").payload["sensitivity"]
        == "personal"
    )  # type: ignore[arg-type]
    assert (
        guard.clean_doc(_doc("Use [REDACTED:github-token]", "", []), "m").payload["sensitivity"] == "secret"
    )  # type: ignore[arg-type]
