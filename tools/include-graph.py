#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The include graph of one program's folder, by module (x.c + x.h are module x): prints each module's
local dependencies and every cycle (strongly connected component of more than one module).
Usage: tools/include-graph.py src/daemon [--dot]. Exit 1 when there is a cycle."""
import re
import sys
from pathlib import Path

folder = Path(sys.argv[1])
inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
mods = {p.stem for p in folder.glob("*.[ch]") if not p.stem.startswith(("test-", "fuzz-"))}
edges = {m: set() for m in mods}
for p in folder.glob("*.[ch]"):
    if p.stem not in mods:
        continue
    for h in inc.findall(p.read_text(errors="replace")):
        dep = Path(h).stem
        if dep in mods and dep != p.stem:
            edges[p.stem].add(dep)

# Tarjan's strongly connected components.
index, low, stack, on, sccs, n = {}, {}, [], set(), [], [0]
def visit(v):
    index[v] = low[v] = n[0]; n[0] += 1; stack.append(v); on.add(v)
    for w in sorted(edges[v]):
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        c = []
        while True:
            w = stack.pop(); on.discard(w); c.append(w)
            if w == v:
                break
        sccs.append(sorted(c))
sys.setrecursionlimit(10000)
for v in sorted(mods):
    if v not in index:
        visit(v)
if "--dot" in sys.argv:
    print("digraph includes {")
    for m in sorted(edges):
        for d in sorted(edges[m]):
            print(f'  "{m}" -> "{d}";')
    print("}")
else:
    for m in sorted(edges):
        print(f"{m}: {' '.join(sorted(edges[m])) or '-'}")
cycles = [c for c in sccs if len(c) > 1]
for c in cycles:
    print(f"CYCLE ({len(c)} modules): {' '.join(c)}")
if not cycles:
    print("no cycle")
sys.exit(1 if cycles else 0)
