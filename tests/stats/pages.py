"""Reading the statistics page back: its tables as lists of cell texts."""

from __future__ import annotations

from html.parser import HTMLParser


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.section: str | None = None
        self.tables: dict[str, list[list[str]]] = {}
        self.row: list[str] | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and (attrs.get("id") or "").startswith("bang-"):
            self.section = attrs["id"][5:]
            self.tables[self.section] = []
        elif tag == "tr" and self.section:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None and self.section:
            self.tables[self.section].append(self.row)
            self.row = None
        elif tag == "section":
            self.section = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    """{slug: [header row, body rows…, footer row]} of every table section of the page."""
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def column(table: list[list[str]], name: str) -> dict[str, str]:
    """{row label: cell} of the column headed ``name``."""
    index = table[0].index(name)
    return {row[0]: row[index] for row in table[1:]}
