#!/usr/bin/env python3
"""Fail when Cargo.toml's rust-version is below what a locked dependency needs (or above the
toolchain that builds it): the README's "Rust 1.x or newer" must stay true."""
import json
import re
import subprocess
import sys

def version(text):
    parts = [int(x) for x in re.findall(r"\d+", text or "0")[:3]]
    return tuple(parts + [0] * (3 - len(parts)))

host = re.search(r"host: (\S+)", subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout).group(1)
meta = json.loads(subprocess.run(
    ["cargo", "metadata", "--locked", "--format-version", "1", "--filter-platform", host],
    capture_output=True, text=True, check=True).stdout)
used = {node["id"] for node in meta["resolve"]["nodes"]}
root = next(p for p in meta["packages"] if p["id"] in meta["workspace_members"])
declared = version(root.get("rust_version"))
needs = max(((version(p.get("rust_version")), p["name"]) for p in meta["packages"]
             if p.get("rust_version") and p["id"] in used and p["id"] != root["id"]), default=((0,), ""))
toolchain = version(re.search(r"rustc (\S+)", subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout).group(1))
shown = lambda v: ".".join(map(str, v))
if declared < needs[0]:
    sys.exit(f"rust-version {shown(declared)} is below {shown(needs[0])}, which {needs[1]} needs: raise it (and the README)")
if declared[:2] > toolchain[:2]:
    sys.exit(f"rust-version {shown(declared)} is above the toolchain here ({shown(toolchain)})")
readme = open("README.md", encoding="utf-8").read()
if f"({shown(declared[:2])} or newer)" not in readme:
    sys.exit(f"README.md does not say 'Rust toolchain ({shown(declared[:2])} or newer)'")
print(f"rust-version {shown(declared)}: the minimum of the locked dependencies ({needs[1]} {shown(needs[0])})")
