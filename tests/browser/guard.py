"""The layout guard: what a person on a 360 px phone would notice at once, checked on
every page a browser test visits.

``watch(page)`` starts listening (console errors, uncaught exceptions, CSP violations)
from the first byte of every document the page loads; ``check_layout(page)`` then
fails, naming the page and the elements, when

- the page scrolls sideways, or a box inside it does (content wider than the screen);
- a text is squeezed narrower than three characters of its own font (labels printed
  one letter per line); texts of one or two characters (icons, badges, counts) are
  deliberately left out;
- something readable or tappable stays under the fixed bottom bar even when the page
  is scrolled to the very end;
- the console showed an error, a script threw, or the Content-Security-Policy refused
  something since the last check.

It measures the rendered page, so it works the same with JavaScript off (Playwright's
own evaluation still runs there; only the listener for CSP events does not, and
Chromium reports those refusals on the console as well).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from playwright.sync_api import ConsoleMessage, Page

# Chromium also logs each refusal on the console; this listener adds the details
# (directive, what was blocked, where) and catches the ones a page's own code triggers.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
    (e.sourceFile ? " at " + e.sourceFile + ":" + e.lineNumber : "") +
    (e.sample ? " sample " + JSON.stringify(e.sample) : ""));
});
"""

# Chromium logs every 4xx as a failed resource. Two are answers the user sees working:
# 422 is a form with errors, swapped in place with its messages; a 401 that carries
# HX-Redirect sends an htmx request to the login page (STYLE.md, "Expired session").
# With no signal a request fails, and htmx says so on the console; the app's answer to
# that (queued changes, a toast) is what the journey checks.
NO_NETWORK = re.compile(r"net::ERR_(INTERNET_DISCONNECTED|FAILED)|^htmx:(sendError|afterRequest)")
FAILED_RESOURCE = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")

MEASURE = r"""() => {
  // The screen, not innerWidth: a phone's browser widens innerWidth to a page that overflows.
  const root = document.scrollingElement || document.documentElement;
  const vw = document.documentElement.clientWidth, vh = document.documentElement.clientHeight;
  const ctx = document.createElement("canvas").getContext("2d");
  const widths = new Map();
  const all = Array.from(document.body ? document.body.querySelectorAll("*") : []);
  const SKIP = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "OPTION", "OPTGROUP", "svg", "path", "use"]);

  function describe(el) {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    const cls = typeof el.className === "string" ? el.className.trim().split(/\s+/).filter(Boolean) : [];
    if (cls.length) s += "." + cls.join(".");
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").replace(/\s+/g, " ").trim();
    if (text) s += ' "' + (text.length > 40 ? text.slice(0, 39) + "…" : text) + '"';
    return s;
  }
  function shown(el) {
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "contents") return null;
    // Inside a closed <details> (its content is skipped, not drawn), or otherwise not rendered.
    if (el.checkVisibility && !el.checkVisibility()) return null;
    const rects = el.getClientRects();
    if (!rects.length) return null;
    const box = el.getBoundingClientRect();
    if (box.width < 1 && box.height < 1) return null;
    return {style, rects, box};
  }
  function fixedAncestor(el) {
    for (let node = el; node && node !== document.body; node = node.parentElement) {
      const pos = getComputedStyle(node).position;
      if (pos === "fixed" || pos === "sticky") return node;
    }
    return null;
  }
  function textOf(el) {
    let text = "";
    for (const node of el.childNodes) if (node.nodeType === Node.TEXT_NODE) text += node.textContent;
    return text.replace(/\s+/g, " ").trim();
  }
  function measure(font, text) {
    const key = font + "\u0000" + text;
    if (!widths.has(key)) { ctx.font = font; widths.set(key, ctx.measureText(text).width); }
    return widths.get(key);
  }
  function hiddenOnPurpose(el, style, box) {
    // Visually hidden for screen readers, or parked off screen (the skip link).
    return box.right <= 0 || box.bottom <= -root.scrollTop - 1 ||
      (style.clipPath && style.clipPath !== "none") || (style.clip && style.clip !== "auto") ||
      (style.overflow === "hidden" && box.width <= 1);
  }

  const out = {url: location.pathname + location.search, title: document.title,
               pageWidth: root.scrollWidth, screen: vw, wide: [], boxes: [], narrow: [], covered: []};

  // 1. Nothing sideways: neither the page nor a box inside it scrolls horizontally.
  for (const el of all) {
    if (SKIP.has(el.tagName)) continue;
    const seen = shown(el);
    if (!seen) continue;
    const {style, box} = seen;
    if (root.scrollWidth > vw && box.right > vw + 1 && !fixedAncestor(el) && !hiddenOnPurpose(el, style, box)) {
      out.wide.push(describe(el) + " reaches " + Math.round(box.right) + "px");
    }
    // A carousel declares itself with scroll snapping; any other sideways box hides content.
    if (["auto", "scroll"].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 &&
        (!style.scrollSnapType || style.scrollSnapType === "none")) {
      out.boxes.push(describe(el) + " holds " + el.scrollWidth + "px in " + el.clientWidth + "px");
    }
  }
  // Report the outermost culprits only (their children stick out with them).
  out.wide = out.wide.slice(0, 6);

  // 2. No text squeezed narrower than three characters of its font (or than itself, if shorter).
  for (const el of all) {
    if (SKIP.has(el.tagName) || el.closest("svg")) continue;
    const text = textOf(el);
    if (Array.from(text).length < 3) continue;  // icons, single-letter tiles, two-digit badges
    const seen = shown(el);
    if (!seen) continue;
    const {style, rects, box} = seen;
    if (hiddenOnPurpose(el, style, box)) continue;
    let width;
    if (style.display === "inline") {
      width = Math.max(...Array.from(rects, (r) => r.width));
    } else {
      width = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      if (!el.clientWidth) width = box.width;
    }
    const font = style.font || [style.fontStyle, style.fontWeight, style.fontSize, style.fontFamily].join(" ");
    const need = Math.min(3 * measure(font, "m"), measure(font, text)) - 1;
    if (width < need) {
      out.narrow.push(describe(el) + " is " + Math.round(width) + "px wide (needs " + Math.ceil(need) + "px)");
    }
  }

  // 3. Nothing readable or tappable left under the fixed bottom bar, with the page scrolled to its end.
  const bars = all.filter((el) => {
    const style = getComputedStyle(el);
    if (style.position !== "fixed" || style.display === "none" || style.visibility === "hidden") return false;
    const r = el.getBoundingClientRect();
    return r.height > 0 && r.width >= vw * 0.8 && r.bottom >= vh - 1 && r.top > vh / 2;
  });
  if (bars.length) {
    const before = root.scrollTop, beforeLeft = root.scrollLeft;
    window.scrollTo({top: root.scrollHeight, left: 0, behavior: "instant"});
    const top = Math.min(...bars.map((b) => b.getBoundingClientRect().top));
    const TAPPABLE = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]";
    for (const el of all) {
      if (SKIP.has(el.tagName) || el.closest("svg") || fixedAncestor(el)) continue;
      if (!(el.matches(TAPPABLE) || textOf(el))) continue;
      const seen = shown(el);
      if (!seen || hiddenOnPurpose(el, seen.style, seen.box)) continue;
      const r = seen.box;
      if (r.bottom > top + 1 && r.top < vh) {
        out.covered.push(describe(el) + " (bottom at " + Math.round(r.bottom) + "px, bar from " + Math.round(top) + "px)");
      }
    }
    window.scrollTo({top: before, left: beforeLeft, behavior: "instant"});
  }
  return out;
}"""


@dataclass
class _Log:
    """What a page reported since the last check."""

    problems: list[str] = field(default_factory=list)
    offline: bool = False  # the journey took the phone offline: failed requests are expected
    visited: list[str] = field(default_factory=list)  # paths the page showed, in order
    checked: set[str] = field(default_factory=set)  # paths the guard measured


_logs: dict[int, _Log] = {}


def watch(page: Page) -> None:
    """Listen to a page from its first document on: console errors, page errors, CSP."""
    if id(page) in _logs:
        return
    log = _logs[id(page)] = _Log()

    redirects: set[str] = set()

    def on_response(response) -> None:
        if response.status == 401 and "hx-redirect" in response.headers:
            redirects.add(response.url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        where = message.location.get("url") or page.url
        status = FAILED_RESOURCE.search(message.text)
        if status and (status[1] == "422" or (status[1] == "401" and where in redirects)):
            return
        if log.offline and NO_NETWORK.search(message.text):
            return
        log.problems.append(f"console error on {_path(page.url)}: {message.text} ({_path(where)})")

    def on_navigated(frame) -> None:
        if frame == page.main_frame and frame.url.startswith("http"):
            path = _path(frame.url).split("#")[0].split("?")[0]  # a fragment is the same page
            if not log.visited or log.visited[-1] != path:
                log.visited.append(path)

    page.on("response", on_response)
    page.on("console", on_console)
    page.on("framenavigated", on_navigated)
    page.on("pageerror", lambda error: log.problems.append(f"uncaught exception on {_path(page.url)}: {error}"))
    page.add_init_script(CSP_LISTENER)
    page.on("close", lambda _page: _logs.pop(id(page), None))


@contextmanager
def offline(page: Page) -> Iterator[None]:
    """No signal for this phone (its whole context) inside the block."""
    log = _logs.get(id(page))
    if log:
        log.offline = True
    page.context.set_offline(True)
    try:
        yield
    finally:
        page.context.set_offline(False)
        if log:
            log.offline = False


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url or "") or "/"


def check_layout(page: Page) -> None:
    """Fail, naming the page and the elements, if the page shows any of the problems above. Measured once
    the page has loaded: without JavaScript nothing else waits for its stylesheet, and a page measured
    before its styles apply is not the page a person sees (a select as wide as its longest option)."""
    page.wait_for_load_state("load")
    found = page.evaluate(MEASURE)
    log = _logs.get(id(page))
    events, log_problems = (log.problems[:], log.problems) if log else ([], None)
    if log_problems is not None:
        log_problems.clear()
        log.checked.add(found["url"].split("?")[0])
    lines = []
    if found["pageWidth"] > found["screen"]:
        lines.append(f"the page scrolls sideways: {found['pageWidth']}px wide on a {found['screen']}px screen; "
                     f"sticking out: " + "; ".join(found["wide"]))
    if found["boxes"]:
        lines.append("a box scrolls sideways: " + "; ".join(found["boxes"][:6]))
    if found["narrow"]:
        lines.append("text squeezed narrower than three characters: " + "; ".join(found["narrow"][:8])
                     + (f" (and {len(found['narrow']) - 8} more)" if len(found["narrow"]) > 8 else ""))
    if found["covered"]:
        lines.append("hidden under the bottom bar at the end of the page: " + "; ".join(found["covered"][:6]))
    lines += events
    if lines:
        raise AssertionError(f"Layout guard on {found['url']} ({found['title']}):\n  - " + "\n  - ".join(lines))


def unchecked(page: Page) -> list[str]:
    """Pages this page showed that the guard never measured (a journey must leave none)."""
    log = _logs.get(id(page))
    return [] if log is None else [path for path in dict.fromkeys(log.visited) if path not in log.checked]
