"""`tenderwatch eval`: the current extractor scored against the review decisions."""

from __future__ import annotations

import json

from storage.store import Store
from review_fixtures import extracted  # noqa: F401  (the fixture)


def _stored(db, key):
    with Store.open(db.url, read_only=True) as store:
        d = store.notice_detail(db.ids[key])
    return d["remote_compute"], d["hardware_purchase"], d["compute_kinds"]


def test_eval_prints_the_figures_the_decisions_imply_and_lists_disagreements(extracted):
    ids = extracted.ids
    # What the extractor found (the premise of the expected figures below).
    assert _stored(extracted, "cloud") == (True, False, ["cloud"])
    assert _stored(extracted, "model_api")[0] is True
    assert _stored(extracted, "hardware")[:2] == (False, True)
    assert _stored(extracted, "plain") == (False, False, [])
    # The reviewers: the cloud case is right (tp); the model-API case is wrong (fp); the plain notice is a
    # case the extractor missed, HPC time (fn); the hardware purchase is rightly no case (tn).
    for args in (("cloud", "--confirm"), ("model_api", "--reject"), ("plain", "--confirm", "--kind", "hpc"),
                 ("hardware", "--reject")):
        r = extracted.cli("review", str(ids[args[0]]), *args[1:], "--by", "anna", "--note", "test")
        assert r.exit_code == 0, r.output

    r = extracted.cli("eval", "--json")
    assert r.exit_code == 0, r.output
    result = json.loads(r.output)
    assert result["reviewed"] == 4
    rc = result["remote_compute"]
    assert (rc["tp"], rc["fp"], rc["fn"]) == (1, 1, 1)
    assert (rc["precision"], rc["recall"], rc["f1"]) == (0.5, 0.5, 0.5)
    kinds = result["compute_kinds"]  # gold: cloud, hpc; extractor: cloud, model_api
    assert (kinds["tp"], kinds["fp"], kinds["fn"]) == (1, 1, 1)
    assert result["hardware_purchase"]["tp"] == 1 and result["hardware_purchase"]["f1"] == 1.0
    assert set(result) >= {"cloud_providers", "gpu_models"}
    disagreements = {(d["id"], d["key"]) for d in result["disagreements"]}
    assert disagreements == {(ids["model_api"], "remote_compute"), (ids["model_api"], "compute_kinds"),
                             (ids["plain"], "remote_compute"), (ids["plain"], "compute_kinds")}

    text = extracted.cli("eval").output
    assert "reviewed notices: 4" in text
    assert "remote_compute     precision 0.500 recall 0.500 f1 0.500" in text
    assert "4 disagreements" in text


def test_eval_follows_the_newest_decision(extracted):
    nid = str(extracted.ids["model_api"])
    extracted.cli("review", nid, "--reject", "--note", "checked", "--by", "anna")
    extracted.cli("review", nid, "--confirm", "--by", "bo", "--note", "billed by token: it is a case")
    result = json.loads(extracted.cli("eval", "--json").output)
    assert result["reviewed"] == 1
    assert result["remote_compute"]["tp"] == 1 and result["disagreements"] == []


def test_eval_without_reviews_says_there_is_nothing_to_score(extracted):
    r = extracted.cli("eval")
    assert r.exit_code == 0 and "reviewed notices: 0" in r.output and "nothing to score" in r.output
