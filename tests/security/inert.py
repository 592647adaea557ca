"""An XSS and template-injection corpus, and a checker that a page (or PDF text) shows it inert."""
from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser

# Each payload carries a marker (x01...) so its literal text can be found again, wherever it landed.
PAYLOADS = [
    "x01<script>alert(1)</script>",
    "x02<img src=x onerror=alert(2)>",
    "x03<svg onload=alert(3)>",
    'x04<a href="javascript:alert(4)">click</a>',
    "x05[click](javascript:alert(5))",
    "x06![img](javascript:alert(6))",
    "x07<javascript:alert(7)>",
    'x08"><script>alert(8)</script>',
    "x09' onmouseover='alert(9)' x='",
    'x10" autofocus onfocus="alert(10)" x="',
    "x11</script><script>alert(11)</script>",
    "x12</textarea><img src=x onerror=alert(12)>",
    "x13 tpl {{7*7}} tpl",
    "x14 {% raw %}{{7*7}}{% endraw %} {{ config }}",
    "x15 ${7*7} #{7*7} <%= 7*7 %>",
    "x16 {{ ''.__class__.__mro__ }}",
    "x17&lt;script&gt;alert(17)&lt;/script&gt;",
    "x18<iframe src=javascript:alert(18)></iframe>",
    "x19<details open ontoggle=alert(19)>",
    "x20<math><mtext><table><mglyph><style><img src=x onerror=alert(20)>",
    "x21 data:text/html;base64,PHNjcmlwdD5hbGVydCgyMSk8L3NjcmlwdD4=",
    "x22<<script>script>alert(22)<</script>/script>",
    "x23<base href=//evil.example/><meta http-equiv=refresh content=0;url=//evil.example/>",
    "x24<object data=javascript:alert(24)></object><embed src=javascript:alert(24)>",
    "x25[ref][r]\n\n[r]: javascript:alert(25)",
]

# Markers of template syntax that, evaluated, would print 49 or the configuration.
TEMPLATE_MARKERS = {"x13 tpl {{7*7}} tpl": "x13 tpl 49 tpl", "x15 ${7*7}": "x15 49"}
SECRET_FRAGMENTS = ("test-secret-key", "SQLALCHEMY_DATABASE_URI", "<class 'str'>", "&lt;class")

DANGEROUS_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "applet", "math", "mglyph"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster", "background"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:text/html")


def _scheme_of(value: str) -> str:
    # Browsers ignore whitespace and control characters inside a scheme, and decode entities first.
    value = html_lib.unescape(value)
    return re.sub(r"[\x00-\x20]", "", value).lower()


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def _check(self, tag, attrs):
        names = {name for name, _ in attrs}
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>: event handler attribute")
            if name in ("autofocus",) and tag not in ("input", "textarea", "select"):
                self.problems.append(f"<{tag} autofocus>")
            if name in URL_ATTRIBUTES and value and _scheme_of(value).startswith(BAD_SCHEMES):
                self.problems.append(f"<{tag} {name}={value!r}>: script URL")
            if name == "style":
                self.problems.append(f"<{tag} style=...>: inline style (CSP forbids it)")
        if tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}>: element that should never come from user text")
        if tag == "meta" and "http-equiv" in names:
            self.problems.append("<meta http-equiv>: refresh or policy from user text")
        if tag == "script":
            kind = dict(attrs).get("type", "")
            src = dict(attrs).get("src")
            if src is None and kind != "application/json":
                self.problems.append("<script> without src: inline script")
            if src is not None and not src.startswith(("/static/", "/bootstrap/")):
                self.problems.append(f"<script src={src!r}>: script from elsewhere")
        if tag == "svg" and "onload" in names:
            self.problems.append("<svg onload>")


def html_problems(page: str) -> list[str]:
    """Everything in an HTML page that would run script or load something a payload asked for."""
    scanner = _Scanner()
    scanner.feed(page)
    scanner.close()
    problems = list(scanner.problems)
    lowered = page.lower()
    for needle in ("<script>alert", "<img src=x", "<svg onload", "<iframe", "<details open ontoggle"):
        if needle in lowered:
            problems.append(f"raw {needle!r} in the page source")
    problems.extend(text_problems(page))
    return problems


def text_problems(text: str) -> list[str]:
    """Template syntax that was evaluated, or configuration that leaked (for page source or PDF text)."""
    problems = []
    squeezed = re.sub(r"\s+", " ", html_lib.unescape(text))
    for evaluated in TEMPLATE_MARKERS.values():
        if evaluated in squeezed:
            problems.append(f"template evaluated: {evaluated!r}")
    for fragment in SECRET_FRAGMENTS:
        if fragment in text:
            problems.append(f"configuration or object leaked: {fragment!r}")
    return problems


def squash(text: str) -> str:
    """Text with every whitespace removed, to find a payload however it was wrapped onto lines."""
    return re.sub(r"\s+", "", text)


def visible_text(page: str) -> str:
    """What a reader sees (tags removed, entities decoded), including text inside <script type=json>."""
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))
