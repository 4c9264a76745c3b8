#!/usr/bin/python3
"""Turns one of the Markdown pages under doc/ into a man page (roff, man
macros), so that the page read on the web and the one `man` shows are the
same text. It reads the small Markdown subset these pages use: headings,
paragraphs, '-' lists, indented or fenced code blocks, tables, `code`,
**bold**, *italic* and [links](target). Only the standard library.

The page starts with a line
    <!-- man: NAME SECTION "one-line description" -->
which gives the .TH line and the NAME section. The first '# ' heading is the
page title (left out); '## ' headings are sections, '### ' subsections.

usage: md2man.py PAGE.md VERSION > PAGE.SECTION
"""

import datetime
import os
import re
import sys


def escape(text):
    """Roff-escapes plain text (no font changes)."""
    text = text.replace("\\", "\\e")
    return text


def inline(text):
    """Markdown inline markup to roff font changes."""
    out = []
    pos = 0
    pattern = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*|(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])|\[([^\]]+)\]\(([^)]+)\)")
    for m in pattern.finditer(text):
        out.append(escape(text[pos:m.start()]))
        if m.group(1) is not None:
            code = escape(m.group(1)).replace("-", "\\-")
            if len(code) > 40:  # long URLs: allow line breaks after / and &
                code = re.sub(r"([/&])(?=.)", lambda b: b.group(1) + "\\:", code)
            out.append("\\fB" + code + "\\fR")
        elif m.group(2) is not None:
            out.append("\\fB" + inline(m.group(2)) + "\\fR")
        elif m.group(3) is not None:
            out.append("\\fI" + inline(m.group(3)) + "\\fR")
        else:
            label, target = m.group(4), m.group(5)
            out.append(inline(label))
            if re.match(r"https?://", target) and target != label:
                out.append(" <" + escape(target) + ">")
        pos = m.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def line_safe(text):
    """A text line must not start with '.' or "'" (a request)."""
    return "\\&" + text if text[:1] in (".", "'") else text


def code_line(text):
    return line_safe(escape(text).replace("-", "\\-"))


def cells(row):
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    parts = re.split(r"(?<!\\)\|", row)
    return [p.strip().replace("\\|", "|") for p in parts]


def convert(md, version):
    lines = md.splitlines()
    m = re.match(r'<!-- man: (\S+) (\d) "([^"]+)" -->', lines[0]) if lines else None
    if not m:
        raise SystemExit("md2man: the page must start with <!-- man: NAME SECTION \"description\" -->")
    name, section, description = m.groups()
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    date = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch else \
        datetime.datetime.now(datetime.timezone.utc)
    out = ['.TH "%s" "%s" "%s" "mod_helpdesk_sso %s" "mod_helpdesk_sso"' %
           (name.upper(), section, date.strftime("%Y-%m-%d"), version),
           ".ad l", ".nh", ".SH NAME", "%s \\- %s" % (escape(name).replace("-", "\\-"), escape(description))]
    i = 1
    para = []
    titled = False

    def flush():
        if para:
            out.append(".PP")
            out.append(line_safe(inline(" ".join(para))))
            para.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("<!--"):
            while "-->" not in lines[i]:
                i += 1
            i += 1
            continue
        if not stripped:
            flush()
            i += 1
            continue
        h = re.match(r"(#{1,3}) (.*)", line)
        if h:
            flush()
            level, title = len(h.group(1)), h.group(2).strip()
            if level == 1 and not titled:
                titled = True
            elif level <= 2:
                out.append('.SH "%s"' % inline(title).upper().replace('"', "'"))
            else:
                out.append('.SS "%s"' % inline(title).replace('"', "'"))
            i += 1
            continue
        if stripped.startswith("```"):
            flush()
            i += 1
            out += [".PP", ".RS 4", ".nf"]
            while i < len(lines) and not lines[i].strip().startswith("```"):
                out.append(code_line(lines[i]))
                i += 1
            out += [".fi", ".RE"]
            i += 1
            continue
        if line.startswith("    ") and not para:
            out += [".PP", ".RS 4", ".nf"]
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                if not lines[i].strip() and not (i + 1 < len(lines) and lines[i + 1].startswith("    ")):
                    break
                out.append(code_line(lines[i][4:]))
                i += 1
            out += [".fi", ".RE"]
            continue
        if stripped.startswith("|"):
            flush()
            header = cells(stripped)
            i += 1
            if i < len(lines) and re.match(r"^\|?[\s:|-]+\|?$", lines[i].strip()):
                i += 1
            while i < len(lines) and lines[i].strip().startswith("|"):
                row = cells(lines[i])
                out.append(".TP")
                out.append(line_safe(inline(row[0])))
                rest = []
                for head, cell in zip(header[1:], row[1:]):
                    if cell and cell not in ("—", "-"):
                        rest.append((inline(head) + ": " if head else "") + inline(cell))
                out.append(line_safe("; ".join(rest) if rest else "\\&"))
                i += 1
            continue
        if re.match(r"^\s*[-*] ", line):
            flush()
            while i < len(lines) and re.match(r"^\s*[-*] ", lines[i]):
                item = [re.sub(r"^\s*[-*] ", "", lines[i]).strip()]
                i += 1
                while i < len(lines) and lines[i].startswith("  ") and not re.match(r"^\s*[-*] ", lines[i]):
                    item.append(lines[i].strip())
                    i += 1
                out.append(".IP \\(bu 2")
                out.append(line_safe(inline(" ".join(item))))
            continue
        para.append(stripped)
        i += 1
    flush()
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        sys.stdout.write(convert(f.read(), sys.argv[2]))


if __name__ == "__main__":
    main()
