"""The test browser draws Chinese and emoji as glyphs, not as the empty boxes of a missing font.

A page's DOM holds the right characters whether or not a font can draw them; only the pixels tell.
Each character is drawn on a canvas and compared with a character no font has (U+10FFFD), which every
browser draws as its "missing glyph" box.
"""

import pytest

pytestmark = pytest.mark.browser

DRAW = """
([text, font]) => {
  const draw = (t) => {
    const c = document.createElement('canvas'); c.width = 64; c.height = 64;
    const g = c.getContext('2d'); g.font = font; g.textBaseline = 'top'; g.fillStyle = '#000';
    g.fillText(t, 4, 4);
    return Array.from(g.getImageData(0, 0, 64, 64).data).join(',');
  };
  const missing = draw(String.fromCodePoint(0x10FFFD));
  return Array.from(text).map((ch) => ({ch: ch, box: draw(ch) === missing, blank: !/[1-9]/.test(draw(ch))}));
}
"""


@pytest.mark.parametrize("text", ["流失风险客户", "价值分层", "🎯✨"])
def test_chinese_and_emoji_are_drawn_as_glyphs_not_missing_boxes(page, text):
    page.set_content("<html><body></body></html>")
    drawn = page.evaluate(DRAW, [text, "32px system-ui, sans-serif"])
    wrong = [d["ch"] for d in drawn if d["box"] or d["blank"]]
    assert not wrong, f"drawn as missing-glyph boxes: {wrong}; `make browser-deps` installs fonts-noto-cjk and " \
                      "fonts-noto-color-emoji"
