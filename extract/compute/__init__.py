"""Compute-case detection: did a notice seek remote compute (cloud, rented GPUs, model APIs, HPC time), buy
accelerators to own, or neither — with the providers, chips, flags and the evidence sentences behind each answer.

`find_compute(body, attachments, fields) -> ComputeFindings` is the one entry point (see classify.py for the rules,
nlp.py for the spaCy pipeline, data/ for the lexicons and facts). `candidate_reason_text(code)` is the wording of a
possible case's reason code (data/candidates.toml), for pages, digests and exports.
"""

from extract.compute.classify import find_compute
from extract.compute.lexicon import candidate_reason_text

__all__ = ["candidate_reason_text", "find_compute"]
