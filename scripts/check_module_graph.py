#!/usr/bin/env python3
"""Checks that the crate's module graph has no import cycles, at two levels.

  scripts/check_module_graph.py [SRC]          exit 1 listing every cycle, 0 when there is none
  scripts/check_module_graph.py [SRC] --print  also print both graphs, one line per node
  scripts/check_module_graph.py --self-test    check this script on small trees it builds

SRC defaults to the repository's src/. The module tree is followed from each crate root (lib.rs,
main.rs, bin/*.rs) through its `mod` declarations (`#[path]` included); a file it does not reach
is taken at the module its path gives. Edges come from `use crate::…` / `use super::…` /
`use self::…` trees and from inline `crate::a::b`, `super::x`, `self::x` paths; each path goes to
the file of the longest module prefix it names. Comments, string and char literals are skipped,
and so is code that only tests build (`#[cfg(test)]` / `#[test]` items, `mod tests;` files).

- file level: one node per file (`scan`, `source/git/walk`, `lib`); a module using its own
  descendants (declaring and re-exporting them) is not an edge;
- top level: one node per entry of SRC (a folder counts as one), an edge wherever one of their
  files has an edge to the other's.

A cycle is a strongly connected component of two or more nodes; each is printed with the edges
inside it and, for each edge, the first reference that makes it.
"""
import os
import re
import sys
import tempfile
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# --- lexing ----------------------------------------------------------------------------------

IDENT_START = re.compile(r"[A-Za-z_]")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
RAW_STRING = re.compile(r'b?r(#*)"')


def tokens(text):
    """(kind, value, line) tokens of Rust source: `ident`, `str` (its contents), `punct`
    (`::` or one character); comments, whitespace, numbers, lifetimes and chars dropped."""
    out, i, n, line = [], 0, len(text), 1
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            line += text.count("\n", i, j)
            i = j
        elif RAW_STRING.match(text, i):
            m = RAW_STRING.match(text, i)
            end = text.find('"' + m.group(1), m.end())
            end = n if end < 0 else end
            out.append(("str", text[m.end():end], line))
            line += text.count("\n", i, end)
            i = end + 1 + len(m.group(1))
        elif c == '"' or text.startswith('b"', i):
            j = i + (2 if c == "b" else 1)
            start = j
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(("str", text[start:j], line))
            line += text.count("\n", i, j)
            i = j + 1
        elif c == "'" or text.startswith("b'", i):
            j = i + (2 if c == "b" else 1)
            if j < n and text[j] == "\\":  # an escaped char: '\n', '\u{1F600}', '\''
                k = j + 2
                while k < n and text[k] != "'":
                    k += 1
                i = k + 1
            elif j + 1 < n and text[j + 1] == "'":  # a plain char: 'x'
                i = j + 2
            else:  # a lifetime or label: 'a
                m = IDENT.match(text, j)
                i = m.end() if m else j
        elif text.startswith("r#", i) and IDENT_START.match(text, i + 2):
            m = IDENT.match(text, i + 2)
            out.append(("ident", m.group(0), line))
            i = m.end()
        elif IDENT_START.match(c):
            m = IDENT.match(text, i)
            out.append(("ident", m.group(0), line))
            i = m.end()
        elif c.isdigit():
            m = re.compile(r"[0-9][0-9A-Za-z_]*(\.[0-9][0-9A-Za-z_]*)?").match(text, i)
            i = m.end()
        elif text.startswith("::", i):
            out.append(("punct", "::", line))
            i += 2
        else:
            out.append(("punct", c, line))
            i += 1
    return out


# --- parsing one file ------------------------------------------------------------------------

OPEN, CLOSE = {"(": ")", "[": "]", "{": "}"}, {")", "]", "}"}
ANCHORS = ("crate", "super", "self")


class FileInfo:
    def __init__(self):
        self.mods = []  # (module path, name, #[path] or None): non-test `mod name;`
        self.test_mods = []  # (module path, name, #[path] or None): `#[cfg(test)] mod name;`
        self.inline = []  # module paths of non-test inline `mod name { … }`
        self.refs = []  # (module path of the scope, [segments], line, text)


def matching(toks, i):
    """Index just past the bracket group opening at toks[i]."""
    depth = 0
    for j in range(i, len(toks)):
        v = toks[j][1] if toks[j][0] == "punct" else None
        if v in OPEN:
            depth += 1
        elif v in CLOSE:
            depth -= 1
            if depth == 0:
                return j + 1
    return len(toks)


def item_end(toks, i):
    """Index just past the item starting at toks[i]: its `;`, or its first `{…}` block for items
    that end with one (fn, mod, impl, struct …); `use`, `const`, `static`, `type` end at `;`."""
    semicolon_only = i < len(toks) and toks[i][1] in ("use", "const", "static", "type", "let")
    j = i
    while j < len(toks):
        kind, v, _ = toks[j]
        if kind == "punct" and v == ";":
            return j + 1
        if kind == "punct" and v == "{" and not semicolon_only:
            return matching(toks, j)
        if kind == "punct" and v in OPEN:
            j = matching(toks, j)
            continue
        if kind == "punct" and v in CLOSE:
            return j
        j += 1
    return j


def is_test_attr(attr):
    """`#[test]`, `#[cfg(test)]`, `#[cfg(all(test, …))]`: code only tests build."""
    words = [v for k, v, _ in attr if k == "ident"]
    if words == ["test"]:
        return True
    return bool(words) and words[0] == "cfg" and "test" in words and "not" not in words \
        and "any" not in words


def use_tree(toks, i, prefix, out):
    """Parses a use tree at toks[i]; appends each full path (segments) to out; returns the index
    past it."""
    path = list(prefix)
    while i < len(toks):
        kind, v, _ = toks[i]
        if kind == "ident" and v != "as":
            path.append(v)
            i += 1
        elif kind == "punct" and v == "::":
            i += 1
        elif kind == "punct" and v == "{":
            i += 1
            while i < len(toks) and toks[i][1] != "}":
                i = use_tree(toks, i, path, out)
                if toks[i][1] == ",":
                    i += 1
            return i + 1
        elif kind == "punct" and v == "*":
            out.append(path)
            return i + 1
        elif kind == "ident" and v == "as":
            out.append(path)
            return i + 2
        else:
            break
    if path and path[-1] == "self":
        path = path[:-1]
    if path:
        out.append(path)
    return i


def parse_file(text, module):
    """The `mod` declarations, inline modules and references of one file at `module`."""
    toks = tokens(text)
    info = FileInfo()
    scopes = [(module, -1)]  # (module path, brace depth its block closes at)
    depth, attrs, i = 0, [], 0
    while i < len(toks):
        kind, v, line = toks[i]
        here = scopes[-1][0]
        if kind == "punct" and v == "#":
            inner = i + 1 < len(toks) and toks[i + 1][1] == "!"
            j = i + 1 + inner
            if j < len(toks) and toks[j][1] == "[":
                end = matching(toks, j)
                if inner and is_test_attr(toks[j + 1:end - 1]) and len(scopes) == 1:
                    return FileInfo()  # `#![cfg(test)]`: the whole file is test code
                if not inner:
                    attrs.append(toks[j + 1:end - 1])
                i = end
                continue
        if kind == "punct" and v == "{":
            depth += 1
        elif kind == "punct" and v == "}":
            depth -= 1
            if len(scopes) > 1 and depth == scopes[-1][1]:
                scopes.pop()
        # the start of an item: attributes apply to it
        start = i
        while i < len(toks) and toks[i][1] == "pub":
            i += 1
            if i < len(toks) and toks[i][1] == "(":
                i = matching(toks, i)
        kind2, v2, _ = toks[i] if i < len(toks) else ("", "", 0)
        test_only = any(is_test_attr(a) for a in attrs)
        path_attr = next((a[2][1] for a in attrs
                          if len(a) == 3 and a[0][1] == "path" and a[2][0] == "str"), None)
        if attrs and test_only:
            attrs = []
            if v2 == "mod" and i + 2 < len(toks) and toks[i + 2][1] == ";":
                info.test_mods.append((here, toks[i + 1][1], path_attr))
            i = item_end(toks, i)
            continue
        attrs = []
        if kind2 == "ident" and v2 == "mod" and i + 2 < len(toks) and toks[i + 1][0] == "ident":
            name, after = toks[i + 1][1], toks[i + 2][1]
            if after == ";":
                info.mods.append((here, name, path_attr))
                i += 3
                continue
            if after == "{":
                info.inline.append(here + [name])
                depth += 1
                scopes.append((here + [name], depth - 1))
                i += 3
                continue
        if kind2 == "ident" and v2 == "use":
            paths = []
            j = i + 1
            if j < len(toks) and toks[j][1] == "::":
                j += 1
            end = use_tree(toks, j, [], paths)
            for p in paths:
                if p[0] in ANCHORS:
                    info.refs.append((here, p, line, "use " + "::".join(p)))
            i = max(end, i + 1)
            continue
        i = start
        # an inline path: crate::a::b, super::x, self::x (not `pub(in crate::a)`)
        if kind == "ident" and v in ANCHORS and i + 1 < len(toks) and toks[i + 1][1] == "::" \
                and not (i >= 1 and toks[i - 1][1] == "in"):
            segs, j = [v], i + 1
            while j + 1 < len(toks) and toks[j][1] == "::" and toks[j + 1][0] == "ident":
                segs.append(toks[j + 1][1])
                j += 2
            if len(segs) > 1:
                info.refs.append((here, segs, line, "::".join(segs)))
            i = j
            continue
        i += 1
    return info


# --- the crate's graph -----------------------------------------------------------------------

def display(src, path):
    rel = os.path.relpath(path, src)[:-3].replace(os.sep, "/")
    if rel.endswith("/mod"):
        rel = rel[:-4]
    return rel


def child_files(parent_file, is_root, names):
    """Where `mod a { mod b; }` (names ["a", "b"]) declared in parent_file lives."""
    d = os.path.dirname(parent_file)
    if not is_root and os.path.basename(parent_file) != "mod.rs":
        d = os.path.join(d, os.path.basename(parent_file)[:-3])
    d = os.path.join(d, *names[:-1])
    return [os.path.join(d, names[-1] + ".rs"), os.path.join(d, names[-1], "mod.rs")]


class Graph:
    def __init__(self, src):
        self.src = os.path.abspath(src)
        self.modules = {}  # (crate, module path tuple) -> file
        self.file_module = {}  # file -> (crate, module path)
        self.infos = {}
        self.unreached = []
        self._walk()
        self.file_edges = defaultdict(dict)  # a -> {b: (line, text)}
        self._edges()

    def _walk(self):
        roots = [os.path.join(self.src, r) for r in ("lib.rs", "main.rs")]
        bindir = os.path.join(self.src, "bin")
        if os.path.isdir(bindir):
            roots += sorted(os.path.join(bindir, f) for f in os.listdir(bindir)
                            if f.endswith(".rs"))
        queue = [(f, display(self.src, f), ()) for f in roots if os.path.isfile(f)]
        test_files = set()
        while queue:
            f, crate, module = queue.pop(0)
            if f in self.file_module:
                continue
            self.file_module[f] = (crate, module)
            self.modules[(crate, module)] = f
            self._declare(f, crate, module, queue, test_files)
        all_files = sorted(os.path.join(d, n) for d, _, fs in os.walk(self.src) for n in fs
                           if n.endswith(".rs"))
        for f in all_files:
            if f in self.file_module or f in test_files:
                continue
            self.unreached.append(f)
            module = tuple(display(self.src, f).split("/"))
            self.file_module[f] = ("lib", module)
            self.modules.setdefault(("lib", module), f)
            self._declare(f, "lib", module, [], test_files)

    def _declare(self, f, crate, module, queue, test_files):
        text = open(f, encoding="utf-8", errors="replace").read()
        info = parse_file(text, list(module))
        self.infos[f] = info
        for inline in info.inline:
            self.modules.setdefault((crate, tuple(inline)), f)
        for mods, into in ((info.mods, None), (info.test_mods, test_files)):
            for here, name, path_attr in mods:
                if path_attr:
                    cands = [os.path.normpath(os.path.join(os.path.dirname(f), path_attr))]
                else:
                    cands = child_files(f, module == (), here[len(module):] + [name])
                found = next((c for c in cands if os.path.isfile(c)), None)
                if found and into is not None:
                    into.add(found)
                elif found:
                    queue.append((found, crate, tuple(here) + (name,)))

    def resolve(self, crate, here, segs):
        """The file of the longest module prefix `segs` (from `here`) names, and that module."""
        if segs[0] == "crate":
            base, rest = [], segs[1:]
        else:
            base, rest = list(here), segs
            while rest and rest[0] in ("self", "super"):
                if rest[0] == "super":
                    base = base[:-1]
                rest = rest[1:]
        full = base + rest
        for k in range(len(full), -1, -1):
            key = (crate, tuple(full[:k]))
            if key in self.modules:
                return self.modules[key], full[:k]
        return None, None

    def _edges(self):
        for f, info in self.infos.items():
            crate, module = self.file_module[f]
            for here, segs, line, text in info.refs:
                target, tmod = self.resolve(crate, here, segs)
                if target is None or target == f:
                    continue
                if len(tmod) > len(module) and tuple(tmod[:len(module)]) == tuple(module):
                    continue  # a module using its own descendant
                a, b = self.name(f), self.name(target)
                where = f"{os.path.relpath(f, os.path.dirname(self.src))}:{line}"
                self.file_edges[a].setdefault(b, (where, text))

    def name(self, f):
        return display(self.src, f)

    def nodes(self):
        return sorted(self.name(f) for f in self.file_module)

    def top(self, name):
        """The entry of SRC a file is under; None for a crate root."""
        if self.file_module.get(os.path.join(self.src, name + ".rs"), (None, None))[1] == ():
            return None
        return name.split("/")[0]

    def top_edges(self):
        out = defaultdict(dict)
        for a, bs in self.file_edges.items():
            for b, why in bs.items():
                ta, tb = self.top(a), self.top(b)
                if ta and tb and ta != tb:
                    out[ta].setdefault(tb, (f"{a} -> {b}",) + why)
        return out

    def top_nodes(self):
        return sorted({self.top(n) for n in self.nodes() if self.top(n)})


def components(nodes, edges):
    """Strongly connected components of two or more nodes (Tarjan, iterative), sorted."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, {}))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, {})))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return sorted(out)


def report(graph, show, out=sys.stdout):
    fe, te = graph.file_edges, graph.top_edges()
    fnodes, tnodes = graph.nodes(), graph.top_nodes()
    if show:
        n = sum(len(v) for v in fe.values())
        print(f"files ({len(fnodes)} modules, {n} edges):", file=out)
        for a in fnodes:
            print(f"  {a} -> {', '.join(sorted(fe.get(a, {}))) or '-'}", file=out)
        n = sum(len(v) for v in te.values())
        print(f"top level ({len(tnodes)} entries, {n} edges):", file=out)
        for a in tnodes:
            print(f"  {a} -> {', '.join(sorted(te.get(a, {}))) or '-'}", file=out)
        for f in graph.unreached:
            print(f"note: {graph.name(f)} is declared by no `mod`; taken at its path", file=out)
    fc, tc = components(fnodes, fe), components(tnodes, te)
    for comp in fc:
        print("file cycle: " + " <-> ".join(comp), file=out)
        for a in comp:
            for b in sorted(fe.get(a, {})):
                if b in comp:
                    where, text = fe[a][b]
                    print(f"  {a} -> {b}  ({where} {text})", file=out)
    for comp in tc:
        print("top-level cycle: " + " <-> ".join(comp), file=out)
        for a in comp:
            for b in sorted(te.get(a, {})):
                if b in comp:
                    via, where, text = te[a][b]
                    via = "" if via == f"{a} -> {b}" else f"via {via}: "
                    print(f"  {a} -> {b}  ({via}{where} {text})", file=out)
    print(f"modules {len(fnodes)}, file cycles {len(fc)}, top-level cycles {len(tc)}", file=out)
    return fc, tc


# --- self test -------------------------------------------------------------------------------

def self_test():
    import io

    def build(files):
        d = tempfile.mkdtemp(prefix="modgraph-")
        for rel, text in files.items():
            p = os.path.join(d, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w", encoding="utf-8") as f:
                f.write(text)
        return d

    def cycles(files):
        g = Graph(build(files))
        fc, tc = report(g, True, io.StringIO())
        return fc, tc, g

    acyclic = {
        "lib.rs": "pub mod a;\nmod b;\npub mod c;\nmod d;\npub use crate::c::e::E;\n",
        "a.rs": "use crate::b::{self, B};\nuse super::c::e::E;\npub fn a() -> B { b::B }\n",
        "b.rs": (
            "// crate::a::a() in a comment\n/* crate::a /* nested */ crate::a */\n"
            "pub struct B;\nconst S: &str = \"crate::a::a\";\nconst R: &str = r#\"super::a\"#;\n"
            "fn l<'a>(x: &'a str) -> char { '\"' }\n"
            "#[cfg(test)]\nmod tests {\n    use crate::a::a;\n}\n"
            "#[test]\nfn t() { crate::a::a(); }\n"
            "#[cfg(test)]\nuse crate::a::a;\n"
        ),
        "c/mod.rs": "pub mod e;\nuse self::e::E;\nmod inner { pub fn f() { crate::b::B; } }\n",
        "c/e.rs": "pub struct E;\nfn f() { super::super::b::B; super::inner::f(); }\n",
        "d.rs": "#[cfg(test)]\nmod tests;\n",
        "d/tests.rs": "use crate::a::a;\n",
        "main.rs": "mod cli;\nuse crate::cli::Cli;\nfn main() { keyfence::a::a(); }\n",
        "cli.rs": "pub struct Cli;\n",
        "x.rs": "#![cfg(test)]\nuse crate::a::a;\n",  # declared by no `mod`, test code anyway
    }
    fc, tc, g = cycles(acyclic)
    assert (fc, tc) == ([], []), (fc, tc)
    assert set(g.file_edges["a"]) == {"b", "c/e"}, dict(g.file_edges)
    assert set(g.file_edges["c/e"]) == {"b", "c"}, dict(g.file_edges)
    assert set(g.file_edges["c"]) == {"b"}, dict(g.file_edges)  # from the inline module
    assert "d/tests" not in g.nodes() and "b" not in g.file_edges, (g.nodes(), dict(g.file_edges))
    assert g.file_module[os.path.join(g.src, "cli.rs")] == ("main", ("cli",))
    assert "main" not in g.file_edges, dict(g.file_edges)  # the root uses its own child
    assert g.top_nodes() == ["a", "b", "c", "cli", "d", "x"], g.top_nodes()
    assert "x" not in g.file_edges, dict(g.file_edges)

    # b uses a back: a -> b -> a, a -> c/e -> b -> a and c -> b -> a -> c/e -> c (c/e uses the
    # inline module in c/mod.rs): one component at either level.
    cyclic = dict(acyclic, **{"b.rs": acyclic["b.rs"] + "pub fn g() { crate::a::a(); }\n"})
    fc, tc, _ = cycles(cyclic)
    assert fc == [["a", "b", "c", "c/e"]] and tc == [["a", "b", "c"]], (fc, tc)

    # c/mod.rs uses d and d uses c/e: no file cycle, but c <-> d at the top level.
    folder = {k: v for k, v in acyclic.items() if k != "d/tests.rs"}
    folder.update({
        "c/e.rs": "pub struct E;\n",
        "d.rs": "pub fn d() { crate::c::e::E; }\n",
        "c/mod.rs": acyclic["c/mod.rs"] + "use crate::d::d;\n",
    })
    fc, tc, _ = cycles(folder)
    assert fc == [] and tc == [["c", "d"]], (fc, tc)
    print("self-test ok")
    return 0


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    flags = {a for a in argv if a.startswith("--")}
    unknown = flags - {"--print", "--self-test", "--help"}
    if unknown or len(args) > 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    if "--help" in flags:
        print(__doc__)
        return 0
    if "--self-test" in flags:
        return self_test()
    src = args[0] if args else os.path.join(ROOT, "src")
    if not any(os.path.isfile(os.path.join(src, r)) for r in ("lib.rs", "main.rs")):
        print(f"{src}: no lib.rs or main.rs", file=sys.stderr)
        return 2
    fc, tc = report(Graph(src), "--print" in flags)
    return 1 if fc or tc else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
