#!/usr/bin/env python3
"""Validates every rules/packs/*.yaml against rule-pack.schema.json (CI: python3 rules/schema/check_packs.py).

Catches structural mistakes (unknown keys, two match kinds, too few examples) with a readable path
before the engine's own `sluice rules check` compiles the rules and runs their examples. Also checks
what a schema cannot: rule ids unique across all packs.
"""
import json
import pathlib
import sys

import jsonschema
import yaml

HERE = pathlib.Path(__file__).resolve().parent
PACKS = HERE.parent / "packs"


def main() -> int:
    schema = json.loads((HERE / "rule-pack.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    files = sorted(PACKS.glob("*.yaml"))
    if not files:
        print(f"no packs in {PACKS}")
        return 1
    failures = 0
    seen = {}
    for path in files:
        # BaseLoader would keep every scalar a string; safe_load matches what serde sees for
        # integers and booleans, which the schema types depend on.
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        for err in errors:
            where = "/".join(str(p) for p in err.absolute_path) or "(root)"
            print(f"{path.name}: {where}: {err.message}")
        failures += len(errors)
        for rule in (doc or {}).get("rules", []) if isinstance(doc, dict) else []:
            rid = rule.get("id") if isinstance(rule, dict) else None
            if rid in seen:
                print(f"{path.name}: rule id {rid} also in {seen[rid]}")
                failures += 1
            elif rid is not None:
                seen[rid] = path.name
    print(f"check_packs: {len(files)} packs, {len(seen)} rules")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
