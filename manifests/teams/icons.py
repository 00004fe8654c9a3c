"""Draws the Teams app's icons: ``color.png`` (192×192) and ``outline.png`` (32×32, white on transparent).

Run once when the design changes (``.venv/bin/python manifests/teams/icons.py``); the PNGs are committed.
A chat bubble with a check mark: the assistant answers, and the answer is right.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
ACCENT = (79, 107, 237, 255)  # manifest.json accentColor #4F6BED
WHITE = (255, 255, 255, 255)
SCALE = 8  # draw large, then downsample: smooth edges without a vector library


def _bubble(
    draw: ImageDraw.ImageDraw, size: int, *, body: tuple[int, ...], mark: tuple[int, ...], width: int
) -> None:
    """A rounded speech bubble with a tail at the bottom left, and a check mark inside."""
    s = size / 32
    draw.rounded_rectangle((5 * s, 6 * s, 27 * s, 22 * s), radius=4 * s, fill=body)
    draw.polygon([(9 * s, 21 * s), (8 * s, 27 * s), (15 * s, 21 * s)], fill=body)
    if body[3] and mark[3] == 0:  # outline: hollow the bubble out, leaving a ring of ``width``
        w = width
        draw.rounded_rectangle((5 * s + w, 6 * s + w, 27 * s - w, 22 * s - w), radius=4 * s - w, fill=mark)
    check = [(11 * s, 14 * s), (14.5 * s, 17.5 * s), (21 * s, 10.5 * s)]
    draw.line(check, fill=ACCENT if mark[3] else WHITE, width=int(width * 1.4), joint="curve")


def color_icon(size: int = 192) -> Image.Image:
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 6, fill=ACCENT)
    inner = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    _bubble(ImageDraw.Draw(inner), int(big * 0.8), body=WHITE, mark=ACCENT, width=int(big * 0.8 / 32 * 1.6))
    image.alpha_composite(inner, (int(big * 0.1), int(big * 0.1)))
    return image.resize((size, size), Image.Resampling.LANCZOS)


def outline_icon(size: int = 32) -> Image.Image:
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    _bubble(ImageDraw.Draw(image), big, body=WHITE, mark=(0, 0, 0, 0), width=int(big / 32 * 1.8))
    small = image.resize((size, size), Image.Resampling.LANCZOS)
    # Teams wants pure white on transparent: keep the alpha, make every colour white.
    alpha = small.getchannel("A")
    white = Image.new("RGBA", (size, size), WHITE)
    white.putalpha(alpha)
    return white


if __name__ == "__main__":
    color_icon().save(HERE / "color.png", optimize=True)
    outline_icon().save(HERE / "outline.png", optimize=True)
    print(f"wrote {HERE / 'color.png'} and {HERE / 'outline.png'}")
