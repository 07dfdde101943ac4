"""``sdcontracts generate``: pydantic v2 models from the provider schemas, deterministically.

Each provider's schemas are bundled into one JSON Schema (every schema root under its title,
every ``$defs`` entry hoisted, identical duplicates merged), prepared for code generation, and
turned into ``generated/<provider>.py`` by datamodel-code-generator, then formatted with ruff.
The preparation is where our schema conventions meet the generator:

- the models accept what is accepted by default: where the sources dispute a constraint
  (``x-disputes``), the lenient reading (a Zhiqite seed may be a string, a Tensor.Art diffusion
  may omit ``negativePrompts``), as `sdcontracts.validate` does, warnings aside;
- ``x-*`` annotations are dropped;
- response and error objects get ``additionalProperties: true`` so their models keep fields a
  provider adds (``extra="allow"``) instead of dropping them; request objects stay closed
  (``extra="forbid"``);
- a ``["string", "integer"]`` int64 keeps its type and loses its bounds in the model
  (``str | int``; the validator enforces the bounds), as datamodel-code-generator would otherwise
  emit ``conint`` inside a union, which type checkers reject;
- Tensor.Art's ``Stage`` becomes a union of one model per stage type, discriminated by a
  ``Literal`` ``type``, from the schema's ``x-members``;
- enums are ``Literal`` types, so ``sampler_name="Euler a"`` type-checks and a typo does not.

Generated code is never edited by hand; `main --check` (run by the tests) fails when the
committed files differ from a fresh generation.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._disputes import lenient_document

__all__ = ["bundle", "generate", "main"]

GENERATOR_OPTIONS = (
    "--input-file-type", "jsonschema",
    "--output-model-type", "pydantic_v2.BaseModel",
    "--target-python-version", "3.11",
    "--snake-case-field",
    "--collapse-root-models",
    "--allow-population-by-field-name",
    "--use-title-as-name",
    "--use-standard-collections",
    "--use-union-operator",
    "--use-annotated",
    "--field-constraints",
    "--use-double-quotes",
    "--enum-field-as-literal", "all",
    "--disable-timestamp",
    "--formatters", "builtin",
)  # fmt: skip


CANONICAL = "canonical"  # schemas/canonical/: the provider-neutral request, not a provider


class GenerationError(Exception):
    """The schemas cannot be turned into models (a definition clash, a generator failure)."""


def _strip_annotations(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_annotations(v) for k, v in value.items() if not k.startswith("x-") and k != "$schema"}
    if isinstance(value, list):
        return [_strip_annotations(v) for v in value]
    return value


def _prepare(node: Any, open_objects: bool) -> Any:
    """Apply the model conventions to one (annotation-free) schema tree."""
    if isinstance(node, list):
        return [_prepare(item, open_objects) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _prepare(value, open_objects) for key, value in node.items()}
    if out.get("format") == "int64":
        for bound in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
            out.pop(bound, None)
        out.pop("format")
    # keep what providers add to responses; free-form objects become dicts
    if out.get("type") == "object" and "additionalProperties" not in out and (open_objects or "properties" not in out):
        out["additionalProperties"] = True
    return out


def _stage_union(defs: dict[str, Any], root: dict[str, Any], members: dict[str, str]) -> None:
    """Replace Tensor.Art's Stage with one model per stage type and a discriminated union."""
    stage = defs["Stage"]
    variants: list[dict[str, str]] = []
    mapping: dict[str, str] = {}
    for stage_type, member in members.items():
        name = member[0].upper() + member[1:] + "Stage"
        defs[name] = {
            "title": name,
            "description": f"A {stage_type} stage.",
            "type": "object",
            "additionalProperties": False,
            "required": ["type", member],
            "properties": {"type": {"const": stage_type}, member: stage["properties"][member]},
        }
        variants.append({"$ref": f"#/$defs/{name}"})
        mapping[stage_type] = f"#/$defs/{name}"
    # Inlined where Stage is used (not a named definition), so stages are a plain
    # ``list[Annotated[InputInitializeStage | DiffusionStage | …, Field(discriminator="type")]]``
    # rather than a list of RootModel wrappers.
    union = {"oneOf": variants, "discriminator": {"propertyName": "type", "mapping": mapping}}
    del defs["Stage"]
    _replace_refs(defs, "#/$defs/Stage", union)
    _replace_refs(root, "#/$defs/Stage", union)


def _replace_refs(node: Any, ref: str, replacement: dict[str, Any]) -> None:
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in list(items):
        if isinstance(value, dict) and value.get("$ref") == ref:
            node[key] = copy.deepcopy(replacement)
        else:
            _replace_refs(value, ref, replacement)


def bundle(schemas_dir: Path, provider: str) -> dict[str, Any]:
    """One JSON Schema holding every schema of a provider under ``$defs``, prepared for models."""
    defs: dict[str, Any] = {}
    for path in sorted((schemas_dir / provider).glob("*.schema.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        members = raw.get("$defs", {}).get("Stage", {}).get("x-members")
        open_objects = not path.name.endswith(".request.schema.json")
        schema = _prepare(_strip_annotations(lenient_document(raw)), open_objects)
        local = schema.pop("$defs", {})
        if members:
            _stage_union(local, schema, members)
        for name, body in [*local.items(), (schema["title"], schema)]:
            if name in defs and defs[name] != body:
                raise GenerationError(f"{provider}: two different definitions named {name!r} ({path.name})")
            defs[name] = body
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": dict(sorted(defs.items()))}


def _header(provider: str) -> str:
    return (
        f'"""Pydantic models for {provider}, generated by `sdcontracts generate` from schemas/{provider}/.\n\n'
        "Do not edit: change the schemas and regenerate. Attributes are snake_case; the wire names\n"
        "are their aliases (``model_dump(by_alias=True)``), and either may be used to build a model.\n"
        '"""\n'
    )


def _postprocess(code: str, provider: str) -> str:
    lines = code.splitlines()
    # the generator's own header names a temporary file; the bundle root is an empty RootModel
    body = [line for line in lines if not line.startswith("#   filename:") and not line.startswith("# generated by")]
    text = "\n".join(body)
    text = text.replace("class Model(RootModel[Any]):\n    root: Any\n", "")
    return _header(provider) + text.lstrip("\n") + "\n"


def _run(args: Sequence[str], what: str) -> None:
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise GenerationError(f"{what} failed:\n{result.stderr.strip() or result.stdout.strip()}")


def generate(schemas_dir: Path, out_dir: Path, *, config: Path | None = None) -> list[Path]:
    """Write ``out_dir/<provider>.py`` for every provider and ``out_dir/__init__.py``."""
    providers = sorted(p.parent.name for p in schemas_dir.glob("*/provider.json"))
    if not providers:
        raise GenerationError(f"no provider schemas under {schemas_dir}")
    if (schemas_dir / CANONICAL).is_dir():  # the provider-neutral request (sdcontracts.canonical), modelled alike
        providers.append(CANONICAL)
    codegen = shutil.which("datamodel-codegen", path=str(Path(sys.executable).parent)) or "datamodel-codegen"
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as work:
        for provider in providers:
            source = Path(work) / f"{provider}.json"
            source.write_text(json.dumps(bundle(schemas_dir, provider), indent=1), encoding="utf-8")
            target = Path(work) / f"{provider}.py"
            _run([codegen, "--input", str(source), "--output", str(target), *GENERATOR_OPTIONS], "datamodel-codegen")
            target.write_text(_postprocess(target.read_text(encoding="utf-8"), provider), encoding="utf-8")
            written.append(target)
        init = Path(work) / "__init__.py"
        names = ", ".join(f"``{p}``" for p in providers)
        init.write_text(
            '"""Generated pydantic models, one module per provider: '
            f"{names}.\n\nImport them as ``sdcontracts.models.<provider>``; generated by `sdcontracts generate`, "
            'never edited by hand."""\n',
            encoding="utf-8",
        )
        written.append(init)
        settings = ["--config", str(config)] if config else []
        paths = [str(p) for p in written]
        _run([ruff, "check", "--quiet", "--fix", "--select", "I,F401,UP", *settings, *paths], "ruff check")
        _run([ruff, "format", "--quiet", *settings, *paths], "ruff format")
        results = []
        for path in written:
            final = out_dir / path.name
            final.write_bytes(path.read_bytes())
            results.append(final)
    return results


def _repo_root() -> Path:
    here = Path.cwd()
    for candidate in (here, *here.parents):
        if (candidate / "schemas").is_dir() and (candidate / "pyproject.toml").is_file():
            return candidate
    raise GenerationError(
        "run from a checkout of sdcontracts (no schemas/ and pyproject.toml found), or give --schemas"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="sdcontracts generate",
        description="Regenerate the pydantic models in generated/ from schemas/ (deterministic).",
    )
    parser.add_argument("--schemas", type=Path, help="schemas directory (default: ./schemas of this checkout)")
    parser.add_argument("--out", type=Path, help="output directory (default: ./generated of this checkout)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if generated/ is out of date")
    args = parser.parse_args(argv)
    try:
        root = None if args.schemas and args.out else _repo_root()
        schemas = args.schemas or (root / "schemas")  # type: ignore[operator]
        out = args.out or (root / "generated")  # type: ignore[operator]
        config = (root / "pyproject.toml") if root else None
        if not args.check:
            for path in generate(schemas, out, config=config):
                print(f"wrote {path}")
            return 0
        with tempfile.TemporaryDirectory() as fresh:
            stale = [
                path.name
                for path in generate(schemas, Path(fresh), config=config)
                if not (out / path.name).is_file() or (out / path.name).read_bytes() != path.read_bytes()
            ]
        if stale:
            print(f"out of date: {', '.join(stale)} (run `make generate`)", file=sys.stderr)
            return 1
        print("generated models are up to date")
        return 0
    except GenerationError as error:
        print(f"sdcontracts generate: error: {error}", file=sys.stderr)
        return 2
