"""Render text as a scanned page or a phone photo of a page: the OCR fixtures, the replica's scanned
attachments and the OCR benchmark are all made here, so they share one idea of what a scan looks like.

A page is A4 at `dpi` (200 by default, what scanners at tender offices commonly use), black text on white,
tab-separated lines drawn as a ruled table; then mild scanner noise (specks, a grey cast, slight blur) and a
skew of at most 1°. Deterministic for a given seed. Needs a CJK TrueType font: `find_cjk_font()` looks at
TENDERWATCH_CJK_FONT, then fontconfig (Debian: fonts-wqy-microhei). The generated files are committed, so
tests and the replica never need the font; only regenerating them does.
"""

from __future__ import annotations

import io
import os
import random
import re
import shutil
import subprocess
from typing import Optional

A4_MM = (210, 297)


def find_cjk_font() -> Optional[str]:
    """Path of a font with Chinese glyphs, or None."""
    path = os.environ.get("TENDERWATCH_CJK_FONT")
    if path and os.path.exists(path):
        return path
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        files = sorted(line.split(":")[0].strip() for line in out.splitlines() if line.strip())
        return files[0] if files else None
    return None


def _wrap(draw, text: str, font, width: int) -> list[str]:
    """Lines that fit `width`, broken anywhere in Chinese and at a space inside Latin words, as Word does."""
    out, line = [], ""
    for ch in text:
        if draw.textlength(line + ch, font=font) > width:
            word = re.search(r"[A-Za-z0-9.\-]*$", line).group()  # a Latin word or number moves down whole
            if ch.isascii() and ch.isalnum() and word and len(word) < len(line) and len(word) < 20:
                head = line[: len(line) - len(word)]
                out.append(head.rstrip(" "))
                line = word + ch
            else:
                out.append(line)
                line = ch
        else:
            line += ch
    return out + [line] if line or not out else out


def render_pages(lines: list[str], font_path: str, *, title: Optional[str] = None, dpi: int = 200,
                 pt: float = 11.0, max_pages: Optional[int] = None, page_mm: tuple[int, int] = A4_MM):
    """Clean page images (PIL, mode L) holding `title` (centred, larger) and `lines`; a line with tabs is a
    table row, drawn in ruled cells. The page's text as drawn goes with each image: (image, text)."""
    from PIL import Image, ImageDraw, ImageFont

    px = lambda mm: int(round(mm / 25.4 * dpi))  # noqa: E731
    size = int(round(pt / 72 * dpi))
    font = ImageFont.truetype(font_path, size)
    big = ImageFont.truetype(font_path, int(size * 1.4))
    width, height = px(page_mm[0]), px(page_mm[1])
    margin, step = px(20), int(size * 1.9)
    pages, page, draw, y, drawn = [], None, None, 0, []

    def new_page():
        nonlocal page, draw, y, drawn
        if page is not None:
            pages.append((page, "\n".join(drawn)))
        page = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(page)
        y, drawn = margin, []

    new_page()
    if title:
        tw = draw.textlength(title, font=big)
        draw.text(((width - tw) / 2, y), title, font=big, fill=0)
        drawn.append(title)
        y += int(step * 1.6)
    def room(needed: int) -> bool:
        """Start a new page when this one is full; False when `max_pages` are full."""
        if y + needed <= height - margin:
            return True
        if max_pages and len(pages) + 1 >= max_pages:
            return False
        new_page()
        return True

    # A table's columns are as wide as their longest cell asks (up to a point), the same in every row.
    table_weights: dict[int, list[int]] = {}
    run: list[int] = []
    for index, text in enumerate(lines + [""]):
        if "\t" in text and (not run or text.count("\t") == lines[run[0]].count("\t")):
            run.append(index)
            continue
        if run:
            cols = list(zip(*(lines[i].split("\t") for i in run)))
            weights = [min(max(len(c) for c in col), 30) + 4 for col in cols]
            table_weights.update((i, weights) for i in run)
        run = [index] if "\t" in text else []

    for index, text in enumerate(lines):
        if "\t" in text:  # a table row: ruled cells as wide as their text asks, long cells wrapped
            cells = text.split("\t")
            weights = table_weights[index]
            widths = [(width - 2 * margin) * w / sum(weights) for w in weights]
            wrapped = [_wrap(draw, c, font, int(w - size * 0.8)) for c, w in zip(cells, widths)]
            row_h = int(step * (max(len(w) for w in wrapped) + 0.2))
            if not room(row_h):
                break
            x0 = margin
            for cell_lines, w in zip(wrapped, widths):
                draw.rectangle([x0, y, x0 + w, y + row_h], outline=0, width=2)
                for k, part in enumerate(cell_lines):
                    draw.text((x0 + size * 0.4, y + step * (k + 0.1) + (step - size) / 2 - size * 0.1), part,
                              font=font, fill=0)
                x0 += w
            drawn.append(text)
            y += row_h
            continue
        parts = _wrap(draw, text, font, width - 2 * margin)
        if not room(step):
            break
        for part in parts:
            if not room(step):
                break
            draw.text((margin, y), part, font=font, fill=0)
            drawn.append(part)
            y += step
    pages.append((page, "\n".join(drawn)))
    return pages


def scanned(image, *, seed: int = 0, skew: float = 0.6, specks: float = 0.0015, blur: float = 0.5):
    """A clean page as a flatbed scan: grey cast, specks of dust, slight blur, skewed by `skew` degrees."""
    from PIL import Image, ImageFilter

    rnd = random.Random(seed)
    img = image.point(lambda v: 235 if v > 250 else v)  # paper is never pure white
    px = img.load()
    w, h = img.size
    for _ in range(int(w * h * specks)):
        x, y = rnd.randrange(w), rnd.randrange(h)
        px[x, y] = rnd.randrange(40, 160)
    img = img.filter(ImageFilter.GaussianBlur(blur)) if blur else img
    return img.rotate(skew, resample=Image.BICUBIC, expand=False, fillcolor=235)


def photographed(image, *, seed: int = 0, skew: float = -0.8, scale: float = 0.9):
    """A phone photo of a page: uneven light (darker towards one corner), slightly smaller, skewed, RGB."""
    from PIL import Image, ImageChops

    w, h = image.size
    img = image.resize((int(w * scale), int(h * scale)), Image.LANCZOS)
    w, h = img.size
    gradient = Image.linear_gradient("L").resize((w, h)).point(lambda v: 255 - v // 6)
    img = ImageChops.multiply(img, gradient)
    img = scanned(img, seed=seed, skew=skew, specks=0.0005, blur=0.6)
    return Image.merge("RGB", (img, img.point(lambda v: int(v * 0.97)), img.point(lambda v: int(v * 0.92))))


def image_pdf(images, dpi: int = 200) -> bytes:
    """A PDF of page images and nothing else: no text layer, as a scanner writes it (JPEG in the PDF)."""
    buf = io.BytesIO()
    first, rest = images[0], list(images[1:])
    first.save(buf, "PDF", resolution=dpi, save_all=True, append_images=rest, quality=60,
               title="", author="", creator="scanner", producer="scanner",
               creationDate=None, modDate=None)
    return buf.getvalue()


def jpeg(image, quality: int = 70) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality, optimize=True)
    return buf.getvalue()
