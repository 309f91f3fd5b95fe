"""Reads a top-level constant of an emitted app.py as data, without running anything.

Emitted apps name their values once (MODEL_NAME, MODEL_REVISION, MODEL, ENGINE_PORT) and
refer to them by name, as the seeds do: `ENGINE_CMD = [MODEL_NAME, "--port",
str(ENGINE_PORT), f"--revision={MODEL_REVISION}"]`. `constant(tree, "ENGINE_CMD")` reads such
a value back: literals as ast.literal_eval reads them, plus exactly these three forms of a
reference to another top-level constant (itself read the same way). Anything else (a call,
an attribute, an operator) is refused with ValueError, so what is read is data only.
"""

from __future__ import annotations

import ast


def assignments(tree: ast.Module) -> dict[str, ast.expr]:
    """Top-level `NAME = value` assignments, by name."""
    return {
        t.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }


def constant(tree: ast.Module, name: str):
    """The value of the top-level constant `name`; LookupError when there is none."""
    values = assignments(tree)
    if name not in values:
        raise LookupError(name)
    return _read(values[name], values, (name,))


def _read(node: ast.expr, values: dict[str, ast.expr], seen: tuple[str, ...]):
    def ref(name_node: ast.expr):
        if not isinstance(name_node, ast.Name) or name_node.id not in values or name_node.id in seen:
            raise ValueError(f"not a reference to another constant: {ast.dump(name_node)}")
        return _read(values[name_node.id], values, (*seen, name_node.id))

    if isinstance(node, ast.Name):
        return ref(node)
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id == "str" and len(node.args) == 1 and not node.keywords:
            return str(ref(node.args[0]))
        raise ValueError(f"a call other than str(CONSTANT): {ast.unparse(node)}")
    if isinstance(node, ast.JoinedStr):
        parts = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append(part.value)
            elif isinstance(part, ast.FormattedValue) and part.conversion == -1 and part.format_spec is None:
                parts.append(str(ref(part.value)))
            else:
                raise ValueError(f"an f-string part other than {{CONSTANT}}: {ast.unparse(node)}")
        return "".join(parts)
    if isinstance(node, ast.List):
        return [_read(e, values, seen) for e in node.elts]
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise ValueError("a ** in a dict")
        return {_read(k, values, seen): _read(v, values, seen) for k, v in zip(node.keys, node.values)}
    return ast.literal_eval(node)
