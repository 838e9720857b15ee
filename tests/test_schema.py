"""JSON Schemas of the file formats: valid schemas, and real files written by the code validate."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from splitsched.bench.records import read_runs
from splitsched.bench.sweep import SweepConfig, run_sweep
from splitsched.evaluate import evaluate
from splitsched.io import InputError, read_json, write_instance
from splitsched.problem import Instance, Job, Network
from splitsched.profiles.store import list_devices, profiles_dir
from splitsched.replay.sim import simulate
from splitsched.replay.trace import write_trace
from splitsched.schema import DRAFT, FORMATS, json_schema, undocumented, validate
from splitsched.sets import SETS_DIR
from splitsched.solve import solve

ROOT = Path(__file__).resolve().parents[1]
NET = Network(name="net", layer_names=("l1", "l2"), gpu_us=(10, 20), cpu_us=(25, 25),
              handoff_us=(0, 5, 0), gpu_sd_us=(1.0, 2.0), cpu_sd_us=(0.5, 0.5))
INST = Instance(id="pair", networks=(NET,), jobs=(Job("j0", "net", 0, 30),
                                                  Job("j1", "net", 0, 50, weight=2)),
                provenance={"generator": {"load": 0.8}})
CRASH_SOLVER = '''
import os

from splitsched.solvers.base import register


@register("ts-crash", "test only: the worker process dies")
def crash(instance, *, time_limit_s, seed, threads):
    os._exit(3)
'''


def _validator(name: str) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    return jsonschema.Draft202012Validator(json_schema(name))


def _check(name: str, data: Any) -> None:
    """``data`` passes both the pydantic model and (if installed) the published schema."""
    validate(name, data, where="test")
    try:
        import jsonschema
    except ImportError:
        return
    jsonschema.Draft202012Validator(json_schema(name)).validate(data)


@pytest.mark.parametrize("name", FORMATS)
def test_schema_is_draft_2020_12_and_documents_every_field(name: str) -> None:
    schema = json_schema(name)
    assert schema["$schema"] == DRAFT
    assert schema["title"] and schema["description"]
    assert undocumented(name) == ()
    nodes = [schema, *schema.get("$defs", {}).values()]
    objects = [n for n in nodes if "properties" in n]
    assert objects
    for node in objects:
        assert node.get("additionalProperties") is False, node["title"]
        for field, sub in node["properties"].items():
            assert sub.get("description"), f"{node['title']}.{field}"
    json.dumps(schema)  # JSON-able
    try:
        import jsonschema
    except ImportError:  # structural checks above only
        return
    jsonschema.Draft202012Validator.check_schema(schema)


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown format 'plan'"):
        json_schema("plan")


def test_shipped_instances_and_profiles_validate() -> None:
    docs = [read_json(f) for f in sorted(SETS_DIR.rglob("*.json"))[::5]]
    instances = [d for d in docs if isinstance(d, dict) and d.get("format") ==
                 "splitsched-instance"]
    assert len(instances) >= 5
    for data in instances:
        _check("instance", data)
    devices = list_devices()
    assert devices
    for device in devices:
        _check("profile", read_json(profiles_dir() / f"{device}.json"))


def _main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    from splitsched.cli import main

    monkeypatch.setattr(sys, "argv", ["splitsched", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    return int(exc.value.code or 0)


def test_written_instance_schedule_and_trace_validate(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    inst_file, sched_file = tmp_path / "pair.json", tmp_path / "sched.json"
    write_instance(INST, inst_file)
    _check("instance", read_json(inst_file))
    assert _main(monkeypatch, "solve", str(inst_file), "-s", "edf-greedy-cut",
                 "-o", str(sched_file)) == 0
    _check("schedule", read_json(sched_file))
    res = solve(INST, "edf-greedy-cut", time_limit_s=5)
    assert res.schedule is not None and evaluate(INST, res.schedule).feasible
    trace = tmp_path / "trace.jsonl"
    write_trace(simulate(INST, res.schedule, runs=2, seed=1), trace, INST, res.schedule)
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    assert [line["kind"] for line in lines].count("header") == 2
    assert [line["kind"] for line in lines].count("stage") >= 2
    for line in lines:
        _check("trace", line)


def test_bench_records_validate(tmp_path: Path) -> None:
    """A real sweep writes one good record and one crash record; both validate."""
    set_dir = tmp_path / "set"
    write_instance(INST, set_dir / "pair.json")
    module = tmp_path / "ts_crash.py"
    module.write_text(CRASH_SOLVER)
    run_dir = tmp_path / "run"
    run_sweep(SweepConfig(set_ref=str(set_dir), solvers=("edf-greedy-cut", "ts-crash"),
                          run_dir=run_dir, time_limit_s=2.0, workers=1,
                          extra_modules=(str(module),)))
    records = read_runs(run_dir / "runs.jsonl").records
    assert sorted(r.status.value for r in records) == ["crash", "feasible"]
    for record in records:
        _check("record", record.to_dict())


@pytest.mark.parametrize("name, data, field", [
    ("instance", {"format": "splitsched-instance", "version": 2, "id": "x", "networks": [],
                  "jobs": []}, "version"),
    ("schedule", {"format": "splitsched-schedule", "version": 1, "instance_id": "x",
                  "solver": "s", "plans": [], "colour": "red"}, "colour"),
    ("trace", {"kind": "stage", "job": "j0", "processor": "npu", "cut": 1,
               "planned_start": 0, "planned_end": 1, "actual_start": 0, "actual_end": 1,
               "ready": 0}, "processor"),
    ("record", {"schema": "splitsched-run", "version": 1}, "finished_at"),
])
def test_bad_documents_are_refused_by_model_and_schema(name: str, data: dict[str, Any],
                                                       field: str) -> None:
    with pytest.raises(InputError, match=field):
        validate(name, data, where="doc.json")
    try:
        import jsonschema
    except ImportError:
        return
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(json_schema(name)).validate(data)


def test_cli_schema_prints_the_schema(monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    for name in FORMATS:
        assert _main(monkeypatch, "schema", name) == 0
        assert json.loads(capsys.readouterr().out) == json_schema(name)
    assert _main(monkeypatch, "schema", "plan") == 2
    assert "unknown format 'plan'" in capsys.readouterr().err


def test_formats_page_explains_every_field() -> None:
    """docs/formats.md has a section per format naming each of its fields."""
    page = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    for name in FORMATS:
        header = f"## {name}"
        assert header in page, header
        section = page.split(header, 1)[1].split("\n## ", 1)[0]
        schema = json_schema(name)
        for node in [schema, *schema.get("$defs", {}).values()]:
            for field in node.get("properties", {}):
                assert f"`{field}`" in section, f"{name}: {field}"


def test_formats_page_examples_validate() -> None:
    page = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    checked = 0
    for name in FORMATS:
        section = page.split(f"## {name}", 1)[1].split("\n## ", 1)[0]
        for block in section.split("```json\n")[1:]:
            _check(name, json.loads(block.split("```", 1)[0]))
            checked += 1
    assert checked >= 2
