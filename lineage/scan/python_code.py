"""Model references in Python source, read with ``ast``: never imported, never run.

What counts (see ``LOADERS``): the model argument of the transformers, diffusers, peft,
sentence-transformers, huggingface_hub, datasets, vllm, llama-cpp, langchain and llama-index
loaders (first positional argument, or the ``model``/``model_name``/``model_id``/``repo_id``/
``pretrained_model_name_or_path`` keywords), with ``revision=`` and ``repo_type=`` when they
are literals. An argument is followed through names assigned in the same function or module,
parameter defaults, ``argparse`` defaults (``args.model``), ``os.getenv``/``os.environ.get``
defaults and both branches of ``a if c else b``. Anything else that reaches a loader (an
f-string, a parameter without default, an attribute of an object built elsewhere) is an
``unknown`` reference carrying the expression as written: never a guess.

Outside loader calls, a literal that looks like ``org/name`` is a reference only when a name
says it is one: an assignment, dataclass field, ``argparse`` default or environment default
whose name mentions a model, tokenizer, adapter, checkpoint or dataset.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from lineage.scan.configs import key_kind
from lineage.scan.ids import bare_name, hub_id
from lineage.scan.interface import Reference

# loader name → (kind, positional index, keywords); "repo" kinds take repo_type=.
_MODEL_KWS = ("model", "model_name", "model_id", "repo_id", "pretrained_model_name_or_path",
              "model_name_or_path")


@dataclass(frozen=True)
class Loader:
    kind: str  # model, adapter, dataset, or "repo" (kind from repo_type=)
    position: int | None
    keywords: tuple[str, ...]
    strict: bool = True  # legacy ids without an org are accepted
    prefix_only: bool = False  # only hf_hub:/hf-hub: values (timm, open_clip)


LOADERS: dict[str, Loader] = {
    "pipeline": Loader("model", 1, ("model",)),
    "SentenceTransformer": Loader("model", 0, _MODEL_KWS),
    "CrossEncoder": Loader("model", 0, _MODEL_KWS),
    "SparseEncoder": Loader("model", 0, _MODEL_KWS),
    "hf_hub_download": Loader("repo", 0, ("repo_id",)),
    "snapshot_download": Loader("repo", 0, ("repo_id",)),
    "hf_hub_url": Loader("repo", 0, ("repo_id",)),
    "model_info": Loader("model", 0, ("repo_id",)),
    "dataset_info": Loader("dataset", 0, ("repo_id",)),
    "load_dataset": Loader("dataset", 0, ("path",)),
    "LLM": Loader("model", 0, ("model",)),
    "EngineArgs": Loader("model", None, ("model",)),
    "AsyncEngineArgs": Loader("model", None, ("model",)),
    "HuggingFaceEmbeddings": Loader("model", None, ("model_name", "model")),
    "HuggingFaceBgeEmbeddings": Loader("model", None, ("model_name",)),
    "HuggingFaceInstructEmbeddings": Loader("model", None, ("model_name",)),
    "HuggingFaceEmbedding": Loader("model", None, ("model_name",)),
    "HuggingFaceInferenceAPIEmbeddings": Loader("model", None, ("model_name",)),
    "HuggingFaceInferenceAPIEmbedding": Loader("model", None, ("model_name",)),
    "HuggingFaceEndpoint": Loader("model", None, ("repo_id", "model")),
    "HuggingFaceEndpointEmbeddings": Loader("model", None, ("repo_id", "model")),
    "HuggingFaceHub": Loader("model", None, ("repo_id",)),
    "from_model_id": Loader("model", None, ("model_id",)),
    "HuggingFaceLLM": Loader("model", None, ("model_name", "tokenizer_name")),
    "HuggingFaceInferenceAPI": Loader("model", None, ("model_name",)),
    "InferenceClient": Loader("model", 0, ("model",)),
    "AsyncInferenceClient": Loader("model", 0, ("model",)),
    "from_quantized": Loader("model", 0, ("model_name_or_path",)),
    "from_single_file": Loader("model", 0, ("pretrained_model_link_or_path",)),
    "load_adapter": Loader("adapter", 0, ("peft_model_id", "model_id")),
    "load_lora_weights": Loader("adapter", 0, ("pretrained_model_name_or_path_or_dict",)),
    "load_textual_inversion": Loader("adapter", 0, ("pretrained_model_name_or_path",)),
    "load_ip_adapter": Loader("adapter", 0, ("pretrained_model_name_or_path_or_dict",)),
    "FlagModel": Loader("model", 0, ("model_name_or_path",)),
    "BGEM3FlagModel": Loader("model", 0, ("model_name_or_path",)),
    "FlagReranker": Loader("model", 0, ("model_name_or_path",)),
    "TextEmbedding": Loader("model", None, ("model_name",), strict=False),
    "WhisperModel": Loader("model", 0, ("model_size_or_path",), strict=False),
    "create_model": Loader("model", 0, ("model_name",), prefix_only=True),
    "create_model_and_transforms": Loader("model", 0, ("model_name",), prefix_only=True),
    "create_model_from_pretrained": Loader("model", 0, ("model_name",), prefix_only=True),
}
# huggingface_hub.InferenceClient task methods: the model runs remotely, but the product still
# depends on it (``client.chat_completion(model="org/name")``).
for _task in ("chat_completion", "text_generation", "text_to_image", "text_to_speech",
              "automatic_speech_recognition", "feature_extraction", "summarization",
              "translation", "image_classification", "sentence_similarity",
              "zero_shot_classification", "question_answering", "image_to_text"):
    LOADERS[_task] = Loader("model", None, ("model",), strict=False)
_FROM_PRETRAINED = Loader("model", 0, _MODEL_KWS)
_GRADIO_LOAD = Loader("repo", 0, ("name",))  # gr.load("spaces/org/name" | "models/org/name")
_PEFT_MODEL = Loader("adapter", 1, ("model_id",))
_PEFT_CONFIG = Loader("adapter", 0, ("pretrained_model_name_or_path", "model_id"))
_REPO_TYPES = {"dataset": "dataset", "datasets": "dataset", "space": "code", "spaces": "code",
               "model": "model", "models": "model"}
_MAX_FOLLOW = 6  # name → assignment → name ... hops before giving up (cycles, deep chains)
_DECIDE_CONTEXT = re.compile(
    r"(model|checkpoint|ckpt|tokenizer|embed|encoder|rerank|adapter|lora|peft|llm|dataset|"
    r"repo_id|hf_repo|base_model)", re.I)
_NAME_KINDS = ((re.compile(r"dataset", re.I), "dataset"),
               (re.compile(r"adapter|lora|peft", re.I), "adapter"))


@dataclass(frozen=True)
class _Value:
    text: str | None  # the literal; None for an unknown expression
    line: int
    expression: str
    via: str = ""  # how the literal reached the call: argparse-default, env-default, ...


def _call_name(func: ast.expr) -> tuple[str | None, str | None]:
    """(called, receiver): ``AutoModel.from_pretrained`` → (from_pretrained, AutoModel)."""
    if isinstance(func, ast.Name):
        return func.id, None
    if isinstance(func, ast.Attribute):
        recv = func.value
        recv_name = recv.id if isinstance(recv, ast.Name) else (
            recv.attr if isinstance(recv, ast.Attribute) else None)
        return func.attr, recv_name
    return None, None


def _loader_for(name: str | None, receiver: str | None) -> Loader | None:
    if name == "load" and receiver in ("gr", "gradio"):
        return _GRADIO_LOAD
    if name == "from_pretrained":
        if receiver and receiver.startswith("AutoPeft") or receiver in (
                "PeftConfig", "LoraConfig", "PeftMixedModel"):
            return _PEFT_CONFIG
        if receiver and receiver.startswith("Peft"):
            return _PEFT_MODEL
        return _FROM_PRETRAINED
    return LOADERS.get(name or "")


def _env_default(call: ast.Call) -> ast.expr | None | bool:
    """The default of ``os.getenv(K, D)`` / ``os.environ.get(K, D)``: D, ``None`` without
    one, ``False`` when the call is not an environment read."""
    name, recv = _call_name(call.func)
    is_env = name == "getenv" or (name == "get" and recv == "environ")
    if not is_env:
        return False
    if len(call.args) >= 2:
        return call.args[1]
    for kw in call.keywords:
        if kw.arg == "default":
            return kw.value
    return None


def _argparse_dest(call: ast.Call) -> str | None:
    for kw in call.keywords:
        if kw.arg == "dest" and isinstance(kw.value, ast.Constant) and isinstance(
                kw.value.value, str):
            return kw.value.value
    flags = [a.value for a in call.args if isinstance(a, ast.Constant) and
             isinstance(a.value, str)]
    longs = [f for f in flags if f.startswith("--")]
    chosen = longs[0] if longs else (flags[0] if flags else None)
    return chosen.lstrip("-").replace("-", "_") if chosen else None


class _FileFacts(ast.NodeVisitor):
    """Assignments by scope, argparse defaults and dataclass field defaults of one module."""

    def __init__(self) -> None:
        self.scopes: dict[ast.AST, dict[str, list[ast.expr]]] = {}
        self.params: dict[ast.AST, dict[str, ast.expr | None]] = {}
        self.parent_scope: dict[ast.AST, ast.AST] = {}
        self.argparse: dict[str, ast.expr] = {}
        self.fields: dict[str, ast.expr] = {}
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.calls: dict[str, list[tuple[ast.Call, ast.AST]]] = {}  # name -> (call, its scope)
        self._stack: list[ast.AST] = []

    def collect(self, tree: ast.Module) -> None:
        self._enter(tree)
        self.generic_visit(tree)
        self._stack.pop()

    def _enter(self, scope: ast.AST) -> None:
        self.scopes[scope] = {}
        self.params[scope] = {}
        if self._stack:
            self.parent_scope[scope] = self._stack[-1]
        self._stack.append(scope)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.functions.setdefault(node.name, node)
        self._enter(node)
        a = node.args
        positional = [*a.posonlyargs, *a.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults))
        defaults += list(a.defaults)
        for arg, default in zip([*positional, *a.kwonlyargs],
                                [*defaults, *a.kw_defaults], strict=False):
            self.params[node][arg.arg] = default
        self.generic_visit(node)
        self._stack.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function  # noqa: N815

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and \
                    stmt.value is not None:
                value = stmt.value
                if isinstance(value, ast.Call) and _call_name(value.func)[0] == "field":
                    value = next((k.value for k in value.keywords if k.arg == "default"),
                                 value)
                self.fields[stmt.target.id] = value
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.scopes[self._stack[-1]].setdefault(target.id, []).append(node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if isinstance(node.target, ast.Name) and node.value is not None:
            self.scopes[self._stack[-1]].setdefault(node.target.id, []).append(node.value)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name, _ = _call_name(node.func)
        if isinstance(node.func, ast.Name):
            self.calls.setdefault(node.func.id, []).append((node, self._stack[-1]))
        if name == "add_argument":
            dest = _argparse_dest(node)
            default = next((k.value for k in node.keywords if k.arg == "default"), None)
            if dest and default is not None:
                self.argparse[dest] = default
        self.generic_visit(node)


class _Detector(ast.NodeVisitor):
    def __init__(self, facts: _FileFacts, rel: str) -> None:
        self.facts = facts
        self.rel = rel
        self.refs: list[Reference] = []
        self.traced: set[int] = set()  # ids of literal nodes that reached a loader
        self._scope: list[ast.AST] = []

    # -- scopes ---------------------------------------------------------------------------
    def visit_Module(self, node: ast.Module) -> None:
        self._scope.append(node)
        self.generic_visit(node)
        self._scope.pop()

    def _function(self, node: ast.AST) -> None:
        self._scope.append(node)
        self.generic_visit(node)
        self._scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function  # noqa: N815

    # -- resolving an argument to literals ------------------------------------------------
    def _lookup(self, name: str) -> tuple[list[ast.expr], bool, ast.AST | None] | None:
        """Assigned values of ``name`` seen from the current scope: (values, is a parameter,
        the scope that holds it)."""
        scope: ast.AST | None = self._scope[-1] if self._scope else None
        while scope is not None:
            if name in self.facts.scopes.get(scope, {}):
                return self.facts.scopes[scope][name], False, scope
            if name in self.facts.params.get(scope, {}):
                default = self.facts.params[scope][name]
                return ([default] if default is not None else []), True, scope
            scope = self.facts.parent_scope.get(scope)
        return None

    def _call_site_values(self, function: ast.AST, param: str, depth: int) -> list[_Value]:
        """What the module's own calls pass for ``param`` of ``function`` (one level of
        inter-procedural flow: ``convert(args.model)`` into ``def convert(model)``)."""
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return []
        names = [a.arg for a in [*function.args.posonlyargs, *function.args.args]]
        out: list[_Value] = []
        for call, scope in self.facts.calls.get(function.name, []):
            arg = next((k.value for k in call.keywords if k.arg == param), None)
            if arg is None and param in names and names.index(param) < len(call.args):
                arg = call.args[names.index(param)]
            if arg is None or isinstance(arg, ast.Starred):
                continue
            saved = self._scope
            self._scope = self._chain(scope)
            try:
                out += self._resolve(arg, depth + 1, f"call {function.name}()")
            finally:
                self._scope = saved
        return out

    def _chain(self, scope: ast.AST) -> list[ast.AST]:
        chain = [scope]
        while chain[0] in self.facts.parent_scope:
            chain.insert(0, self.facts.parent_scope[chain[0]])
        return chain

    def _resolve(self, expr: ast.expr, depth: int = 0, via: str = "") -> list[_Value]:
        text = ast.unparse(expr)[:200]
        if isinstance(expr, ast.Constant):
            if isinstance(expr.value, str):
                self.traced.add(id(expr))
                return [_Value(expr.value, expr.lineno, text, via)]
            return []  # None / numbers: not a model reference
        if depth >= _MAX_FOLLOW:
            return [_Value(None, expr.lineno, text)]
        if isinstance(expr, ast.Name):
            found = self._lookup(expr.id)
            if found is not None and found[1] and not found[0] and found[2] is not None:
                passed = self._call_site_values(found[2], expr.id, depth)
                literals = [v for v in passed if v.text is not None]
                if literals:
                    return literals
            if found is None or not found[0]:
                return [_Value(None, expr.lineno, text)]
            out: list[_Value] = []
            for value in found[0]:
                out += self._resolve(value, depth + 1, via or ("parameter-default" if found[1]
                                                               else f"name {expr.id}"))
            return out
        if isinstance(expr, ast.Attribute):
            default = self.facts.argparse.get(expr.attr) or self.facts.fields.get(expr.attr)
            if default is not None:
                kind = "argparse-default" if expr.attr in self.facts.argparse else \
                    "field-default"
                return self._resolve(default, depth + 1, kind)
            return [_Value(None, expr.lineno, text)]
        if isinstance(expr, ast.Call):
            env = _env_default(expr)
            if isinstance(env, ast.expr):
                return self._resolve(env, depth + 1, "env-default")
            if depth and _loader_for(*_call_name(expr.func)) is not None:
                return []  # an object a loader built: reported at that call, not an id
            return [_Value(None, expr.lineno, text)]
        if isinstance(expr, ast.IfExp):
            return self._resolve(expr.body, depth + 1, via) + \
                self._resolve(expr.orelse, depth + 1, via)
        if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.Or):
            values = [v for e in expr.values for v in self._resolve(e, depth + 1, via)]
            literals = [v for v in values if v.text is not None]
            return literals or [_Value(None, expr.lineno, text)]
        return [_Value(None, expr.lineno, text)]

    # -- calls ----------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        name, receiver = _call_name(node.func)
        loader = _loader_for(name, receiver)
        if loader is not None:
            self._loader_call(node, name or "", loader)
        self.generic_visit(node)

    def _loader_call(self, node: ast.Call, name: str, loader: Loader) -> None:
        args: list[ast.expr] = []
        if loader.position is not None and len(node.args) > loader.position and \
                not isinstance(node.args[loader.position], ast.Starred):
            args.append(node.args[loader.position])
        args += [k.value for k in node.keywords if k.arg in loader.keywords]
        if name == "pipeline":
            args += [k.value for k in node.keywords if k.arg == "tokenizer"]
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        revision = self._first_literal(keywords.get("revision"))
        kind = loader.kind
        if kind == "repo":
            kind = _REPO_TYPES.get((_literal(keywords.get("repo_type")) or "model").lower(),
                                   "model")
        if loader is _GRADIO_LOAD:
            self._gradio_load(args, revision)
            return
        if name == "pipeline" and not args:
            task = self._first_literal(node.args[0] if node.args else keywords.get("task"))
            self._add(Reference(self.rel, node.lineno, f"pipeline({task or '?'!r}) default model",
                                "unknown", None, "python:pipeline:task-default"))
            return
        for arg in args:
            for value in self._resolve(arg):
                self._record(value, kind, revision, f"python:{name}", loader)

    def _gradio_load(self, args: list[ast.expr], revision: str | None) -> None:
        for arg in args:
            for value in self._resolve(arg):
                if value.text is None:
                    continue
                prefix, _, rest = value.text.partition("/")
                kind = {"spaces": "code", "models": "model", "huggingface": "model"}.get(prefix)
                decoded = hub_id(rest, strict=False) if kind else None
                if kind and decoded:
                    self._add(Reference(self.rel, value.line, decoded[0], kind, revision,
                                        "python:gradio.load"))

    def _record(self, value: _Value, kind: str, revision: str | None, evidence: str,
                loader: Loader) -> None:
        if value.text is None:
            if not _is_trivial_unknown(value.expression):
                self._add(Reference(self.rel, value.line, value.expression, "unknown", None,
                                    f"{evidence}:unresolved-expression"))
            return
        text = value.text
        if loader.prefix_only and not re.match(r"^(hf_hub|hf-hub):", text, re.I):
            return
        decoded = hub_id(text, strict=loader.strict)
        family = {"load_dataset": "dataset", "SentenceTransformer": "sentence-transformers",
                  "CrossEncoder": "cross-encoder"}.get(evidence.split(":", 1)[1])
        if decoded is None and family is not None:
            bare = bare_name(text, family)
            decoded = (bare, None) if bare else None
        if decoded is None:
            return
        repo_id, url_revision = decoded
        suffix = f":{value.via}" if value.via else ""
        self._add(Reference(self.rel, value.line, repo_id, kind, revision or url_revision,
                            evidence + suffix))

    def _first_literal(self, expr: ast.expr | None) -> str | None:
        """A ``revision=`` value followed like a model argument: the first literal, if any."""
        if expr is None:
            return None
        return next((v.text for v in self._resolve(expr) if v.text is not None), None)

    def _add(self, ref: Reference) -> None:
        self.refs.append(ref)


def _literal(expr: ast.expr | None) -> str | None:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    return None


def _is_trivial_unknown(expression: str) -> bool:
    """``model`` passed on (``from_pretrained(model)`` inside a helper whose caller is
    elsewhere) is still unknown, but ``self``/``cls``-level plumbing of objects (a model
    object, not a name) is not a reference: skip expressions that are plainly objects."""
    return expression in ("self", "cls", "None")


def _named_literals(tree: ast.Module, facts: _FileFacts, traced: set[int],
                    rel: str) -> Iterator[Reference]:
    """Literals outside loader calls that a name or key says are references."""
    for node in ast.walk(tree):
        pairs: list[tuple[str, ast.expr, str]] = []
        if isinstance(node, ast.Assign):
            pairs += [(t.id, node.value, "python:constant") for t in node.targets
                      if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and \
                node.value is not None:
            value = node.value
            if isinstance(value, ast.Call) and _call_name(value.func)[0] == "field":
                value = next((k.value for k in value.keywords if k.arg == "default"), value)
            pairs.append((node.target.id, value, "python:field-default"))
        elif isinstance(node, ast.Call):
            name, _ = _call_name(node.func)
            if name == "add_argument":
                dest = _argparse_dest(node) or ""
                default = next((k.value for k in node.keywords if k.arg == "default"), None)
                if default is not None:
                    pairs.append((dest, default, "python:argparse-default"))
            env_default = _env_default(node)
            if isinstance(env_default, ast.expr) and node.args and \
                    isinstance(node.args[0], ast.Constant):
                pairs.append((str(node.args[0].value), env_default, "python:env-default"))
        elif isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=False):
                if isinstance(k, ast.Constant) and isinstance(k.value, str) and \
                        key_kind(k.value) is not None:
                    pairs.append((k.value, v, "python:dict-key"))
        for name, value, evidence in pairs:
            yield from _named(name, value, evidence, traced, rel)


def _named(name: str, value: ast.expr, evidence: str, traced: set[int],
           rel: str) -> Iterator[Reference]:
    if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
        return
    if id(value) in traced:
        return
    kind = key_kind(name) if evidence == "python:dict-key" else _kind_from_name(name)
    if kind is None:
        return
    decoded = hub_id(value.value, strict=False)
    if decoded is not None:
        yield Reference(rel, value.lineno, decoded[0], kind, decoded[1], evidence)


def _kind_from_name(name: str) -> str | None:
    if not _DECIDE_CONTEXT.search(name):
        return None
    for pattern, kind in _NAME_KINDS:
        if pattern.search(name):
            return kind
    return "model"


def scan_python_source(text: str, rel: str, *, line_offset: int = 0) -> list[Reference]:
    """Every reference in one Python source. Raises ``SyntaxError`` for text that does not
    parse (the caller reports it)."""
    tree = ast.parse(text)
    facts = _FileFacts()
    facts.collect(tree)
    detector = _Detector(facts, rel)
    detector.visit(tree)
    refs = detector.refs + list(_named_literals(tree, facts, detector.traced, rel))
    if line_offset:
        refs = [Reference(r.file, r.line + line_offset, r.id, r.kind, r.revision, r.evidence)
                for r in refs]
    return refs
