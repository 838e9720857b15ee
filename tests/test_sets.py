"""The versioned instance library: v1 frozen, v2 rebuilt byte for byte, its design rules,
weights, library folders in ``bench``, and the per-instance reference table script."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from splitsched.bench.sets import load_set, load_sets
from splitsched.io import InputError, read_instance, read_json
from splitsched.paths import DATA_DIR
from splitsched.sets import SETS_DIR, build_set, library_sets, load_specs, verify_set
from tests.helpers.scripts import load_script

# sha256 of the committed v1 manifest files' bytes, as they were before the library was
# versioned (git 127c829). They must never change: results cite these instances.
V1_MANIFEST_SHA256 = {
    "batch-n10": "c3a685fd925f0d42624b2c46c389a9e523e9b67449ad261809e137e3892eb2ea",
    "batch-n20": "ff56c809d2c8981fa2fdbad0b6a53fe36af7573c83dae42d9ab629d6e2128a9a",
    "batch-n40": "af053852e1b2f942130c4a8e373963e443e313cc608fa11aa05b6b76557b36e8",
    "batch-n5": "172dec4b52f518553adf07a433761f97fb0495d2235e49286f08a0098c94356f",
    "batch-n80": "1cded330080ec2aaf6c07b56eaaef3895e9bd2dd816081232977bfb7401b4753",
    "demo": "bc64a90b55e504440100d04eb9e0d45883e201ade574810c5962798d5aae19f1",
    "periodic-n20": "fe0b00b7e54955088f2411c383ab15934f348feafa6ec76e65ffeeda3e8ed56c",
    "poisson-n10": "dd2f05d893e4ee82cafae610d6082fd9945b150e725b22e76caa555663156fea",
    "poisson-n20": "cb0699b67703c822edcebab00f6329c70bc94fa211cd632a879eb052a77777f0",
    "poisson-n40": "188cab42abfcead7f6fb1f0e094cfd87ccd348b0d3a14aaaa9b0e2e95fd4024e",
    "poisson-n5": "ebce9aac97fd96b699a0cf8d4ab834211484d52ca550d19960c1fb2276a1b35f",
    "poisson-n80": "122066ecac362cccfd1fc5ac396c7c814454bfb2bbdf3943963e7f74127095a4",
    "smoke": "278795962aaad7f46abefd636023df0deb31035e2f95e957f5391f9cf4c98d86",
}

# The v2 design (splitsched/data/sets.toml, measured with scripts/hard_region.py).
V2_JOBS = {10, 20, 40, 80}
V2_LOADS = (2.0, 4.0)  # every v2 load lies in the measured hard region [2, 4]
DEVICES = sorted(p.stem for p in (DATA_DIR / "profiles").glob("*.json"))


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.json"))}


# --- v1 stays frozen ----------------------------------------------------------------------


def test_v1_manifests_keep_their_hashes() -> None:
    v1 = {s.name for s in library_sets("v1")}
    assert v1 == set(V1_MANIFEST_SHA256)
    for name, digest in V1_MANIFEST_SHA256.items():
        data = (SETS_DIR / name / "manifest.json").read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, name


def test_v1_sets_rebuild_byte_for_byte(tmp_path: Path) -> None:
    for spec in library_sets("v1"):
        built = build_set(spec, tmp_path)
        assert _files(built) == _files(SETS_DIR / spec.name), spec.name


# --- v2: stable, verified, and built to its design ----------------------------------------


def test_v2_sets_rebuild_byte_for_byte(tmp_path: Path) -> None:
    specs = library_sets("v2")
    assert specs
    for spec in specs:
        built = build_set(spec, tmp_path)
        assert built == tmp_path / "v2" / spec.name.split("/", 1)[1]
        assert _files(built) == _files(SETS_DIR / spec.name), spec.name


def test_every_committed_set_matches_its_manifest() -> None:
    for name, spec in load_specs().items():
        directory = SETS_DIR / name
        assert verify_set(directory) == [], name
        manifest = read_json(directory / "manifest.json")
        assert len(manifest["instances"]) == len(spec.grid), name
        assert manifest.get("library") == spec.library, name


def test_v2_design() -> None:
    specs = library_sets("v2")
    devices: set[str] = set()
    ids: set[str] = set()
    weighted = 0
    by_n: dict[int, int] = defaultdict(int)
    for spec in specs:
        assert spec.name.startswith("v2/")
        seeds: dict[tuple[Any, ...], set[int]] = defaultdict(set)
        loads = set()
        for p in spec.grid:
            seeds[(p.scenario, p.device, p.jobs, p.load, p.weights)].add(p.seed)
            loads.add(p.load)
            devices.add(p.device)
            by_n[p.jobs] += 1
            assert p.jobs in V2_JOBS, spec.name
            assert V2_LOADS[0] <= p.load <= V2_LOADS[1], spec.name
            ident = spec.instance_id(p)
            assert ident.startswith("v2-") and ident not in ids
            ids.add(ident)
        assert all(len(s) >= 3 for s in seeds.values()), spec.name  # >= 3 seeds per config
        assert len(loads) >= 2, spec.name  # spans the hard region, not one point of it
        weighted += any(p.weights for p in spec.grid)
    assert sorted(devices) == DEVICES  # all 9 devices
    assert weighted >= 2
    assert by_n[80] == min(by_n.values())  # fewest instances at n = 80


def test_v2_instances_carry_their_weights() -> None:
    heavier = 0
    for spec in library_sets("v2"):
        manifest = read_json(SETS_DIR / spec.name / "manifest.json")
        assert manifest["library"] == "v2"
        for entry in manifest["instances"]:
            inst = read_instance(SETS_DIR / spec.name / entry["file"])
            assert inst.id == entry["id"] and inst.id.startswith("v2-")
            assert inst.provenance["set"] == spec.name
            weights = entry["params"].get("weights", {})
            assert inst.id.endswith("-w") == bool(weights)
            for job in inst.jobs:
                assert job.weight == weights.get(job.network, 1)
            heavier += sum(j.weight > 1 for j in inst.jobs)
    assert heavier > 0


def test_v2_shares_no_instance_with_v1() -> None:
    entries = load_sets(",".join(s.name for s in load_specs().values()))
    assert len({e.id for e in entries}) == len(entries)


# --- spec errors name the file and the field ----------------------------------------------

BASE = """
[sets."{name}"]
scenario = "batch"
devices = ["huawei_p40"]
models = ["acl-alexnet", "acl-mobilenet"]
jobs = 4
load = [2.0, 3.0]
seeds = [1, 2, 3]
"""


@pytest.mark.parametrize(("extra", "name", "field", "reason"), [
    ('library = "v2"\nweights = { acl-mobilenet = 0 }', "v2/x", "weights.acl-mobilenet",
     "integer >= 1"),
    ('library = "v2"\nweights = { acl-mobilenet = 2.5 }', "v2/x", "weights.acl-mobilenet",
     "integer >= 1"),
    ('library = "v2"\nweights = { inception-v3 = 3 }', "v2/x", "weights.inception-v3",
     "no device's model mix"),
    ('library = "v3"', "v2/x", "sets.v2/x", "library v3 is named v3/NAME"),
    ('library = "two"', "v2/x", "library", "'v' and a number"),
    ("", "v2/x", "sets.v2/x", "needs library"),
])
def test_bad_spec(tmp_path: Path, extra: str, name: str, field: str, reason: str) -> None:
    spec = tmp_path / "sets.toml"
    spec.write_text(BASE.format(name=name) + extra + "\n")
    with pytest.raises(InputError) as info:
        load_specs(spec)
    text = str(info.value)
    assert str(spec) in text and field in text and reason in text


def test_weights_apply_where_the_network_is_drawn(tmp_path: Path) -> None:
    spec_file = tmp_path / "sets.toml"
    spec_file.write_text(BASE.format(name="v2/x").replace(
        'devices = ["huawei_p40"]', 'devices = ["huawei_p40", "snapdragon_855"]').replace(
        'models = ["acl-alexnet", "acl-mobilenet"]',
        'models.huawei_p40 = ["acl-alexnet", "acl-mobilenet"]\n'
        'models.snapdragon_855 = ["inception-v3", "inception-v4"]')
        + 'library = "v2"\nweights = { acl-mobilenet = 3 }\n')
    spec = load_specs(spec_file)["v2/x"]
    by_device = {p.device: p.weights for p in spec.grid}
    assert by_device == {"huawei_p40": (("acl-mobilenet", 3),), "snapdragon_855": ()}
    built = build_set(spec, tmp_path / "sets")
    for entry in load_set(built):
        assert entry.id.startswith("v2-")
        for job in entry.instance.jobs:
            assert job.weight == (3 if job.network == "acl-mobilenet" else 1)


# --- bench: a library folder stands for all its sets --------------------------------------


def test_library_folder_runs_every_set() -> None:
    names = [s.name for s in library_sets("v2")]
    whole = load_set(SETS_DIR / "v2")
    one_by_one = load_sets(",".join(sorted(names)))
    assert [e.id for e in whole] == [e.id for e in one_by_one]
    assert len(whole) == sum(len(s.grid) for s in library_sets("v2"))


def test_a_file_beside_a_manifest_that_it_does_not_list_is_refused(tmp_path: Path) -> None:
    """A newcomer added mine.json to a copy of a set with a manifest: the sweep ran the
    listed files only and never read mine.json (not even a broken one)."""
    import shutil

    d = tmp_path / "smoke"
    shutil.copytree(SETS_DIR / "smoke", d)
    assert [e.id for e in load_set(d)] == [e.id for e in load_set(SETS_DIR / "smoke")]
    (d / "zz-mine.json").write_text("{}")  # not even an instance: named, not read
    (d / "aa-mine.json").write_text("{}")
    with pytest.raises(InputError, match=r"aa-mine\.json: \(set\): not listed in manifest\.json "
                                         r"\(and 1 more\): a set with a manifest is the files "
                                         "it lists"):
        load_set(d)


# --- the generate command takes weights ---------------------------------------------------


def test_generate_cli_weights(tmp_path: Path) -> None:
    out = tmp_path / "w.json"
    cmd = [sys.executable, "-m", "splitsched.cli", "generate", "--scenario", "poisson",
           "--device", "huawei_p40", "--models", "acl-alexnet,acl-mobilenet", "--jobs", "12",
           "--load", "3", "--seed", "1", "--weights", "acl-mobilenet=3", "-o", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    inst = read_instance(out)
    assert inst.id.endswith("-w")
    assert {(j.network, j.weight) for j in inst.jobs} == {("acl-alexnet", 1),
                                                          ("acl-mobilenet", 3)}
    bad = subprocess.run([*cmd[:-4], "--weights", "acl-mobilenet", "-o", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--weights" in bad.stderr


# --- scripts/library_table.py -------------------------------------------------------------


def _script() -> ModuleType:
    return load_script("library_table")


def _record(inst: str, solver: str, status: str, missed: int | None,
            bound: float | None) -> dict[str, Any]:
    return {"schema": "splitsched-run", "instance_id": inst, "instance_sha256": f"sha-{inst}",
            "instance_copy": f"instances/{inst}.json", "solver": solver, "seed": 0,
            "time_limit_s": 10.0, "threads": 1, "status": status,
            "feasible": missed is not None, "missed": missed, "bound": bound, "n_jobs": 10,
            "load": 3.0, "total_weight": 14,
            "instance_params": {"scenario": "batch", "device": "mi9"},
            "machine": {"cpu_model": "CPU-X", "cores": 2, "cores_total": 2, "os": "OS-Y"},
            "versions": {"ortools": "9.9", "python": "3.11"},
            "finished_at": f"2026-01-01T00:00:0{len(inst)}"}


def test_library_table(tmp_path: Path) -> None:
    lt = _script()
    run = tmp_path / "run"
    (run / "instances").mkdir(parents=True)
    sets = {"a": "v2/batch-n10", "b": "v2/batch-n10", "old": "batch-n10"}
    for inst, set_name in sets.items():
        (run / "instances" / f"{inst}.json").write_text(
            json.dumps({"provenance": {"set": set_name}}))
    records = [
        # a: dp-edf 2, cpsat proves 1 (optimal), a MILP also reaches 1 with a weak bound
        _record("a", "dp-edf", "feasible", 2, None),
        _record("a", "cpsat", "optimal", 1, 1.0),
        _record("a", "milp-x", "timeout", 1, 0.3),
        # b: open (best 3 by cpsat, bound 1.2 proves 2); dp-edf 4; a killed run proves nothing
        _record("b", "dp-edf", "feasible", 4, None),
        _record("b", "cpsat", "timeout", 3, 1.2),
        _record("b", "milp-x", "killed", None, 9.0),
        # old: a v1 instance in the same run, left out of the v2 table
        _record("old", "dp-edf", "feasible", 0, None),
    ]
    with open(run / "runs.jsonl", "w") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in records)
    with pytest.raises(InputError, match="libraries v1, v2"):
        lt.write_table(run, tmp_path / "out")
    target = lt.write_table(run, tmp_path / "out", "v2")
    assert target == tmp_path / "out" / "v2"
    rows = list(csv.DictReader((target / "instances.csv").open()))
    assert [r["instance"] for r in rows] == ["a", "b"]
    a, b = rows
    assert (a["best_known"], a["best_bound"], a["certified"], a["found_by"], a["dp_edf"]) == \
        ("1", "1", "yes", "cpsat milp-x", "2")
    assert (b["best_known"], b["best_bound"], b["certified"], b["found_by"], b["dp_edf"]) == \
        ("3", "2", "no", "cpsat", "4")
    md = (target / "instances.md").read_text()
    assert "CPU-X, 2 usable cores of 2, OS-Y" in md
    assert "ortools 9.9" in md and "10 s per run" in md
    assert "instances: 2; certified optimal: 1 (50 %); open: 1" in md
    assert "dp-edf on the 1 certified instances: optimal on 0, mean gap 1.00" in md
    # gap to best known: (2-1)+(4-3) = 2; to the best bound: (2-1)+(4-2) = 3
    assert "gap to the best known 2 weighted misses" in md and "to the best bound 3" in md
    first = md
    lt.write_table(run, tmp_path / "out", "v2")
    assert (target / "instances.md").read_text() == first  # same input, same bytes
    assert lt.main([str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2


def test_installed_package_is_never_written_into(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a source checkout, building sets or importing profiles needs an output folder."""
    import splitsched.profiles.store as store
    import splitsched.sets as sets_mod
    from splitsched.io import InputError

    assert sets_mod.default_build_root() == SETS_DIR  # the tests run from a checkout
    monkeypatch.setattr(sets_mod, "source_checkout", lambda: None)
    monkeypatch.setattr(store, "source_checkout", lambda: None)
    monkeypatch.delenv("SPLITSCHED_PROFILES", raising=False)
    with pytest.raises(InputError, match="out_root"):
        sets_mod.default_build_root()
    with pytest.raises(InputError, match="out_dir"):
        store.writable_profiles_dir()
    # reading the shipped data needs no checkout
    assert "smoke" in load_specs() and store.list_devices()


def test_library_table_merges_a_follow_up_run(tmp_path: Path) -> None:
    """A longer exact run on the sweep's open instance closes it in the merged table."""
    lt = _script()
    runs = {"sweep": [_record("b", "dp-edf", "feasible", 4, None),
                      _record("b", "cpsat", "timeout", 3, 1.2)],
            "follow": [{**_record("b", "hybrid", "optimal", 2, 2.0), "time_limit_s": 60.0,
                        "threads": 2}]}
    for name, records in runs.items():
        (tmp_path / name / "instances").mkdir(parents=True)
        (tmp_path / name / "instances" / "b.json").write_text(
            json.dumps({"provenance": {"set": "v2/batch-n10"}}))
        with open(tmp_path / name / "runs.jsonl", "w") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in records)
    alone = lt.write_table(tmp_path / "sweep", tmp_path / "a", "v2")
    (b,) = list(csv.DictReader((alone / "instances.csv").open()))
    assert (b["best_known"], b["best_bound"], b["certified"]) == ("3", "2", "no")
    merged = lt.write_table([tmp_path / "sweep", tmp_path / "follow"], tmp_path / "m", "v2")
    (b,) = list(csv.DictReader((merged / "instances.csv").open()))
    assert (b["best_known"], b["best_bound"], b["certified"], b["found_by"]) == \
        ("2", "2", "yes", "hybrid")
    md = (merged / "instances.md").read_text()
    assert "10 s per run, 1 thread(s)" in md and "60 s per run, 2 thread(s)" in md
    assert lt.main([str(tmp_path / "sweep"), str(tmp_path / "nowhere"),
                    "--out", str(tmp_path / "o")]) == 2


def test_open_instances_copies_only_open_rows(tmp_path: Path) -> None:
    """scripts/open_instances.py: the rows with certified = no, checked by sha256."""
    oi = _open_instances()
    from splitsched.io import instance_sha256, read_instance

    files = sorted((SETS_DIR / "smoke").glob("*.json"))
    files = [f for f in files if f.name != "manifest.json"][:3]
    table = tmp_path / "instances.csv"
    with table.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["instance", "set", "n", "certified", "sha256"])
        for i, f in enumerate(files):
            inst = read_instance(f)
            w.writerow([f.stem, "smoke", len(inst.jobs), "yes" if i == 0 else "no",
                        instance_sha256(inst)])
    copies = oi.copy_open(table, tmp_path / "open")
    assert sorted(c.name for c in copies) == sorted(f.name for f in files[1:])
    with pytest.raises(InputError, match="already holds JSON"):
        oi.copy_open(table, tmp_path / "open")
    _wrong_sha(table, 1)
    with pytest.raises(InputError, match="sha256"):
        oi.copy_open(table, tmp_path / "open2")


def _wrong_sha(table: Path, row: int) -> None:
    """Rewrite the table with a hash that matches no instance in data row ``row``."""
    rows = list(csv.DictReader(table.open()))
    rows[row]["sha256"] = "0" * 64
    with table.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _open_instances() -> ModuleType:
    return load_script("open_instances")


def _smoke_table(path: Path, certified: list[str]) -> list[Path]:
    """A library table of the first smoke instances, one row each; returns their files."""
    from splitsched.io import instance_sha256

    files = sorted(f for f in (SETS_DIR / "smoke").glob("*.json") if f.name != "manifest.json")
    files = files[:len(certified)]
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["instance", "set", "n", "certified", "sha256"])
        for f, cert in zip(files, certified, strict=True):
            inst = read_instance(f)
            w.writerow([f.stem, "smoke", len(inst.jobs), cert, instance_sha256(inst)])
    return files


@pytest.mark.parametrize(("text", "field", "reason"), [
    ("", "(header)", "empty"),
    ("instance,set,certified,sha256\n", "n", "column missing"),
    ("instance,set,n,certified,sha256\na,smoke,abc,no,x\n", "line 2: n", "integer"),
    ("instance,set,n,certified,sha256\na,smoke\n", "line 2", "2 cells, the header has 5"),
    ("instance,set,n,certified,sha256\na,smoke,3,maybe,x\n", "line 2: certified", "yes or no"),
    ("instance,set,n,certified,sha256\na,../../etc,3,no,x\n", "line 2: set", "plain name"),
    ("instance,set,n,certified,sha256\n../a,smoke,3,no,x\n", "line 2: instance", "plain name"),
    ("instance,set,n,certified,sha256\n\na,/tmp,3,no,x\n", "line 3: set", "plain name"),
])
def test_open_instances_refuses_a_bad_table(tmp_path: Path, text: str, field: str,
                                            reason: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed table is refused naming the file, the line/column and the reason (it
    raised ValueError/TypeError, or copied 0 instances from an empty file), and the
    output folder is not created."""
    oi = _open_instances()
    table = tmp_path / "t.csv"
    table.write_text(text)
    with pytest.raises(InputError) as exc:
        oi.copy_open(table, tmp_path / "out")
    assert (exc.value.path, exc.value.field) == (str(table), field)
    assert reason in exc.value.reason
    assert not (tmp_path / "out").exists()
    assert oi.main([str(table), str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {table}: {field}: ")


def test_open_instances_checks_every_row_before_copying(tmp_path: Path) -> None:
    """A bad third row leaves no copy of the first two behind (it left them copied)."""
    oi = _open_instances()
    table = tmp_path / "t.csv"
    _smoke_table(table, ["no", "no", "no"])
    _wrong_sha(table, 2)
    with pytest.raises(InputError, match="sha256"):
        oi.copy_open(table, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    (tmp_path / "kept").mkdir()
    with pytest.raises(InputError, match="sha256"):
        oi.copy_open(table, tmp_path / "kept")
    assert list((tmp_path / "kept").iterdir()) == []


def test_open_instances_refuses_a_bad_output_folder(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A file where the folder should be, or a table that is a folder: exit 2, one line
    (a traceback from mkdir before)."""
    oi = _open_instances()
    table = tmp_path / "t.csv"
    _smoke_table(table, ["no"])
    (tmp_path / "f").write_text("x")
    assert oi.main([str(table), str(tmp_path / "f")]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert oi.main([str(table), str(tmp_path / "f" / "sub")]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert oi.main([str(tmp_path), str(tmp_path / "o")]) == 2
    assert "is a directory, expected a file" in capsys.readouterr().err
    assert oi.main([str(table), str(tmp_path / "o"), "--max-n", "0"]) == 2
    assert "--max-n" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    assert oi.main([str(table), str(tmp_path / "o")]) == 0
    assert len(list((tmp_path / "o").glob("*.json"))) == 1


def test_library_table_refuses_bad_runs_and_outputs(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A file as --out (a traceback from mkdir before), a run directory named twice (its
    records counted twice before: 'runs: 2' for one run), an empty runs.jsonl named by
    its own path (it said 'runs.jsonl' without the folder): exit 2, nothing written."""
    lt = _script()
    run = tmp_path / "run"
    (run / "instances").mkdir(parents=True)
    (run / "instances" / "a.json").write_text(json.dumps({"provenance": {"set": "v2/x"}}))
    (run / "runs.jsonl").write_text(json.dumps(_record("a", "dp-edf", "feasible", 1, None))
                                    + "\n")
    (tmp_path / "f").write_text("x")
    for out in (tmp_path / "f", tmp_path / "f" / "sub"):
        assert lt.main([str(run), "--out", str(out)]) == 2
        assert "--out" in capsys.readouterr().err
    (tmp_path / "o2").mkdir()
    (tmp_path / "o2" / "v2").write_text("a file where the library's folder goes")
    assert lt.main([str(run), "--out", str(tmp_path / "o2")]) == 2
    assert f"{tmp_path / 'o2' / 'v2'}: --out: exists and is not a directory" in \
        capsys.readouterr().err
    assert lt.main([str(run), str(tmp_path / "run" / "."), "--out", str(tmp_path / "o")]) == 2
    assert "named twice" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "runs.jsonl").write_text("")
    assert lt.main([str(run), str(empty), "--out", str(tmp_path / "o")]) == 2
    assert f"{empty / 'runs.jsonl'}: (file): no run records" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    assert lt.main([str(run), "--out", str(tmp_path / "o")]) == 0
    assert "- runs: 1" in (tmp_path / "o" / "v2" / "instances.md").read_text()
