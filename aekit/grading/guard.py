"""Checks that run inside the grading kernel, between the cells of a submission.

A test cell is only as good as the functions it calls. Before each read-only cell (tests,
set-up, training) the grader calls ``before`` here, which puts back what the submission
changed since the kernel started:

- functions and classes of the libraries the tests use (builtins, math, NumPy, torch,
  scikit-learn, SciPy, aekit, IPython): rebound, deleted, or given another ``__code__``;
- entries of ``sys.modules`` for those libraries;
- names of the notebook that shadow a builtin (``abs = ...``; hidden while the test runs) and a
  rebound ``__builtins__``;
- the kernel's hooks: input and AST transformers, event callbacks, a custom exception
  handler, trace and profile functions, ``sys.excepthook``;
- names that read-only cells bound (data, helpers, models, results of the training cells),
  and tensors, arrays and models among them that were changed in place.

``after`` runs the same check after the cell: a change made while the cell ran (by the
submission's code that it called) means its result cannot be trusted. Each call
prints one line, ``<nonce> <json report>``, that the grader reads from the cell's output.
The grader runs this file's text as the module ``_aekit_guard`` (so the kernel need not import
aekit); it imports only the standard library and uses NumPy and torch when already loaded.
"""
from __future__ import annotations

import builtins
import functools
import json
import os
import sys
import threading
import types
import warnings

WATCHED = ("builtins", "math", "cmath", "operator", "functools", "numpy", "torch", "sklearn",
           "scipy", "aekit", "IPython", "ipykernel")
# Submodules that their package loads only on first use: loaded with it, so that a student's
# cell is never the first to touch them.
_LAZY = {"numpy": ("numpy.testing",), "torch": ("torch.testing", "torch.distributions")}
_HEAP_TYPE = 1 << 9
_HOOK_LISTS = ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")
_STATE: dict = {}


def _differs(old, new) -> bool:
    """Not the same object, nor an equal bound method or partial (the kernel rebinds some hooks
    to an equal bound method each run; torch remakes some partials on its classes)."""
    if old is new:
        return False
    if type(old) is type(new) is types.MethodType:
        return old != new
    if type(old) is type(new) is functools.partial:
        return not (old.func is new.func and old.args == new.args and old.keywords == new.keywords)
    return True


def _by_library(new, wrapping=None) -> bool:
    """True if ``new`` is a function that a library's own code made (and, with ``wrapping``,
    one that wraps it): libraries set some methods lazily, torch hooks ``Optimizer.step``
    when the first optimizer of a class is made. A student's function is never one."""
    if type(new) is functools.partial and wrapping is None:
        new = new.func
    code = getattr(new, "__code__", None)
    return (isinstance(new, types.FunctionType) and code is not None
            and code.co_filename.startswith(_library_dirs())
            and (wrapping is None or getattr(new, "__wrapped__", None) is wrapping))


def _library_dirs() -> tuple[str, ...]:
    dirs = []
    for name in WATCHED:
        path = getattr(sys.modules.get(name), "__file__", None)
        if path:
            dirs.append(os.path.dirname(path) + os.sep)
    return tuple(dirs)


def _callable(value) -> bool:
    return callable(value) and not isinstance(value, types.ModuleType)


def _own_dict(obj) -> dict:
    try:
        return dict(object.__getattribute__(obj, "__dict__"))
    except (AttributeError, TypeError):
        return {}


def _library(known: tuple[dict, dict, dict] | None = None) -> tuple[dict, dict, dict]:
    """Watched modules, their mutable classes, and their Python functions: name -> contents.

    With ``known``, adds only what is not in it yet (libraries imported since): what was
    remembered before is never replaced by what is there now.
    """
    modules, classes, codes = known or ({}, {}, {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for package, lazy in _LAZY.items():
            if package in sys.modules and package not in modules:
                for name in lazy:
                    try:
                        __import__(name)
                    except Exception:  # an optional part missing: nothing to watch there
                        pass
        new = {}
        for name, module in list(sys.modules.items()):
            if module is None or name in modules or name.split(".")[0] not in WATCHED:
                continue
            contents = new[name] = modules[name] = (module, _own_dict(module))
            for value in contents[1].values():
                if (isinstance(value, type) and type.__getattribute__(value, "__flags__") & _HEAP_TYPE
                        and id(value) not in classes):
                    classes[id(value)] = new[id(value)] = (value, _own_dict(value))
        for owner, contents in new.values():
            for value in contents.values():
                inner = value.__func__ if isinstance(value, (staticmethod, classmethod)) else None
                for func in (value, inner):
                    if isinstance(func, types.FunctionType) and id(func) not in codes:
                        codes[id(func)] = (func, func.__code__, func.__defaults__, func.__kwdefaults__)
    return modules, classes, codes


def _shell():
    try:
        from IPython.core.getipython import get_ipython
    except ImportError:  # pragma: no cover - the grading kernel is IPython's
        return None
    return get_ipython()


def _hooks(shell) -> dict:
    hooks = {"sys.settrace": sys.gettrace(), "sys.setprofile": sys.getprofile(),
             "sys.excepthook": sys.excepthook, "sys.stdout": sys.stdout, "sys.stderr": sys.stderr}
    if shell is not None:
        for name in _HOOK_LISTS:
            hooks[name] = list(getattr(shell, name, []))
        hooks["custom_exceptions"] = (shell.custom_exceptions, getattr(shell, "CustomTB", None))
        hooks["events"] = {k: list(v) for k, v in shell.events.callbacks.items()}
        hooks["shell"] = {k: v for k, v in _own_dict(shell).items() if _callable(v)}
    return hooks


def _fingerprint(value):
    """A copy of a tensor, array or model's state to compare with later; None for others."""
    torch, np = sys.modules.get("torch"), sys.modules.get("numpy")
    if torch is not None:
        if type(value) is torch.Tensor:
            return value.detach().clone()
        if isinstance(value, torch.nn.Module):
            return {k: v.detach().clone() for k, v in value.state_dict().items()}
    if np is not None and type(value) is np.ndarray:
        return value.copy()
    return None


def _same(a, b) -> bool:
    torch = sys.modules.get("torch")
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if torch is not None and isinstance(a, torch.Tensor):
        return a.shape == b.shape and a.dtype == b.dtype and bool(torch.equal(a, b))
    return a.shape == b.shape and a.dtype == b.dtype and bool((a == b).all())


def _put_back(value, copy) -> None:
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.nn.Module):
        value.load_state_dict(copy)
    elif torch is not None and isinstance(value, torch.Tensor):
        with torch.no_grad():
            value.copy_(copy)
    else:
        value[...] = copy


def _report(nonce: str, issues: list[str]) -> None:
    out = _STATE.get("stdout", sys.stdout)
    out.write(f"{nonce} {json.dumps(issues)}\n")
    out.flush()


def install(nonce: str) -> None:
    """Remember the libraries, builtins and hooks as they are before the first cell."""
    shell = _shell()
    ns = shell.user_ns if shell is not None else {}
    _STATE.clear()
    _STATE.update(library=_library(), hooks=_hooks(shell), shell=shell, ns=ns, stdout=sys.stdout,
                  builtins_obj=ns.get("__builtins__"), baseline=set(ns) & set(vars(builtins)),
                  protected={}, hidden={}, threads={t.ident for t in threading.enumerate()})
    _report(nonce, [])


def _check_library(issues: list[str]) -> None:
    modules, classes, codes = _STATE["library"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (module, contents) in modules.items():
            if sys.modules.get(name) is not module:
                issues.append(f"replaced the module {name} in sys.modules")
                sys.modules[name] = module
            now = object.__getattribute__(module, "__dict__")
            for key, value in contents.items():
                new = now.get(key, now)
                if new is not value and _by_library(new, wrapping=value):
                    contents[key] = new
                elif new is not value and _differs(value, new) and (_callable(value) or _callable(new)):
                    issues.append(f"rebinds {name}.{key}")
                    now[key] = value
        for cls, contents in classes.values():
            now = _own_dict(cls)
            changed = [k for k, v in contents.items() if now.get(k, now) is not v]
            if len(now) != len(contents) or changed:
                changed += [k for k in now if k not in contents]
            for key in changed:
                old, new = contents.get(key, contents), now.get(key, now)
                if _by_library(new):
                    contents[key] = new
                elif _differs(old, new) and (_callable(old) or _callable(new)):
                    issues.append(f"changes {cls.__module__}.{cls.__qualname__}.{key}")
                    if old is contents:
                        type.__delattr__(cls, key)
                    else:
                        type.__setattr__(cls, key, old)
        for func, code, defaults, kwdefaults in codes.values():
            if (func.__code__ is not code or func.__defaults__ is not defaults
                    or func.__kwdefaults__ is not kwdefaults):
                issues.append(f"rewrites the code of {func.__module__}.{func.__qualname__}")
                func.__code__, func.__defaults__, func.__kwdefaults__ = code, defaults, kwdefaults


def _check_hooks(issues: list[str]) -> None:
    hooks, shell = _STATE["hooks"], _STATE["shell"]
    if _differs(hooks["sys.settrace"], sys.gettrace()):
        issues.append("sets a trace function (sys.settrace)")
        sys.settrace(hooks["sys.settrace"])
    if _differs(hooks["sys.setprofile"], sys.getprofile()):
        issues.append("sets a profile function (sys.setprofile)")
        sys.setprofile(hooks["sys.setprofile"])
    for name in ("excepthook", "stdout", "stderr"):
        if _differs(hooks[f"sys.{name}"], getattr(sys, name)):
            issues.append(f"replaces sys.{name}")
            setattr(sys, name, hooks[f"sys.{name}"])
    if shell is None:
        return
    for name in _HOOK_LISTS:
        if getattr(shell, name) != hooks[name]:
            issues.append(f"changes the kernel's {name}")
            getattr(shell, name)[:] = hooks[name]
    if (shell.custom_exceptions, getattr(shell, "CustomTB", None)) != hooks["custom_exceptions"]:
        issues.append("installs a custom exception handler")
        shell.custom_exceptions, shell.CustomTB = hooks["custom_exceptions"]
    for event, callbacks in shell.events.callbacks.items():
        if callbacks != hooks["events"].get(event, []):
            issues.append(f"registers a kernel callback for '{event}'")
            callbacks[:] = hooks["events"].get(event, [])
    own = _own_dict(shell)
    for key in set(own) | set(hooks["shell"]):
        if _differs(hooks["shell"].get(key), own.get(key)) and (_callable(own.get(key)) or key in hooks["shell"]):
            issues.append(f"replaces the kernel's {key}")
            if key in hooks["shell"]:
                setattr(shell, key, hooks["shell"][key])
            else:
                delattr(shell, key)


def _check_names(issues: list[str], exclude: set[str]) -> None:
    ns = _STATE["ns"]
    if ns.get("__builtins__") is not _STATE["builtins_obj"]:
        issues.append("rebinds __builtins__")
        ns["__builtins__"] = _STATE["builtins_obj"]
    for name, (value, copy) in _STATE["protected"].items():
        if name in exclude:
            continue
        if ns.get(name, ns) is not value:
            issues.append(f"rebinds '{name}', which a read-only cell defined")
            ns[name] = value
        elif copy is not None and not _same(copy, _fingerprint(value)):
            issues.append(f"changes '{name}' in place, which a read-only cell defined")
            _put_back(value, copy)
    shadows = set(ns) & set(vars(builtins)) - _STATE["baseline"] - set(_STATE["protected"]) - exclude
    for name in sorted(shadows):
        if not (name.startswith("__") and name not in ("__import__", "__build_class__")):
            issues.append(f"rebinds the builtin '{name}' in the notebook")
            _STATE["hidden"][name] = ns.pop(name)


def _check_threads(issues: list[str]) -> None:
    started = [t for t in threading.enumerate() if t.ident not in _STATE["threads"]]
    if started:
        issues.append(f"leaves {len(started)} background thread(s) running")
        _STATE["threads"] |= {t.ident for t in started}


def _check(exclude) -> list[str]:
    issues: list[str] = []
    for check in (_check_library, _check_hooks, _check_names, _check_threads):
        try:
            check(issues, set(exclude)) if check is _check_names else check(issues)
        except Exception as error:  # a check that breaks is itself a finding
            issues.append(f"breaks the grader's check ({type(error).__name__}: {error})")
    _library(_STATE["library"])  # libraries the last cell imported are watched from now on
    return list(dict.fromkeys(issues))


def before(nonce: str) -> None:
    """Before a read-only cell: put back everything the submission changed; report it."""
    _report(nonce, _check(()))


def after(nonce: str, names: list[str], test: bool) -> None:
    """After a read-only cell that bound ``names``: the same check, then remember its values.

    The names a cell binds itself are not findings. A test cell's own names are remembered
    only where an earlier read-only cell bound them too; the builtins' shadows come back for
    the student's next cells.
    """
    issues = _check(names)
    ns, protected = _STATE["ns"], _STATE["protected"]
    for name in names:
        if name in ns and (not test or name in protected):
            protected[name] = (ns[name], _fingerprint(ns[name]))
    ns.update(_STATE["hidden"])
    _STATE["hidden"] = {}
    _report(nonce, issues)
