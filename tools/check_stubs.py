#!/usr/bin/env python3
"""Do the type stubs (wiznet_net/*.pyi) still describe the code (wiznet_net/*.py)?

    python3 tools/check_stubs.py [--code DIR]

Read from both with `ast` (nothing is imported), for every public module - each
wiznet_net/X.py whose name does not start with "_" needs its X.pyi:
- every public name of the module (def, class, NAME = ...; in __init__ also the names its
  __getattr__ hands out) is in the stub, and the stub has no public name the code lacks;
- every public class has the same public members in both: methods, properties, class
  attributes and the attributes its methods set on self (inherited ones included);
- every public function and method takes the same parameters in the same order, with
  the same defaults where the code's default is a literal. A constructor or function
  that passes *args / **kwargs on is compared through what it passes them to.
Prints one line per difference, naming what to add where, and exits 1 if there is any.
"""
import argparse
import ast
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Functions that only pass *args, **kwargs on: (module, name) -> where they go.
FORWARDS = {("__init__", "nic"): ("ethernet", "nic"), ("__init__", "sync_time"): ("ntp", "sync_time")}


class Module:
    def __init__(self, path, name):
        self.name = name
        with open(path) as f:
            self.tree = ast.parse(f.read(), path)
        self.defs = {}  # public and private top-level defs and classes by name
        self.assigned = set()
        self.imports = {}  # local name -> (module, name) for `from .x import y [as z]`
        self.reexports = set()  # stubs: `from .x import y as y`
        for node in self.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.defs[node.name] = node
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    self.assigned.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                self.assigned.add(node.target.id)
            elif isinstance(node, ast.ImportFrom) and node.level == 1:
                for alias in node.names:
                    local = alias.asname or alias.name
                    self.imports[local] = (node.module or "__init__", alias.name)
                    if alias.asname == alias.name:
                        self.reexports.add(local)

    def public_names(self, stub):
        names = {n for n in list(self.defs) + list(self.assigned) if not n.startswith("_") or n == "__version__"}
        if stub:
            names |= {n for n in self.reexports if not n.startswith("_")}
        elif self.name == "__init__":
            names.add("__version__")
            getattr_ = self.defs.get("__getattr__")
            if getattr_ is not None:  # the names it hands out: `name == "X"`
                for node in ast.walk(getattr_):
                    if isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.Eq):
                        for c in node.comparators:
                            if isinstance(c, ast.Constant) and isinstance(c.value, str):
                                names.add(c.value)
        return names


class Package:
    def __init__(self, folder, ext):
        self.folder = folder
        self.ext = ext
        self.modules = {}

    def module(self, name):
        if name not in self.modules:
            path = os.path.join(self.folder, name + self.ext)
            self.modules[name] = Module(path, name) if os.path.exists(path) else None
        return self.modules[name]

    def find(self, module, name, seen=()):
        """(module, node) where `name` of `module` is defined, following imports; the
        lazy names of the code's __init__ are found by their `from .x import name`."""
        mod = self.module(module)
        if mod is None or (module, name) in seen:
            return None
        seen = seen + ((module, name),)
        if name in mod.defs:
            return mod, mod.defs[name]
        if name in mod.imports:
            return self.find(*mod.imports[name], seen=seen)
        for node in ast.walk(mod.tree):  # __init__.__getattr__: `from .client import X as value`
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                for alias in node.names:
                    if alias.name == name:
                        return self.find(node.module, name, seen)
        return None


def literal(node):
    try:
        return ("literal", ast.literal_eval(node))
    except ValueError:
        return ("expr", ast.dump(node))


def params(fn):
    """[(name, default or None)] of a def, self left out; *args and **kw as '*name'."""
    a = fn.args
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + [literal(d) for d in a.defaults]
    found = list(zip([p.arg for p in positional], defaults))
    if a.vararg:
        found.append(("*" + a.vararg.arg, None))
    found += [(p.arg, literal(d) if d is not None else None) for p, d in zip(a.kwonlyargs, a.kw_defaults)]
    if a.kwarg:
        found.append(("**" + a.kwarg.arg, None))
    return [p for p in found if p[0] not in ("self", "cls")]


def forwards(found):
    return any(name.startswith("*") for name, _ in found)


def bases(pkg, mod, cls):
    for base in cls.bases:
        if isinstance(base, ast.Name):
            hit = pkg.find(mod.name, base.id)
            if hit and isinstance(hit[1], ast.ClassDef):
                yield hit


def method(pkg, mod, cls, name):
    """(module, def) of a method, looked up through the package's own base classes."""
    for node in cls.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return mod, node
    for base_mod, base in bases(pkg, mod, cls):
        hit = method(pkg, base_mod, base, name)
        if hit:
            return hit
    return None


def effective_params(pkg, mod, cls, fn):
    """The parameters a caller may pass: a constructor that hands *args / **options to
    its base class's constructor takes that one's too."""
    found = params(fn)
    if cls is not None and fn.name == "__init__" and forwards(found):
        named = [p for p in found if not p[0].startswith("*")]
        for base_mod, base in bases(pkg, mod, cls):
            hit = method(pkg, base_mod, base, "__init__")
            if hit:
                taken = {n for n, _ in named}
                return named + [p for p in effective_params(pkg, hit[0], base, hit[1]) if p[0] not in taken]
    return found


def members(pkg, mod, cls):
    """Public members of a class, inherited ones included: methods, class attributes,
    annotated attributes (stubs) and attributes its methods set on self (code)."""
    found = set()
    for node in cls.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.add(node.name)
            for sub in ast.walk(node):
                targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target] if isinstance(sub, ast.AnnAssign) else []
                for target in targets:
                    for t in ast.walk(target):
                        if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self":
                            found.add(t.attr)
        elif isinstance(node, ast.Assign):
            found.update(n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found.add(node.target.id)
    for base_mod, base in bases(pkg, mod, cls):
        found |= members(pkg, base_mod, base)
    return {n for n in found if not n.startswith("_") or n == "__init__"}


def describe(p):
    name, default = p
    if default is None:
        return name
    return "%s=%s" % (name, repr(default[1]) if default[0] == "literal" else "...")


def compare_params(where, code, stub, problems):
    stub_names = [n for n, _ in stub]
    code_names = [n for n, _ in code]
    for p in code:
        if p[0] not in stub_names:
            problems.append("%s: parameter %s is in the code, not in the stub" % (where, describe(p)))
    for p in stub:
        if p[0] not in code_names:
            problems.append("%s: parameter %s is in the stub, not in the code" % (where, describe(p)))
    if [n for n in code_names if n in stub_names] != [n for n in stub_names if n in code_names]:
        problems.append("%s: parameters in another order: code (%s), stub (%s)" % (
            where, ", ".join(code_names), ", ".join(stub_names)))
    stub_defaults = dict(stub)
    for name, default in code:
        if name in stub_defaults and default is not None and default[0] == "literal":
            if stub_defaults[name] != default:
                problems.append("%s: %s defaults to %r in the code, the stub says %s" % (
                    where, name, default[1],
                    "no default" if stub_defaults[name] is None else describe((name, stub_defaults[name])).split("=", 1)[1]))


def function_params(pkg, mod, fn, cls=None):
    found = effective_params(pkg, mod, cls, fn)
    if cls is None and forwards(found) and (mod.name, fn.name) in FORWARDS:
        hit = pkg.find(*FORWARDS[(mod.name, fn.name)])
        return params(hit[1]) if hit else found
    return found


def check(code_dir):
    code = Package(code_dir, ".py")
    stubs = Package(code_dir, ".pyi")
    problems = []
    names = sorted(n[:-3] for n in os.listdir(code_dir) if n.endswith(".py") and (n == "__init__.py" or not n.startswith("_")))
    for name in names:
        cmod, smod = code.module(name), stubs.module(name)
        stub_file = "wiznet_net/%s.pyi" % name
        if smod is None:
            problems.append("%s is missing: every public module needs its stub" % stub_file)
            continue
        cnames, snames = cmod.public_names(False), smod.public_names(True)
        for n in sorted(cnames - snames):
            problems.append("%s: %s is public in the code, not in the stub" % (stub_file, n))
        for n in sorted(snames - cnames):
            problems.append("%s: %s is in the stub, not in the code" % (stub_file, n))
        for n in sorted(cnames & snames):
            chit, shit = code.find(name, n), stubs.find(name, n)
            if chit is None or shit is None:
                continue
            (cm, cnode), (sm, snode) = chit, shit
            where = "%s: %s" % (stub_file, n)
            if isinstance(cnode, ast.ClassDef):
                if not isinstance(snode, ast.ClassDef):
                    problems.append("%s is a class in the code, not in the stub" % where)
                    continue
                cmembers, smembers = members(code, cm, cnode), members(stubs, sm, snode)
                for m in sorted(cmembers - smembers):
                    problems.append("%s: member %s is in the code, not in the stub" % (where, m))
                for m in sorted(smembers - cmembers):
                    problems.append("%s: member %s is in the stub, not in the code" % (where, m))
                for m in sorted(cmembers & smembers):
                    cdef, sdef = method(code, cm, cnode, m), method(stubs, sm, snode, m)
                    if cdef and sdef and not _is_property(sdef[1]):
                        compare_params("%s.%s" % (where, m), effective_params(code, cdef[0], cnode, cdef[1]),
                                       effective_params(stubs, sdef[0], snode, sdef[1]), problems)
            elif isinstance(cnode, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if not isinstance(snode, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    problems.append("%s is a function in the code, not in the stub" % where)
                    continue
                compare_params(where, function_params(code, code.module(name), cnode), params(snode), problems)
    return problems


def _is_property(fn):
    return any(isinstance(d, ast.Name) and d.id == "property" for d in getattr(fn, "decorator_list", ()))


def main(argv):
    ap = argparse.ArgumentParser(prog="tools/check_stubs.py", description=__doc__.split("\n")[0])
    ap.add_argument("--code", default=os.path.join(ROOT, "wiznet_net"), help="the package folder (.py and .pyi)")
    args = ap.parse_args(argv)
    problems = check(args.code)
    for line in problems:
        print("check_stubs: " + line)
    if problems:
        print("check_stubs: %d difference(s); the stubs are wiznet_net/*.pyi, next to the code" % len(problems))
        return 1
    print("check_stubs: the stubs describe every public name, member and parameter")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
