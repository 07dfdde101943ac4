"""OpenAPI 3.1 documents of the provider contracts, for Schemathesis, Prism, openapi-generator & co.

    >>> from sdcontracts.openapi import document
    >>> spec = document("novita")
    >>> body = spec["paths"]["/v3/async/img2img"]["post"]["requestBody"]["content"]["application/json"]
    >>> body["schema"]
    {'$ref': '#/components/schemas/Img2ImgRequest'}
    >>> [name for name in sorted(body["examples"]) if "-generated-" in name]  # sdcontracts.strategies
    ['img2img-generated-1', 'img2img-generated-2', 'img2img-generated-3']

``sdcontracts openapi novita -o novita.openapi.json`` writes the same document.

Everything is read from ``schemas/<id>/`` when the document is built, and the document is never
stored, so it cannot drift from the schemas:

- *Operations* are ``provider.json``'s ``operations``, the same list the mock serves. Operations
  sharing a method and path (PICPIK's ``POST /``, chosen by the body's ``Action``) become one
  operation whose body is a ``oneOf`` discriminated by that field.
- *Schemas* are embedded: each schema file is a component named by its ``title`` (the name the
  generated pydantic model has), its ``$defs`` are hoisted next to it, each local ``$ref`` is
  rewritten to point there, and ``$schema`` is dropped. Where the sources dispute a constraint,
  the component states what is accepted by default (the lenient reading, as `sdcontracts.validate`
  and the mock accept it: a tool must not reject what the provider accepts); the disputes, with
  both readings and their sources, are in the document's ``x-sdcontracts-disputes``. Nothing else
  changes, annotations (``x-doc``, ``x-image``, …) included. A root carries
  ``x-sdcontracts-schema``, the file it came from. One self-contained file is what every tool
  reads, Prism and Schemathesis included; a document of ``$ref`` s to the shipped files by URL
  would depend on each tool's resolver.
- *Errors* are the provider's envelope (its ``error`` schema) at every HTTP status its
  ``errors.codes`` name. Where a provider answers errors inside HTTP 200 (PICPIK, Zhiqite, Alibaba's
  service errors), the 200 response is ``anyOf`` the success schema and the envelope.
- *Auth* is a security scheme where OpenAPI can say it (bearer, API-key headers). Signatures it
  cannot express are described in ``x-sdcontracts-signature`` on the scheme that carries them
  (Tensor.Art's TAMS-SHA256-RSA, Alibaba's gateway HMAC), or, for PICPIK whose signature travels
  in the body, only in the document's ``x-sdcontracts-auth`` (``provider.json``'s ``auth``, with the
  ``sdcontracts.auth`` class that signs it).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import __version__
from ._catalogue import check_provider, provider_info, raw_schema, schema_names
from ._compiler import int64_keywords
from ._disputes import disputes, lenient_document
from ._registry import get as registered
from ._validation import validate

__all__ = ["OPENAPI_VERSION", "document"]

OPENAPI_VERSION = "3.1.0"
_JSON = "application/json"
_COMPONENTS = "#/components/schemas/"

Document = dict[str, Any]


def document(provider: str, *, servers: Iterable[str] = ()) -> Document:
    """The OpenAPI 3.1 document of ``provider``'s contract, as a JSON-serialisable dict.

    ``servers`` are URLs listed before the documented base URLs, e.g. the mock's
    ``http://127.0.0.1:8000``, so that a tool picking the first server calls it.
    """
    info = provider_info(check_provider(provider))
    signer = ", ".join(registered(provider).profile.signers)
    schemas, names = _components(provider)
    schemes, requirements = _security(info["auth"], signer)
    paths: dict[str, dict[str, Any]] = {}
    grouped: dict[tuple[str, str], list[str]] = {}
    for name, operation in info["operations"].items():
        grouped.setdefault((operation["path"], operation["method"].lower()), []).append(name)
    examples = _Examples(provider, schemas, names)
    for (path, method), operations in grouped.items():
        paths.setdefault(path, {})[method] = _operation(info, names, operations, requirements, examples)
    components: dict[str, Any] = {"schemas": schemas}
    if schemes:
        components["securitySchemes"] = schemes
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": info["name"],
            "version": __version__,
            "description": f"The {info['name']} contract as sdcontracts states it, exported from its "
            f"hand-derived schemas (schemas/{provider}/). Each constraint's doc sentence is in x-doc; "
            "x-source names its source in x-sdcontracts-sources.",
            "x-sdcontracts-provider": provider,
        },
        "servers": [{"url": url, "description": "given at export"} for url in servers] + _servers(info),
        "paths": paths,
        "components": components,
        "x-sdcontracts-auth": {**info["auth"], "signer": signer},
        "x-sdcontracts-lifecycle": info["lifecycle"],
        "x-sdcontracts-sources": info["sources"],
        "x-sdcontracts-disputes": [d.to_dict() for d in disputes(provider)],
    }


# -- schemas -----------------------------------------------------------------------------------


def _components(provider: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Every schema of the provider as components, and schema name -> component name."""
    components: dict[str, Any] = {}
    names: dict[str, str] = {}
    for schema in schema_names(provider):
        root = lenient_document(raw_schema(provider, schema))
        root.pop("$schema", None)
        hoisted = root.pop("$defs", {})
        root["x-sdcontracts-schema"] = f"schemas/{provider}/{schema}.schema.json"
        names[schema] = root["title"]
        for name, body in [*hoisted.items(), (root["title"], root)]:
            body = _stated(_rewrite_refs(body))
            if components.setdefault(name, body) != body:
                raise ValueError(f"{provider}: two different schemas are named {name!r} ({schema})")
    return dict(sorted(components.items())), names


def _rewrite_refs(node: Any) -> Any:
    """A copy with each ``#/$defs/X`` reference pointing at the hoisted component ``X``."""
    if isinstance(node, list):
        return [_rewrite_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _rewrite_refs(value) for key, value in node.items()}
    ref = out.get("$ref")
    if isinstance(ref, str):
        if not ref.startswith("#/$defs/"):  # the schema language allows nothing else (schemas/README.md)
            raise ValueError(f"cannot export the reference {ref!r}: only local #/$defs/ references are supported")
        out["$ref"] = _COMPONENTS + ref[len("#/$defs/") :]
    return out


def _stated(node: Any) -> Any:
    """A copy with what the engine reads into ``format: int64`` stated in standard keywords beside it
    (`int64_keywords`: a pattern for strings, the int64 range for numbers). Other tools ignore a format
    they do not know, so without them ``{"expireSec": ""}`` was valid per the export and refused by the
    engine and the mock."""
    if isinstance(node, list):
        return [_stated(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _stated(value) for key, value in node.items()}
    if out.get("format") == "int64":
        out.update(int64_keywords(out))
    return out


def _field(provider: str, names: Mapping[str, str], source: str) -> tuple[dict[str, str], str]:
    """Where ``<schema>#/properties/a/properties/b`` (provider.json's name for a response field) is:
    ``{"$ref"}`` to its schema in the document, following references, and its JSON Pointer in a
    response (``/a/b``)."""
    schema, _, pointer = source.partition("#")
    root = raw_schema(provider, schema)
    node, component, location, instance = root, names[schema], "", ""
    steps = pointer.split("/")[1:]
    if len(steps) % 2 or any(step != "properties" for step in steps[::2]):
        raise ValueError(f"{provider}: {source!r} must name a field as #/properties/<name>/properties/<name>…")
    for name in steps[1::2]:
        node, location, instance = node["properties"][name], f"{location}/properties/{name}", f"{instance}/{name}"
        ref = node.get("$ref")
        if isinstance(ref, str):
            component = ref[len("#/$defs/") :]
            node, location = root["$defs"][component], ""
    return {"$ref": _COMPONENTS + component + location}, instance


def _ref(names: Mapping[str, str], schema: str) -> dict[str, str]:
    return {"$ref": _COMPONENTS + names[schema]}


# -- operations --------------------------------------------------------------------------------


def _operation(
    info: Mapping[str, Any],
    names: Mapping[str, str],
    operations: list[str],
    security: list[dict[str, list[str]]],
    examples: _Examples,
) -> dict[str, Any]:
    """One OpenAPI operation for the provider.json operations sharing a method and path."""
    entries = [info["operations"][name] for name in operations]
    requests = [entry["request"] for entry in entries if "request" in entry]
    result: dict[str, Any] = {
        "operationId": _operation_id(info["operations"], operations[0]),
        "summary": " or ".join(operations) if len(operations) > 1 else operations[0],
    }
    described = (raw_schema(info["id"], s).get("description") for s in [*requests, *(e["response"] for e in entries)])
    description = next((text for text in described if text), None)
    if len(entries) > 1:
        by = "Action" if all("action" in entry for entry in entries) else None
        description = f"One endpoint for {', '.join(operations)}" + (f", chosen by the body's {by}." if by else ".")
        result["x-sdcontracts-operations"] = {name: info["operations"][name] for name in operations}
    if description:
        result["description"] = description
    parameters = _parameters(info, names, entries, examples)
    if parameters:
        result["parameters"] = parameters
    if requests:
        body: dict[str, Any] = {"schema": _request_schema(names, entries)}
        body.update(examples.requests(requests))
        result["requestBody"] = {"required": True, "content": {_JSON: body}}
    result["responses"] = _responses(info, names, [entry["response"] for entry in entries], examples)
    links = {key: link for name in operations for key, link in _links(info, names, name).items()}
    if links:
        result["responses"]["200"]["links"] = links
    if security:
        result["security"] = security
    for entry in entries:
        result.update({key: value for key, value in entry.items() if key.startswith("x-")})
    return result


def _request_schema(names: Mapping[str, str], entries: list[dict[str, Any]]) -> dict[str, Any]:
    refs = [_ref(names, entry["request"]) for entry in entries if "request" in entry]
    if len(refs) == 1:
        return refs[0]
    schema: dict[str, Any] = {"oneOf": refs}
    if all("action" in entry for entry in entries):
        mapping = {entry["action"]: _ref(names, entry["request"])["$ref"] for entry in entries}
        schema["discriminator"] = {"propertyName": "Action", "mapping": mapping}
    return schema


def _parameters(
    info: Mapping[str, Any], names: Mapping[str, str], entries: list[dict[str, Any]], examples: _Examples
) -> list[Any]:
    found: list[dict[str, Any]] = []
    for entry in entries:
        for name, parameter in entry.get("parameters", {}).items():
            if parameter["in"] == "body":  # a field of the request schema; it only makes a link
                continue
            schema: dict[str, Any] = _field(info["id"], names, parameter["from"])[0]
            if parameter["required"]:  # present is not enough: the mock refuses an empty one (task_id=)
                schema = {"allOf": [schema], "minLength": 1}
            found.append(
                {
                    "name": name,
                    "in": parameter["in"],
                    "required": parameter["required"],
                    "description": parameter.get(
                        "description", f"The {name} the {parameter['from'].partition('#')[0]} answer holds."
                    ),
                    "schema": schema,
                    **examples.parameter(parameter["from"]),
                }
            )
        for name in entry.get("headers", ()):
            header = info["headers"][name]
            parameter = {"name": name, "in": "header", "required": header["required"]}
            parameter.update(description=header["doc"], schema={"type": header["type"]})
            found.append(parameter)
    unique = {(p["in"], p["name"]): p for p in found}
    return list(unique.values())


def _links(info: Mapping[str, Any], names: Mapping[str, str], source: str) -> dict[str, Any]:
    """OpenAPI links from ``source``'s response to each operation taking a value from it: how a
    tool (Schemathesis' stateful tests, a reader) gets from a submitted task to its query."""
    operations: Mapping[str, Any] = info["operations"]
    found: dict[str, Any] = {}
    for name, target in operations.items():
        inputs = {
            key: (parameter["in"], _field(info["id"], names, parameter["from"])[1])
            for key, parameter in target.get("parameters", {}).items()
            if parameter["from"].partition("#")[0] == operations[source]["response"]
        }
        if not inputs:
            continue
        link: dict[str, Any] = {"operationId": _operation_id(operations, name)}
        parameters = {key: f"$response.body#{at}" for key, (where, at) in inputs.items() if where != "body"}
        body = {key: f"$response.body#{at}" for key, (where, at) in inputs.items() if where == "body"}
        if parameters:
            link["parameters"] = parameters
        if body:
            link["requestBody"] = {"Action": target["action"], **body} if "action" in target else body
            link.update(_WHOLE_BODY)
        link["description"] = f"The {name} operation for what this {source} made."
        found[name] = link
    if source == _QUERY:
        found["poll"] = _poll(operations[source], _operation_id(operations, source))
    return found


_QUERY = "task"  # provider.json's status query: its answer holds the lifecycle's status
# A link's requestBody is the whole body of the request it makes (credentials aside, which signers add).
# Schemathesis merges it into a generated body unless told otherwise; merged into PICPIK's POST /, whose
# body is either Action's, the task query got the submit's fields too and was refused. Other tools ignore it.
_WHOLE_BODY = {"x-schemathesis": {"merge_body": False}}


def _poll(query: Mapping[str, Any], operation_id: str) -> dict[str, Any]:
    """The status query linked to itself with the parameters it was sent: a tool following links
    polls a task until it ends, as a client does (a status is seldom final on the first query)."""
    link: dict[str, Any] = {"operationId": operation_id}
    where = {name: parameter["in"] for name, parameter in query.get("parameters", {}).items()}
    parameters = {name: f"$request.{place}.{name}" for name, place in where.items() if place != "body"}
    body = {name: f"$request.body#/{name}" for name, place in where.items() if place == "body"}
    if parameters:
        link["parameters"] = parameters
    if body:
        link["requestBody"] = {"Action": query["action"], **body} if "action" in query else body
        link.update(_WHOLE_BODY)
    link["description"] = "The same task queried again, until its status is final."
    return link


def _operation_id(operations: Mapping[str, Any], name: str) -> str:
    """The operationId of the OpenAPI operation documenting provider.json's ``name``."""
    mine = operations[name]
    return "_or_".join(
        n for n, op in operations.items() if (op["method"], op["path"]) == (mine["method"], mine["path"])
    )


class _Examples:
    """The document's examples: valid doc examples, and valid requests generated for each request.

    Doc examples (``schemas/<id>/examples/``) are shown unless their recorded verdict is invalid. A
    doc may have no valid request, or one that needs uploads first (Tensor.Art's inpaint job), so
    each request body also shows the smallest of a few valid values from `sdcontracts.strategies`
    that can be sent as they are, drawn with a fixed seed so that every export is the same. With
    them, tools sending a document's examples (Schemathesis' examples phase, and its stateful phase,
    which starts from one in five of its draws) get tasks made and follow the links through a
    task's lifecycle; PICPIK's one doc request, among three generated task queries on the same
    operation, was drawn too seldom for that. Generated values need Hypothesis
    (``sdcontracts[conformance]``); without it only doc examples are shown. Each is valid against
    the exported schema too: tools drop examples their schema refuses (a Tensor.Art snake_case
    spelling, which the export does not list).
    """

    def __init__(self, provider: str, schemas: Mapping[str, Any], names: Mapping[str, str]) -> None:
        from ._corpus import examples

        self.provider = provider
        self.names = names
        self.schemas = schemas
        self.corpus = [example for example in examples(provider) if example.verdict != "invalid"]
        self._validators: dict[str, Any] = {}

    def requests(self, schemas: Iterable[str]) -> dict[str, Any]:
        """``{"examples"}`` for a request body of ``schemas`` (empty when there are none)."""
        found: dict[str, Any] = {}
        for schema in schemas:
            doc = [example for example in self.corpus if example.schema == schema]
            found.update({example.name: {"summary": example.title, "value": example.payload} for example in doc})
            for index, value in enumerate(self.generated(schema), 1):
                summary = f"A valid {schema} generated by sdcontracts.strategies"
                found[f"{schema.split('.')[0]}-generated-{index}"] = {"summary": summary, "value": value}
        return {"examples": found} if found else {}

    def responses(self, schemas: Iterable[str]) -> dict[str, Any]:
        """``{"examples"}`` of the doc examples of response ``schemas``."""
        wanted = set(schemas)
        found = {e.name: {"summary": e.title, "value": e.payload} for e in self.corpus if e.schema in wanted}
        return {"examples": found} if found else {}

    def parameter(self, source: str) -> dict[str, Any]:
        """``{"examples"}`` for a parameter taking ``source`` (``<schema>#/properties/…``): the values
        valid answers of that schema hold there, doc examples first."""
        schema, _, pointer = source.partition("#")
        answers = [example.payload for example in self.corpus if example.schema == schema]
        values: list[Any] = []
        for answer in [*answers, *([] if answers else self.generated(schema))]:
            value = _at(answer, pointer.split("/")[2::2])
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value) and value not in values:
                values.append(value)
        return {"examples": {f"value-{i}": {"value": v} for i, v in enumerate(values[:_KEPT], 1)}} if values else {}

    def generated(self, schema: str) -> list[Any]:
        """The smallest few of ``_DRAWN`` valid values of ``schema`` that can be sent as they are."""
        drawn = _drawn(self.provider, schema)
        usable = [value for value in drawn if self._sendable(schema, value)]
        return sorted(usable, key=lambda value: len(json.dumps(value)))[:_KEPT]

    def _sendable(self, schema: str, value: Any) -> bool:
        """Valid, valid against the exported schema, and (a request) needing nothing done first."""
        if not validate(self.provider, value, schema=schema).ok:
            return False
        if not self._exported(schema).is_valid(value):
            return False
        return schema != _SUBMIT or not _needs_preparation(self.provider, value)

    def _exported(self, schema: str) -> Any:
        """A validator of ``schema``'s component as the document states it."""
        if schema not in self._validators:
            import jsonschema_rs

            root = {"components": {"schemas": self.schemas}, "$ref": _COMPONENTS + self.names[schema]}
            self._validators[schema] = jsonschema_rs.Draft202012Validator(root)
        return self._validators[schema]


_SUBMIT = "img2img.request"  # the request a provider may need things done for first (conformance's PREPARE)
_SEED = 2026  # generated examples: the same values on every export (with the same Hypothesis)
_DRAWN = 24  # valid values drawn per schema
_KEPT = 3  # the smallest of them shown


@functools.cache
def _drawn(provider: str, schema: str) -> tuple[Any, ...]:
    try:
        from .conformance._cases import valid_payloads
    except ImportError:  # no Hypothesis (sdcontracts[conformance]): doc examples only
        return ()
    return tuple(valid_payloads(provider, schema, _DRAWN, _SEED))


def _needs_preparation(provider: str, payload: Any) -> bool:
    from .conformance._checks import needs_preparation

    return needs_preparation(provider, payload)


def _at(document: Any, steps: list[str]) -> Any:
    for step in steps:
        if not isinstance(document, dict):
            return None
        document = document.get(step)
    return document


def _responses(
    info: Mapping[str, Any], names: Mapping[str, str], successes: list[str], examples: _Examples
) -> dict[str, Any]:
    """200 with the success schema(s); each documented error status with the error envelope."""
    codes: dict[int, list[str]] = {}
    for code, entry in info["errors"]["codes"].items():
        label = f"{code} {entry['name']}" if "name" in entry else code
        codes.setdefault(int(entry["status"]), []).append(label)
    error = _ref(names, info["error"])
    success = [_ref(names, schema) for schema in dict.fromkeys(successes)]
    description = "Success."
    if 200 in codes:
        success.append(error)
        description = f"Success, or an error in the provider's HTTP 200 envelope: {', '.join(codes[200])}."
    body: dict[str, Any] = {"schema": success[0] if len(success) == 1 else {"anyOf": success}}
    body.update(examples.responses(successes))
    responses: dict[str, Any] = {"200": {"description": description, "content": {_JSON: body}}}
    for status in sorted(set(codes) - {200}):
        envelope: dict[str, Any] = {"schema": error, **examples.responses([info["error"]])}
        responses[str(status)] = {"description": f"Error: {', '.join(codes[status])}.", "content": {_JSON: envelope}}
    return responses


def _servers(info: Mapping[str, Any]) -> list[dict[str, Any]]:
    variables: dict[str, Any] = info.get("server_variables", {})
    servers = []
    for key, url in info["base_urls"].items():
        server: dict[str, Any] = {"url": url, "description": key}
        used = {name: variables[name] for name in variables if f"{{{name}}}" in url}
        if used:
            server["variables"] = used
        servers.append(server)
    return servers


# -- security ----------------------------------------------------------------------------------

Schemes = dict[str, dict[str, Any]]
Requirements = list[dict[str, list[str]]]


def _signature(auth: Mapping[str, Any], signer: str) -> dict[str, Any]:
    return {"scheme": auth["scheme"], "doc": auth["doc"], "signer": signer}


def _bearer(auth: Mapping[str, Any], signer: str) -> tuple[Schemes, Requirements]:
    return {"bearer": {"type": "http", "scheme": "bearer", "description": auth["doc"]}}, [{"bearer": []}]


def _bearer_or_tams(auth: Mapping[str, Any], signer: str) -> tuple[Schemes, Requirements]:
    schemes, requirements = _bearer(auth, signer)
    schemes["tamsRsa"] = {
        "type": "apiKey",
        "in": "header",
        "name": auth["header"],
        "description": "TAMS-SHA256-RSA: an RSA signature of the request in the Authorization header "
        "(legacy; see x-sdcontracts-signature).",
        "x-sdcontracts-signature": _signature(auth, "sdcontracts.auth.TamsRsaAuth"),
    }
    return schemes, [*requirements, {"tamsRsa": []}]


def _aliyun(auth: Mapping[str, Any], signer: str) -> tuple[Schemes, Requirements]:
    schemes: Schemes = {
        "appKey": {"type": "apiKey", "in": "header", "name": "x-ca-key", "description": "The AppKey."},
        "signature": {
            "type": "apiKey",
            "in": "header",
            "name": "x-ca-signature",
            "description": "HmacSHA256 over the request with the AppSecret, with the other gateway headers "
            f"({', '.join(h for h in auth['headers'] if h not in ('x-ca-key', 'x-ca-signature'))}); "
            "see x-sdcontracts-signature.",
            "x-sdcontracts-signature": _signature(auth, signer),
        },
    }
    return schemes, [{"appKey": [], "signature": []}]


def _key_headers(auth: Mapping[str, Any], signer: str) -> tuple[Schemes, Requirements]:
    schemes: Schemes = {
        header: {"type": "apiKey", "in": "header", "name": header, "description": auth["doc"]}
        for header in auth["headers"]
    }
    return schemes, [{header: [] for header in auth["headers"]}]


def _body_signature(auth: Mapping[str, Any], signer: str) -> tuple[Schemes, Requirements]:
    return {}, []  # PublicKey and Signature are body fields, required by the request schemas


# provider.json's auth scheme -> its OpenAPI security schemes; a scheme OpenAPI cannot state (a body
# signature, or one no builder knows) has none, and is described in x-sdcontracts-auth alone
_SCHEMES: dict[str, Callable[[Mapping[str, Any], str], tuple[Schemes, Requirements]]] = {
    "bearer": _bearer,
    "bearer-or-tams-rsa": _bearer_or_tams,
    "aliyun-api-gateway-hmac-sha256": _aliyun,
    "key-headers": _key_headers,
}


def _security(auth: Mapping[str, Any], signer: str) -> tuple[Schemes, Requirements]:
    return _SCHEMES.get(auth["scheme"], _body_signature)(auth, signer)
