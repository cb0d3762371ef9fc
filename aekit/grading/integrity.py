"""Pure checks of the code a student wrote: what a cell binds, and code that games the tests.

``bound_names`` lists the names a cell binds at its top level (the grader protects the ones
that read-only cells bind). ``scan_submission`` reads the student's cells without running them
and reports code that changes what the tests rely on: library functions, builtins, the
notebook's globals, the kernel, or objects that compare equal to anything. Findings are
shown to the instructor for review; the checks in the kernel (``guard``) are what keep the
marks honest.
"""
from __future__ import annotations

import ast
import builtins

from aekit.grading.structure import nbgrader_meta

__all__ = ["bound_names", "scan_source", "scan_submission"]

_BUILTINS = {name for name in vars(builtins) if not name.startswith("_")} | {"__import__"}
_SUSPECT_NAMES = {
    "__builtins__": "uses __builtins__", "builtins": "uses the builtins module",
    "globals": "calls globals()", "gc": "uses the gc module", "inspect": "uses inspect",
    "ctypes": "uses ctypes", "importlib": "uses importlib", "get_ipython": "uses get_ipython()",
    "exec": "calls exec()", "eval": "calls eval()", "compile": "calls compile()",
    "threading": "starts or inspects threads", "multiprocessing": "uses multiprocessing",
    "__main__": "uses the __main__ module", "sys": None,
}
_SUSPECT_ATTRS = {
    "__code__": "changes or reads a function's __code__", "__globals__": "reads a function's __globals__",
    "__dict__": "reads or writes an object's __dict__",
    "modules": None, "_getframe": "inspects the call stack (sys._getframe)",
    "settrace": "sets a trace function", "setprofile": "sets a profile function",
    "excepthook": "replaces sys.excepthook", "grading": "uses aekit.grading",
}
_TRICK_METHODS = {"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__",
                  "__float__", "__abs__", "__len__", "__torch_function__", "__array__",
                  "__array_ufunc__", "__array_function__", "__instancecheck__", "__subclasscheck__",
                  "__getattr__", "__getattribute__"}
_TRICK_BASES = {"Tensor", "ndarray", "float", "int", "dict", "list", "tuple", "Parameter"}


def _parse(source: str):
    lines = [("pass" if line.lstrip().startswith(("%", "!")) else line) for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _targets(node) -> list:
    if isinstance(node, (ast.Assign, ast.Delete)):
        return list(node.targets)
    if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
        return [node.target]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in node.items if item.optional_vars is not None]
    if isinstance(node, ast.NamedExpr):
        return [node.target]
    return []


def _names_in(target) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _names_in(elt)]
    if isinstance(target, ast.Starred):
        return _names_in(target.value)
    return []


def _top_level(tree):
    """The statements run at the top level of a cell (not inside functions or classes)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop(0)
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                stack.extend(getattr(node, field, []) or [])


def bound_names(source: str) -> list[str]:
    """Names a cell binds at its top level: assignments, loops, with, def, class, import."""
    tree = _parse(source)
    if tree is None:
        return []
    names = []
    for node in _top_level(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"]
        elif not isinstance(node, ast.Delete):
            names += [n for t in _targets(node) for n in _names_in(t)]
    return list(dict.fromkeys(names))


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def scan_source(source: str, modules: set[str]) -> list[str]:
    """What one cell's code does that can game the tests; ``modules``: names bound to modules."""
    tree = _parse(source)
    if tree is None:
        return []
    found = []
    top = set(map(id, _top_level(tree)))
    for node in ast.walk(tree):
        for target in _targets(node):
            if isinstance(target, (ast.Attribute, ast.Subscript)) and _root(target) in modules:
                found.append(f"changes {ast.unparse(target)}")
            elif id(node) in top:
                found += [f"rebinds the builtin '{n}'" for n in _names_in(target) if n in _BUILTINS]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and \
                id(node) in top and node.name in _BUILTINS:
            found.append(f"rebinds the builtin '{node.name}'")
        if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) in top:
            found += [f"rebinds the builtin '{a.asname or a.name}'" for a in node.names
                      if (a.asname or a.name) in _BUILTINS]
        if isinstance(node, ast.Global):
            found.append(f"writes notebook globals from a function ({', '.join(node.names)})")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in ("setattr", "delattr") and node.args and _root(node.args[0]) in modules:
            found.append(f"calls {node.func.id}() on {ast.unparse(node.args[0])}")
        if isinstance(node, ast.Name) and _SUSPECT_NAMES.get(node.id):
            found.append(_SUSPECT_NAMES[node.id])
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                module = (node.module if isinstance(node, ast.ImportFrom) else alias.name) or ""
                for part in (module.split(".")[0], alias.name.split(".")[0]):
                    if _SUSPECT_NAMES.get(part):
                        found.append(_SUSPECT_NAMES[part])
                if module.startswith("aekit.grading") or alias.name.startswith("aekit.grading"):
                    found.append("uses aekit.grading")
        if isinstance(node, ast.Attribute) and _SUSPECT_ATTRS.get(node.attr):
            found.append(_SUSPECT_ATTRS[node.attr])
        if isinstance(node, ast.Attribute) and node.attr == "modules" and _root(node) == "sys":
            found.append("uses sys.modules")
        if isinstance(node, ast.ClassDef):
            tricks = sorted(f.name for f in node.body
                            if isinstance(f, (ast.FunctionDef, ast.Assign)) and
                            getattr(f, "name", None) in _TRICK_METHODS)
            tricks += sorted(t.id for f in node.body if isinstance(f, ast.Assign)
                             for t in f.targets if isinstance(t, ast.Name) and t.id in _TRICK_METHODS)
            bases = [b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in node.bases]
            if tricks:
                found.append(f"defines class {node.name} with {', '.join(tricks)}")
            if set(bases) & _TRICK_BASES:
                found.append(f"defines class {node.name}, a subclass of {', '.join(sorted(set(bases) & _TRICK_BASES))}")
    return list(dict.fromkeys(found))


def scan_submission(submitted_nb) -> list[str]:
    """Findings in the student's code cells (read-only cells are restored before grading)."""
    cells = [c for c in submitted_nb.cells if c.cell_type == "code"]
    modules = {"np", "torch", "nn", "F", "math", "aekit", "sklearn", "scipy", "builtins", "sys", "os"}
    for cell in cells:
        tree = _parse(cell.source)
        for node in (ast.walk(tree) if tree is not None else []):
            if isinstance(node, ast.Import):
                modules |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                modules |= {a.asname or a.name for a in node.names if a.name[:1].islower()}
    findings = []
    for i, cell in enumerate(cells):
        meta = nbgrader_meta(cell)
        if meta.get("locked") and not meta.get("solution"):
            continue
        where = f"cell '{meta['grade_id']}'" if meta.get("grade_id") else f"code cell {i + 1}"
        findings += [f"{where} {what}" for what in scan_source(cell.source, modules)]
    return findings
