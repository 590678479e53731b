"""Leaves a Lambda zip with bytecode where it has both: `python -m deploy.bytecode_only ZIP`.

Lambda's /var/task is read-only, so a module shipped as source is compiled again at every cold start (about 4 s of
CPU for the gateway, far more at a small function's share of a core). `make package` compiles every module next to
its source (`compileall -b`); this drops each source whose bytecode the zip holds, so Python imports the bytecode.
Migrations keep their sources (Django finds them by file name), and so does anything not compiled (gunicorn's
config file, which gunicorn reads as source). Standard library only: it runs with the packaging tools.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path


def sources_to_drop(names: set[str]) -> set[str]:
    return {name for name in names if name.endswith(".py") and f"{name}c" in names and "/migrations/" not in name}


def bytecode_only(path: Path) -> int:
    """Rewrites the zip at `path` without the sources its bytecode stands for; how many were dropped."""
    with zipfile.ZipFile(path) as archive:
        drop = sources_to_drop(set(archive.namelist()))
        if not drop:
            return 0
        slim = path.with_suffix(".slim")
        with zipfile.ZipFile(slim, "w", zipfile.ZIP_DEFLATED) as out:
            for info in archive.infolist():
                if info.filename not in drop:
                    out.writestr(info, archive.read(info), compress_type=zipfile.ZIP_DEFLATED)
    slim.replace(path)
    return len(drop)


if __name__ == "__main__":
    print(f"{bytecode_only(Path(sys.argv[1]))} sources left out for their bytecode")
