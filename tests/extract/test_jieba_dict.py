"""jieba's main dictionary loaded once per process through a pickle cache (extract/jieba_dict.py): the same
dictionary as jieba's own loading, and a cache file anyone else could have written is not unpickled."""

import os
import pickle

import jieba

from extract import jieba_dict


def _fresh(monkeypatch):
    monkeypatch.setattr(jieba, "dt", jieba.Tokenizer())


def test_the_cache_gives_jiebas_own_dictionary(tmp_path, monkeypatch):
    path = tmp_path / "dict.pickle"
    monkeypatch.setattr(jieba_dict, "_cache_path", lambda: str(path))
    reference = jieba.Tokenizer()
    reference.initialize()
    _fresh(monkeypatch)
    first = jieba_dict.main_dictionary()  # jieba's own loading; writes the cache
    assert path.exists()
    assert first.initialized and first.FREQ == reference.FREQ and first.total == reference.total
    _fresh(monkeypatch)
    second = jieba_dict.main_dictionary()  # from the cache
    assert second is jieba.dt and second.initialized
    assert second.FREQ == reference.FREQ and second.total == reference.total


def test_a_cache_writable_by_others_is_not_read(tmp_path, monkeypatch):
    path = tmp_path / "dict.pickle"
    path.write_bytes(pickle.dumps(({"假": 1}, 1)))
    os.chmod(path, 0o666)
    monkeypatch.setattr(jieba_dict, "_cache_path", lambda: str(path))
    _fresh(monkeypatch)
    dt = jieba_dict.main_dictionary()
    assert dt.initialized and len(dt.FREQ) > 100_000 and dt.total > 1  # jieba's own dictionary, not the file's
