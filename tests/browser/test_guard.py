"""The layout guard itself: it passes a sound phone page and names what is wrong in a
broken one (pages made up here, served to a real 360 px Chromium)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Route

from tests.browser.guard import check_layout

SHELL = """<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>
body {{ margin: 0; font: 16px sans-serif; overflow-wrap: anywhere; }}
main {{ padding: 1rem 1rem {bottom}; }}
.bar {{ position: fixed; bottom: 0; left: 0; right: 0; height: 60px; background: #eee; display: flex; }}
.bar a {{ flex: 1; }}
.facts {{ display: grid; grid-template-columns: {columns}; }}
.badge {{ display: inline-block; width: 10px; }}
.sr {{ position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }}
.scroll {{ overflow-x: auto; }}
.w600 {{ min-width: 600px; }}
.tall {{ height: 700px; }}
</style></head><body><main><h1>{title}</h1>{body}</main>
<nav class="bar"><a href="/">Beranda</a><a href="/market">Pasar</a></nav></body></html>"""

SOUND = dict(title="Sound", bottom="90px", columns="auto 1fr", body="""
<dl class="facts"><dt>Simpanan sukarela</dt><dd>Rp150.000</dd><dt>Keperluan</dt>
<dd>Menambah stok warung sembako menjelang Lebaran bersama keluarga besar</dd></dl>
<p>Keranjang <span class="badge">12</span> <span class="sr">Jumlah barang di keranjang</span></p>
<div class="tall"></div><p><a href="/cart">Buka keranjang</a></p>""")


def serve(page: Page, live_server: str, pages: dict[str, dict], headers: dict | None = None) -> None:
    def answer(route: Route) -> None:
        name = route.request.url.rsplit("/", 1)[-1]
        route.fulfill(status=200, content_type="text/html", headers=headers or {}, body=SHELL.format(**pages[name]))

    page.route(f"{live_server}/guard/*", answer)


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_sound_page_passes_with_and_without_javascript(actor, live_server, js):
    page = actor(js=js)
    serve(page, live_server, {"sound": SOUND})
    page.goto("/guard/sound")
    check_layout(page)


BROKEN = {
    "wide": (dict(SOUND, title="Wide", body='<p class="w600">Jatuh tempo</p>'),
             r'the page scrolls sideways: 6\d\dpx wide on a 360px screen; sticking out: p\.w600 "Jatuh tempo"'),
    "box": (dict(SOUND, title="Box", body='<div class="scroll"><p class="w600">Pokok</p></div>'),
            r'a box scrolls sideways: div\.scroll "Pokok" holds 600px in 328px'),
    "squeezed": (dict(SOUND, title="Squeezed", columns="1fr auto"),
                 r'text squeezed narrower than three characters: .*dt "Keperluan" is \d+px wide \(needs \d+px\)'),
    "covered": (dict(SOUND, title="Covered", bottom="0"),
                r'hidden under the bottom bar at the end of the page: a "Buka keranjang"'),
}


@pytest.mark.parametrize("name", list(BROKEN))
@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_broken_page_fails_naming_the_page_and_the_element(actor, live_server, name, js):
    page = actor(js=js)
    html, problem = BROKEN[name]
    serve(page, live_server, {name: html})
    page.goto(f"/guard/{name}")
    with pytest.raises(AssertionError, match=rf"Layout guard on /guard/{name} \({html['title']}\):\n(.|\n)*{problem}"):
        check_layout(page)


def test_console_errors_exceptions_and_csp_violations_fail_the_page(actor, live_server):
    page = actor()
    body = ('<img alt="logo" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
            '<script>console.error("stok tidak terbaca"); setTimeout(() => { throw new Error("gagal"); });</script>')
    serve(page, live_server, {"noisy": dict(SOUND, title="Noisy", body=body)},
          headers={"Content-Security-Policy": "img-src 'none'"})
    page.goto("/guard/noisy")
    page.wait_for_timeout(100)  # let the thrown error reach the page
    with pytest.raises(AssertionError) as failure:
        check_layout(page)
    message = str(failure.value)
    assert "console error on /guard/noisy: stok tidak terbaca" in message
    assert "uncaught exception on /guard/noisy: gagal" in message
    assert re.search(r"CSP violation: img-src blocked data", message), message
    check_layout(page)  # each problem is reported once
