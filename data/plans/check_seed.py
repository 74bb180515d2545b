#!/usr/bin/env python3
"""Check a curated plan seed file (default: quzhou-yrd-2019-2025.yaml beside this script).

Loads the YAML, prints the counts of every kind (items, groups, units, leaders,
indicators, milestones) and verifies that
  * every unit named by an item resolves to a unit name or alias; an entry without a unit is a collective
    placeholder and needs the phrase as printed; printed groups never go backwards,
  * every leader named by a group member or an item's lead_leaders resolves to a leader,
  * keys are unique (items, indicators, groups; unit names + aliases; leader names),
  * enumerated fields hold allowed values and dates are dates.
Exits 1 when any error is found.  Needs only the standard library and PyYAML.

Usage: python3 data/plans/check_seed.py [PATH.yaml ...]
"""
from __future__ import annotations

import collections
import datetime
import pathlib
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT = HERE / "quzhou-yrd-2019-2025.yaml"

UNIT_KINDS = {"department", "county", "zone", "enterprise", "university", "people_org", "task_force", "office"}
GROUP_KINDS = {"leading", "thematic", "office"}
ITEM_KINDS = ["goal", "section", "task", "platform", "safeguard", "annex", "key_work", "special_action"]
COMPARISONS = {">=", "<=", "="}
PLAN_KEYS = ["key", "document_number", "title", "issuers", "issued_on", "starts_on", "ends_on", "status", "summary",
             "general_requirements", "principles"]
RESPONSIBLE_KEYS = {"unit", "as_printed", "group"}
ITEM_KEYS = ["key", "kind", "number", "title", "text", "starts_on", "due_on", "units", "lead_leaders",
             "indicators", "milestones", "children"]
INDICATOR_KEYS = ["key", "name", "measure", "baseline", "target", "comparison", "target_date", "yearly_targets"]
# what the document (衢委发〔2019〕24号) holds; only checked for that plan
EXPECTED = {
    "quzhou-yrd-2019-2025": {
        "items": {"section": 9, "task": 33, "platform": 8, "safeguard": 5, "key_work": 33,
                  "special_action": 9, "annex": 2},
        "groups": {"leading": 1, "thematic": 9, "office": 1},
        "min_indicators": 32,
        "placeholders": 2,
    }
}


def check(path: pathlib.Path) -> int:
    errors: list[str] = []

    def err(msg: str) -> None:
        errors.append(msg)

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for top in ("plan", "units", "leaders", "groups", "items"):
        if top not in data:
            err(f"missing top-level key {top!r}")
    plan = data.get("plan") or {}
    if list(plan) != PLAN_KEYS:
        err(f"plan keys {list(plan)} != {PLAN_KEYS}")
    for k in ("issued_on", "starts_on", "ends_on"):
        if not isinstance(plan.get(k), datetime.date):
            err(f"plan.{k} is not a date: {plan.get(k)!r}")

    # ---- units
    unit_lookup: dict[str, str] = {}
    unit_kinds: collections.Counter = collections.Counter()
    for u in data.get("units") or []:
        if list(u) != ["name", "kind", "aliases"]:
            err(f"unit {u.get('name')!r}: keys {list(u)}")
        if u.get("kind") not in UNIT_KINDS:
            err(f"unit {u.get('name')!r}: bad kind {u.get('kind')!r}")
        unit_kinds[u.get("kind")] += 1
        for spelling in [u["name"], *(u.get("aliases") or [])]:
            if spelling in unit_lookup:
                err(f"unit spelling {spelling!r} used twice ({unit_lookup[spelling]!r} and {u['name']!r})")
            unit_lookup[spelling] = u["name"]

    # ---- leaders
    leader_names: set[str] = set()
    for p in data.get("leaders") or []:
        name = p.get("name", "")
        if name in leader_names:
            err(f"leader {name!r} listed twice")
        if " " in name or "\u3000" in name:
            err(f"leader {name!r} contains a space")
        leader_names.add(name)

    # ---- groups
    group_kinds: collections.Counter = collections.Counter()
    group_keys: set[str] = set()
    members = 0
    for g in data.get("groups") or []:
        if g.get("key") in group_keys:
            err(f"group key {g.get('key')!r} used twice")
        group_keys.add(g.get("key"))
        if g.get("kind") not in GROUP_KINDS:
            err(f"group {g.get('key')!r}: bad kind {g.get('kind')!r}")
        group_kinds[g.get("kind")] += 1
        if "unit" in g and g["unit"] not in unit_lookup:
            err(f"group {g['key']!r}: unit {g['unit']!r} does not resolve")
        for m in g.get("members") or []:
            members += 1
            if m.get("leader") not in leader_names:
                err(f"group {g['key']!r}: member {m.get('leader')!r} is not a leader")
            if not m.get("role"):
                err(f"group {g['key']!r}: member {m.get('leader')!r} has no role")

    # ---- items
    item_kinds: collections.Counter = collections.Counter()
    item_keys: set[str] = set()
    indicator_keys: set[str] = set()
    counts = collections.Counter()
    used_units: set[str] = set()

    def walk(items, path_):
        for it in items:
            key = it.get("key")
            where = f"item {key!r}"
            if key in item_keys:
                err(f"{where}: key used twice")
            item_keys.add(key)
            keys = list(it)
            if keys != [k for k in ITEM_KEYS if k in it] or set(keys) - set(ITEM_KEYS):
                err(f"{where}: keys out of order or unknown: {keys}")
            for k in ("key", "kind", "number", "title", "text"):
                if k not in it:
                    err(f"{where}: missing {k!r}")
            if it.get("kind") not in ITEM_KINDS:
                err(f"{where}: bad kind {it.get('kind')!r}")
            item_kinds[it.get("kind")] += 1
            if not isinstance(it.get("number"), str):
                err(f"{where}: number {it.get('number')!r} is not text")
            for k in ("starts_on", "due_on"):
                if k in it and not isinstance(it[k], datetime.date):
                    err(f"{where}: {k} is not a date: {it[k]!r}")
            named, group = [], 1
            for entry in it.get("units") or []:
                entry = entry if isinstance(entry, dict) else {"unit": entry}
                if set(entry) - RESPONSIBLE_KEYS:
                    err(f"{where}: unknown keys in responsible entry {entry!r}")
                if entry.get("as_printed") and entry.get("unit") is None:
                    counts["placeholders"] += 1
                    continue
                counts["unit references"] += 1
                if entry.get("as_printed"):
                    counts["printed designations"] += 1
                u = entry.get("unit")
                if u not in unit_lookup:
                    err(f"{where}: unit {u!r} does not resolve to a unit name or alias")
                else:
                    used_units.add(unit_lookup[u])
                    named.append(unit_lookup[u])
                if entry.get("group", 1) < group:
                    err(f"{where}: printed group goes backwards at {u!r}")
                group = entry.get("group", 1)
                if group > 1:
                    counts["units after a group break"] += 1
            if len(set(named)) != len(named):
                err(f"{where}: a unit is listed twice")
            for l in it.get("lead_leaders") or []:
                counts["lead-leader references"] += 1
                if l not in leader_names:
                    err(f"{where}: lead leader {l!r} is not a leader")
            for ind in it.get("indicators") or []:
                counts["indicators"] += 1
                ik = ind.get("key", "")
                if ik in indicator_keys:
                    err(f"indicator key {ik!r} used twice")
                indicator_keys.add(ik)
                if not ik.startswith(f"{key}-"):
                    err(f"indicator {ik!r} is not prefixed by its item key {key!r}")
                if list(ind) != INDICATOR_KEYS:
                    err(f"indicator {ik!r}: keys {list(ind)} != {INDICATOR_KEYS}")
                if ind.get("comparison") not in COMPARISONS:
                    err(f"indicator {ik!r}: bad comparison {ind.get('comparison')!r}")
                for k in ("target", "baseline"):
                    v = ind.get(k)
                    if (k == "target" or v is not None) and (isinstance(v, bool) or not isinstance(v, (int, float))):
                        err(f"indicator {ik!r}: {k} {v!r} is not a number")
                if not isinstance(ind.get("target_date"), datetime.date):
                    err(f"indicator {ik!r}: target_date is not a date")
                if not ind.get("name") or not ind.get("measure"):
                    err(f"indicator {ik!r}: name and measure are required")
                yt = ind.get("yearly_targets")
                if yt is not None:
                    if not isinstance(yt, dict) or not all(isinstance(y, int) for y in yt):
                        err(f"indicator {ik!r}: yearly_targets must map years to numbers")
                    elif ind.get("comparison") != ">=" or any(v != ind.get("target") for v in yt.values()):
                        err(f"indicator {ik!r}: yearly target differs from target or comparison is not >=")
            for ms in it.get("milestones") or []:
                counts["milestones"] += 1
                if not ms.get("title") or not isinstance(ms.get("due_on"), datetime.date):
                    err(f"{where}: milestone needs title and due_on date: {ms!r}")
            walk(it.get("children") or [], path_ + [key])

    walk(data.get("items") or [], [])
    unused = [u["name"] for u in data.get("units") or [] if u["name"] not in used_units
              and not any(g.get("unit") == u["name"] for g in data.get("groups") or [])]
    if unused:
        err(f"units never referenced: {unused}")

    # ---- report
    print(f"plan {plan.get('key')}: {plan.get('title')} ({plan.get('document_number')})")
    print("items:")
    for k in ITEM_KINDS:
        print(f"  {k:15} {item_kinds.get(k, 0)}")
    print(f"  {'total':15} {sum(item_kinds.values())}")
    print("groups:")
    for k in ("leading", "thematic", "office"):
        print(f"  {k:15} {group_kinds.get(k, 0)}")
    print(f"  {'members':15} {members}")
    print(f"units: {len(data.get('units') or [])} ({len(unit_lookup)} spellings)")
    for k in sorted(UNIT_KINDS):
        print(f"  {k:15} {unit_kinds.get(k, 0)}")
    print(f"leaders: {len(leader_names)}")
    for k in ("indicators", "milestones", "unit references", "printed designations", "units after a group break",
              "placeholders", "lead-leader references"):
        print(f"{k}: {counts.get(k, 0)}")

    exp = EXPECTED.get(plan.get("key"))
    if exp:
        for k, n in exp["items"].items():
            if item_kinds.get(k, 0) != n:
                err(f"expected {n} items of kind {k}, found {item_kinds.get(k, 0)}")
        for k, n in exp["groups"].items():
            if group_kinds.get(k, 0) != n:
                err(f"expected {n} groups of kind {k}, found {group_kinds.get(k, 0)}")
        if counts["placeholders"] != exp["placeholders"]:
            err(f"expected {exp['placeholders']} collective placeholders, found {counts['placeholders']}")
        if counts["indicators"] < exp["min_indicators"]:
            err(f"expected at least {exp['min_indicators']} indicators, found {counts['indicators']}")

    if errors:
        print(f"\n{len(errors)} error(s):")
        for e in errors:
            print("  - " + e)
        return 1
    print("\nOK: all unit and leader references resolve; keys unique")
    return 0


def main(argv: list[str]) -> int:
    paths = [pathlib.Path(a) for a in argv] or [DEFAULT]
    return max(check(p) for p in paths)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
