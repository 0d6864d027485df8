"""The repository stands alone: no tracked file names a path outside it (issue 9)."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A sibling checkout's folders, or a machine's home and work folders; written in parts, so this
# file names none of them itself.
OUTSIDE = re.compile("|".join(re.escape(part) for part in (
    "../" + "shared", "shared" + "/guide", "/" + "work/", "/" + "root/", "/" + "home/")))


def test_no_tracked_file_names_a_path_outside_the_repository():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    offenders = []
    for name in tracked.split():
        path = ROOT / name
        if path.suffix in (".png", ".npy", ".npz", ".gif") or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
            if OUTSIDE.search(line):
                offenders.append(f"{name}:{number}: {line.strip()[:100]}")
    assert offenders == []
