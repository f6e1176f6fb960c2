"""The OpenAPI 3.1 document, generated from the declared endpoints and their pydantic schemas."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter

from navigator.api import PUBLIC, RouteTable


def _schema(tp: Any, components: dict[str, Any]) -> dict[str, Any]:
    schema = TypeAdapter(tp).json_schema(ref_template="#/components/schemas/{model}")
    components.update(schema.pop("$defs", {}))
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        components[tp.__name__] = schema
        return {"$ref": f"#/components/schemas/{tp.__name__}"}
    return schema


def build_openapi(tables: list[RouteTable], version: str) -> dict[str, Any]:
    """OpenAPI 3.1 generated from the declared endpoints and their pydantic schemas."""
    components: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message"],
                                     "properties": {"code": {"type": "string"},
                                                    "message": {"type": "string"}}}},
        }
    }
    err_ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    paths: dict[str, Any] = {}
    for table in tables:
        for ep in table.endpoints:
            op_id = ep.method.lower() + ep.path.replace("/", "_").replace(".", "_")
            op: dict[str, Any] = {"summary": ep.summary, "tags": [table.area],
                                  "operationId": op_id.replace("{", "").replace("}", "")}
            params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                      for n in _path_params(ep.path)]
            if ep.query is not None:
                qschema = ep.query.model_json_schema()
                required = set(qschema.get("required", []))
                for name, prop in qschema.get("properties", {}).items():
                    params.append({"name": name, "in": "query", "required": name in required,
                                   "schema": prop})
            if params:
                op["parameters"] = params
            if ep.body is not None:
                op["requestBody"] = {"required": True, "content": {
                    "application/json": {"schema": _schema(ep.body, components)}}}
            elif ep.raw_body is not None:
                op["requestBody"] = {"required": True, "content": {
                    ep.raw_body: {"schema": {"type": "string", "format": "binary"}}}}
            if ep.messages is not None:
                op["x-websocket-client-messages"] = _schema(ep.messages, components)
            ok: dict[str, Any] = {"description": "OK"}
            if ep.response is not None:
                ok["content"] = {"application/json": {"schema": _schema(ep.response, components)}}
            responses: dict[str, Any] = {str(ep.status): ok}
            codes = set(ep.errors)
            if ep.body is not None or ep.query is not None:
                codes |= {400, 422}
            if ep.body is not None or ep.raw_body is not None:
                codes |= {408, 413}
            codes.add(429)  # anonymous callers, and failed keys, count against a rate limit
            if ep.role != PUBLIC:
                codes |= {401, 403}
                op["security"] = [{"bearer": []}]
            for code in sorted(codes):
                responses[str(code)] = {"description": "error", **err_ref}
            op["responses"] = responses
            paths.setdefault(ep.path, {})[ep.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Blind Pilot", "version": version,
                 "description": "Guidance backend for blind and visually impaired pedestrians."},
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def _path_params(path: str) -> list[str]:
    out = []
    for part in path.split("/"):
        if "{" in part:
            out.append(part[part.index("{") + 1: part.index("}")].split(":")[0])
    return out
