"""jieba's main dictionary, loaded once per process, and fast.

jieba keeps its prefix dictionary (~500,000 words and prefixes) in a marshal cache in the temp directory;
unmarshalling it takes 1–1.4 s, while the same dict from a pickle loads in ~0.35 s. `main_dictionary()`
initialises the process's default tokenizer `jieba.dt` from a pickle of that dictionary kept beside
jieba's own cache (written the first time, keyed by jieba's version and its dictionary file), falling
back to jieba's own loading. Only a cache file owned by this user and writable by no one else is read.
The PDF reader's dictionary test uses `jieba.dt`; the compute tokenizer copies its dictionary
(extract/compute/tokenizer.py), so the file is read once per process.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
import threading

import jieba

jieba.setLogLevel(logging.WARNING)
logger = logging.getLogger(__name__)
_LOCK = threading.Lock()


def _cache_path() -> str | None:
    try:
        st = os.stat(os.path.join(os.path.dirname(jieba.__file__), jieba.DEFAULT_DICT_NAME))
    except OSError:
        return None
    key = f"{jieba.__version__}-{st.st_size}-{st.st_mtime_ns}"
    return os.path.join(tempfile.gettempdir(), f"tenderwatch-jieba-{key}.pickle")


def main_dictionary() -> jieba.Tokenizer:
    """`jieba.dt`, initialised (its FREQ and total hold the main dictionary)."""
    dt = jieba.dt
    with _LOCK:
        if dt.initialized:
            return dt
        path = _cache_path() if dt.dictionary == jieba.DEFAULT_DICT else None
        if path is not None and os.path.isfile(path):
            try:
                with open(path, "rb") as f:
                    st = os.fstat(f.fileno())
                    # The temp directory is shared: only a file of our own that no one else can write is
                    # unpickled (a pickle can run code).
                    if st.st_uid != os.getuid() or st.st_mode & 0o022:
                        raise PermissionError(f"{path} is not this user's private file")
                    freq, total = pickle.load(f)
                if isinstance(freq, dict) and isinstance(total, int) and freq:
                    with dt.lock:
                        if not dt.initialized:
                            dt.FREQ, dt.total, dt.initialized = freq, total, True
                    return dt
            except Exception:  # a damaged cache: jieba's own loading below rewrites it
                logger.debug("Could not read %s", path, exc_info=True)
        dt.initialize()
        if path is not None:
            try:
                fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
                with os.fdopen(fd, "wb") as f:
                    pickle.dump((dt.FREQ, dt.total), f, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, path)
            except OSError:
                logger.debug("Could not write %s", path, exc_info=True)
    return dt
