#!/usr/bin/env python3
"""Builds a reproducible synthetic git repository whose planted credentials exist only in history.

  gen_history.py DEST COMMITS FILES [SEED]

DEST becomes a fresh non-bare repository (`git init -b main`). The history is written as one
`git fast-import` stream, which is far faster than running git once per commit:
- the first commit adds FILES source-like text files (a few KB each, in directories);
- each later commit modifies a few files near each other (small hunks: lines replaced, inserted,
  deleted), sometimes adds, deletes or renames a file, so that nearly every change is a new blob:
  COMMITS=30000 FILES=3000 gives ~248,000 unique blobs (2.1 GB), ~415,000 trees, a 142 MiB pack;
- topic branches fork from main, take some of the commits, and are merged back (merge commits);
  the last one or two stay unmerged (refs only), and annotated tags mark a few releases;
- credential pairs (from synthetic.py, never live) are planted in a commit, then removed a few
  commits later on the same branch, so they exist only in history, not in any branch tip. The
  files that held one are never edited again except by that removal.
COMMITS counts the non-merge commits, including the first one (so `DEST 1 FILES` is a one-commit
repository). Repositories with fewer than 40 commits get no branches and no planted pairs.

Afterwards `git repack -adf` leaves one pack with freshly searched deltas, which is what a clone
has: a server's pack-objects searches deltas over the whole history (fast-import only deltifies a
blob against the blob written just before it in the stream, i.e. another file, so keeping its pack
or running a plain `git repack -ad`, which reuses those deltas, would leave an unrealistic pack:
with 3,000 commits, 74 MB and 1.5 s to read every object, against 14 MB and 0.40 s after
`git repack -adf`). Refs are packed and main is checked out, as after `git clone`. No commit-graph or bitmap is
written (a fresh clone has neither).

Stdout gets one line per planted pair: `KEY_ID COMMIT PATH`, the commit that introduced it and
the path it was added under. Progress and totals go to stderr. Everything is determined by SEED.
"""
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synthetic import Synthetic  # noqa: E402

WORDS = ("static int struct return const char void size_t buffer index length result error "
         "config value request response handler region bucket upload timeout retry client "
         "session path commit object tree blob parse strbuf options argv argc free alloc").split()
EXTS = [".c", ".h", ".py", ".sh", ".txt", ".md", ".js", ".css", ".go", ".rs"]
TOPS = ["src", "src", "src", "lib", "tests", "docs", "tools", "scripts"]
AUTHORS = ["Ada Park", "Bo Lindqvist", "Chidi Okafor", "Dana Cruz", "Eitan Levi", "Fatima Rahman",
           "Goran Petrov", "Hana Sato", "Ines Moreau", "Jonas Weber", "Kavya Iyer", "Liam Byrne"]
VERBS = ["Fix", "Add", "Refactor", "Speed up", "Document", "Test", "Simplify", "Rename", "Handle"]
FORMS = [
    'aws_access_key_id = "{k}"\naws_secret_access_key = "{s}"\n',
    "AWS_ACCESS_KEY_ID={k}\nAWS_SECRET_ACCESS_KEY={s}\n",
    '\tclient = boto3.client("s3", aws_access_key_id="{k}", aws_secret_access_key="{s}")\n',
    '\t"AccessKeyId": "{k}",\n\t"SecretAccessKey": "{s}",\n',
]
MIN_LINES, MAX_LINES = 30, 320
START = 1420070400  # 2015-01-01


class Lines:
    """Source-like lines: a pool of word runs, each used with a fresh number."""

    def __init__(self, rng):
        self.rng = rng
        self.pool = []
        for _ in range(20000):
            indent = "\t" * rng.randrange(4)
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(3, 11)))
            self.pool.append(f"{indent}{words}(")
        self.other = ["\n", "}\n", "\t}\n", "\t\t}\n", "\treturn 0;\n", "\tbreak;\n"]
        self.other += [f"\t/* {' '.join(rng.choice(WORDS) for _ in range(6))} */\n" for _ in range(300)]

    def line(self):
        r = self.rng
        if r.random() < 0.12:
            return r.choice(self.other)
        return f"{r.choice(self.pool)}{r.randrange(100000)});\n"

    def many(self, n):
        return [self.line() for _ in range(n)]

    def file(self, path):
        n = self.rng.randrange(2000, 16000) // 56
        return [f"/* {path}: {' '.join(self.rng.choice(WORDS) for _ in range(5))} */\n"] + self.many(n)


class Branch:
    """A branch's files (path -> (mark, lines)), with a list for random choice."""

    def __init__(self, name, files, paths, tip):
        self.name, self.files, self.paths, self.tip = name, files, paths, tip
        self.pos = {p: i for i, p in enumerate(paths)}
        self.count = 0  # commits made on this branch
        self.remaining = 0  # commits a topic branch still takes before its merge
        self.keep_open = False
        self.base = None  # files at the fork point (topic branches)

    def fork(self, name):
        b = Branch(name, dict(self.files), list(self.paths), self.tip)
        b.base = self.files.copy()
        return b

    def put(self, path, value):
        if path not in self.files:
            self.pos[path] = len(self.paths)
            self.paths.append(path)
        self.files[path] = value

    def remove(self, path):
        del self.files[path]
        i = self.pos.pop(path)
        last = self.paths.pop()
        if last != path:
            self.paths[i] = last
            self.pos[last] = i


class Generator:
    def __init__(self, out, commits, nfiles, seed):
        self.out, self.commits, self.nfiles = out, commits, nfiles
        self.rng = random.Random(seed)
        self.synthetic = Synthetic(seed)
        self.lines = Lines(self.rng)
        self.mark = 0
        self.when = START
        self.blobs = 0
        self.blob_bytes = 0
        self.merges = 0
        self.open_done = 0  # step at which the branch left open was forked
        self.names = set()
        self.frozen = set()  # paths that held a planted pair: only the removal touches them
        self.pending = []  # (branch, due count, path, lines to remove, delete file, plant index)
        self.planted = []  # (key id, commit mark, path)
        ndirs = max(4, nfiles // 20)
        self.dirs = []
        for i in range(ndirs):
            top = self.rng.choice(TOPS)
            d = f"{top}/{self.rng.choice(WORDS)}{i}"
            if self.rng.random() < 0.3:
                d += f"/{self.rng.choice(WORDS)}"
            self.dirs.append(d)

    # stream primitives
    def w(self, data):
        self.out.write(data)

    def next_mark(self):
        self.mark += 1
        return self.mark

    def blob(self, lines):
        data = "".join(lines).encode()
        m = self.next_mark()
        self.w(b"blob\nmark :%d\ndata %d\n%s\n" % (m, len(data), data))
        self.blobs += 1
        self.blob_bytes += len(data)
        return m

    def commit(self, branch, message, changes, merge=None):
        """changes: ("M", path, mark) or ("D", path). Returns the commit's mark."""
        self.when += self.rng.randrange(300, 9000)
        name = self.rng.choice(AUTHORS)
        ident = f"{name} <{name.split()[0].lower()}@example.com> {self.when} +0000".encode()
        msg = message.encode()
        m = self.next_mark()
        parts = [b"commit refs/heads/%s\nmark :%d\nauthor %s\ncommitter %s\ndata %d\n%s\n"
                 % (branch.name.encode(), m, ident, ident, len(msg), msg)]
        if branch.tip is not None:
            parts.append(b"from :%d\n" % branch.tip)
        if merge is not None:
            parts.append(b"merge :%d\n" % merge)
        for c in changes:
            if c[0] == "M":
                mode = b"100755" if c[1].endswith(".sh") else b"100644"
                parts.append(b"M %s :%d %s\n" % (mode, c[2], c[1].encode()))
            else:
                parts.append(b"D %s\n" % c[1].encode())
        parts.append(b"\n")
        self.w(b"".join(parts))
        branch.tip = m
        return m

    def tag(self, name, mark):
        name_b = name.encode()
        ident = f"Ada Park <ada@example.com> {self.when} +0000".encode()
        msg = b"keyfence-bench " + name_b + b"\n"
        self.w(b"tag %s\nfrom :%d\ntagger %s\ndata %d\n%s\n" % (name_b, mark, ident, len(msg), msg))

    # content
    def new_path(self, d=None):
        while True:
            d = d or self.rng.choice(self.dirs)
            name = f"{self.rng.choice(WORDS)}_{self.rng.choice(WORDS)}{self.rng.randrange(1000)}"
            path = f"{d}/{name}{self.rng.choice(EXTS)}"
            if path not in self.names:
                self.names.add(path)
                return path

    def edit(self, lines):
        r, new = self.rng, list(lines)
        hunks = 1 + (r.random() < 0.4) + (r.random() < 0.15)
        for _ in range(hunks):
            pos = r.randrange(1, len(new) + 1)
            kind = r.random()
            if len(new) > MAX_LINES or (kind > 0.8 and len(new) > MIN_LINES):
                del new[pos:pos + r.randrange(1, 5)]
            elif kind < 0.5:
                new[pos:pos + r.randrange(1, 4)] = self.lines.many(r.randrange(1, 4))
            else:
                new[pos:pos] = self.lines.many(r.randrange(1, 7))
        if new == lines:
            new.append(self.lines.line())
        return new

    def pick(self, branch, near, k):
        """Up to k editable paths, mostly close to `near` in the branch's list (same directory)."""
        r, paths, out = self.rng, branch.paths, []
        for _ in range(3 * k):
            if len(out) == k:
                break
            if r.random() < 0.7:
                i = min(len(paths) - 1, max(0, near + r.randrange(-25, 26)))
            else:
                i = r.randrange(len(paths))
            p = paths[i]
            if p not in self.frozen and p not in out:
                out.append(p)
        return out

    def regular_changes(self, branch):
        r, changes = self.rng, []
        near = r.randrange(len(branch.paths))
        n = min(60, int(r.expovariate(1 / 7.2)) + 1)
        for p in self.pick(branch, near, n):
            lines = self.edit(branch.files[p][1])
            m = self.blob(lines)
            branch.put(p, (m, lines))
            changes.append(("M", p, m))
        if r.random() < 0.35:
            d = branch.paths[near].rsplit("/", 1)[0]
            for _ in range(1 + (r.random() < 0.3)):
                p = self.new_path(d)
                lines = self.lines.file(p)
                m = self.blob(lines)
                branch.put(p, (m, lines))
                changes.append(("M", p, m))
        touched = {c[1] for c in changes}
        if r.random() < 0.2 and len(branch.paths) > 10:
            for p in self.pick(branch, r.randrange(len(branch.paths)), 1):
                if p not in touched:
                    branch.remove(p)
                    changes.append(("D", p))
                    touched.add(p)
        if r.random() < 0.05:
            for p in self.pick(branch, r.randrange(len(branch.paths)), 1):
                if p in touched:
                    continue
                mark, lines = branch.files[p]
                q = self.new_path(p.rsplit("/", 1)[0] if r.random() < 0.5 else None)
                q = q.rsplit(".", 1)[0] + "." + p.rsplit(".", 1)[1]
                self.names.add(q)
                if q in branch.files:
                    continue
                if r.random() < 0.5:
                    lines = self.edit(lines)
                    mark = self.blob(lines)
                branch.remove(p)
                branch.put(q, (mark, lines))
                changes += [("D", p), ("M", q, mark)]
        return changes

    def plant(self, branch, changes):
        r = self.rng
        key, secret = self.synthetic.key_id(), self.synthetic.secret()
        form = r.choice(FORMS)
        pair = form.format(k=key, s=secret).splitlines(keepends=True)
        touched = {c[1] for c in changes}
        candidates = [p for p in self.pick(branch, r.randrange(len(branch.paths)), 5)
                      if p not in touched]
        delete_later = False
        if r.random() < 0.5 and candidates:  # into an existing file, somewhere in the middle
            path = candidates[0]
            lines = list(branch.files[path][1])
            at = r.randrange(1, len(lines))
            lines[at:at] = pair
        else:  # a new configuration or script file
            d = branch.paths[r.randrange(len(branch.paths))].rsplit("/", 1)[0]
            ext = {0: ".toml", 1: ".env", 2: ".py", 3: ".json"}[FORMS.index(form)]
            path = self.new_path(d).rsplit(".", 1)[0] + ext
            self.names.add(path)
            lines = self.lines.many(r.randrange(5, 40))
            lines[r.randrange(len(lines)):0] = pair
            delete_later = r.random() < 0.5
        m = self.blob(lines)
        branch.put(path, (m, lines))
        changes.append(("M", path, m))
        self.frozen.add(path)
        due = branch.count + 1 + r.randrange(1, 7)
        self.pending.append((branch, due, path, pair, delete_later, len(self.planted)))
        self.planted.append([key, None, path])
        return due - branch.count - 1  # commits still needed on this branch

    def removals(self, branch, changes, force=False):
        msgs = []
        for item in list(self.pending):
            b, due, path, pair, delete_later, _ = item
            if b is not branch or (branch.count + 1 < due and not force):
                continue
            self.pending.remove(item)
            if path not in branch.files:
                continue
            lines = branch.files[path][1]
            kept = [ln for ln in lines if ln not in pair]
            if delete_later:
                branch.remove(path)
                changes.append(("D", path))
            elif kept != lines:
                m = self.blob(kept)
                branch.put(path, (m, kept))
                changes.append(("M", path, m))
            msgs.append(f"Remove hard-coded credentials from {path}")
        return msgs

    def step(self, branch, plant_now):
        changes = self.regular_changes(branch)
        msgs = self.removals(branch, changes)
        plant_index, need = None, 0
        if plant_now:
            plant_index = len(self.planted)
            need = self.plant(branch, changes)
            msgs.append("Add upload settings for the staging bucket")
        if not msgs:
            d = (changes[0][1] if changes else branch.paths[0]).rsplit("/", 1)[0]
            msgs.append(f"{self.rng.choice(VERBS)} {self.rng.choice(WORDS)} {self.rng.choice(WORDS)} in {d}")
        mark = self.commit(branch, "\n\n".join(msgs) + "\n", changes)
        branch.count += 1
        if plant_index is not None:
            self.planted[plant_index][1] = mark
        return need

    def merge(self, main, topic):
        changes = []
        merged = dict(main.files)
        for p in sorted(set(topic.files) | set(topic.base)):
            if topic.files.get(p) != topic.base.get(p):
                if p in topic.files:
                    merged[p] = topic.files[p]
                else:
                    merged.pop(p, None)
        for p, v in merged.items():
            if main.files.get(p) != v:
                changes.append(("M", p, v[0]))
        for p in list(main.files):
            if p not in merged:
                changes.append(("D", p))
                main.remove(p)
        for c in changes:
            if c[0] == "M":
                main.put(c[1], merged[c[1]])
        self.commit(main, f"Merge branch '{topic.name[len('topic/'):]}'\n", changes, merge=topic.tip)
        self.merges += 1

    def run(self):
        r = self.rng
        files, paths = {}, []
        for i in range(self.nfiles):
            p = self.new_path(self.dirs[i * len(self.dirs) // self.nfiles])
            lines = self.lines.file(p)
            files[p] = (self.blob(lines), lines)
            paths.append(p)
        main = Branch("main", {}, [], None)
        for p in paths:
            main.put(p, files[p])
        self.commit(main, "Initial import\n", [("M", p, files[p][0]) for p in paths])
        main.count = 1
        topics, merged_topics, ntopics = [], [], 0
        big = self.commits >= 40
        nplant = min(8, self.commits // 40) if big else 0
        lo, hi = self.commits // 20 + 1, self.commits - 20
        plant_at = set(r.sample(range(lo, hi), nplant)) if nplant else set()
        fork_p = max(4, self.commits // 600) / self.commits
        open_at = int(self.commits * 0.9)
        tags_every = max(1, self.commits // 8)
        for s in range(1, self.commits):
            # no fork and no tag while a planted pair is live: no ref may keep one
            if big and (r.random() < fork_p or s >= open_at > self.open_done) and len(topics) < 3 \
                    and not self.pending:
                ntopics += 1
                t = main.fork(f"topic/{r.choice(WORDS)}-{r.choice(WORDS)}-{ntopics}")
                t.remaining = r.randrange(2, 30)
                t.keep_open = s >= open_at
                self.open_done = max(self.open_done, s if t.keep_open else 0)
                topics.append(t)
            live = [t for t in topics if t.remaining > 0]
            branch = r.choice(live) if live and r.random() < 0.3 else main
            need = self.step(branch, s in plant_at)
            if branch is not main:
                branch.remaining = max(branch.remaining - 1, need)
                if branch.remaining == 0 and not branch.keep_open:
                    topics.remove(branch)
                    self.merge(main, branch)
                    merged_topics.append(branch.name)
            if s % tags_every == 0 and branch is main and not self.pending:
                self.tag(f"v1.{s // tags_every}", main.tip)
            if s % 2000 == 0:
                print(f"  {s} commits, {self.blobs} blobs, {self.blob_bytes >> 20} MiB", file=sys.stderr)
        for item in list(self.pending):  # flush removals that were not due yet
            b = item[0]
            changes = []
            msgs = self.removals(b, changes, force=True)
            if msgs:
                self.commit(b, "\n\n".join(msgs) + "\n", changes)
        return merged_topics, topics


def git(dest, *args, **kw):
    return subprocess.run(["git", "-C", dest, *args], check=True, **kw)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    dest, commits, nfiles = os.path.abspath(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 20261201
    if os.path.exists(dest) and os.listdir(dest):
        sys.exit(f"{dest} exists and is not empty")
    subprocess.run(["git", "init", "-q", "-b", "main", dest], check=True)
    marks = os.path.join(dest, ".git", "bench-marks")
    proc = subprocess.Popen(["git", "-C", dest, "fast-import", "--quiet", f"--export-marks={marks}"],
                            stdin=subprocess.PIPE, bufsize=1 << 20)
    gen = Generator(proc.stdin, commits, nfiles, seed)
    merged, open_topics = gen.run()
    proc.stdin.close()
    if proc.wait() != 0:
        sys.exit("git fast-import failed")
    if merged:  # merged topic branches are deleted, as after a pull request
        git(dest, "update-ref", "--stdin", input="".join(f"delete refs/heads/{n}\n" for n in merged).encode())
    sha = {}
    with open(marks) as f:
        for line in f:
            m, h = line.split()
            sha[int(m[1:])] = h
    os.remove(marks)
    print(f"imported {commits} commits + {gen.merges} merges, {gen.blobs} blobs "
          f"({gen.blob_bytes >> 20} MiB), {len(open_topics)} open topic branches; repacking...",
          file=sys.stderr)
    git(dest, "repack", "-adf", "-q")
    git(dest, "pack-refs", "--all", "--prune")
    git(dest, "checkout", "-q", "-f", "main")
    if gen.planted:  # check: no branch or tag tip still holds a planted key ID
        refs = git(dest, "for-each-ref", "--format=%(refname)", capture_output=True).stdout.split()
        keys = [a for k, _, _ in gen.planted for a in ("-e", k)]
        left = subprocess.run(["git", "-C", dest, "grep", "-l", "-F", *keys, *(r.decode() for r in refs)],
                              capture_output=True)
        if left.returncode != 1:
            sys.exit(f"planted pairs left in ref tips:\n{left.stdout.decode()}{left.stderr.decode()}")
    for key, mark, path in gen.planted:
        print(f"{key} {sha[mark]} {path}")


if __name__ == "__main__":
    main()
