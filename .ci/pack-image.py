#!/usr/bin/env python3
"""Packs a root file system (debootstrap's) into a two-layer image, as an OCI image layout
directory and as a `docker save` archive, for .ci/validate's image check.

Layer 1 is the root as it is (gzip). Layer 2 removes one package the way `apt-get remove` in a
Dockerfile would: a new `var/lib/dpkg/status` without its paragraph, and a whiteout of its
documentation directory. Prints the removed package's name.

Usage: pack-image.py ROOT PACKAGE OUT_DIR
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

root, removed, out = sys.argv[1], sys.argv[2], sys.argv[3]
SKIP = ("dev/", "proc/", "sys/", "run/")


def layer1() -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(dirnames) + sorted(filenames):
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root)
                if any((rel + "/").startswith(s) for s in SKIP):
                    continue
                info = tar.gettarinfo(full, arcname=rel)
                if info.isfile():
                    with open(full, "rb") as f:
                        tar.addfile(info, f)
                elif info.isdir() or info.issym() or info.islnk():
                    tar.addfile(info)
    return gzip.compress(raw.getvalue(), mtime=0)


def layer2() -> bytes:
    status = open(os.path.join(root, "var/lib/dpkg/status"), encoding="utf-8").read()
    kept = [p for p in status.split("\n\n") if not p.startswith(f"Package: {removed}\n")]
    assert len(kept) == len(status.split("\n\n")) - 1, f"{removed} is not installed"
    data = "\n\n".join(kept).encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("var/lib/dpkg/status")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        tar.addfile(tarfile.TarInfo(f"usr/share/doc/.wh.{removed}"), io.BytesIO(b""))
    return raw.getvalue()


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


layers = [layer1(), layer2()]
config = json.dumps({"architecture": "amd64", "os": "linux",
                     "rootfs": {"type": "layers", "diff_ids": []}}).encode()
manifest = json.dumps({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": digest(config), "size": len(config)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if i == 0 else ""),
                "digest": digest(l), "size": len(l)} for i, l in enumerate(layers)],
}).encode()
index = json.dumps({"schemaVersion": 2, "manifests": [{
    "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest(manifest),
    "size": len(manifest), "platform": {"os": "linux", "architecture": "amd64"}}]}).encode()

layout = os.path.join(out, "oci")
os.makedirs(os.path.join(layout, "blobs/sha256"), exist_ok=True)
for blob in [*layers, config, manifest]:
    with open(os.path.join(layout, "blobs/sha256", digest(blob)[7:]), "wb") as f:
        f.write(blob)
with open(os.path.join(layout, "index.json"), "wb") as f:
    f.write(index)
with open(os.path.join(layout, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')

# docker save (the classic layout: one directory per layer, manifest.json last).
with tarfile.open(os.path.join(out, "image.tar"), "w", format=tarfile.PAX_FORMAT) as tar:
    def add(name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    paths = []
    for i, data in enumerate(layers):
        plain = gzip.decompress(data) if i == 0 else data
        add(f"layer{i}/layer.tar", plain)
        paths.append(f"layer{i}/layer.tar")
    add("config.json", config)
    add("manifest.json", json.dumps([{"Config": "config.json", "RepoTags": ["ci:latest"],
                                      "Layers": paths}]).encode())
print(removed)
