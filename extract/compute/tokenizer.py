"""A spaCy tokenizer that owns its jieba segmenter.

Why not spaCy's built-in `segmenter = "jieba"` (../shared/reference/nlp-and-pdf.md §1.2): it uses the global
`jieba.dt`, so user words are process-global state that `nlp.to_disk()` forgets; it holds the `jieba` module and so
cannot be pickled (spawn / `n_process>1`); and it builds the Doc with `text[pos:].index(word)` per token, which is
quadratic in document length. This tokenizer:

* owns a private `jieba.Tokenizer` and teaches it its user words (the lexicon terms), so 亚马逊云科技 or A100 stay
  whole; the words travel with the object (pickle, to_bytes / to_disk);
* segments a folded, lower-cased copy of the text (full-width → ASCII and ASCII case do not change lengths), so
  user words match whatever the case or width in the notice, while token texts come from the Doc's own text;
* cuts the text into lines first and uses jieba's offsets, so the work is linear in the text length;
* folds full-width characters in the Doc text itself, so Ａ１００ and A100 are the same token text.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Iterable, Optional

import jieba
from spacy.tokens import Doc
from spacy.vocab import Vocab

from extract.compute.lexicon import fold, norm_key
from extract.jieba_dict import main_dictionary

jieba.setLogLevel(logging.WARNING)


def _main_dictionary() -> tuple[dict, int]:
    """jieba's main dictionary (prefix frequencies, total), loaded once per process (extract/jieba_dict.py).
    Private tokenizers take a copy: their user words must not reach `jieba.dt`."""
    dt = main_dictionary()
    return dt.FREQ, dt.total


class JiebaTokenizer:
    """Text → Doc with a private jieba dictionary. Picklable by its user words."""

    def __init__(self, vocab: Vocab, user_words: Iterable[str] = (), hmm: bool = False):
        self.vocab = vocab
        self.hmm = hmm  # HMM off: unknown words fall to single characters, and lexicon words are all known
        self.user_words: tuple[str, ...] = tuple(sorted({norm_key(w) for w in user_words if w and not w.isspace()}))
        self._jieba: Optional[jieba.Tokenizer] = None

    # ------------------------------------------------------------------ segmenter
    @property
    def segmenter(self) -> jieba.Tokenizer:
        """Built on first use (loading jieba's main dictionary takes ~0.6 s)."""
        if self._jieba is None:
            tk = jieba.Tokenizer()
            freq, total = _main_dictionary()
            tk.FREQ, tk.total = dict(freq), total
            tk.initialized = True
            for word in self.user_words:
                # The suggested frequency is the least that keeps the word whole when it stands alone; more
                # would let a lexicon word break ordinary words around it (机时 inside 计算机时代).
                tk.add_word(word, freq=tk.suggest_freq(word, tune=False) + 1)
            self._jieba = tk
        return self._jieba

    def add_words(self, words: Iterable[str]) -> None:
        new = {norm_key(w) for w in words if w and not w.isspace()} - set(self.user_words)
        if not new:
            return
        self.user_words = tuple(sorted(set(self.user_words) | new))
        if self._jieba is not None:
            for word in sorted(new):
                self._jieba.add_word(word, freq=self._jieba.suggest_freq(word, tune=False) + 1)

    # ------------------------------------------------------------------ segmentation
    def segment(self, text: str) -> list[tuple[int, int]]:
        """(start, end) offsets of the tokens of `text`, whitespace included. Linear: one jieba call per line."""
        key = norm_key(text)
        spans: list[tuple[int, int]] = []
        tk = self.segmenter
        pos = 0
        for line in key.splitlines(keepends=True):
            for _word, s, e in tk.tokenize(line, HMM=self.hmm):
                spans.append((pos + s, pos + e))
            pos += len(line)
        return spans

    def __call__(self, text: str) -> Doc:
        text = fold(text)
        words: list[str] = []
        spaces: list[bool] = []
        for s, e in self.segment(text):
            word = text[s:e]
            # A single plain space after a token is that token's trailing whitespace, as in spaCy's own tokenizers.
            if word == " " and words and not spaces[-1] and not words[-1].isspace():
                spaces[-1] = True
                continue
            words.append(word)
            spaces.append(False)
        doc = Doc(self.vocab, words=words, spaces=spaces)
        # Doc.text is rebuilt from the tokens on every access: keep the lookup key (folded, lower-cased) once here.
        doc.user_data["norm_key"] = norm_key(text)
        return doc

    def pipe(self, texts: Iterable[str], batch_size: int = 1000):
        for text in texts:
            yield self(text)

    # ------------------------------------------------------------------ serialisation
    def __reduce__(self):
        return (self.__class__, (self.vocab, self.user_words, self.hmm))

    def to_bytes(self, **kwargs) -> bytes:
        return json.dumps({"user_words": list(self.user_words), "hmm": self.hmm}, ensure_ascii=False).encode()

    def from_bytes(self, data: bytes, **kwargs) -> "JiebaTokenizer":
        cfg = json.loads(data.decode())
        self.user_words = tuple(cfg["user_words"])
        self.hmm = bool(cfg.get("hmm", False))
        self._jieba = None
        return self

    def to_disk(self, path, **kwargs) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "jieba_user_words.json").write_bytes(self.to_bytes())

    def from_disk(self, path, **kwargs) -> "JiebaTokenizer":
        return self.from_bytes((Path(path) / "jieba_user_words.json").read_bytes())
