#!/usr/bin/env python3
"""Turn one of kpart's docs/*.md into a man page (roff, man macros).

    md2man.py DOC.md NAME SECTION "ONE-LINE SUMMARY" VERSION [NAME.SECTION]

docs/ is the one source: the build runs this for every page (dist/
CMakeLists.txt), so a page cannot say something its document does not.
It knows the Markdown those documents use, nothing more: headings,
paragraphs, "- " lists, indented and fenced code, pipe tables (as tagged
paragraphs, so that no tbl is needed), `code`, **bold**, *italic* and
[links](...). A document without "## NAME" gets NAME from the arguments,
and what precedes its first "##" heading becomes DESCRIPTION.
References to other pages are written with the sections the man pages
have (partctl(8), not the partctl(1) of older text).
"""
import os
import re
import sys
import time

# Pages and their sections, for "name(N)" references in the text.
PAGES = {"partctl": "8", "partd": "8", "kpart-plan": "5", "kpart": "7"}


def esc(text):
    """Escape plain text for roff (no markup inside)."""
    text = text.replace("\\", "\\e")
    text = text.replace("-", "\\-")
    return text


def inline(text):
    """Markdown inline markup to roff. Code spans are literal (bold); they
    are set aside first so that nothing in them reads as markup."""
    codes = []

    def code(m):
        codes.append(esc(m.group(2).strip()))
        return "\0%d\0" % (len(codes) - 1)

    def plain_codes(t):
        return re.sub(r"\0(\d+)\0", lambda m: codes[int(m.group(1))], t)

    def link(m):
        label, target = m.group(1), m.group(2)
        if re.match(r"https?://", target):
            return "%s <%s>" % (label, target)
        return label

    text = re.sub(r"(`+)(.+?)\1", code, text)
    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", link, text)
    for name, sec in PAGES.items():
        text = re.sub(r"(?<![\w-])%s\(\d\)" % re.escape(name), "%s(%s)" % (name, sec), text)
    text = esc(text)
    # code inside bold or italic is set in that font
    text = re.sub(r"\*\*(.+?)\*\*", lambda m: "\\fB" + plain_codes(m.group(1)) + "\\fR", text)
    text = re.sub(
        r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])",
        lambda m: "\\fI" + plain_codes(m.group(1)) + "\\fR",
        text,
    )
    text = re.sub(r"\0(\d+)\0", lambda m: "\\fB" + codes[int(m.group(1))] + "\\fR", text)
    return text


def line_safe(s):
    """A text line must not start with a control character."""
    if s.startswith(".") or s.startswith("'"):
        return "\\&" + s
    return s


def cells(row):
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)]


def convert(lines, name, section, summary, version, date, source):
    out = []
    emit = out.append
    emit('.\\" Generated from %s by dist/md2man.py: edit that file, not this one.' % source)
    emit('.TH "%s" "%s" "%s" "kpart %s" "kpart"' % (name.upper(), section, date, version))
    has_name = any(re.match(r"##\s+NAME\s*$", l) for l in lines)
    if not has_name:
        emit(".SH NAME")
        emit("%s \\- %s" % (esc(name), esc(summary)))
        emit(".SH DESCRIPTION")
    para = []
    in_name = False
    nested = False

    def flush():
        if para:
            text = " ".join(p.strip() for p in para)
            if in_name:
                text = esc(text)
            else:
                text = inline(text)
            emit(".PP")
            emit(line_safe(text))
            para.clear()

    i, n = 0, len(lines)
    while i < n:
        l = lines[i].rstrip("\n")
        if not l.strip():
            flush()
            i += 1
            continue
        if nested and not re.match(r"\s+([-*]|\d+\.)\s+", l):
            emit(".RE")
            nested = False
        m = re.match(r"(#+)\s+(.*)", l)
        if m:
            flush()
            level, title = len(m.group(1)), m.group(2).strip()
            in_name = False
            if level == 1:
                i += 1
                continue
            plain = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", title).replace("`", "").replace("**", "")
            plain = esc(plain).replace('"', "'")
            if level == 2:
                emit('.SH "%s"' % plain.upper())
                in_name = title == "NAME"
            else:
                emit('.SS "%s"' % plain)
            i += 1
            continue
        if l.startswith("```"):
            flush()
            i += 1
            emit(".PP")
            emit(".RS 4")
            emit(".nf")
            while i < n and not lines[i].startswith("```"):
                emit(line_safe(esc(lines[i].rstrip("\n"))))
                i += 1
            emit(".fi")
            emit(".RE")
            i += 1
            continue
        if l.startswith("    ") and not para:
            # indented code block (may contain blank lines)
            block = []
            while i < n and (lines[i].startswith("    ") or not lines[i].strip()):
                block.append(lines[i].rstrip("\n")[4:])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            emit(".PP")
            emit(".RS 4")
            emit(".nf")
            for b in block:
                emit(line_safe(esc(b)) if b.strip() else "")
            emit(".fi")
            emit(".RE")
            continue
        if l.startswith("|"):
            flush()
            rows = []
            while i < n and lines[i].startswith("|"):
                rows.append(cells(lines[i]))
                i += 1
            head, body = rows[0], [r for r in rows[1:] if not all(re.match(r"^:?-+:?$", c) for c in r)]
            for r in body:
                emit(".TP")
                emit(line_safe(inline(r[0])))
                rest = []
                for h, c in zip(head[1:], r[1:]):
                    if not c:
                        continue
                    # the last column is the explanation: no label
                    if h and c is not r[-1]:
                        rest.append("%s: %s" % (h, c))
                    else:
                        rest.append(c)
                emit(line_safe(inline("; ".join(rest)) if rest else "\\&"))
            continue
        m = re.match(r"(\s*)([-*]|\d+\.)\s+(.*)", l)
        if m and not para:
            indent = len(m.group(1))
            item = [m.group(3)]
            i += 1
            while i < n and lines[i].strip() and not re.match(r"\s*([-*]|\d+\.)\s+", lines[i]) \
                    and (lines[i].startswith(" ") or not re.match(r"[#|`]", lines[i])):
                if lines[i].startswith("    ") and len(lines[i]) - len(lines[i].lstrip()) > indent + 4:
                    break
                item.append(lines[i].strip())
                i += 1
            bullet = "\\(bu" if m.group(2) in "-*" else m.group(2)
            if indent and not nested:
                emit(".RS 4")
            elif not indent and nested:
                emit(".RE")
            nested = bool(indent)
            emit('.IP "%s" 4' % bullet)
            emit(line_safe(inline(" ".join(item))))
            continue
        para.append(l)
        i += 1
    flush()
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) not in (6, 7):
        sys.exit("usage: md2man.py DOC.md NAME SECTION SUMMARY VERSION [OUT]")
    doc, name, section, summary, version = sys.argv[1:6]
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", os.stat(doc).st_mtime))
    date = time.strftime("%Y-%m-%d", time.gmtime(epoch))
    with open(doc, encoding="utf-8") as f:
        lines = f.readlines()
    src = os.path.join("docs", os.path.basename(doc))
    page = convert(lines, name, section, summary, version, date, src)
    if len(sys.argv) == 7:
        with open(sys.argv[6] + ".tmp", "w", encoding="utf-8") as f:
            f.write(page)
        os.replace(sys.argv[6] + ".tmp", sys.argv[6])
    else:
        sys.stdout.write(page)


if __name__ == "__main__":
    main()
