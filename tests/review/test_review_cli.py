"""`tenderwatch review`, `review --list` and `user add`: decisions and reviewers from the command line."""

from __future__ import annotations

import json

import sqlalchemy as sa

from storage.review import history
from review_fixtures import add_candidate, extracted  # noqa: F401  (the fixture)


def _history(db, key):
    from storage.db import make_engine

    engine = make_engine(db.url, read_only=True)
    try:
        with engine.connect() as conn:
            return history(conn, db.ids[key])
    finally:
        engine.dispose()


def test_a_confirmation_records_who_when_note_corrections_and_what_was_seen(extracted):
    r = extracted.cli("review", str(extracted.ids["cloud"]), "--confirm", "--kind", "cloud,gpu_rental",
                      "--provider", "alibaba-cloud", "--note", "ECS rented by the month", "--by", "anna")
    assert r.exit_code == 0, r.output
    assert "confirmed by anna" in r.output
    [row] = _history(extracted, "cloud")
    assert (row["decision"], row["reviewer"], row["note"], row["via"]) == (
        "confirmed", "anna", "ECS rented by the month", "cli")
    assert row["kinds"] == ["cloud", "gpu_rental"] and row["providers"] == ["alibaba-cloud"]
    assert row["chips"] is None  # not corrected: the findings seen stand
    assert row["seen"]["remote_compute"] is True and row["seen"]["cloud_providers"] == ["alibaba-cloud"]
    from extract.version import EXTRACTOR_VERSION

    assert row["extractor_version"] == EXTRACTOR_VERSION
    assert row["decided_at"] is not None


def test_a_later_decision_is_added_not_overwritten(extracted):
    nid = str(extracted.ids["model_api"])
    assert extracted.cli("review", nid, "--confirm", "--note", "checked", "--by", "anna").exit_code == 0
    r = extracted.cli("review", nid, "--reject", "--note", "a chatbot demo, no compute", "--by", "bo")
    assert r.exit_code == 0
    rows = _history(extracted, "model_api")
    assert [r["decision"] for r in rows] == ["rejected", "confirmed"]  # newest first: the state is rejected


def test_bad_decisions_are_refused_with_a_message_and_no_traceback(extracted):
    nid = str(extracted.ids["cloud"])
    cases = [
        (("review", nid, "--confirm", "--note", "x"), "--by"),
        (("review", nid, "--by", "anna"), "--confirm or --reject"),
        (("review", nid, "--confirm", "--by", "anna"), "--note"),
        (("review", nid, "--confirm", "--kind", "quantum", "--note", "x", "--by", "anna"), "not a known kind"),
        (("review", nid, "--confirm", "--provider", "amazon", "--note", "x", "--by", "anna"), "not a known provider"),
        (("review", nid, "--reject", "--chip", "nvidia-a100", "--note", "x", "--by", "anna"),
         "a rejection takes no corrected"),
        (("review", "987654", "--reject", "--note", "x", "--by", "anna"), "no notice 987654"),
        (("review", nid, "--confirm", "--by", "anna", "--note", "n" * 5000), "too long"),
    ]
    for args, message in cases:
        r = extracted.cli(*args)
        assert r.exit_code != 0, args
        assert message in r.output, (args, r.output)
        assert "Traceback" not in r.output
    assert _history(extracted, "cloud") == []


def test_the_pending_list_holds_unreviewed_cases_newest_first(extracted):
    ids = extracted.ids
    out = extracted.cli("review", "--list", "--pending", "--json").output
    listed = [json.loads(line)["id"] for line in out.splitlines()]
    # Cases only (the hardware purchase and the plain notice are neither cases nor candidates), newest first.
    assert listed == [ids["model_api"], ids["cloud"]]
    extracted.cli("review", str(ids["model_api"]), "--reject", "--note", "checked", "--by", "anna")
    out = extracted.cli("review", "--list", "--pending", "--json").output
    assert [json.loads(line)["id"] for line in out.splitlines()] == [ids["cloud"]]
    # Without --pending the decided notice stays listed, with its decision.
    rows = [json.loads(line) for line in extracted.cli("review", "--list", "--json").output.splitlines()]
    assert {r["id"]: (r["review"] or {}).get("decision") for r in rows} == {
        ids["cloud"]: None, ids["model_api"]: "rejected"}


def test_user_add_reads_the_password_from_stdin_and_stores_only_an_argon2_hash(extracted):
    r = extracted.cli("user", "add", "anna", input="correct horse battery staple\n")
    assert r.exit_code == 0, r.output
    from storage.db import make_engine

    engine = make_engine(extracted.url, read_only=True)
    with engine.connect() as conn:
        [(stored,)] = conn.execute(sa.text("SELECT password_hash FROM app_user WHERE name = 'anna'")).all()
        from storage.review import verify_password

        assert verify_password(conn, "anna", "correct horse battery staple")
        assert not verify_password(conn, "anna", "correct horse battery")
        assert not verify_password(conn, "nobody", "correct horse battery staple")
    engine.dispose()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    again = extracted.cli("user", "add", "anna", input="another long password\n")
    assert again.exit_code != 0 and "already a user" in again.output
    short = extracted.cli("user", "add", "bo", input="short\n")
    assert short.exit_code != 0 and "at least" in short.output


def test_user_signout_ends_every_session_of_that_reviewer_and_names_unknown_users(extracted):
    from datetime import timedelta

    from storage.db import make_engine
    from storage.review import ReviewWriter, session_user

    assert extracted.cli("user", "add", "anna", input="correct horse battery staple\n").exit_code == 0
    with ReviewWriter.open(extracted.url) as writer:
        sids = [writer.open_session("anna", timedelta(hours=1)) for _ in range(2)]
    r = extracted.cli("user", "signout", "anna")
    assert r.exit_code == 0 and "2 sessions of anna ended" in r.output
    engine = make_engine(extracted.url, read_only=True)
    with engine.connect() as conn:
        assert [session_user(conn, sid) for sid in sids] == [None, None]
    engine.dispose()
    unknown = extracted.cli("user", "signout", "nobody")
    assert unknown.exit_code == 1 and "no user 'nobody'" in unknown.output and "Traceback" not in unknown.output


def test_search_filters_by_review_state_and_leaves_rejected_cases_out_of_the_cases(extracted):
    ids = extracted.ids
    extracted.cli("review", str(ids["model_api"]), "--reject", "--note", "checked", "--by", "anna")
    extracted.cli("review", str(ids["cloud"]), "--confirm", "--note", "checked", "--by", "anna")

    def found(*args):
        r = extracted.cli("search", *args, "--json")
        assert r.exit_code == 0, r.output
        return {h["id"]: h["review"] for h in json.loads(r.output)}

    assert found("--cases") == {ids["cloud"]: "confirmed"}
    assert found("--review", "rejected") == {ids["model_api"]: "rejected"}
    assert set(found("--review", "pending")) == {ids["hardware"], ids["plain"]}
    assert "✓ confirmed by review" in extracted.cli("search", "--cases").output


def test_show_prints_the_review_state(extracted):
    nid = str(extracted.ids["cloud"])
    extracted.cli("review", nid, "--reject", "--note", "a lab's own servers", "--by", "bo")
    out = extracted.cli("show", nid).output
    assert "review:" in out and "rejected by bo" in out and "a lab's own servers" in out
    detail = json.loads(extracted.cli("show", nid, "--json").output)
    assert detail["reviews"][0]["decision"] == "rejected"


def test_the_pending_list_includes_possible_cases_by_date_with_the_cases(extracted):
    candidate = add_candidate(extracted.url, "西岭学院智能计算服务采购公告", "2025-03-20")
    rows = [json.loads(line) for line in extracted.cli("review", "--list", "--pending", "--json").output.splitlines()]
    # Newest first: model API (2025-04-01), the candidate (2025-03-20), the cloud case (2025-03-03).
    assert [r["id"] for r in rows] == [extracted.ids["model_api"], candidate, extracted.ids["cloud"]]
    assert [r["compute_candidate"] for r in rows] == [False, True, False]
    assert "candidate" in extracted.cli("review", "--list", "--pending").output


def test_review_commands_on_a_missing_database_say_so_and_create_nothing(tmp_path):
    from click.testing import CliRunner

    from tenderwatch.cli import main

    url = f"sqlite:///{tmp_path / 'none' / 'tw.db'}"
    for args in (["review", "1", "--confirm", "--note", "x", "--by", "anna"], ["user", "add", "anna"],
                 ["eval"], ["review", "--list"]):
        r = CliRunner().invoke(main, [*args, "--database-url", url], input="a long password\n")
        assert r.exit_code != 0 and "Traceback" not in r.output, (args, r.output)
    assert not (tmp_path / "none").exists()
