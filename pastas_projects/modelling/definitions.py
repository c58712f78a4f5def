"""Model definitions: describe model structures in YAML (or TOML), build them from the store.

A definition says which models to build and how: per oseries (``models``) or as
templates matched to oseries by name or metadata (``templates``), with stress models
given by name or as ``nearest N <kind>``, response functions, recharge models, a
noise model, a calibration period and solver options. The format is documented in
``docs/definitions.md``; a short one::

    defaults:
      noise: true
    templates:
      recharge:
        match: "B*"
        stressmodels:
          recharge: {prec: nearest prec, evap: nearest evap, recharge: FlexModel}
      wells:
        match: {metadata: {pumping: true}}
        name: "{oseries}_wells"
        stressmodels:
          recharge: {prec: nearest prec, evap: nearest evap}
          wells: {class: WellModel, stress: nearest 2 well}

pastastore's YAML files (``pstore.yaml.export_models``, ``export_stored_models_per_oseries``,
and its hand-written ``nearest`` shortcuts) are read as well: :func:`load_definition`
turns them into ``models`` entries.

The work is split in three steps, so that nothing is written when anything is wrong:

1. :func:`load_definition` parses and checks the definition on its own (keys,
   classes, response functions, ``nearest`` phrases): a :class:`Definition`.
2. :func:`plan_models` resolves it against the store's metadata (which oseries a
   template matches, which stresses are nearest, their distances): one
   :class:`ModelPlan` per model, or the reason why a model cannot be made.
3. :func:`build_from_plan` builds a pastas model from a plan and the stored series.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import inspect
import json
import re
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pastas as ps
import yaml

from pastas_projects.errors import DefinitionError, ItemNotFoundError
from pastas_projects.store import Database, SeriesCache
from pastas_projects.store.bookkeeping import HASH_KEY, series_key
from pastas_projects.store.outcomes import Outcome, error_text
from pastas_projects.store.queries import coordinates

SECTIONS = ("version", "defaults", "templates", "models")
"""Top-level keys of a pastas_projects definition."""

MODEL_KEYS = {
    "oseries",
    "name",
    "match",
    "stressmodels",
    "noise",
    "constant",
    "tmin",
    "tmax",
    "solve",
    "parameters",
    "description",
}
"""Keys of one model or template entry (``match`` and ``name`` only in templates)."""

SETTINGS_KEYS = ("freq", "warmup", "fit_constant", "freq_obs")
"""``solve`` keys that are pastas model settings (``Model.set_settings``)."""

SERIES_KEYS = ("stress", "prec", "evap", "temp")
"""Keys of a stress model spec that name series."""

RECHARGE_NAMES = {"rch", "rech", "recharge", "rechargemodel"}
"""Stress model names that mean a RechargeModel when no ``class`` is given (as pastastore)."""

KIND_RFUNCS = {
    "well": ("Hantush", False),
    "river": ("Gamma", True),
    "level": ("Gamma", True),
    "waterlevel": ("Gamma", True),
}
"""Default response function and direction (``up``) of a StressModel by the stress's kind."""

_NEAREST = re.compile(r"^nearest(?:\s+(\d+))?(?:\s+([^\s]+))?$")


# ---------------------------------------------------------------------- the definition
@dataclass
class Definition:
    """A parsed and checked model definition.

    Attributes
    ----------
    defaults : dict
        Merged into every template and model (their own keys win).
    templates : dict
        ``template name -> spec``: a model for every oseries the spec's ``match``
        selects, named by its ``name`` pattern (default ``"{oseries}"``).
    models : dict
        ``model name -> spec``: one model each, of the spec's ``oseries`` (default:
        the model name). A model here replaces a template's model of the same name.
    source : str
        Where it came from: ``"pastas_projects"`` or ``"pastastore"``.

    """

    defaults: dict[str, Any] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = "pastas_projects"

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serialisable form (what flows pass to their tasks)."""
        return {
            "version": 1,
            "defaults": self.defaults,
            "templates": self.templates,
            "models": self.models,
        }

    def to_yaml(self) -> str:
        """The definition as YAML text."""
        return to_yaml(self.to_dict())


def to_yaml(document: Mapping[str, Any]) -> str:
    """YAML text of a definition dict, keys in the order given."""
    return yaml.safe_dump(_plain(dict(document)), sort_keys=False, allow_unicode=True)


def _plain(value: Any) -> Any:
    """Dates to ISO strings, tuples to lists, numpy scalars to Python: JSON-safe."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return pd.Timestamp(value).isoformat()
    if isinstance(value, pd.Timedelta | dt.timedelta):
        return str(pd.Timedelta(value))
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:
            return value.item()
        except (TypeError, ValueError):
            return value
    return value


def load_definition(source: Any, format: str | None = None) -> Definition:
    """Read and check a model definition.

    Parameters
    ----------
    source : Definition, dict, str or path
        A definition; a dict (as parsed from YAML/TOML, e.g. a Prefect parameter);
        YAML or TOML text; or the path of a ``.yaml``/``.yml``/``.toml`` file.
        pastastore's YAML format is recognised and converted.
    format : {"yaml", "toml"}, optional
        Format of text (default: by the file suffix, else YAML).

    Returns
    -------
    Definition

    Raises
    ------
    DefinitionError
        If it cannot be read, has unknown keys, stress model classes, response
        functions, recharge or noise models, or phrases such as ``nearest`` it does
        not understand. The error names the template or model and the key.
    FileNotFoundError
        If a path is given that does not exist.

    """
    if isinstance(source, Definition):
        return source
    document = _read(source, format)
    if not isinstance(document, Mapping):
        raise DefinitionError(
            f"a model definition must be a mapping (YAML/TOML table), not {type(document).__name__}"
        )
    document = _plain(document)
    if _is_own_format(document):
        definition = _from_own(document)
    else:
        definition = _from_pastastore(document)
    check_definition(definition)
    return definition


def _read(source: Any, format: str | None) -> Any:
    if isinstance(source, Mapping):
        return source
    if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and source.strip().endswith(SUFFIXES)
    ):
        path = Path(source).expanduser()
        if not path.is_file():
            raise FileNotFoundError(2, "no such definition file", str(path))
        text = path.read_text(encoding="utf-8")
        format = format or ("toml" if path.suffix.lower() == ".toml" else "yaml")
        where = str(path)
    elif isinstance(source, str):
        text, where = source, "the definition text"
    else:
        raise DefinitionError(
            f"a model definition must be a dict, YAML or TOML text or a file path, not "
            f"{type(source).__name__}"
        )
    try:
        if (format or "yaml") == "toml":
            return tomllib.loads(text)
        if format not in (None, "yaml"):
            raise DefinitionError(f"format must be 'yaml' or 'toml', not {format!r}")
        document = yaml.safe_load(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as err:
        raise DefinitionError(f"cannot read {where}: {err}") from None
    if isinstance(document, str) and "\n" not in text.strip():
        raise DefinitionError(
            f"{text.strip()!r} is neither a definition file that exists nor a definition"
        )
    return document


SUFFIXES = (".yaml", ".yml", ".toml")


def _is_own_format(document: Mapping[str, Any]) -> bool:
    keys = set(document)
    return bool(keys) and keys <= set(SECTIONS) and any(k in keys for k in SECTIONS[1:])


def _from_own(document: Mapping[str, Any]) -> Definition:
    version = document.get("version", 1)
    if version != 1:
        raise DefinitionError(f"definition version {version!r} is not supported (only 1)")
    parts = {}
    for section in ("defaults", "templates", "models"):
        value = document.get(section) or {}
        if not isinstance(value, Mapping):
            raise DefinitionError(f"'{section}' must be a mapping, not {type(value).__name__}")
        parts[section] = dict(value)
    for section in ("templates", "models"):
        for name, spec in parts[section].items():
            if not isinstance(spec, Mapping):
                raise DefinitionError(
                    f"{section[:-1]} {name!r} must be a mapping, not {type(spec).__name__}"
                )
            parts[section][name] = dict(spec)
    return Definition(parts["defaults"], parts["templates"], parts["models"])


# ---------------------------------------------------------------------- pastastore's YAML
def _from_pastastore(document: Mapping[str, Any]) -> Definition:
    """Turn pastastore's YAML (``{model name: pastas model dict}``) into ``models`` entries."""
    models = {}
    for name, entry in document.items():
        if not isinstance(entry, Mapping) or "oseries" not in entry:
            raise DefinitionError(
                f"{name!r} is neither a section of a pastas_projects definition "
                f"({', '.join(SECTIONS)}) nor a pastastore model with an 'oseries'"
            )
        models[str(entry.get("name", name))] = _pastastore_model(str(name), dict(entry))
    return Definition(models=models, source="pastastore")


def _series_name(value: Any) -> Any:
    """A pastastore series reference: a name, a dict with a name, or a list of those."""
    if isinstance(value, Mapping):
        return str(value["name"])
    if isinstance(value, list):
        return [_series_name(v) for v in value]
    return value


def _stress_settings(value: Any) -> Any:
    """Series settings of a full export, without the bounds of the series it had then."""
    if isinstance(value, Mapping) and isinstance(value.get("settings"), Mapping):
        settings = dict(value["settings"])
        for key in ("tmin", "tmax", "time_offset"):
            settings.pop(key, None)
        for kind, defaults in ps.timeseries.settings.items():
            if all(settings.get(k) == v for k, v in defaults.items() if k in settings):
                return kind
        return settings
    if isinstance(value, str):
        return value
    return None


def _pastastore_model(name: str, entry: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {"oseries": _series_name(entry["oseries"])}
    stressmodels = {}
    for sm_name, sm in (entry.get("stressmodels") or {}).items():
        sm = dict(sm or {})
        cls = sm.pop("class", None) or sm.pop("stressmodel", None)  # the latter: old docs
        sm.pop("stressmodel", None)
        if cls is None:
            cls = "RechargeModel" if str(sm_name).lower() in RECHARGE_NAMES else "StressModel"
        out: dict[str, Any] = {"class": cls}
        for key in SERIES_KEYS:
            value = sm.pop(key, None)
            if value is None:
                continue
            if cls == "RechargeModel" and key in ("prec", "evap") and value == "nearest":
                value = f"nearest {key}"
            if key == "stress" and cls == "WellModel" and isinstance(value, str):
                value = _pastastore_wells(value)
            if key == "stress" and cls != "WellModel" and isinstance(value, list):
                value = value[0]
            first = value[0] if isinstance(value, list) else value
            settings = _stress_settings(first) if isinstance(first, Mapping) else None
            if key == "stress" and settings is not None and "settings" not in sm:
                out["settings"] = settings
            out[key] = _series_name(value)
        for key in ("rfunc", "rfunc1", "rfunc2", "recharge"):
            if key in sm and sm[key] is not None:
                value = sm.pop(key)
                value = dict(value) if isinstance(value, Mapping) else {"class": value}
                value.pop("gain_scale_factor", None)  # recomputed from the series
                out[key] = value
        if cls == "WellModel" and "distances" in sm and not isinstance(out.get("stress"), str):
            out["distances"] = [float(d) for d in sm.pop("distances")]
        else:
            sm.pop("distances", None)
        for key in ("name", "metadata", "gain_scale_factor", "sort_wells"):
            sm.pop(key, None)
        if isinstance(sm.get("settings"), Mapping | str):
            out["settings"] = _stress_settings({"settings": sm.pop("settings")})
        else:
            sm.pop("settings", None)
        out.update({k: v for k, v in sm.items() if v is not None})
        stressmodels[str(sm_name)] = out
    spec["stressmodels"] = stressmodels
    noise = entry.get("noisemodel")
    if isinstance(noise, Mapping):
        spec["noise"] = {k: v for k, v in noise.items() if k != "norm" or v is not True}
    elif entry.get("noise") is not None:
        spec["noise"] = bool(entry["noise"])
    if "constant" in entry and entry["constant"] is not None:
        spec["constant"] = bool(entry["constant"])
    settings = dict(entry.get("settings") or {})
    for key in ("tmin", "tmax"):
        if settings.get(key) is not None:
            spec[key] = {"value": str(settings[key]), "follows_oseries_if_equal": True}
    solve = {k: settings[k] for k in SETTINGS_KEYS if settings.get(k) is not None}
    if solve.get("fit_constant") is True:
        solve.pop("fit_constant")
    if solve.get("freq") == "D":
        solve.pop("freq")
    if "warmup" in solve:
        warmup = _timedelta(solve["warmup"])
        if warmup == pd.Timedelta(3650, "D"):
            solve.pop("warmup")
        else:
            solve["warmup"] = str(warmup)
    solver = entry.get("solver")
    if isinstance(solver, Mapping) and solver.get("class"):
        solve["solver"] = solver["class"]
    if solve:
        spec["solve"] = solve
    parameters = entry.get("parameters")
    if isinstance(parameters, list):
        table = {}
        for row in parameters:
            row = dict(row)
            pname = row.pop("index", None) or row.pop("name", None)
            if pname is not None:
                table[str(pname)] = {
                    k: row[k] for k in ("initial", "vary", "pmin", "pmax") if k in row
                }
        spec["parameters"] = table
    elif isinstance(parameters, Mapping):
        spec["parameters"] = dict(parameters)
    return spec


def _timedelta(value: Any) -> pd.Timedelta:
    """A warm-up as pastas takes it: a number of days, or a time span ("3650 days")."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return pd.Timedelta(value, "D")
    return pd.Timedelta(value)


def _pastastore_wells(text: str) -> str:
    """Read the ``nearest``, ``nearest <n>`` and ``nearest <n> <kind>`` of pastastore wells."""
    parts = text.split()
    if parts and parts[0] == "nearest":
        if len(parts) == 1:
            return "nearest 1 well"
        if len(parts) == 2 and parts[1].isdigit():
            return f"nearest {parts[1]} well"
    return text


# ---------------------------------------------------------------------- checks
def _where(section: str, name: str, sm: str | None = None) -> str:
    what = {"templates": "template", "models": "model", "defaults": "defaults"}[section]
    text = "defaults" if section == "defaults" else f"{what} {name!r}"
    return f"{text}, stress model {sm!r}" if sm else text


def _class(module: Any, name: Any, base: type | None, where: str, what: str) -> type:
    candidate = getattr(module, name, None) if isinstance(name, str) else None
    if not (inspect.isclass(candidate) and (base is None or issubclass(candidate, base))):
        known = sorted(
            n
            for n, c in vars(module).items()
            if inspect.isclass(c)
            and (base is None or issubclass(c, base))
            and c is not base
            and not n.endswith("Base")
        )
        raise DefinitionError(f"{where}: unknown {what} {name!r}; pastas has {', '.join(known)}")
    return candidate


def _class_spec(value: Any, where: str, what: str) -> dict[str, Any]:
    if isinstance(value, str):
        return {"class": value}
    if isinstance(value, Mapping) and isinstance(value.get("class"), str):
        return dict(value)
    raise DefinitionError(
        f"{where}: {what} must be a class name or {{class: ..., ...}}, not {value!r}"
    )


def parse_nearest(text: str, default_kind: str | None, where: str) -> tuple[int, str | None] | None:
    """``(n, kind)`` of a ``nearest [N] [kind]`` phrase, or None for a stress name."""
    if not isinstance(text, str) or not text.startswith("nearest"):
        return None
    match = _NEAREST.match(" ".join(text.split()))
    if match is None:
        raise DefinitionError(
            f"{where}: cannot read {text!r}; write 'nearest <kind>' or 'nearest <N> <kind>'"
        )
    n = int(match.group(1) or 1)
    if n < 1:
        raise DefinitionError(f"{where}: {text!r} asks for {n} stresses")
    return n, match.group(2) or default_kind


def _stressmodel_class(name: str, spec: Mapping[str, Any], where: str) -> str:
    cls = spec.get("class")
    if cls is None:
        cls = "RechargeModel" if name.lower() in RECHARGE_NAMES else "StressModel"
    _class(ps.stressmodels, cls, ps.stressmodels.StressModelBase, where, "stress model class")
    return cls


def check_definition(definition: Definition) -> None:
    """Check a definition on its own (no store): keys, classes, phrases.

    Raises
    ------
    DefinitionError
        Naming the template or model and what is wrong.

    """
    entries = [("defaults", "", definition.defaults)]
    entries += [("templates", n, s) for n, s in definition.templates.items()]
    entries += [("models", n, s) for n, s in definition.models.items()]
    if not definition.templates and not definition.models:
        raise DefinitionError("the definition has no templates and no models")
    for section, name, spec in entries:
        where = _where(section, name)
        allowed = MODEL_KEYS - ({"match", "name"} if section != "templates" else {"oseries"})
        unknown = sorted(set(spec) - allowed)
        if unknown:
            raise DefinitionError(
                f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; a "
                f"{'template' if section == 'templates' else 'model'} takes "
                f"{', '.join(sorted(allowed))}"
            )
        sms = spec.get("stressmodels") or {}
        if not isinstance(sms, Mapping):
            raise DefinitionError(f"{where}: stressmodels must be a mapping of name -> spec")
        for sm_name, sm in sms.items():
            _check_stressmodel(str(sm_name), sm, _where(section, name, str(sm_name)))
        if spec.get("noise") not in (None, True, False):
            noise = _class_spec(spec["noise"], where, "noise")
            _class(
                ps.noisemodels, noise["class"], ps.noisemodels.NoiseModelBase, where, "noise model"
            )
        solve = spec.get("solve") or {}
        if not isinstance(solve, Mapping):
            raise DefinitionError(f"{where}: solve must be a mapping")
        if solve.get("solver") is not None:
            solver = _class_spec(solve["solver"], where, "solver")
            if solver["class"] not in ("LeastSquares", "Lmfit", "Emcee"):
                raise DefinitionError(
                    f"{where}: unknown solver {solver['class']!r}; use LeastSquares, Lmfit or Emcee"
                )
        for key in ("tmin", "tmax"):
            value = spec.get(key)
            if isinstance(value, Mapping):
                value = value.get("value")
            if value is not None:
                try:
                    pd.Timestamp(value)
                except (TypeError, ValueError):
                    raise DefinitionError(f"{where}: {key} {value!r} is not a time") from None
        if section == "templates":
            _check_match(spec.get("match", "*"), where)
            pattern = spec.get("name", "{oseries}")
            if not isinstance(pattern, str) or "{oseries}" not in pattern:
                raise DefinitionError(
                    f"{where}: name must be a pattern with '{{oseries}}', e.g. "
                    f"'{{oseries}}_{name}', not {pattern!r}"
                )


def _check_match(match: Any, where: str) -> None:
    if isinstance(match, str):
        return
    if isinstance(match, list) and all(isinstance(m, str) for m in match):
        return
    if isinstance(match, Mapping) and set(match) <= {"name", "metadata"}:
        if "metadata" in match and not isinstance(match["metadata"], Mapping):
            raise DefinitionError(f"{where}: match.metadata must be a mapping of key -> value")
        return
    raise DefinitionError(
        f"{where}: match must be a glob of oseries names, a list of globs, or "
        f"{{name: ..., metadata: {{key: value}}}}, not {match!r}"
    )


def _check_stressmodel(name: str, sm: Any, where: str) -> None:
    if not isinstance(sm, Mapping):
        raise DefinitionError(f"{where}: must be a mapping, not {sm!r}")
    cls = _stressmodel_class(name, sm, where)
    for key in ("rfunc", "rfunc1", "rfunc2"):
        if sm.get(key) is not None:
            rfunc = _class_spec(sm[key], where, "rfunc")
            _class(ps.rfunc, rfunc["class"], ps.rfunc.RfuncBase, where, "response function")
    if sm.get("recharge") is not None:
        recharge = _class_spec(sm["recharge"], where, "recharge")
        _class(ps.recharge, recharge["class"], ps.recharge.RechargeBase, where, "recharge model")
    if (
        "stress" in inspect.signature(getattr(ps.stressmodels, cls)).parameters
        and "stress" not in sm
    ):
        raise DefinitionError(f"{where}: a {cls} needs 'stress' (a name or 'nearest ...')")
    for key in SERIES_KEYS:
        value = sm.get(
            key, "nearest" if cls == "RechargeModel" and key in ("prec", "evap") else None
        )
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item is None:
                continue
            if not isinstance(item, str):
                raise DefinitionError(f"{where}: {key} must be a stress name or 'nearest ...'")
            parsed = parse_nearest(item, None, where)
            if parsed and parsed[0] > 1 and cls != "WellModel":
                raise DefinitionError(
                    f"{where}: {item!r} names {parsed[0]} stresses, but a {cls} takes one "
                    "(use class: WellModel for several wells)"
                )


# ---------------------------------------------------------------------- plans
@dataclass
class ModelPlan:
    """One model to build, with every series named: what a definition means for an oseries.

    Attributes
    ----------
    name : str
        Model name.
    oseries : str
        Its oseries.
    stressmodels : list of dict
        Resolved stress model specs: ``class``, ``name``, series keys holding stress
        names (a list for a WellModel), ``rfunc``/``recharge`` specs, ``distances``,
        further keyword arguments of the pastas class.
    noise : dict or None
        Noise model spec (``{"class": "ArNoiseModel"}``), or None.
    constant : bool
        Whether the model has a constant.
    settings : dict
        ``Model.set_settings`` keywords (``freq``, ``warmup``, ``fit_constant``,
        ``freq_obs``, ``tmin``, ``tmax``).
    period : dict
        The fixed calibration period (``tmin``/``tmax``; None: follows the oseries).
    solver : dict or None
        Solver spec (``{"class": "LeastSquares"}``).
    solve_options : dict
        Further keyword arguments of ``Model.solve``, kept with the model.
    parameters : dict
        ``parameter -> {initial, vary, pmin, pmax}`` to set after building.
    source : dict
        Where it came from: ``{"template": name}`` or ``{"model": name}``.

    """

    name: str
    oseries: str
    stressmodels: list[dict[str, Any]]
    noise: dict[str, Any] | None = None
    constant: bool = True
    settings: dict[str, Any] = field(default_factory=dict)
    period: dict[str, str | None] = field(default_factory=lambda: {"tmin": None, "tmax": None})
    solver: dict[str, Any] | None = None
    solve_options: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict."""
        return asdict(self)


def _merge(defaults: Mapping[str, Any], spec: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in spec.items():
        if key == "solve" and isinstance(value, Mapping):
            merged["solve"] = dict(defaults.get("solve") or {}) | dict(value)
        else:
            merged[key] = value
    return merged


def _matches(match: Any, name: str, metadata: Mapping[str, Any]) -> bool:
    if isinstance(match, str):
        return fnmatch.fnmatchcase(name, match)
    if isinstance(match, list):
        return any(fnmatch.fnmatchcase(name, m) for m in match)
    patterns = match.get("name", "*")
    patterns = [patterns] if isinstance(patterns, str) else list(patterns)
    if not any(fnmatch.fnmatchcase(name, p) for p in patterns):
        return False
    for key, wanted in (match.get("metadata") or {}).items():
        value = metadata.get(key)
        options = wanted if isinstance(wanted, list) else [wanted]
        if not any(
            (isinstance(o, str) and isinstance(value, str) and fnmatch.fnmatchcase(value, o))
            or value == o
            for o in options
        ):
            return False
    return True


def model_entries(
    db: Database, definition: Definition, oseries: Iterable[str] | None = None
) -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
    """The models a definition asks for: ``name -> (oseries, merged spec, source)``.

    Parameters
    ----------
    db : Database
        The store (oseries names and metadata, to match templates).
    definition : Definition
        The definition.
    oseries : list of str, optional
        Only models of these oseries (default all in the store).

    """
    records = db.series_records("oseries")
    wanted = set(records) if oseries is None else set(oseries) & set(records)
    entries: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {}
    for template, spec in definition.templates.items():
        merged = _merge(definition.defaults, spec)
        match = spec.get("match", "*")
        pattern = spec.get("name", "{oseries}")
        for name in sorted(wanted):
            if not _matches(match, name, records[name]):
                continue
            model = pattern.replace("{oseries}", name)
            if model in entries:
                other = entries[model][2]["template"]
                raise DefinitionError(
                    f"templates {other!r} and {template!r} both make model {model!r} (of "
                    f"oseries {name!r}); give one a name such as '{{oseries}}_{template}'"
                )
            entries[model] = (name, merged, {"template": template})
    for model, spec in definition.models.items():
        name = str(spec.get("oseries", model))
        if oseries is not None and name not in wanted:
            continue
        entries[model] = (name, _merge(definition.defaults, spec), {"model": model})
    return entries


def check_against_store(db: Database, definition: Definition) -> None:
    """Check what a definition names against the store: stresses, kinds, oseries.

    Raises
    ------
    DefinitionError
        For a stress name not in the store, a ``nearest`` kind no stress has, or a
        model whose oseries is not in the store.

    """
    stresses = db.series_records("stresses")
    kinds = {str(r.get("kind")) for r in stresses.values() if r.get("kind") is not None}
    oseries = set(db.names("oseries"))
    specs = [("defaults", "", definition.defaults)]
    specs += [("templates", n, s) for n, s in definition.templates.items()]
    specs += [("models", n, s) for n, s in definition.models.items()]
    for section, name, spec in specs:
        if section == "models" and str(spec.get("oseries", name)) not in oseries:
            raise DefinitionError(
                f"model {name!r}: oseries {str(spec.get('oseries', name))!r} is not in the store"
            )
        for sm_name, sm in (spec.get("stressmodels") or {}).items():
            where = _where(section, name, str(sm_name))
            cls = _stressmodel_class(str(sm_name), sm, where)
            for key in SERIES_KEYS:
                default = "nearest" if cls == "RechargeModel" and key in ("prec", "evap") else None
                value = sm.get(key, default)
                for item in value if isinstance(value, list) else [value]:
                    if item is None:
                        continue
                    parsed = parse_nearest(item, sm.get("kind") or _default_kind(cls, key), where)
                    if parsed is None:
                        if item not in stresses:
                            raise DefinitionError(f"{where}: stress {item!r} is not in the store")
                    elif parsed[1] is not None and parsed[1] not in kinds:
                        raise DefinitionError(
                            f"{where}: {item!r}: no stress of kind {parsed[1]!r} in the store "
                            f"(kinds: {', '.join(sorted(kinds)) or 'none'})"
                        )


def _default_kind(cls: str, key: str) -> str | None:
    if key in ("prec", "evap"):
        return key
    if key == "temp":
        return "temp"
    if cls == "WellModel":
        return "well"
    return None


class _Resolver:
    """Resolves ``nearest`` phrases for many oseries with one metadata read."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.points = coordinates(db, "oseries")
        self.stresses = coordinates(db, "stresses")

    def nearest(
        self, oseries: str, n: int, kind: str | None, where: str
    ) -> tuple[list[str], list[float]]:
        point = self.points.loc[oseries]
        if pd.isna(point["x"]) or pd.isna(point["y"]):
            raise DefinitionError(
                f"{where}: oseries {oseries!r} has no x/y metadata to find the nearest "
                f"{kind or 'stress'}"
            )
        candidates = self.stresses if kind is None else self.stresses[self.stresses["kind"] == kind]
        candidates = candidates.dropna(subset=["x", "y"])
        if len(candidates) < n:
            what = f"of kind {kind!r} " if kind else ""
            raise DefinitionError(
                f"{where}: 'nearest {n}{' ' + kind if kind else ''}' for oseries {oseries!r} "
                f"needs {n} stresses {what}with x/y metadata; the store has {len(candidates)}"
            )
        distance = (
            (candidates["x"] - point["x"]) ** 2 + (candidates["y"] - point["y"]) ** 2
        ) ** 0.5
        order = distance.sort_values(kind="stable").iloc[:n]
        return [str(i) for i in order.index], [float(d) for d in order.to_numpy()]

    def distances(self, oseries: str, names: list[str], where: str) -> list[float]:
        point = self.points.loc[oseries]
        rows = self.stresses.reindex(names)
        d = ((rows["x"] - point["x"]) ** 2 + (rows["y"] - point["y"]) ** 2) ** 0.5
        if d.isna().any():
            raise DefinitionError(
                f"{where}: cannot compute the distances of oseries {oseries!r} to "
                f"{', '.join(names)}: x/y metadata missing; give 'distances' in the definition"
            )
        return [float(v) for v in d.to_numpy()]


def plan_models(
    db: Database,
    definition: Any,
    oseries: Iterable[str] | None = None,
    names: Iterable[str] | None = None,
) -> tuple[list[ModelPlan], dict[str, str]]:
    """Resolve a definition against the store: one plan per model, or why it cannot be made.

    Parameters
    ----------
    db : Database
        The store.
    definition : Definition, dict, str or path
        The definition (see :func:`load_definition`).
    oseries : list of str, optional
        Only models of these oseries (default all).
    names : list of str, optional
        Only these models.

    Returns
    -------
    (list of ModelPlan, dict)
        The plans, and ``model name -> error`` of models that cannot be made (e.g.
        ``nearest 3 well`` where the store has two wells).

    Raises
    ------
    DefinitionError
        For problems of the whole definition: unknown classes, stresses or kinds,
        templates that make the same model.

    """
    definition = load_definition(definition)
    check_against_store(db, definition)
    entries = model_entries(db, definition, oseries)
    if names is not None:
        wanted = set(names)
        entries = {k: v for k, v in entries.items() if k in wanted}
    resolver = _Resolver(db)
    plans, failures = [], {}
    for model, (name, spec, source) in entries.items():
        try:
            plans.append(_plan(resolver, model, name, spec, source))
        except DefinitionError as err:
            failures[model] = f"DefinitionError: {err}"
    return plans, failures


def _rfunc(value: Any, default: str) -> dict[str, Any]:
    spec = {"class": default} if value is None else _class_spec(value, "", "rfunc")
    return spec


def _plan(
    resolver: _Resolver, model: str, oseries: str, spec: dict[str, Any], source: dict[str, Any]
) -> ModelPlan:
    where = f"model {model!r}" + (
        f" (template {source['template']!r})" if "template" in source else ""
    )
    stressmodels = []
    stresses = resolver.stresses
    for sm_name, sm in (spec.get("stressmodels") or {}).items():
        sm = dict(sm)
        sm_where = f"{where}, stress model {sm_name!r}"
        cls = _stressmodel_class(str(sm_name), sm, sm_where)
        sm.pop("class", None)
        kind_override = sm.pop("kind", None)
        out: dict[str, Any] = {"class": cls, "name": str(sm.pop("name", sm_name))}
        for key in SERIES_KEYS:
            default = "nearest" if cls == "RechargeModel" and key in ("prec", "evap") else None
            value = sm.pop(key, default)
            if value is None:
                continue
            resolved: list[str] = []
            for item in value if isinstance(value, list) else [value]:
                parsed = parse_nearest(item, kind_override or _default_kind(cls, key), sm_where)
                if parsed is None:
                    resolved.append(str(item))
                else:
                    found, _ = resolver.nearest(oseries, parsed[0], parsed[1], sm_where)
                    resolved += found
            out[key] = resolved if cls == "WellModel" and key == "stress" else resolved[0]
            if cls != "WellModel" and len(resolved) > 1:
                raise DefinitionError(f"{sm_where}: {key} names {len(resolved)} stresses")
        if cls == "WellModel":
            wells = out.get("stress", [])
            given = sm.pop("distances", None)
            if given is not None:
                if len(given) != len(wells):
                    raise DefinitionError(
                        f"{sm_where}: {len(given)} distances for {len(wells)} wells"
                    )
                out["distances"] = [float(d) for d in given]
            else:
                out["distances"] = resolver.distances(oseries, wells, sm_where)
        rfunc_default = {
            "RechargeModel": "Exponential",
            "TarsoModel": "Exponential",
            "WellModel": "HantushWellModel",
        }.get(cls, "Gamma")
        up_default = None
        if cls == "StressModel":
            kind = stresses.loc[out["stress"], "kind"] if "stress" in out else None
            rfunc_default, up_default = KIND_RFUNCS.get(str(kind), ("Gamma", True))
            if "settings" not in sm and kind in ps.timeseries.settings:
                out["settings"] = kind
        signature = inspect.signature(getattr(ps.stressmodels, cls)).parameters
        for key in ("rfunc", "rfunc1", "rfunc2"):
            if key in signature and (key == "rfunc" or key in sm):
                out[key] = _rfunc(sm.pop(key, None), rfunc_default)
        if "recharge" in signature:
            value = sm.pop("recharge", None)
            out["recharge"] = _class_spec(value or "Linear", sm_where, "recharge")
        if "up" in signature:
            rfunc_up = (out.get("rfunc") or {}).pop("up", None)
            up = sm.pop("up", rfunc_up if rfunc_up is not None else up_default)
            if up is not None:
                out["up"] = bool(up)
        else:
            (out.get("rfunc") or {}).pop("up", None)
        for key, value in sm.items():
            if key not in signature or key in ("model", "metadata"):
                raise DefinitionError(
                    f"{sm_where}: {cls} takes no {key!r}; it takes "
                    f"{', '.join(p for p in signature if p not in ('model', 'metadata'))}"
                )
            out[key] = value
        stressmodels.append(out)
    noise = spec.get("noise")
    noise_spec = None
    if noise is True:
        noise_spec = {"class": "ArNoiseModel"}
    elif noise not in (None, False):
        noise_spec = _class_spec(noise, where, "noise")
    solve = dict(spec.get("solve") or {})
    solver = solve.pop("solver", None)
    settings = {k: solve.pop(k) for k in SETTINGS_KEYS if k in solve}
    period: dict[str, str | None] = {"tmin": None, "tmax": None}
    follow_if_equal: dict[str, str] = {}
    for key in ("tmin", "tmax"):
        value = spec.get(key)
        if isinstance(value, Mapping):  # from a pastastore export: the period it had then
            follow_if_equal[key] = pd.Timestamp(value["value"]).isoformat()
            value = value["value"]
        if value is not None:
            settings[key] = pd.Timestamp(value).isoformat()
            period[key] = pd.Timestamp(value).isoformat()
    if follow_if_equal:
        record = resolver.db.series_records("oseries", [oseries]).get(oseries, {})
        for key, value in follow_if_equal.items():
            if record.get(f"_{key}") == value:
                period[key] = None
                settings.pop(key, None)
    return ModelPlan(
        name=model,
        oseries=oseries,
        stressmodels=stressmodels,
        noise=noise_spec,
        constant=bool(spec.get("constant", True)),
        settings=settings,
        period=period,
        solver=None if solver is None else _class_spec(solver, where, "solver"),
        solve_options=solve,
        parameters={str(k): dict(v) for k, v in (spec.get("parameters") or {}).items()},
        source=source,
    )


# ---------------------------------------------------------------------- building
def _make(module: Any, spec: Mapping[str, Any]) -> Any:
    spec = dict(spec)
    return getattr(module, spec.pop("class"))(**spec)


def add_planned_stressmodel(
    ml: ps.Model, spec: Mapping[str, Any], read: Callable[[str, str], pd.Series], where: str
) -> Any:
    """Add one resolved stress model spec (of a :class:`ModelPlan`) to a model.

    ``read(library, name)`` gives the stored series. Returns the stress model.
    """
    spec = dict(spec)
    cls = getattr(ps.stressmodels, spec.pop("class"))
    for key in SERIES_KEYS:
        if key in spec:
            value = spec[key]
            if isinstance(value, list):
                spec[key] = [read("stresses", v) for v in value]
            else:
                spec[key] = read("stresses", value)
    for key in ("rfunc", "rfunc1", "rfunc2"):
        if key in spec:
            spec[key] = _make(ps.rfunc, spec[key])
    if "recharge" in spec:
        spec["recharge"] = _make(ps.recharge, spec["recharge"])
    try:
        return cls(ml, **spec)
    except (TypeError, ValueError, KeyError) as err:
        raise DefinitionError(
            f"{where}, stress model {spec.get('name')!r}: pastas refused it: {err}"
        ) from err


def plan_stressmodel(
    db: Database, model: str, oseries: str, name: str, spec: Mapping[str, Any]
) -> dict[str, Any]:
    """Resolve one stress model spec for a model of ``oseries`` (``nearest`` and all).

    Raises
    ------
    DefinitionError
        If the spec is invalid or cannot be resolved in this store.

    """
    where = f"model {model!r}, stress model {name!r}"
    _check_stressmodel(name, spec, where)
    check_against_store(
        db, Definition(models={model: {"oseries": oseries, "stressmodels": {name: dict(spec)}}})
    )
    plan = _plan(_Resolver(db), model, oseries, {"stressmodels": {name: dict(spec)}}, {})
    return plan.stressmodels[0]


def build_from_plan(
    db: Database, plan: ModelPlan, cache: SeriesCache | None = None
) -> tuple[ps.Model, dict[str, str], dict[str, int | None]]:
    """Build (but do not store) the pastas model of a plan from the stored series.

    Returns
    -------
    tuple
        The model, and ``series key -> content hash`` and ``series key -> version``
        of the series it was built from (see :func:`~.build.build_model`).

    Raises
    ------
    DefinitionError
        If pastas refuses a class's arguments, or a parameter of the plan is not one
        of the model's.

    """
    cache = cache or SeriesCache(db)
    inputs: dict[str, str] = {}
    versions: dict[str, int | None] = {}
    where = f"model {plan.name!r}"

    def read(library: str, name: str) -> pd.Series:
        try:
            series, stored = cache.get(library, name)
        except ItemNotFoundError as err:
            raise DefinitionError(f"{where}: {err}") from None
        key = series_key(library, name)
        inputs[key] = stored.metadata.get(HASH_KEY)
        versions[key] = stored.version
        return series

    ml = ps.Model(read("oseries", plan.oseries), name=plan.name, constant=plan.constant)
    for spec in plan.stressmodels:
        add_planned_stressmodel(ml, spec, read, where)
    for module, spec in ((ps.noisemodels, plan.noise), (ps.solver, plan.solver)):
        if spec is not None:  # pastas >= 2.4: the model is the first argument
            spec = dict(spec)
            getattr(module, spec.pop("class"))(ml, **spec)
    if plan.settings:
        settings = dict(plan.settings)
        if "warmup" in settings:
            settings["warmup"] = _timedelta(settings["warmup"])
        ml.set_settings(**settings)
    for parameter, values in plan.parameters.items():
        if parameter not in ml.parameters.index:
            raise DefinitionError(
                f"{where}: parameter {parameter!r} is not one of the model's "
                f"({', '.join(ml.parameters.index)})"
            )
        known = {k: values[k] for k in ("initial", "vary", "pmin", "pmax") if k in values}
        ml.set_parameter(parameter, **known)
    return ml, inputs, versions


def plan_record(plan: ModelPlan) -> dict[str, Any]:
    """What a model built from a plan keeps in its record (``extra`` of ``write_model``)."""
    record: dict[str, Any] = {
        "period": dict(plan.period),
        "definition": {**plan.source, "plan": json.loads(json.dumps(plan.to_dict(), default=str))},
    }
    if plan.solve_options:
        record["solve_options"] = dict(plan.solve_options)
    return record


def build_plans(
    db: Database,
    plans: Iterable[ModelPlan],
    overwrite: bool = False,
    progress: Callable[[Outcome], Any] | None = None,
) -> list[Outcome]:
    """Build and store the model of each plan; record failures with their error.

    Models that exist are kept (``result="skipped"``) unless ``overwrite``.
    """
    cache = SeriesCache(db)
    existing = set() if overwrite else set(db.model_names)
    outcomes = []
    for plan in plans:
        start = time.perf_counter()
        if plan.name in existing:
            outcome = Outcome(plan.name, True, "build", 0.0, result="skipped")
        else:
            try:
                ml, inputs, versions = build_from_plan(db, plan, cache)
                db.write_model(ml, inputs, versions, extra=plan_record(plan))
                outcome = Outcome(plan.name, True, "build", time.perf_counter() - start)
            except Exception as err:  # a model that cannot be built is recorded
                outcome = Outcome(
                    plan.name, False, "build", time.perf_counter() - start, error_text(err)
                )
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return outcomes


# ---------------------------------------------------------------------- export
def _non_default(obj_dict: Mapping[str, Any], module: Any) -> dict[str, Any]:
    """A class spec with only the arguments that differ from the class's defaults."""
    spec = {k: v for k, v in obj_dict.items() if k != "gain_scale_factor"}
    cls = spec.pop("class")
    try:
        defaults = getattr(module, cls)().to_dict()
    except Exception:  # noqa: BLE001 - a class that needs arguments: keep them all
        defaults = {}
    out = {"class": cls}
    for key, value in spec.items():
        if key in defaults and defaults[key] == value:
            continue
        out[key] = _plain(value)
    return out


def export_definition(db: Database, names: Iterable[str]) -> Definition:
    """Write stored models as ``models`` entries of a definition.

    Each entry names the stresses the model uses, its stress model classes,
    response functions (with arguments that differ from pastas' defaults), recharge
    model, noise model, fixed calibration period and solver (options). Building the
    definition again gives the same model structures.

    Parameters
    ----------
    db : Database
        The store.
    names : list of str
        Models.

    Returns
    -------
    Definition

    """
    models: dict[str, dict[str, Any]] = {}
    cache = SeriesCache(db)
    for name in names:
        rebuilt = db.rebuild_model(name, cache=cache)
        ml, record = rebuilt.model, rebuilt.record
        data = ml.to_dict(series=False)
        entry: dict[str, Any] = {"oseries": str(data["oseries"]["name"])}
        stressmodels = {}
        for sm_name, sm in data["stressmodels"].items():
            sm = dict(sm)
            out: dict[str, Any] = {"class": sm.pop("class")}
            for key in SERIES_KEYS:
                value = sm.pop(key, None)
                if value is None:
                    continue
                out[key] = _series_name(value)
                if key == "stress" and out["class"] == "StressModel":
                    settings = _stress_settings(value)
                    if settings is not None:
                        out["settings"] = settings
            for key in ("rfunc", "rfunc1", "rfunc2"):
                if key in sm:
                    out[key] = _non_default(sm.pop(key), ps.rfunc)
                    out[key].pop("up", None)
            if "recharge" in sm:
                out["recharge"] = _non_default(sm.pop("recharge"), ps.recharge)
            if "distances" in sm:
                out["distances"] = [float(d) for d in sm.pop("distances")]
            sm_real_name = sm.pop("name", sm_name)
            for key in ("metadata", "gain_scale_factor", "settings", "sort_wells"):
                sm.pop(key, None)
            out.update({k: _plain(v) for k, v in sm.items() if v is not None})
            if sm_real_name != sm_name:
                out["name"] = sm_real_name
            stressmodels[str(sm_name)] = out
        entry["stressmodels"] = stressmodels
        if data.get("noisemodel"):
            entry["noise"] = _non_default(data["noisemodel"], ps.noisemodels)
        if data.get("constant") is False:
            entry["constant"] = False
        period = rebuilt.period or {}
        for key in ("tmin", "tmax"):
            if period.get(key):
                entry[key] = period[key]
        solve: dict[str, Any] = {}
        settings = data.get("settings") or {}
        if settings.get("freq") not in (None, "D"):
            solve["freq"] = settings["freq"]
        if settings.get("fit_constant") is False:
            solve["fit_constant"] = False
        if settings.get("freq_obs"):
            solve["freq_obs"] = settings["freq_obs"]
        if settings.get("warmup") is not None and pd.Timedelta(settings["warmup"]) != pd.Timedelta(
            3650, "D"
        ):
            solve["warmup"] = str(pd.Timedelta(settings["warmup"]))
        if (data.get("solver") or {}).get("class") not in (None, "LeastSquares"):
            solve["solver"] = data["solver"]["class"]  # LeastSquares is pastas' default
        solve |= dict(record.get("solve_options") or {})
        if solve:
            entry["solve"] = solve
        models[name] = entry
    return Definition(models=models)


__all__ = [
    "Definition",
    "ModelPlan",
    "add_planned_stressmodel",
    "build_from_plan",
    "build_plans",
    "check_against_store",
    "check_definition",
    "export_definition",
    "load_definition",
    "model_entries",
    "parse_nearest",
    "plan_models",
    "plan_record",
    "plan_stressmodel",
    "to_yaml",
]
