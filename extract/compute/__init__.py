"""Compute-case detection: did a notice seek remote compute (cloud, rented GPUs, model APIs, HPC time), buy
accelerators to own, or neither — with the providers, chips, flags and the evidence sentences behind each answer.

`find_compute(body, attachments, fields) -> ComputeFindings` is the one entry point (see classify.py for the rules,
nlp.py for the spaCy pipeline, data/ for the lexicons and facts).
"""

from extract.compute.classify import find_compute

__all__ = ["find_compute"]
