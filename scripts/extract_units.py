"""Extract the administrative units of Lâm Đồng province into portal/data/.

Data sources (PyPI packages, data scraped by their author from the General
Statistics Office / National Statistics Office of Viet Nam):

* ``vietnam-provinces==0.6.0`` (data retrieved 2025-01-04): the old three-tier
  layout (province -> district -> commune). It is used to rebuild the 2017
  layout of Lâm Đồng: 1 province, 12 districts, 147 communes.
* ``vietnam-provinces==2025.10.1`` (data retrieved 2025-10-18): the two-tier
  layout in force since 1 July 2025 (province -> commune). Lâm Đồng is province
  code 68 with 124 commune-level units.

The two versions cannot be installed side by side, so each one lives in its
own throwaway virtualenv and this script asks that venv's interpreter where
the package's ``nested-divisions.json`` is::

    python3 -m venv /tmp/vp06   && /tmp/vp06/bin/pip install vietnam-provinces==0.6.0
    python3 -m venv /tmp/vp2025 && /tmp/vp2025/bin/pip install vietnam-provinces==2025.10.1
    python3 scripts/extract_units.py --venv-2017 /tmp/vp06 --venv-2025 /tmp/vp2025

Never install these packages into the project's own .venv: the portal only
reads the generated JSON files.

The 0.6.0 data describes Lâm Đồng as of January 2025, not 2017. The
corrections below turn it back into the 2017 layout; each one names the
change it undoes. No unit in the output is invented.
"""

import argparse
import json
import subprocess
import sys
import unicodedata
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = REPO_ROOT / "portal" / "data"

PROVINCE_CODE = 68
PROVINCE_NAME = "Tỉnh Lâm Đồng"

# --- 2017 corrections ------------------------------------------------------

# In 2024 the districts Đạ Huoai (681), Đạ Tẻh (682) and Cát Tiên (683) were
# merged into one district named Đạ Huoai, which vietnam-provinces 0.6.0 lists
# under code 682. Official commune codes are allocated in blocks per district,
# so the code range tells which 2017 district a commune belonged to.
MERGED_DISTRICT_CODE = 682
SPLIT_DISTRICTS_2017 = [
    # (district code, district name, first commune code, last commune code)
    (681, "Huyện Đạ Huoai", 25096, 25123),
    (682, "Huyện Đạ Tẻh", 25126, 25156),
    (683, "Huyện Cát Tiên", 25159, 25192),
]

# Units listed by 0.6.0 whose 2017 code or name differs.
# package code -> (2017 code, 2017 name, why)
REPLACED_COMMUNES = {
    24955: (
        24946,
        "Xã Quảng Lập",
        "Quảng Lập (24946) and Pró (24955) were merged in 2024; the merged "
        "commune kept the name Quảng Lập but the code 24955",
    ),
    25114: (25114, "Xã Đạ Ploa", "Đạ Ploa was merged and renamed Bà Gia in 2024"),
    25180: (
        25180,
        "Xã Phước Cát 1",
        "Xã Phước Cát 1 became Thị trấn Phước Cát in 2018 (Nghị quyết 493/NQ-UBTVQH14)",
    ),
}

# Units listed by 0.6.0 that were not part of the 2017 layout.
REMOVED_COMMUNES = {
    25186: "Xã Phù Mỹ (Cát Tiên) is a stale entry: it was gone before 2017; "
    "Cát Tiên had 11 commune-level units until 2020",
}

# Communes that existed in 2017 but were merged away before January 2025.
# (code, name, district code, why)
RESTORED_COMMUNES = [
    (24955, "Xã Pró", 677, "merged into Xã Quảng Lập in 2024"),
    (25108, "Xã Đạ Tồn", 681, "merged into Xã Đạ Oai in 2024"),
    (25120, "Xã Đoàn Kết", 681, "merged in the 2024 rearrangement"),
    (25123, "Xã Phước Lộc", 681, "merged in the 2024 rearrangement"),
    (
        25144,
        "Xã Hương Lâm",
        682,
        "merged into Xã Đạ Lây on 1 January 2020 (Nghị quyết 833/NQ-UBTVQH14)",
    ),
    (25147, "Xã Triệu Hải", 682, "merged in the 2024 rearrangement"),
    (
        25150,
        "Xã Hà Đông",
        682,
        "merged into Xã Mỹ Đức on 1 January 2020 (Nghị quyết 833/NQ-UBTVQH14)",
    ),
]

# --- 2025 corrections ------------------------------------------------------

# Obvious typos in the 2025.10.1 data: package code -> official name.
RENAMED_2025 = {
    24718: "Xã Đắk Song",  # the package spells it "Xã Đắk song"
}

EXPECTED_2017 = {"province": 1, "district": 12, "commune": 147}
EXPECTED_2025 = {"province": 1, "commune": 124}


def nfc(text):
    return unicodedata.normalize("NFC", text)


def unit(code, name, level, parent):
    return {
        "code": str(code),
        "name": nfc(name),
        "level": level,
        "parent": None if parent is None else str(parent),
    }


def load_package(venv):
    """Return (version, data_version, nested data) of the package in a venv."""
    probe = (
        "import json, vietnam_provinces as vp; "
        "print(json.dumps([vp.__version__, vp.__data_version__, "
        "str(vp.NESTED_DIVISIONS_JSON_PATH)]))"
    )
    python = Path(venv) / "bin" / "python"
    output = subprocess.run(
        [str(python), "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    version, data_version, path = json.loads(output)
    with open(path, encoding="utf-8") as handle:
        return version, data_version, json.load(handle)


def find_province(provinces):
    return next(p for p in provinces if p["code"] == PROVINCE_CODE)


def district_2017_of(commune_code, package_district_code):
    if package_district_code != MERGED_DISTRICT_CODE:
        return package_district_code
    for district_code, _, first, last in SPLIT_DISTRICTS_2017:
        if first <= commune_code <= last:
            return district_code
    raise ValueError(f"commune {commune_code} outside the split ranges")


def build_2017(province):
    districts = {}  # code -> name
    communes = []  # (district code, commune code, name)
    for district in province["districts"]:
        if district["code"] == MERGED_DISTRICT_CODE:
            for code, name, _, _ in SPLIT_DISTRICTS_2017:
                districts[code] = name
        else:
            districts[district["code"]] = district["name"]
        for ward in district["wards"]:
            code, name = ward["code"], ward["name"]
            if code in REMOVED_COMMUNES:
                continue
            parent = district_2017_of(code, district["code"])
            if code in REPLACED_COMMUNES:
                code, name, _ = REPLACED_COMMUNES[code]
            communes.append((parent, code, name))
    for code, name, parent, _ in RESTORED_COMMUNES:
        communes.append((parent, code, name))

    units = [unit(PROVINCE_CODE, PROVINCE_NAME, "province", None)]
    for code in sorted(districts):
        units.append(unit(code, districts[code], "district", PROVINCE_CODE))
    for parent, code, name in sorted(communes):
        units.append(unit(code, name, "commune", parent))
    return units


def build_2025(province):
    units = [unit(PROVINCE_CODE, PROVINCE_NAME, "province", None)]
    for ward in province["wards"]:
        name = RENAMED_2025.get(ward["code"], ward["name"])
        units.append(unit(ward["code"], name, "commune", PROVINCE_CODE))
    return units


def check(units, expected):
    counts = {}
    for item in units:
        counts[item["level"]] = counts.get(item["level"], 0) + 1
    if counts != expected:
        raise SystemExit(f"unexpected counts {counts}, wanted {expected}")
    codes = [item["code"] for item in units]
    if len(codes) != len(set(codes)):
        raise SystemExit("duplicate codes")
    seen = set()
    for item in units:
        if item["parent"] is not None and item["parent"] not in seen:
            raise SystemExit(f"{item['code']} comes before its parent")
        seen.add(item["code"])


def write(filename, source, layout, units):
    path = OUTPUT_DIR / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"source": nfc(source), "layout": layout, "units": units}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    print(f"wrote {path.relative_to(REPO_ROOT)}: {len(units)} units")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--venv-2017", default="/tmp/vp06", help="venv with vietnam-provinces==0.6.0"
    )
    parser.add_argument(
        "--venv-2025", default="/tmp/vp2025", help="venv with vietnam-provinces==2025.10.1"
    )
    args = parser.parse_args()

    version, data_version, data = load_package(args.venv_2017)
    if version != "0.6.0":
        sys.exit(f"{args.venv_2017} has vietnam-provinces {version}, want 0.6.0")
    units = build_2017(find_province(data))
    check(units, EXPECTED_2017)
    if not any(u["name"] == "Xã Xuân Trường" and u["parent"] == "672" for u in units):
        sys.exit("Xã Xuân Trường is missing under Thành phố Đà Lạt")
    write(
        "units_2017.json",
        f"Names and official GSO codes from PyPI vietnam-provinces {version} "
        f"(three-tier data retrieved {data_version}), turned back into the "
        "2017 layout by scripts/extract_units.py: the 2024 merged Đạ Huoai "
        "district split again into Đạ Huoai (681), Đạ Tẻh (682) and Cát "
        "Tiên (683) by commune code range, the 7 communes merged away in "
        "2020 and 2024 restored with their real names and codes, the 2024 "
        "rename Bà Gia→Đạ Ploa and the 2018 upgrade Xã Phước Cát 1→Thị trấn "
        "Phước Cát undone, the stale entry Xã Phù Mỹ dropped; all 147 "
        "communes are real, none generated.",
        "2017",
        units,
    )

    version, data_version, data = load_package(args.venv_2025)
    if version != "2025.10.1":
        sys.exit(f"{args.venv_2025} has vietnam-provinces {version}, want 2025.10.1")
    units = build_2025(find_province(data))
    check(units, EXPECTED_2025)
    write(
        "units_2025.json",
        f"Names and official codes from PyPI vietnam-provinces {version} "
        f"(two-tier data retrieved {data_version}, layout in force since "
        "1 July 2025), extracted by scripts/extract_units.py for Lâm Đồng "
        "(code 68) with its 124 commune-level units, only the typo "
        "'Xã Đắk song' corrected to 'Xã Đắk Song'.",
        "2025",
        units,
    )


if __name__ == "__main__":
    main()
