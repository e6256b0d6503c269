"""Generate the reference tables of crates/meter/data from CodeCarbon 3.3.2 data.

Derived tables (written to crates/meter/data/, UTF-8, "\\n" line endings):

* grid_intensity.csv  -- electricity carbon intensity per country (gCO2e/kWh),
  from carbon/global_energy_mix.json (Our World in Data / Ember figures).
* cloud_regions.csv   -- carbon intensity per cloud region, from carbon/impact.csv.
* cpu_tdp.csv         -- CPU thermal design power (W) with a normalised match key,
  from carbon/cpu_power.csv.

The source files ship with CodeCarbon 3.3.2 (MIT licence); see the data folder's
README.md for provenance. Only derived columns are written, never the files
themselves.

Rerun from the repository root (pycountry is the only non-stdlib dependency):

    python3 -m venv /tmp/venv-tables && /tmp/venv-tables/bin/pip install pycountry
    /tmp/venv-tables/bin/python tools/gen_meter_tables.py ../shared/data

The output is deterministic: rows are sorted and numbers use a fixed format.
"""

import csv
import json
import re
import sys
from pathlib import Path

import pycountry

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "crates" / "meter" / "data"

GRID_SOURCE = "Our World in Data / Ember via CodeCarbon 3.3.2 global_energy_mix.json"

# Codes used by the source that are not ISO 3166-1 alpha-3, with the alpha-2
# code to use. Kosovo has no ISO code; "XK" is its user-assigned code used by
# the EU, the IMF and most software. OWID_KOS is Our World in Data's own code.
NON_ISO_ALPHA2 = {"XKX": "XK", "OWID_KOS": "XK"}

# Known typos in impact.csv region ids, mapped to the provider's real id.
REGION_FIXES = {("gcp", "me-cenrtal1"): "me-central1"}

# CPU key: tokens dropped wherever they occur (vendor and filler words).
CPU_DROP_TOKENS = {"intel", "amd", "cpu", "processor", "apu"}
# CPU key: characters turned into a space before splitting into tokens.
CPU_SPACE_CHARS = "®™,\u00a0\u200b\t\r\n\x0c"
CPU_PAREN = re.compile(r"\([^()]*\)")
CPU_ORDINAL = re.compile(r"[0-9]+(st|nd|rd|th)")

CPU_EXAMPLES = [
    "Intel Core i7-8650U",
    "Intel Core\u00a0i7-2720QM",
    "AMD Ryzen 5 6600HS\u200b",
    "AMD Phenom II X4 965 BE (140W)",
    "AMD Ryzen 9 3900 Processor (OEM Only)",
    "7th Gen AMD PRO A10-9700 APU",
    "Intel Xeon CPU Max 9480",
    "AMD Ryzen 5 3580U Microsoft Surface® Edition",
    "Intel Pentium Dual-Core E5200",
    "Intel Core i5+8400  (9M Cache, up to 4.00 GHz) includes Intel Optane Memory",
]
CPUINFO_EXAMPLES = [
    "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz",
    "AMD Ryzen 7 5800X 8-Core Processor",
    "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz",
    "AMD EPYC 7763 64-Core Processor",
    "Intel(R) Xeon(R) Processor",
    "11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz",
    "AMD Ryzen 7 7840HS w/ Radeon 780M Graphics",
    "AMD Ryzen 7 5700U with Radeon Graphics",
]


def num(x: float) -> str:
    """Format a number with at most 3 decimals and no trailing zeros."""
    s = f"{x:.3f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    print(f"wrote {path.relative_to(REPO)}: {len(rows)} rows")


def alpha2(alpha3: str) -> str:
    if alpha3 in NON_ISO_ALPHA2:
        return NON_ISO_ALPHA2[alpha3]
    country = pycountry.countries.get(alpha_3=alpha3)
    return country.alpha_2 if country else ""


def grid_intensity(data: Path) -> None:
    mix = json.loads((data / "carbon" / "global_energy_mix.json").read_text(encoding="utf-8"))
    rows, skipped, weighted, twh_sum, years = [], [], 0.0, 0.0, []
    for code, entry in sorted(mix.items()):
        ci = entry.get("carbon_intensity")
        if ci is None:
            continue
        # A country is a 3-letter upper-case code or a known non-ISO code;
        # anything else (OWID_WRL, regions, income groups...) is an aggregate.
        if not (re.fullmatch(r"[A-Z]{3}", code) or code in NON_ISO_ALPHA2):
            skipped.append(f"{code} ({entry.get('country_name')})")
            continue
        a2 = alpha2(code)
        if not a2:
            print(f"note: no alpha-2 code known for {code} ({entry['country_name']})")
        twh = entry.get("total_TWh") or 0.0
        rows.append([code, a2, entry["country_name"], num(ci), str(entry["year"]), num(twh), GRID_SOURCE])
        years.append(entry["year"])
        if twh > 0:
            weighted += ci * twh
            twh_sum += twh
    write_csv(OUT / "grid_intensity.csv",
              ["alpha3", "alpha2", "country", "g_per_kwh", "year", "total_twh", "source"], rows)
    world = [c for c, e in mix.items() if e.get("country_name") == "World" or c == "OWID_WRL"]
    print(f"  aggregate 'World' entry in source: {', '.join(world) if world else 'none'}")
    print(f"  aggregate/non-country entries skipped: {', '.join(skipped) if skipped else 'none'}")
    print(f"  generation-weighted world average: {weighted / twh_sum:.3f} gCO2e/kWh "
          f"over {twh_sum:.2f} TWh; data years {min(years)}-{max(years)}")


def cloud_regions(data: Path) -> None:
    with (data / "carbon" / "impact.csv").open(encoding="utf-8-sig", newline="") as f:
        src = list(csv.DictReader(f))
    rows = []
    for r in src:
        region = REGION_FIXES.get((r["provider"], r["region"]), r["region"])
        if region != r["region"]:
            print(f"note: region id {r['provider']}/{r['region']} corrected to {region}")
        rows.append([r["provider"], region, r["countryIsoCode"], r["country_name"],
                     num(float(r["impact"])), r["source"]])
    rows.sort()
    write_csv(OUT / "cloud_regions.csv",
              ["provider", "region", "alpha3", "country", "g_per_kwh", "source"], rows)
    providers = sorted({r[0] for r in rows})
    print(f"  providers: {', '.join(providers)}")


def cpu_key(name: str) -> str:
    """Normalised match key of a CPU model name (same rule for table and /proc/cpuinfo)."""
    s = name.lower()
    s = s.split("@", 1)[0]  # clock speed suffix, e.g. "@ 1.90ghz"
    s = CPU_PAREN.sub(" ", s)  # "(r)", "(tm)", "(65w)", "(oem only)", ...
    for ch in CPU_SPACE_CHARS:
        s = s.replace(ch, " ")
    tokens = [t for t in s.split(" ") if t]
    out, i = [], 0
    while i < len(tokens):
        t = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if t in ("with", "w/") and nxt == "radeon":
            break  # "with radeon graphics", "w/ radeon 780m graphics"
        if CPU_ORDINAL.fullmatch(t) and nxt == "gen":
            i += 2  # "7th gen", "11th gen"
            continue
        if t not in CPU_DROP_TOKENS:
            out.append(t)
        i += 1
    return " ".join(out)


def best_cpu_match(model: str, keys: list[str]) -> str:
    """Longest key (most tokens, then most characters) found as a contiguous token run."""
    tokens = cpu_key(model).split(" ")
    best = ""
    for key in keys:
        kt = key.split(" ")
        n = len(kt)
        if any(tokens[i:i + n] == kt for i in range(len(tokens) - n + 1)):
            if (n, len(key)) > (len(best.split(" ")) if best else 0, len(best)):
                best = key
    return best


def cpu_tdp(data: Path) -> None:
    with (data / "carbon" / "cpu_power.csv").open(encoding="utf-8-sig", newline="") as f:
        src = list(csv.DictReader(f))
    by_key: dict[str, list[tuple[float, str]]] = {}
    for r in src:
        name, tdp = r["Name"], r["TDP"].strip()
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", tdp):
            print(f"note: skipped {name!r}: TDP {tdp!r} is not a number")
            continue
        key = cpu_key(name)
        if not key:
            print(f"note: skipped {name!r}: empty key")
            continue
        by_key.setdefault(key, []).append((float(tdp), name))
    rows, conflicts, merged = [], 0, 0
    for key in sorted(by_key):
        entries = by_key[key]
        if len(entries) > 1:
            merged += 1
            conflicts += len({t for t, _ in entries}) > 1
        # Highest TDP wins; among equal TDPs the first name in sort order.
        tdp, name = min(entries, key=lambda e: (-e[0], e[1]))
        rows.append([name, key, num(tdp)])
    write_csv(OUT / "cpu_tdp.csv", ["name", "key", "tdp_w"], rows)
    print(f"  keys shared by several names: {merged}, of which with different TDP: {conflicts} (max TDP kept)")
    print("  examples (name -> key):")
    for name in CPU_EXAMPLES:
        print(f"    {name!r} -> {cpu_key(name)!r}")
    print("  /proc/cpuinfo model names (model -> key -> matched table key):")
    keys = sorted(by_key)
    for model in CPUINFO_EXAMPLES:
        match = best_cpu_match(model, keys)
        tdp = next((r[2] for r in rows if r[1] == match), "")
        print(f"    {model!r} -> {cpu_key(model)!r} -> {match!r}" + (f" ({tdp} W)" if match else " (no match)"))


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / ".." / "shared" / "data"
    grid_intensity(data)
    cloud_regions(data)
    cpu_tdp(data)


if __name__ == "__main__":
    main()
