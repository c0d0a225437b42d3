"""One-off codemod (issue 10, point 6): inline French/English pairs → gettext messages.

    python tools/i18n_codemod.py [--dry-run] [--report FILE] PATH...

What it rewrites, in place, by the positions of the AST nodes (the rest of each file
is left byte for byte):

- ``X.say("fr", "en")`` → ``X._("fr")``, bare ``say(...)`` → ``_(...)``;
- ``tr("fr", "en")`` and ``Text(fr="fr", en="en")`` → ``_t("fr")``;
- a module's helper taking a pair (parameters ``fr, en`` or ``x_fr, x_en``): its
  parameters become one ``Text`` and its calls pass ``_t(...)``;
- f-string pairs: each ``{expr}`` becomes a named placeholder (the last name or
  attribute of the expression, else one derived from it) passed as ``name=expr``;
  the same expression in both languages is the same placeholder, ``{x.fr}``/``{x.en}``
  is one ``Text`` field ``x``; format specs and conversions are kept; literal braces
  are doubled;
- what is left called or passed as ``say`` (``say = env.say``, a ``say: Say``
  parameter) becomes ``_`` (``Gettext``).

Every converted pair goes to the English catalogue (msgid: the French, msgstr: the
English). What it cannot convert (the English uses an expression the French lacks,
an empty French, a non-literal argument, a msgid already translated differently...)
is listed, file:line and why, for a hand conversion. Run it, then ``ruff check --fix``
and ``ruff format`` on the files it changed (imports, line lengths).
"""

from __future__ import annotations

import argparse
import ast
import io
import keyword
import re
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import i18n_catalogue  # the sibling module, from this folder

PAIR_METHODS = {"say"}
"""``X.say(fr, en)`` / ``say(fr, en)`` → ``X._(msgid)``."""
TEXT_FUNCS = {"tr"}
TUPLE_CALLEES = {"error", "fail", "result"}
"""Calls taking (fr, en) tuples: ``Locator.error(path, problem, expected)``, ``fail``, the
self-test's ``result(status, message)``."""
"""``tr(fr, en)`` → ``_t(msgid)``."""


SKIP = {"bench_agent/i18n.py", "bench_agent/context.py"}
"""The runtime itself (``tr`` and ``Environment.say`` go by hand at the end)."""


class NotConvertible(Exception):
    """This pair needs a hand conversion (the message says why)."""


@dataclass
class Edit:
    start: int
    end: int
    text: str


@dataclass
class Outcome:
    converted: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    left: list[str] = field(default_factory=list)
    """file:line — why, for the hand conversions."""
    names: list[str] = field(default_factory=list)
    """Placeholders named from a complex expression (to read over)."""
    messages: dict[str, tuple[str, set[str]]] = field(default_factory=dict)
    """msgid → (msgstr, files)."""
    conflicts: list[str] = field(default_factory=list)
    changed: list[Path] = field(default_factory=list)


def is_stringish(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


class Source:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = path.read_text(encoding="utf-8")
        self.data = self.text.encode("utf-8")
        self.line_starts = [0]
        for i, b in enumerate(self.data):
            if b == 0x0A:
                self.line_starts.append(i + 1)
        self.tree = ast.parse(self.text)

    def offset(self, lineno: int, col: int) -> int:
        return self.line_starts[lineno - 1] + col

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (
            self.offset(node.lineno, node.col_offset),  # type: ignore[attr-defined]
            self.offset(node.end_lineno, node.end_col_offset),  # type: ignore[attr-defined]
        )

    def segment(self, node: ast.AST) -> str:
        a, b = self.span(node)
        return self.data[a:b].decode("utf-8")


# -- placeholders ---------------------------------------------------------------------


def field_key(value: ast.expr, side: str) -> tuple[str, str]:
    """How an expression of one side is matched with the other's: ``x.fr``/``x.en`` are
    one Text field ``x``; anything else by its source."""
    if isinstance(value, ast.Attribute) and value.attr == side:
        return ("text", ast.unparse(value.value))
    return ("plain", ast.unparse(value))


def name_candidates(expr: ast.expr) -> list[str]:
    """Names for a placeholder, most readable first."""
    if isinstance(expr, ast.Name):
        return [expr.id]
    if isinstance(expr, ast.Attribute):
        inner = name_candidates(expr.value)
        return [expr.attr] + [f"{n}_{expr.attr}" for n in inner[:1]]
    if isinstance(expr, ast.Subscript):
        key = expr.slice
        inner = name_candidates(expr.value)
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            clean = re.sub(r"\W+", "_", key.value).strip("_").lower()
            if clean and clean.isidentifier():
                return [clean] + [f"{n}_{clean}" for n in inner[:1]]
        return inner
    if isinstance(expr, ast.Call):
        func = expr.func
        fname = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "value")
        if isinstance(func, ast.Name) and func.id == "len" and expr.args:
            return [f"n_{n}" for n in name_candidates(expr.args[0])]
        if isinstance(func, ast.Attribute) and not expr.args:
            return name_candidates(func.value)
        if expr.args:
            return [*name_candidates(expr.args[0]), fname.strip("_")]
        return [fname.strip("_")]
    if isinstance(expr, ast.BoolOp):
        return name_candidates(expr.values[0])
    if isinstance(expr, ast.BinOp):
        return name_candidates(expr.left)
    if isinstance(expr, ast.IfExp):
        return name_candidates(expr.body)
    if isinstance(expr, ast.UnaryOp):
        return name_candidates(expr.operand)
    return ["value"]


def safe_name(name: str) -> str:
    name = name.strip("_").lower() or "value"  # a constant's NAME reads as {name}
    if keyword.iskeyword(name) or not name.isidentifier():
        name += "_"
    return name


def simple(expr: ast.expr) -> bool:
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name)


@dataclass
class Field:
    name: str
    source: str
    """The expression passed for it."""


def formatted_values(node: ast.expr) -> list[ast.FormattedValue]:
    if isinstance(node, ast.JoinedStr):
        return [v for v in node.values if isinstance(v, ast.FormattedValue)]
    return []


def plan_fields(
    fr: ast.expr, en: ast.expr, outcome: Outcome, where: str
) -> dict[tuple[str, str], Field]:
    """Placeholder names for the French's expressions (the English must use the same)."""
    fr_keys: dict[tuple[str, str], ast.expr] = {}
    for fv in formatted_values(fr):
        fr_keys.setdefault(field_key(fv.value, "fr"), fv.value)
    en_keys = {field_key(fv.value, "en") for fv in formatted_values(en)}
    if set(fr_keys) != en_keys:
        only_en = sorted(k[1] for k in en_keys - set(fr_keys))
        only_fr = sorted(k[1] for k in set(fr_keys) - en_keys)
        raise NotConvertible(
            "the languages use different expressions"
            + (f"; English only: {', '.join(only_en)}" if only_en else "")
            + (f"; French only: {', '.join(only_fr)}" if only_fr else "")
        )
    used: set[str] = set()
    plan: dict[tuple[str, str], Field] = {}
    for key, value in fr_keys.items():
        expr = value.value if key[0] == "text" else value  # type: ignore[attr-defined]
        names = [safe_name(n) for n in name_candidates(expr)]
        name = next((n for n in names if n not in used), None)
        if name is None:
            base, i = names[0], 2
            while f"{base}_{i}" in used:
                i += 1
            name = f"{base}_{i}"
        used.add(name)
        plan[key] = Field(name, ast.unparse(expr))
        if not simple(expr):
            outcome.names.append(f"{where}: {{{name}}} = {ast.unparse(expr)}")
    return plan


# -- string literals --------------------------------------------------------------------


def py_str(value: str, quote: str = '"') -> str:
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == quote:
            out.append("\\" + quote)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return quote + "".join(out) + quote


def piece(node: ast.expr, side: str, plan: dict[tuple[str, str], Field]) -> str:
    """The message text of one string node, placeholders named, braces doubled."""
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, str):
            raise NotConvertible("not a text string")
        return node.value.replace("{", "{{").replace("}", "}}")
    assert isinstance(node, ast.JoinedStr)
    parts = []
    for v in node.values:
        if isinstance(v, ast.Constant):
            parts.append(str(v.value).replace("{", "{{").replace("}", "}}"))
            continue
        assert isinstance(v, ast.FormattedValue)
        spec = ""
        if v.format_spec is not None:
            assert isinstance(v.format_spec, ast.JoinedStr)
            if any(not isinstance(s, ast.Constant) for s in v.format_spec.values):
                raise NotConvertible("a format spec with a nested field")
            spec = ":" + "".join(str(s.value) for s in v.format_spec.values)  # type: ignore[attr-defined]
        conv = "" if v.conversion == -1 else "!" + chr(v.conversion)
        parts.append("{" + plan[field_key(v.value, side)].name + conv + spec + "}")
    return "".join(parts)


def string_groups(src: Source, node: ast.expr) -> list[tuple[str, str]]:
    """The string tokens of an argument (implicit concatenation) as (text between, token)."""
    text = src.segment(node)
    groups: list[tuple[str, str]] = []
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    pos = 0
    for tok in tokens:
        if tok.type in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.ENDMARKER):
            continue
        if tok.type in (tokenize.INDENT, tokenize.DEDENT):
            continue
        if tok.type != tokenize.STRING:
            raise NotConvertible(f"not a plain string literal ({tok.string!r})")
        a = starts[tok.start[0] - 1] + tok.start[1]
        b = starts[tok.end[0] - 1] + tok.end[1]
        groups.append((text[pos:a], tok.string))
        pos = b
    return groups


@dataclass
class Message:
    args: str
    """The msgid's source (its string groups as written) and the fields, for the call."""
    msgid: str
    msgstr: str
    names: list[str]


def message(
    src: Source, fr: ast.expr, en: ast.expr, outcome: Outcome, where: str, *, nested: bool = False
) -> Message:
    if not (is_stringish(fr) and is_stringish(en)):
        raise NotConvertible("an argument is not a string literal or f-string")
    plan = plan_fields(fr, en, outcome, where)
    sources = []
    msgid = ""
    for sep, token in string_groups(src, fr):
        if token.lstrip("rRuUfF")[:1] not in "\"'" or token[:1] in "bB":
            raise NotConvertible("a bytes literal")
        node = ast.parse(token.strip(), mode="eval").body
        text = piece(node, "fr", plan)
        msgid += text
        # Inside an f-string (Python 3.11) the quotes must stay the other kind.
        quote = token.strip().lstrip("rRuUfF")[:1] if nested else '"'
        sources.append(sep + py_str(text, quote))
    msgstr = piece(en, "en", plan)
    if not msgid:
        raise NotConvertible("the French is empty (the catalogue header's msgid)")
    if not msgstr:
        raise NotConvertible("the English is empty")
    if nested:
        # Babel cannot see a call inside an f-string (Python 3.11 tokenizes it whole).
        raise NotConvertible("inside an f-string: take it out by hand")
    args = "".join(sources) + "".join(f", {f.name}={f.source}" for f in plan.values())
    return Message(args, msgid, msgstr, [f.name for f in plan.values()])


# -- the file -------------------------------------------------------------------------


def call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


@dataclass
class Helper:
    """A function of the module taking a pair: (index of the first of each pair, name)."""

    node: ast.FunctionDef
    pairs: list[tuple[int, str, str, str]]
    """(positional index, fr parameter, en parameter, new parameter name)."""


def find_helpers(tree: ast.Module) -> dict[str, Helper]:
    helpers: dict[str, Helper] = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        params = [a.arg for a in node.args.posonlyargs + node.args.args]
        pairs = []
        for i in range(len(params) - 1):
            a, b = params[i], params[i + 1]
            if (a, b) == ("fr", "en"):
                pairs.append((i, a, b, "message"))
            elif a.endswith("_fr") and b == a[:-3] + "_en":
                pairs.append((i, a, b, a[:-3]))
        if pairs:
            helpers[node.name] = Helper(node, pairs)
    return helpers


def is_key(node: ast.expr) -> bool:
    """A data key (``"title_fr"``, ``"fr"``), not text."""
    return isinstance(node, ast.Constant) and bool(re.fullmatch(r"[a-z_]+", str(node.value)))


def language_test(test: ast.expr) -> bool | None:
    """True when ``test`` means "French" (``fr``, ``lang != "en"``, ``lang == "fr"``),
    False when it means "English", None when it is not about the language."""
    if isinstance(test, ast.Name) and test.id in ("fr", "en"):
        return test.id == "fr"
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value in ("fr", "en")
        and isinstance(test.left, ast.Name | ast.Attribute)
        and (getattr(test.left, "id", None) or getattr(test.left, "attr", None)) == "lang"
    ):
        equal = isinstance(test.ops[0], ast.Eq)
        if not equal and not isinstance(test.ops[0], ast.NotEq):
            return None
        return equal == (test.comparators[0].value == "fr")
    return None


def is_pair_call(call: ast.Call) -> tuple[str, ast.expr, ast.expr] | None:
    """(kind, fr, en) when the call is an inline pair."""
    name = call_name(call)
    if name in PAIR_METHODS and len(call.args) == 2 and not call.keywords:
        return ("say", call.args[0], call.args[1])
    if (
        name in TEXT_FUNCS
        and isinstance(call.func, ast.Name)
        and len(call.args) == 2
        and not call.keywords
    ):
        return ("tr", call.args[0], call.args[1])
    if name == "Text" and not call.args and {k.arg for k in call.keywords} == {"fr", "en"}:
        kw = {k.arg: k.value for k in call.keywords}
        return ("Text", kw["fr"], kw["en"])
    return None


def convert_file(path: Path, outcome: Outcome, dry_run: bool) -> bool:
    """One pass over a file; True when it changed."""
    src = Source(path)
    rel = str(path)
    edits: list[Edit] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    def record(msg: Message, where: str, kind: str) -> None:
        outcome.converted += 1
        outcome.by_kind[kind] = outcome.by_kind.get(kind, 0) + 1
        known = outcome.messages.get(msg.msgid)
        if known and known[0] != msg.msgstr:
            outcome.conflicts.append(
                f"{where}: {msg.msgid!r} is already {known[0]!r}, here {msg.msgstr!r}"
            )
            return
        files = known[1] if known else set()
        files.add(rel)
        outcome.messages[msg.msgid] = (msg.msgstr, files)

    helpers = find_helpers(src.tree)
    helper_ok: dict[str, bool] = {}
    for name, helper in helpers.items():
        helper_ok[name] = helper_convertible(src, helper, outcome)

    in_fstring: set[int] = set()
    in_fstring_x: set[int] = set()
    for n in ast.walk(src.tree):
        if isinstance(n, ast.JoinedStr):
            for v in n.values:
                in_fstring |= {id(x) for x in ast.walk(v) if isinstance(x, ast.Call)}
                in_fstring_x |= {id(x) for x in ast.walk(v) if isinstance(x, ast.IfExp)}
    nodes = sorted(
        (n for n in ast.walk(src.tree) if isinstance(n, ast.Call)),
        key=lambda n: (n.lineno, n.col_offset),
    )
    inside_helpers = {
        id(n) for name, helper in helpers.items() if helper_ok[name] for n in ast.walk(helper.node)
    }
    # `"fr" if fr else "en"` (or a test on lang): `_("fr")`, a `_` of that language in
    # scope (added by hand where the function had only a flag).
    choices = sorted(
        (
            n
            for n in ast.walk(src.tree)
            if isinstance(n, ast.IfExp)
            and language_test(n.test) is not None
            and is_stringish(n.body)
            and is_stringish(n.orelse)
            and not (is_key(n.body) and is_key(n.orelse))
        ),
        key=lambda n: (n.lineno, n.col_offset),
    )
    for choice in choices:
        where = f"{rel}:{choice.lineno}"
        a, b = src.span(choice)
        if not free(a, b):
            continue
        fr_node, en_node = (
            (choice.body, choice.orelse)
            if language_test(choice.test)
            else (choice.orelse, choice.body)
        )
        try:
            msg = message(src, fr_node, en_node, outcome, where, nested=id(choice) in in_fstring_x)
        except NotConvertible as exc:
            outcome.left.append(f"{where}: {ast.unparse(choice)[:110]} — {exc}")
            continue
        edits.append(Edit(a, b, f"_({msg.args})"))
        taken.append((a, b))
        record(msg, where, "language choice")
    # `locate.error(path, ("fr", "en"), ("fr", "en"))`, `fail(...)`: the tuples become
    # `_t(...)` (their functions take Texts now, changed by hand).
    for call in nodes:
        if call_name(call) not in TUPLE_CALLEES:
            continue
        for arg in call.args:
            if not (
                isinstance(arg, ast.Tuple)
                and len(arg.elts) == 2
                and all(map(is_stringish, arg.elts))
                and not any(is_key(e) for e in arg.elts)  # a path like ("fonts_pt", "minimum")
            ):
                continue
            where = f"{rel}:{arg.lineno}"
            a, b = src.span(arg)
            if not free(a, b):
                continue
            try:
                msg = message(src, arg.elts[0], arg.elts[1], outcome, where)
            except NotConvertible as exc:
                outcome.left.append(f"{where}: {ast.unparse(arg)[:110]} — {exc}")
                continue
            edits.append(Edit(a, b, f"_t({msg.args})"))
            taken.append((a, b))
            record(msg, where, "tuple argument")
    for call in nodes:
        where = f"{rel}:{call.lineno}"
        a, b = src.span(call)
        if not free(a, b) or id(call) in inside_helpers:
            continue
        pair = is_pair_call(call)
        name = call_name(call)
        if pair is not None:
            kind, fr, en = pair
            try:
                msg = message(src, fr, en, outcome, where, nested=id(call) in in_fstring)
            except NotConvertible as exc:
                outcome.left.append(f"{where}: {ast.unparse(call)[:110]} — {exc}")
                continue
            if kind == "say":
                fa, fb = src.span(call.func)
                new_func = src.data[fa:fb].decode()
                new_func = new_func[: -len(name or "")] + "_"
            else:
                new_func = "_t"
            first, last = (fr, en) if kind != "Text" else (call.keywords[0], call.keywords[1])
            if kind == "Text" and call.keywords[0].arg != "fr":
                first, last = call.keywords[0], call.keywords[1]
            arg_a = src.span(first)[0]
            arg_b = src.span(last)[1]
            fa = src.span(call.func)[0]
            fb = src.span(call.func)[1]
            open_paren = src.data[fb:arg_a].decode()
            # The pair's trailing comma goes: ruff format joins what now fits on a line.
            closing = src.data[arg_b:b].decode().removeprefix(",")
            edits.append(Edit(fa, b, new_func + open_paren + msg.args + closing))
            taken.append((a, b))
            record(msg, where, kind)
        elif (
            isinstance(call.func, ast.Name) and name in helpers and helper_ok.get(name or "", False)
        ):
            helper = helpers[name or ""]
            try:
                replaced = []
                for index, _fr, _en, _new in helper.pairs:
                    if len(call.args) <= index + 1:
                        raise NotConvertible("the pair is not passed by position")
                    fr, en = call.args[index], call.args[index + 1]
                    try:
                        msg: Message | str = message(src, fr, en, outcome, where)
                    except NotConvertible as exc:
                        # The helper now takes a Text: this pair stays one, for a hand look.
                        msg = f"Text(fr={src.segment(fr)}, en={src.segment(en)})"
                        outcome.left.append(
                            f"{where}: {ast.unparse(call)[:110]} — {exc}; passed as {msg[:60]}"
                        )
                    replaced.append((src.span(fr)[0], src.span(en)[1], msg))
            except NotConvertible as exc:
                outcome.left.append(f"{where}: {ast.unparse(call)[:110]} — {exc}")
                continue
            for ra, rb, msg in replaced:
                if isinstance(msg, str):
                    edits.append(Edit(ra, rb, msg))
                    continue
                edits.append(Edit(ra, rb, f"_t({msg.args})"))
                record(msg, where, "helper call")
            taken.append((a, b))

    for name, helper in helpers.items():
        if helper_ok[name]:
            edits.extend(helper_edits(src, helper))
            outcome.by_kind["helper"] = outcome.by_kind.get("helper", 0) + 1

    if not edits:
        return False
    new = apply(src.data, edits).decode("utf-8")
    try:
        new = fix_imports(new)
    except SyntaxError as exc:
        raise RuntimeError(f"{rel}: the rewrite does not parse: {exc}") from exc
    if not dry_run:
        path.write_text(new, encoding="utf-8")
    return True


def helper_convertible(src: Source, helper: Helper, outcome: Outcome) -> bool:
    """Its pair parameters are only used as ``tr(fr, en)`` / ``Text(fr=fr, en=en)``, and
    every call in the module passes literals."""
    params = {p for _, fr, en, _ in helper.pairs for p in (fr, en)}
    where = f"{src.path}:{helper.node.lineno}"
    for node in ast.walk(helper.node):
        if isinstance(node, ast.Call) and (pair := is_pair_call(node)):
            _, fr, en = pair
            if isinstance(fr, ast.Name) and isinstance(en, ast.Name):
                continue
        if isinstance(node, ast.Name) and node.id in params:
            # Used inside a pair call handled above? ast.walk visits those Names too.
            parent_ok = any(
                isinstance(c, ast.Call)
                and (p := is_pair_call(c))
                and node in (p[1], p[2])
                and isinstance(p[1], ast.Name)
                and isinstance(p[2], ast.Name)
                for c in ast.walk(helper.node)
            )
            if not parent_ok:
                outcome.left.append(f"{where}: helper {helper.node.name} uses {node.id} alone")
                return False
    for node in ast.walk(src.tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == helper.node.name
        ):
            for index, *_ in helper.pairs:
                if len(node.args[index : index + 2]) < 2:
                    outcome.left.append(
                        f"{src.path}:{node.lineno}: call of helper {helper.node.name} "
                        "without its pair by position"
                    )
                    return False
    return True


def helper_edits(src: Source, helper: Helper) -> list[Edit]:
    edits = []
    args = helper.node.args.posonlyargs + helper.node.args.args
    renamed = {}
    for index, fr, en, new in helper.pairs:
        a = src.span(args[index])[0]
        b = src.span(args[index + 1])[1]
        edits.append(Edit(a, b, f"{new}: Text"))
        renamed[(fr, en)] = new
    for node in ast.walk(helper.node):
        if isinstance(node, ast.Call) and (pair := is_pair_call(node)):
            _, fr, en = pair
            if isinstance(fr, ast.Name) and isinstance(en, ast.Name):
                new = renamed.get((fr.id, en.id))
                if new:
                    a, b = src.span(node)
                    edits.append(Edit(a, b, new))
    return edits


def apply(data: bytes, edits: list[Edit]) -> bytes:
    edits = sorted(edits, key=lambda e: e.start)
    out = []
    pos = 0
    for e in edits:
        if e.start < pos:
            raise RuntimeError(f"overlapping edits at byte {e.start}")
        out.append(data[pos : e.start])
        out.append(e.text.encode("utf-8"))
        pos = e.end
    out.append(data[pos:])
    return b"".join(out)


def fix_imports(text: str) -> str:
    """Import ``_t`` (and ``Text`` for rewritten helpers) where now used; ruff removes
    what became unused and sorts."""
    tree = ast.parse(text)
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            imported.add(node.name)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    annotations = {
        n.id
        for a in ast.walk(tree)
        if isinstance(a, ast.arg) and a.annotation is not None
        for n in ast.walk(a.annotation)
        if isinstance(n, ast.Name)
    }
    lines = []
    if "_t" in used and "_t" not in imported:
        lines.append("from bench_agent.i18n import _t\n")
    if "Gettext" in (used | annotations) and "Gettext" not in imported:
        lines.append("from bench_agent.i18n import Gettext\n")
    if "Text" in (used | annotations) and "Text" not in imported:
        lines.append("from bench_agent.model.common import Text\n")
    if not lines:
        return text
    # After the last top-level import.
    last = max(
        (n.end_lineno or n.lineno for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)),
        default=0,
    )
    if last == 0 and tree.body and isinstance(tree.body[0], ast.Expr):
        last = tree.body[0].end_lineno or 0  # after the docstring
    src_lines = text.splitlines(keepends=True)
    return "".join(src_lines[:last] + lines + src_lines[last:])


def rename_say(path: Path, dry_run: bool) -> bool:
    """What is left called or passed as ``say`` becomes ``_``; the ``Say`` type,
    ``Gettext``. Not the ``def say`` of the old API (removed by hand)."""
    src = Source(path)
    edits = []
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Name) and node.id == "say":
            a, b = src.span(node)
            edits.append(Edit(a, b, "_"))
        elif isinstance(node, ast.Name) and node.id == "Say":
            a, b = src.span(node)
            edits.append(Edit(a, b, "Gettext"))
        elif isinstance(node, ast.Attribute) and node.attr == "say":
            a, b = src.span(node)
            edits.append(Edit(b - len("say"), b, "_"))
        elif isinstance(node, ast.arg) and node.arg == "say":
            a, _ = src.span(node)
            edits.append(Edit(a, a + len("say"), "_"))
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "Say" for t in node.targets
        ):
            a, b = src.span(node)
            edits.append(Edit(a, b, ""))  # the alias goes: i18n.Gettext replaces it
            for sub in ast.walk(node):
                if sub is not node:
                    pass
    # `Say = Callable[...]` removed above: drop the Name edit inside it.
    assigns = [
        src.span(n)
        for n in ast.walk(src.tree)
        if isinstance(n, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "Say" for t in n.targets)
    ]
    edits = [e for e in edits if not any(a <= e.start < b and e.text != "" for a, b in assigns)]
    if not edits:
        return False
    new = fix_imports(apply(src.data, edits).decode("utf-8"))
    if not dry_run:
        path.write_text(new, encoding="utf-8")
    return True


def write_catalogue(outcome: Outcome, po: Path) -> None:
    catalog = i18n_catalogue.read(po)
    for msgid, (msgstr, files) in outcome.messages.items():
        existing = catalog.get(msgid)
        if existing is not None and existing.string and existing.string != msgstr:
            outcome.conflicts.append(
                f"catalogue: {msgid!r} is {existing.string!r}, the code says {msgstr!r}"
            )
            continue
        old_files = {loc[0] for loc in existing.locations} if existing is not None else set()
        i18n_catalogue.set_entry(catalog, (msgid, None), msgstr, old_files | files)
    i18n_catalogue.write(catalog, po)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--po", type=Path, default=i18n_catalogue.PO)
    parser.add_argument("--report", type=Path, help="write the hand-conversion list here")
    args = parser.parse_args(argv)
    files = sorted(
        {f for p in args.paths for f in ([p] if p.is_file() else p.rglob("*.py"))}
        - {Path(s) for s in SKIP}
    )
    outcome = Outcome()
    for path in files:
        # Until nothing moves: a pair nested in another's field is freed by the first pass.
        changed = False
        for _ in range(5):
            # Only the last pass's leftovers count (earlier ones may have moved).
            before = len(outcome.left)
            moved = convert_file(path, outcome, args.dry_run)
            if moved and not args.dry_run:
                del outcome.left[before:]
            if not moved:
                break
            changed = True
            if args.dry_run:
                break
        if rename_say(path, args.dry_run):
            changed = True
        if changed:
            outcome.changed.append(path)
    if not args.dry_run:
        write_catalogue(outcome, args.po)
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(outcome.by_kind.items()))
    report = [
        f"converted: {outcome.converted} pairs ({kinds})",
        f"messages: {len(outcome.messages)} distinct msgids",
        f"files changed: {len(outcome.changed)}",
        f"left for hand conversion: {len(dict.fromkeys(outcome.left))}",
        *(f"  {x}" for x in dict.fromkeys(outcome.left)),
        f"msgid conflicts (same French, another English): {len(outcome.conflicts)}",
        *(f"  {x}" for x in outcome.conflicts),
        f"placeholders named from a complex expression: {len(outcome.names)}",
        *(f"  {x}" for x in outcome.names),
    ]
    text = "\n".join(report) + "\n"
    if args.report:
        args.report.write_text(text, encoding="utf-8")
        print("\n".join(report[:4]))
    else:
        print(text)
    for path in outcome.changed:
        print(f"changed {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
