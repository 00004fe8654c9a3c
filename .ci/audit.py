"""``make audit``: pip-audit over the installed dependencies, with an honest summary.

pip-audit asks PyPI's JSON API which known vulnerabilities affect each installed version. Where
that service cannot be reached (an offline machine, a mirror without the JSON API) pip-audit
skips every package and still says "No known vulnerabilities found"; this wrapper says instead
that nothing could be audited, and does not fail the build for it. A vulnerability found fails
the build and is listed with the versions that fix it.

Run: ``.venv/bin/python .ci/audit.py`` (``make audit``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


def main() -> int:
    if not PIP_AUDIT.exists():
        print(f"audit: {PIP_AUDIT} is not installed (pip install -e '.[dev]'); skipped")
        return 0
    command = [str(PIP_AUDIT), "--skip-editable", "--format", "json", "--progress-spinner", "off"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except subprocess.TimeoutExpired:
        print("audit: pip-audit did not finish in 10 minutes: the vulnerability service is unreachable")
        return 0
    try:
        report = json.loads(done.stdout)
    except ValueError:
        print(f"audit: pip-audit failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
        return 0
    packages = report.get("dependencies", [])
    audited = [p for p in packages if "skip_reason" not in p]
    vulnerable = [p for p in audited if p.get("vulns")]
    for package in vulnerable:
        for vuln in package["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            print(f"audit: {package['name']} {package['version']}: {vuln['id']} (fixed in: {fixes})")
    if not audited:
        print(
            f"audit: NOT AUDITED: the vulnerability service (PyPI's JSON API) knew none of the "
            f"{len(packages)} installed versions (unreachable, or a mirror without per-version data: "
            f"{packages[0].get('skip_reason', '') if packages else 'no packages'}); "
            f"run `make audit` where pypi.org is reachable"
        )
        return 0
    skipped = len(packages) - len(audited)
    print(
        f"audit: {len(audited)} packages audited ({skipped} skipped), "
        f"{sum(len(p['vulns']) for p in vulnerable)} known vulnerabilities"
    )
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
