"""Compares crabox gate's workflow checks with zizmor on the same fixture workflows: every
(rule, file) that zizmor reports, for the rules both implement, must be among crabox's failing or
warning checks. Usage: python3 zizmor-compare.py FIXTURE_DIR CRABOX"""
import json
import shutil
import subprocess
import sys
import tempfile

RULES = {
    "unpinned-uses": "repo-workflow-unpinned",
    "unpinned-images": "repo-workflow-unpinned",
    "excessive-permissions": "repo-workflow-permissions",
    "dangerous-triggers": "repo-workflow-dangerous-trigger",
    "template-injection": "repo-workflow-injection",
}

fixture, crabox = sys.argv[1], sys.argv[2]
work = tempfile.mkdtemp()
shutil.copytree(fixture, work, dirs_exist_ok=True)
gate = subprocess.run([crabox, "-C", work, "--offline", "--format", "json", "gate"],
                      capture_output=True, text=True)
report = json.loads(gate.stdout)
ours = {(c["code"], c["location"]["file"]) for c in report["checks"]
        if c["outcome"] in ("fail", "warn") and "location" in c}
missing = []
for persona in ("regular", "pedantic"):
    out = subprocess.run(["zizmor", "--offline", "--persona", persona, "--format", "json",
                          ".github/workflows", "actions"], cwd=work, capture_output=True, text=True)
    theirs = set()
    for finding in json.loads(out.stdout):
        if finding["ident"] not in RULES:
            continue
        path = finding["locations"][0]["symbolic"]["key"]["Local"]["verbatim_path"]
        theirs.add((RULES[finding["ident"]], path))
    for pair in sorted(theirs - ours):
        missing.append((persona, pair))
    print(f"zizmor ({persona}): {len(theirs)} (rule, file) pairs for the shared rules; crabox finds "
          f"{len(theirs & ours)} of them, and {len(ours - theirs)} more")
for persona, (code, path) in missing:
    print(f"MISSING ({persona}): {code} in {path}")
sys.exit(1 if missing else 0)
