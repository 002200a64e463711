"""``python -m ocop_stamps.migration [--dry-run]``: migrate the catalog table named by the
environment (``CATALOG_TABLE``, AWS credentials and region as for any boto3 client), then give
old scan lines their producer's province (``storage.backfill``, issue 11; ``SCANS_TABLE``), and
print the report as JSON. Exit status 1 when items were left because they kept changing. A dry
run counts the catalog's changes only."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from ocop_stamps.migration import runner
from ocop_stamps.storage import backfill


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ocop_stamps.migration", description=__doc__)
    parser.add_argument("--dry-run", action="store_true", help="count what would change, write nothing")
    args = parser.parse_args(argv)
    report = runner.run(dry_run=args.dry_run)
    out = report.to_json()
    if not args.dry_run:
        out["scans_home_province"] = backfill.home_provinces()
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 1 if report.conflicts else 0


if __name__ == "__main__":
    sys.exit(main())
