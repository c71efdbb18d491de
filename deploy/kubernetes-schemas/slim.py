#!/usr/bin/env python3
"""Writes v1.32-strict.json: the Kubernetes 1.32 JSON Schemas ("strict": no unknown fields) of
the kinds the Helm chart renders, with every definition they reach and nothing else, for the
chart's test (assistant/tests/it/deploy.rs).

The source is the `kubernetes-validate` package's copy of Kubernetes' OpenAPI definitions
(Apache-2.0, see NOTICE):

    pip download kubernetes-validate==1.37.0 --no-deps -d /tmp/kv
    unzip -q /tmp/kv/kubernetes_validate-1.37.0-py3-none-any.whl -d /tmp/kv/x
    python3 deploy/kubernetes-schemas/slim.py \
        /tmp/kv/x/kubernetes_validate/kubernetes-json-schema/v1.32.0-local-strict/_definitions.json
"""

import json
import pathlib
import sys

KINDS = {
    "apps/v1/StatefulSet": "io.k8s.api.apps.v1.StatefulSet",
    "v1/Service": "io.k8s.api.core.v1.Service",
    "v1/Secret": "io.k8s.api.core.v1.Secret",
    "v1/ConfigMap": "io.k8s.api.core.v1.ConfigMap",
    "v1/ServiceAccount": "io.k8s.api.core.v1.ServiceAccount",
}
PREFIX = "#/$defs/"


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def slim(node):
    """Drops the descriptions (the references already point inside this one document)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                continue
            out[key] = slim(value)
        return out
    if isinstance(node, list):
        return [slim(value) for value in node]
    return node


def main():
    source = json.loads(pathlib.Path(sys.argv[1]).read_text())
    definitions = source["$defs"]
    wanted, queue = set(), list(KINDS.values())
    while queue:
        name = queue.pop()
        if name in wanted:
            continue
        wanted.add(name)
        for ref in refs(definitions[name]):
            if ref.startswith(PREFIX):
                queue.append(ref[len(PREFIX):])
    out = {
        "$schema": source["$schema"],
        "x-kubernetes-version": "1.32.0",
        "x-source": "kubernetes-validate 1.37.0, kubernetes-json-schema/v1.32.0-local-strict/_definitions.json",
        "x-kinds": KINDS,
        "$defs": {name: slim(definitions[name]) for name in sorted(wanted)},
    }
    target = pathlib.Path(__file__).with_name("v1.32-strict.json")
    target.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"{target}: {len(wanted)} definitions")


if __name__ == "__main__":
    main()
