"""The findings' vocabulary (extract/compute/vocabulary.py, read from extract/compute/data/*.toml): everything
the extractor can emit has a label there, and the site shows the vocabulary's labels."""

import re
from pathlib import Path

from extract.compute import vocabulary
from extract.compute.lexicon import load_lexicon
from extract.fields.base import NOTICE_TYPES

ROOT = Path(__file__).resolve().parents[2]


def labelled(facet: str, value: str) -> bool:
    term = vocabulary.terms(facet).get(value)
    return bool(term and term.label.strip() and term.label != vocabulary.pretty(value))


def test_every_provider_and_chip_of_the_lexicon_has_a_label():
    lexicon = load_lexicon()
    assert [p for p in lexicon.providers if not labelled("provider", p)] == []
    assert [c for c in lexicon.chips if not labelled("chip", c)] == []
    # Chips and providers the lexicon's instance patterns name are lexicon ids too.
    assert {i.provider for i in lexicon.instances if i.provider} <= set(lexicon.providers)
    assert {i.chip for i in lexicon.instances if i.chip} <= set(lexicon.chips)


def test_every_kind_and_flag_the_classifier_can_emit_has_a_label():
    lexicon = load_lexicon()
    kinds = {kind for p in lexicon.providers.values() for _, kind in p.products}
    kinds |= {kind for g in lexicon.groups for kind in g.kinds}
    assert kinds <= set(vocabulary.KINDS), kinds - set(vocabulary.KINDS)
    assert all(labelled("kind", k) and vocabulary.terms("kind")[k].description for k in vocabulary.KINDS)
    # The classifier sets flags by name (extract/compute/classify.py `_flags`): each must be in flags.toml.
    source = (ROOT / "extract" / "compute" / "classify.py").read_text(encoding="utf-8")
    emitted = set(re.findall(r'flags\.append\("(\w+)"\)', source))
    assert emitted and emitted <= set(vocabulary.FLAGS), emitted - set(vocabulary.FLAGS)
    assert all(labelled("flag", f) and vocabulary.terms("flag")[f].description for f in vocabulary.FLAGS)


def test_every_notice_type_and_amount_kind_of_the_field_extractor_has_a_label():
    assert set(NOTICE_TYPES) == set(vocabulary.ids("notice_type"))
    source = (ROOT / "extract" / "fields" / "money.py").read_text(encoding="utf-8")
    emitted = set(re.findall(r'"(budget|award|max_price|unit_price|rate|\w+_price)"', source))
    assert emitted <= set(vocabulary.ids("amount_kind")), emitted - set(vocabulary.ids("amount_kind"))
    # A unit price or a rate is not "the amount" of a notice; an award says more than a budget.
    assert vocabulary.TOTAL_AMOUNT_KINDS == ("award", "budget", "max_price")


def test_kinds_are_in_one_order_everywhere():
    from extract.compute import classify

    assert classify.KINDS == vocabulary.KINDS == ("cloud", "gpu_rental", "model_api", "hpc")
    assert vocabulary.sort_kinds(["hpc", "cloud", "new_kind", "hpc"]) == ["cloud", "hpc", "new_kind"]


def test_an_unknown_id_is_shown_prettified_not_hidden():
    assert vocabulary.label("chip", "acme-x9_pro") == "acme x9 pro"
    assert vocabulary.label("provider", "aws") == "AWS 亚马逊云科技"
    assert vocabulary.label("chip", "huawei-ascend-910b") == "Huawei Ascend 910B"
