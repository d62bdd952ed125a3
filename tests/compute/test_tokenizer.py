"""The jieba tokenizer: owns its user words, survives pickling and reloading, and works line by line (linear)."""

import pickle
import subprocess
import sys

import spacy

from extract.compute.lexicon import fold, load_lexicon
from extract.compute.nlp import build_nlp, get_nlp
from extract.compute.tokenizer import JiebaTokenizer


def words(nlp, text):
    return [t.text for t in nlp.tokenizer(text)]


def test_lexicon_terms_stay_whole():
    nlp = get_nlp()
    assert "亚马逊云科技" in words(nlp, "采购亚马逊云科技云服务")
    assert "A100" in words(nlp, "配置8块A100GPU")
    assert "昇腾910B" in words(nlp, "基于昇腾910B的算力")


def test_doc_text_round_trips_whitespace_and_folds_full_width():
    nlp = get_nlp()
    text = "采购\u3000ＧＰＵ  云服务器\t8卡\r\n第二行 A100\xa0结束"
    doc = nlp.tokenizer(text)
    assert len(doc.text) == len(text)
    assert doc.text == text.replace("\u3000", " ").replace("\xa0", " ").replace("ＧＰＵ", "GPU")


def test_user_words_are_private_not_global_jieba_state():
    import jieba

    get_nlp()
    assert "亚马逊云科技" not in jieba.lcut("采购亚马逊云科技云服务")


def test_tokenizer_pickles_with_its_user_words():
    tok = JiebaTokenizer(spacy.blank("zh").vocab, ["甲乙丙丁戊"])
    clone = pickle.loads(pickle.dumps(tok))
    assert clone.user_words == ("甲乙丙丁戊",)
    assert "甲乙丙丁戊" in [t.text for t in clone("这是甲乙丙丁戊的例子")]


def test_whole_pipeline_pickles():
    nlp = get_nlp()
    clone = pickle.loads(pickle.dumps(nlp))
    doc = clone("租用亚马逊云科技GPU云服务器")
    assert {(s.label_, s.kb_id_) for s in doc.spans["compute"]} >= {("PROVIDER", "aws")}


def test_user_words_survive_to_disk_and_a_fresh_process(tmp_path):
    nlp = build_nlp()
    nlp.tokenizer.add_words(["甲乙丙丁戊"])
    nlp.to_disk(tmp_path / "pipe")
    code = (
        "import spacy, extract.compute.nlp\n"
        f"nlp = spacy.load({str(tmp_path / 'pipe')!r})\n"
        "print('|'.join(t.text for t in nlp.tokenizer('这是甲乙丙丁戊和亚马逊云科技')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out.split("|") == ["这", "是", "甲乙丙丁戊", "和", "亚马逊云科技"]


def test_segmentation_is_linear_in_the_number_of_lines():
    """Checked by token counts, not time: N copies of a paragraph give N times its tokens, none lost."""
    nlp = get_nlp()
    para = "本项目租用GPU云服务器8台，每台配置8块NVIDIA A100，服务期12个月，按月计费。\n"
    one = len(nlp.tokenizer(para))
    for n in (10, 1000):
        doc = nlp.tokenizer(para * n)
        assert len(doc) == n * one
        assert doc.text == fold(para * n)  # full-width punctuation is folded, nothing else changes


def test_user_words_come_from_the_lexicon():
    words_ = set(load_lexicon().user_words())
    assert {"亚马逊云科技", "a100", "rtx", "4090d", "算力租赁"} <= words_
