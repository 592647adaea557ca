"""Run Debian's wapiti 3.0.4 with its exclusion patterns fixed for Python 3.11.

wapiti 3.0.4 compiles every `-x URL` into a regular expression ending in `\\Z(?ms)`; Python 3.11 refuses
global flags that are not at the start, so any `-x` crashes the scan. Same translation, flags first.
Run with the system Python that has wapitiCore: /usr/bin/python3 scripts/wapiti_compat.py [wapiti options]
"""
import re
import sys

import wapitiCore.net.crawler as crawler
from wapitiCore.main.wapiti import wapiti_main


def wildcard_translate(pattern: str) -> re.Pattern:
    parts = [".*" if char == "*" else re.escape(char) for char in pattern]
    return re.compile("(?ms)" + "".join(parts) + r"\Z")


crawler.wildcard_translate = wildcard_translate

if __name__ == "__main__":
    sys.argv[0] = "wapiti"
    sys.exit(wapiti_main())
