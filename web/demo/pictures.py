"""Drawn demo pictures: product photos a shopper recognises (a bottle, a sack, a phone…) and
koperasi logos (a coloured emblem with initials). Both go through models.images.reencode,
the path every upload takes, so they are stored exactly like real ones.
"""

from __future__ import annotations

import io
import random
from functools import cache

from PIL import Image, ImageDraw, ImageFont

COLOURS = {
    "red": "#c0392b", "orange": "#e67e22", "amber": "#d4a017", "yellow": "#f1c40f", "lime": "#7cb342",
    "green": "#1e8449", "sky": "#5dade2", "blue": "#1f5fa8", "purple": "#7d3c98", "pink": "#e58fb0",
    "brown": "#7b4a2a", "tan": "#c8a165", "cream": "#efe3c2", "white": "#f4f6f7", "dark": "#2e3440",
}
SIZE = 400  # drawn at this size; the thumb is 320 and the detail stays 400 (small, quick to make)
U = SIZE / 100  # shapes are written on a 100 × 100 grid


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def _mix(colour: tuple[int, int, int], other: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return tuple(round(a + (b - a) * t) for a, b in zip(colour, other, strict=True))


class _Pen:
    """ImageDraw on the 100-unit grid, with the product's colour, a shade and an outline."""

    def __init__(self, draw: ImageDraw.ImageDraw, colour: tuple[int, int, int]):
        self.d, self.c = draw, colour
        self.dark = _mix(colour, (20, 20, 30), 0.45)
        self.light = _mix(colour, (255, 255, 255), 0.55)
        self.line = (60, 60, 70)

    def box(self, x0, y0, x1, y1, fill=None, r=3, outline=True):
        self.d.rounded_rectangle([x0 * U, y0 * U, x1 * U, y1 * U], radius=r * U, fill=fill or self.c,
                                 outline=self.line if outline else None, width=int(U))

    def oval(self, x0, y0, x1, y1, fill=None, outline=True):
        self.d.ellipse([x0 * U, y0 * U, x1 * U, y1 * U], fill=fill or self.c, outline=self.line if outline else None,
                       width=int(U))

    def poly(self, points, fill=None, outline=True):
        self.d.polygon([(x * U, y * U) for x, y in points], fill=fill or self.c,
                       outline=self.line if outline else None, width=int(U))

    def stroke(self, points, fill=None, width=1.5):
        self.d.line([(x * U, y * U) for x, y in points], fill=fill or self.line, width=int(width * U), joint="curve")

    def arc(self, x0, y0, x1, y1, start, end, fill=None, width=2):
        self.d.arc([x0 * U, y0 * U, x1 * U, y1 * U], start, end, fill=fill or self.line, width=int(width * U))

    def chord(self, x0, y0, x1, y1, start, end, fill=None):
        self.d.chord([x0 * U, y0 * U, x1 * U, y1 * U], start, end, fill=fill or self.c, outline=self.line,
                     width=int(U))


def _sack(p):
    p.poly([(34, 22), (24, 10), (44, 18), (50, 8), (56, 18), (76, 10), (66, 22)], fill=p.light)  # gathered top
    p.poly([(34, 22), (66, 22), (74, 34), (84, 70), (80, 90), (20, 90), (16, 70), (26, 34)])
    p.stroke([(33, 24), (67, 24)], fill=COLOUR_RGB["red"], width=3)
    p.box(30, 50, 70, 72, fill=(250, 250, 245), r=2)
    p.stroke([(36, 58), (64, 58)], fill=p.dark, width=2.5)
    p.stroke([(40, 65), (60, 65)], fill=p.dark, width=1.5)


def _bottle(p):
    p.box(44, 8, 56, 17, fill=p.dark, r=1.5)
    p.box(45, 16, 55, 28, fill=p.light, r=1)
    p.poly([(45, 27), (55, 27), (64, 40), (36, 40)])
    p.box(36, 38, 64, 92, r=5)
    p.box(36, 55, 64, 74, fill=(250, 250, 245), r=0)
    p.stroke([(41, 61), (59, 61)], fill=p.dark, width=2)
    p.stroke([(40, 44), (40, 52)], fill=p.light, width=2)


def _jar(p):
    p.box(26, 32, 74, 90, r=9)
    p.box(29, 18, 71, 33, fill=p.dark, r=3)
    p.box(32, 52, 68, 72, fill=(250, 250, 245), r=2)
    p.oval(44, 56, 56, 68, fill=p.c, outline=False)
    p.stroke([(32, 38), (32, 48)], fill=p.light, width=2.5)


def _can(p):
    p.box(28, 22, 72, 86, r=2)
    p.oval(28, 16, 72, 28, fill=p.light)
    p.box(28, 42, 72, 66, fill=(250, 250, 245), r=0)
    p.oval(42, 47, 58, 61, fill=p.c, outline=False)
    p.chord(28, 80, 72, 92, 0, 180, fill=p.dark)


def _bowl(p):
    p.oval(24, 30, 76, 62, fill=p.c)
    p.oval(34, 28, 52, 44, fill=p.light, outline=False)
    p.chord(14, 14, 86, 84, 0, 180, fill=(245, 245, 240))
    p.stroke([(14, 49), (86, 49)], width=1.5)
    p.stroke([(40, 84), (60, 84)], width=3)


def _packet(p):
    top, bottom = [(24 + 4 * i, 16 + (3 if i % 2 else 0)) for i in range(14)], []
    bottom = [(76 - 4 * i, 88 - (3 if i % 2 else 0)) for i in range(14)]
    p.poly(top + [(78, 24), (76, 80)] + bottom + [(22, 80), (24, 24)])
    p.oval(34, 38, 66, 66, fill=(250, 250, 245))
    p.oval(41, 45, 59, 59, fill=p.light, outline=False)
    p.stroke([(24, 24), (76, 24)], fill=p.dark, width=1.5)


def _box(p):
    p.poly([(20, 34), (34, 22), (82, 22), (68, 34)], fill=p.light)
    p.poly([(68, 34), (82, 22), (82, 74), (68, 86)], fill=p.dark)
    p.box(20, 34, 68, 86, r=0)
    p.box(28, 48, 60, 70, fill=(250, 250, 245), r=2)
    p.stroke([(33, 56), (55, 56)], fill=p.dark, width=2)


def _eggs(p):
    p.box(12, 58, 88, 86, fill=(200, 180, 150), r=4)
    for row, y in ((0, 30), (1, 44)):
        for i in range(4 - row):
            x = 18 + row * 9 + i * 18
            p.oval(x, y, x + 16, y + 22)


def _fruit(p):
    for x, y in ((20, 44), (50, 44), (35, 24)):
        p.oval(x, y, x + 32, y + 32)
        p.oval(x + 7, y + 6, x + 15, y + 14, fill=p.light, outline=False)
    p.poly([(51, 24), (62, 14), (66, 20)], fill=COLOUR_RGB["green"])
    p.stroke([(51, 24), (52, 18)], width=2)


def _chili(p):
    for dx, dy in ((0, 0), (12, 14), (-10, 18)):
        p.arc(18 + dx, 10 + dy, 82 + dx, 74 + dy, 20, 120, fill=p.line, width=10)
        p.arc(18 + dx, 10 + dy, 82 + dx, 74 + dy, 22, 118, fill=p.c, width=8)
        p.stroke([(80 + dx, 50 + dy), (86 + dx, 42 + dy)], fill=COLOUR_RGB["green"], width=4)


def _leaves(p):
    for i, x in enumerate((28, 40, 52, 64)):
        tip = 14 + (i % 2) * 8
        p.poly([(x, tip), (x + 10, tip + 24), (x + 4, 62), (x - 6, tip + 24)])
        p.stroke([(x, tip + 6), (x + 2, 62)], fill=p.dark, width=1)
    for x in (34, 44, 54, 64):
        p.stroke([(x, 62), (48, 90)], fill=p.dark, width=2)
    p.box(40, 70, 58, 76, fill=COLOUR_RGB["red"], r=1)


def _phone(p):
    p.box(30, 8, 70, 92, fill=COLOUR_RGB["dark"], r=7)
    p.box(34, 16, 66, 80, fill=p.c, r=2, outline=False)
    p.oval(46, 83, 54, 89, fill=(120, 120, 130), outline=False)
    p.stroke([(44, 12), (56, 12)], fill=(120, 120, 130), width=1.5)
    p.stroke([(38, 24), (54, 24)], fill=p.light, width=2)


def _cable(p):
    p.arc(20, 30, 80, 90, 180, 360, fill=p.line, width=5)
    p.arc(20, 30, 80, 90, 180, 360, fill=p.c, width=3.5)
    p.box(12, 52, 28, 76, r=2)
    p.box(16, 76, 24, 84, fill=(170, 170, 175), r=0.5)
    p.box(72, 52, 88, 76, r=2)
    p.box(76, 76, 84, 82, fill=(170, 170, 175), r=0.5)


def _powerbank(p):
    p.box(26, 12, 74, 90, r=8)
    p.poly([(54, 26), (38, 54), (50, 54), (44, 76), (62, 46), (50, 46)], fill=COLOUR_RGB["yellow"])
    for i in range(4):
        p.oval(36 + i * 8, 82, 40 + i * 8, 86, fill=p.light, outline=False)


def _card(p):
    p.box(14, 26, 86, 74, r=5)
    p.box(22, 40, 38, 54, fill=COLOUR_RGB["amber"], r=2)
    p.stroke([(22, 64), (60, 64)], fill=p.light, width=3)
    p.stroke([(50, 40), (78, 40)], fill=p.light, width=2)


def _speaker(p):
    p.box(20, 22, 80, 82, r=10)
    p.oval(34, 36, 66, 68, fill=p.dark)
    p.oval(44, 46, 56, 58, fill=p.light, outline=False)


def _shirt(p):
    p.poly([(36, 14), (64, 14), (88, 28), (80, 44), (70, 38), (70, 90), (30, 90), (30, 38), (20, 44), (12, 28)])
    p.poly([(40, 14), (50, 28), (60, 14)], fill=p.light)
    for y in (34, 46, 58, 70, 82):
        p.oval(48.5, y, 51.5, y + 3, fill=p.light, outline=False)
    for x, y in ((36, 50), (60, 66), (38, 76), (62, 44)):  # a batik motif
        p.oval(x, y, x + 6, y + 6, fill=p.light, outline=False)


def _cloth(p):
    p.stroke([(10, 16), (90, 16)], fill=COLOUR_RGB["brown"], width=4)  # a cloth hung on a rod
    wave = [(84 - 8 * i, 86 + (4 if i % 2 else 0)) for i in range(10)]
    p.poly([(16, 18), (84, 18)] + wave + [(16, 86)])
    for row, y in enumerate(range(26, 80, 12)):
        for x in range(22 + (row % 2) * 6, 78, 12):
            p.poly([(x, y - 4), (x + 4, y), (x, y + 4), (x - 4, y)], fill=p.light, outline=False)
    p.stroke([(16, 24), (84, 24)], fill=p.dark, width=1.5)


def _bag(p):
    p.arc(32, 14, 68, 54, 180, 360, width=3)
    p.poly([(22, 34), (78, 34), (86, 88), (14, 88)])
    p.stroke([(22, 50), (80, 50)], fill=p.light, width=2)
    p.stroke([(18, 68), (82, 68)], fill=p.light, width=2)


def _basket(p):
    p.arc(22, 10, 78, 70, 180, 360, width=3)
    p.chord(12, 12, 88, 86, 0, 180)
    for x in range(22, 80, 8):
        p.stroke([(x, 50), (x + 4, 80)], fill=p.dark, width=1)
    p.stroke([(12, 49), (88, 49)], width=2.5)


def _vase(p):
    p.box(40, 12, 60, 30, r=2)
    p.oval(24, 26, 76, 86)
    p.stroke([(28, 52), (72, 52)], fill=p.light, width=3)
    p.stroke([(30, 62), (70, 62)], fill=p.dark, width=2)


def _mask(p):
    p.oval(22, 12, 78, 90)
    p.oval(32, 36, 46, 46, fill=(30, 30, 30))
    p.oval(54, 36, 68, 46, fill=(30, 30, 30))
    p.poly([(50, 46), (46, 62), (54, 62)], fill=p.dark)
    p.arc(36, 58, 64, 78, 20, 160, width=2.5)
    p.arc(28, 20, 72, 40, 200, 340, fill=COLOUR_RGB["amber"], width=3)


def _frame(p):
    p.box(12, 18, 88, 82, r=1)
    p.box(20, 26, 80, 74, fill=(236, 240, 241), r=0)
    p.poly([(20, 74), (40, 44), (54, 62), (64, 50), (80, 74)], fill=p.light, outline=False)
    p.oval(62, 30, 72, 40, fill=COLOUR_RGB["amber"], outline=False)


def _bucket(p):
    p.arc(24, 10, 76, 60, 180, 360, width=2.5)
    p.poly([(20, 34), (80, 34), (72, 88), (28, 88)])
    p.oval(20, 28, 80, 40, fill=p.dark)


def _tube(p):
    p.box(30, 24, 70, 88, r=12)
    p.box(42, 12, 58, 26, fill=(170, 170, 175), r=2)
    p.stroke([(30, 46), (70, 46)], fill=p.dark, width=2)
    p.box(38, 56, 62, 72, fill=(250, 250, 245), r=2)


def _galon(p):
    p.box(42, 6, 58, 16, fill=COLOUR_RGB["blue"], r=2)
    p.poly([(44, 16), (56, 16), (74, 30), (26, 30)])
    p.box(24, 28, 76, 92, r=10)
    for y in (44, 60, 76):
        p.stroke([(24, y), (76, y)], fill=p.dark, width=1.5)
    p.stroke([(32, 34), (32, 86)], fill=p.light, width=3)


def _bar(p):
    p.box(18, 40, 82, 72, r=10)
    p.box(26, 46, 74, 64, fill=p.light, r=7, outline=False)
    for x, y in ((70, 24), (78, 32), (62, 30)):
        p.oval(x, y, x + 6, y + 6, fill=(255, 255, 255))


def _bulb(p):
    p.oval(28, 10, 72, 58, fill=(255, 244, 180))
    p.poly([(38, 52), (62, 52), (58, 66), (42, 66)], fill=(255, 244, 180))
    p.box(40, 66, 60, 82, fill=(170, 170, 175), r=1)
    p.stroke([(40, 72), (60, 72)], width=1)
    p.stroke([(44, 40), (50, 30), (56, 40)], fill=COLOUR_RGB["amber"], width=1.5)


def _tool(p):
    p.stroke([(70, 10), (36, 82)], fill=COLOUR_RGB["tan"], width=5)
    p.poly([(22, 74), (50, 80), (44, 94), (16, 88)])


def _cake(p):
    p.oval(10, 70, 90, 92, fill=(245, 245, 240))
    for i, y in enumerate((30, 44, 58)):
        p.box(20, y, 80, y + 16, fill=p.c if i % 2 == 0 else p.light, r=2)
    p.oval(44, 22, 56, 32, fill=COLOUR_RGB["red"])


def _snack(p):
    p.oval(8, 56, 92, 92, fill=(245, 245, 240))
    for x, y in ((18, 50), (42, 46), (66, 50), (30, 62), (54, 62)):
        p.oval(x, y, x + 20, y + 16)
        p.oval(x + 4, y + 3, x + 10, y + 7, fill=p.light, outline=False)


SHAPES = {"sack": _sack, "bottle": _bottle, "jar": _jar, "can": _can, "bowl": _bowl, "packet": _packet, "box": _box,
          "eggs": _eggs, "fruit": _fruit, "chili": _chili, "leaves": _leaves, "phone": _phone, "cable": _cable,
          "powerbank": _powerbank, "card": _card, "speaker": _speaker, "shirt": _shirt, "cloth": _cloth, "bag": _bag,
          "basket": _basket, "vase": _vase, "mask": _mask, "frame": _frame, "bucket": _bucket, "tube": _tube,
          "galon": _galon, "bar": _bar, "bulb": _bulb, "tool": _tool, "cake": _cake, "snack": _snack}
COLOUR_RGB = {name: _rgb(value) for name, value in COLOURS.items()}


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)  # only handed to reencode, which makes the WebP
    return out.getvalue()


@cache
def product_picture(shape: str, colour: str) -> bytes:
    """A product photo (PNG, as if uploaded): the shape in its colour on a soft tint."""
    rgb = COLOUR_RGB[colour]
    pale = colour in ("white", "cream")  # a pale product stands on a grey-blue tint, the rest on their own
    image = Image.new("RGB", (SIZE, SIZE), (214, 226, 233) if pale else _mix(rgb, (255, 255, 255), 0.85))
    SHAPES[shape](_Pen(ImageDraw.Draw(image), rgb))
    return _png(image)


SKIP = {"koperasi", "simpan", "pinjam", "serba", "usaha", "konsumen", "produsen", "pemasaran", "jasa", "kspps",
        "dan", "warga", "karyawan", "pegawai", "perajin", "umkm"}
EMBLEM = ["#0b6e4f", "#1f5fa8", "#8e2c1f", "#7d3c98", "#b7950b", "#117864", "#a04000", "#1a5276", "#4a235a"]


def initials(name: str) -> str:
    words = [w for w in name.replace("-", " ").split() if w.lower() not in SKIP]
    return "".join(w[0] for w in words[:2]).upper() or name[:1].upper()


def logo_png(name: str, seed: str) -> bytes:
    """A round koperasi emblem: a coloured disc, a rice-and-cotton ring, the initials in the middle."""
    rng = random.Random(f"demo-logo-{seed}")
    colour = _rgb(rng.choice(EMBLEM))
    size = 256
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(image)
    d.ellipse([4, 4, size - 4, size - 4], fill=colour, outline=(255, 255, 255), width=6)
    d.ellipse([26, 26, size - 26, size - 26], outline=(241, 196, 15), width=4)
    for k in range(9):  # grains of rice on the left, cotton on the right: the koperasi's old symbol
        y = 60 + k * 16
        d.ellipse([34 + abs(4 - k) * 3, y, 46 + abs(4 - k) * 3, y + 10], fill=(241, 196, 15))
        d.ellipse([size - 46 - abs(4 - k) * 3, y, size - 34 - abs(4 - k) * 3, y + 10], fill=(255, 255, 255))
    font = ImageFont.load_default(size=92)
    d.text((size / 2, size / 2 + 4), initials(name), fill=(255, 255, 255), font=font, anchor="mm")
    return _png(image)
