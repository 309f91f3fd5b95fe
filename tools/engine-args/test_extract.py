"""Tests for tools/engine-args (run: python3 -m pytest tools/engine-args -q).

* facts: the committed facts for the pinned engine versions contain the flags rouse relies on,
  with the right shapes (no network needed).
* synthetic: the extractor on tiny fake vLLM / SGLang source trees (logic without downloads).
* checker: check.py on argv lists.
* drift (opt-in): re-extract from the source cache and compare with the committed facts;
  runs when the pinned source is already cached or ROUSE_ENGINE_ARGS_DOWNLOAD=1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import check as checker  # noqa: E402
import extract  # noqa: E402

PINS = json.loads((HERE / "pins.json").read_text())


def facts_for(engine: str) -> dict:
    return json.loads((HERE / "facts" / f"{engine}-{PINS[engine]}.json").read_text())


@pytest.fixture(scope="module")
def vllm() -> dict:
    return facts_for("vllm")


@pytest.fixture(scope="module")
def sglang() -> dict:
    return facts_for("sglang")


# ----------------------------------------------------------------------------------------
# Committed facts for the pinned versions
# ----------------------------------------------------------------------------------------


def test_facts_files_are_canonical(vllm, sglang):
    for engine, facts in (("vllm", vllm), ("sglang", sglang)):
        assert facts["engine"] == engine
        assert facts["version"] == PINS[engine]
        assert facts["warnings"] == [], facts["warnings"]
        assert facts["source"], "source file hashes missing"
        path = HERE / "facts" / f"{engine}-{PINS[engine]}.json"
        assert path.read_text() == extract.dumps(facts), "facts file not in canonical form"
        for name, f in facts["flags"].items():
            assert name.startswith("-")
            assert f["type"] in ("int", "float", "str", "json", "bool"), (name, f["type"])
            assert isinstance(f["takesValue"], bool) and isinstance(f["negatable"], bool)
            assert isinstance(f["aliases"], list)


VLLM_EXPECTED = {
    # flag: (type, nargs, takesValue)
    "--served-model-name": ("str", "+", True),
    "--revision": ("str", None, True),
    "--tensor-parallel-size": ("int", None, True),
    "--gpu-memory-utilization": ("float", None, True),
    "--max-model-len": ("int", None, True),
    "--max-num-seqs": ("int", None, True),
    "--max-num-batched-tokens": ("int", None, True),
    "--enforce-eager": ("bool", 0, False),
    "--enable-sleep-mode": ("bool", 0, False),
    "--tokenizer-mode": ("str", None, True),
    "--config-format": ("str", None, True),
    "--load-format": ("str", None, True),
    "--tool-call-parser": ("str", None, True),
    "--enable-auto-tool-choice": ("bool", 0, False),
    "--reasoning-parser": ("str", None, True),
    "--limit-mm-per-prompt": ("json", None, True),
    "--speculative-config": ("json", None, True),
    "--api-key": ("str", "+", True),
    "--host": ("str", None, True),
    "--port": ("int", None, True),
    "--uvicorn-log-level": ("str", None, True),
    "--quantization": ("str", None, True),
    "--compilation-config": ("json", None, True),
}


@pytest.mark.parametrize("flag", sorted(VLLM_EXPECTED))
def test_vllm_known_flags(vllm, flag):
    f = vllm["flags"][flag]
    t, nargs, takes = VLLM_EXPECTED[flag]
    assert (f["type"], f["nargs"], f["takesValue"]) == (t, nargs, takes)


def test_vllm_flag_details(vllm):
    F = vllm["flags"]
    assert F["--tensor-parallel-size"]["aliases"] == ["-tp"]
    assert "--device-memory-utilization" in F["--gpu-memory-utilization"]["aliases"]
    assert F["--max-model-len"]["parser"] == "vllm.human_readable_int_or_auto"
    assert F["--max-num-batched-tokens"]["parser"] == "vllm.human_readable_int"
    # FlexibleArgumentParser turns BooleanOptionalAction into EnableDisableAction
    assert set(F["--enable-sleep-mode"]["negations"]) == {"--no-enable-sleep-mode", "--disable-sleep-mode"}
    assert F["--enforce-eager"]["negations"] == ["--no-enforce-eager"]
    # Literal | str -> metavar in vLLM, i.e. not enforced by argparse: knownValues
    assert F["--tokenizer-mode"]["choices"] is None
    assert {"auto", "hf", "mistral"} <= set(F["--tokenizer-mode"]["knownValues"])
    assert {"auto", "hf", "mistral"} <= set(F["--config-format"]["knownValues"])
    assert {"auto", "dummy", "mistral", "safetensors"} <= set(F["--load-format"]["knownValues"])
    assert {"fp8", "awq"} <= set(F["--quantization"]["knownValues"])
    assert F["--quantization"]["aliases"] == ["-q"]
    assert {"hermes", "mistral", "qwen3_xml"} <= set(F["--tool-call-parser"]["knownValues"])
    assert {"deepseek_r1", "qwen3"} <= set(F["--reasoning-parser"]["knownValues"])
    assert F["--uvicorn-log-level"]["choices"] == ["critical", "debug", "error", "info", "trace", "warning"]
    assert F["--compilation-config"]["parser"] == "dataclass:CompilationConfig"
    assert F["--compilation-config"]["aliases"] == ["-cc"]
    assert F["--speculative-config"]["nullable"] is True
    assert F["--served-model-name"]["nullable"] is True
    assert vllm["positionals"][0]["dest"] == "model_tag"
    assert vllm["parser"]["underscoresAsDashes"] is True


SGLANG_EXPECTED = {
    "--model-path": ("str", None, True),
    "--revision": ("str", None, True),
    "--served-model-name": ("str", None, True),
    "--tp-size": ("int", None, True),
    "--cuda-graph-max-bs-decode": ("int", None, True),
    "--max-running-requests": ("int", None, True),
    "--enable-metrics": ("bool", 0, False),
    "--enable-memory-saver": ("bool", 0, False),
    "--enable-weights-cpu-backup": ("bool", 0, False),
    "--mem-fraction-static": ("float", None, True),
    "--context-length": ("int", None, True),
    "--tool-call-parser": ("str", None, True),
    "--reasoning-parser": ("str", None, True),
    "--api-key": ("str", None, True),
    "--host": ("str", None, True),
    "--port": ("int", None, True),
}


@pytest.mark.parametrize("flag", sorted(SGLANG_EXPECTED))
def test_sglang_known_flags(sglang, flag):
    f = sglang["flags"][flag]
    t, nargs, takes = SGLANG_EXPECTED[flag]
    assert (f["type"], f["nargs"], f["takesValue"]) == (t, nargs, takes)


def test_sglang_flag_details(sglang):
    F = sglang["flags"]
    assert F["--model-path"]["required"] is True
    assert F["--model-path"]["aliases"] == ["--model"]
    assert F["--tp-size"]["aliases"] == ["--tensor-parallel-size"]
    # `--tp` and `--cuda-graph-max-bs` are NOT flags of this version (see FACTS.md)
    assert "--tp" not in F and "--cuda-graph-max-bs" not in F
    assert "--cuda-graph-max-bs-prefill" in F
    assert F["--context-length"]["parser"] == "sglang.human_readable_int"
    assert {"auto", "qwen25", "llama3"} <= set(F["--tool-call-parser"]["choices"])
    assert {"auto", "qwen3", "deepseek-r1"} <= set(F["--reasoning-parser"]["choices"])
    assert {"auto", "dummy", "safetensors"} <= set(F["--load-format"]["choices"])
    assert F["--enable-metrics"]["action"] == "store_true"
    assert sglang["parser"]["underscoresAsDashes"] is False


# ----------------------------------------------------------------------------------------
# Synthetic source trees
# ----------------------------------------------------------------------------------------


def write_tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))


FAKE_VLLM = {
    "vllm/__init__.py": "",
    "vllm/entrypoints/__init__.py": "",
    "vllm/entrypoints/cli/__init__.py": "",
    "vllm/entrypoints/cli/serve.py": """
        from vllm.entrypoints.frontend import make_arg_parser

        class ServeSubcommand:
            name = "serve"

            def subparser_init(self, subparsers):
                serve_parser = subparsers.add_parser(self.name, help="serve")
                serve_parser = make_arg_parser(serve_parser)
                serve_parser.epilog = "epilog"
                return serve_parser
    """,
    "vllm/entrypoints/frontend.py": """
        import json
        from dataclasses import field
        from typing import Literal

        from vllm.config.utils import config
        from vllm.engine.arg_utils import EngineArgs


        @config
        class BaseFrontendArgs:
            tool_call_parser: str | None = None
            \"\"\"Tool parser.\"\"\"
            enable_auto_tool_choice: bool = False
            allowed_origins: list[str] = field(default_factory=list)

            @classmethod
            def _customize_cli_kwargs(cls, kw):
                kw["allowed_origins"]["type"] = json.loads
                del kw["allowed_origins"]["nargs"]
                return kw

            @classmethod
            def add_cli_args(cls, parser):
                from vllm.engine.arg_utils import get_kwargs

                kw = get_kwargs(cls)
                kw = cls._customize_cli_kwargs(kw)
                group = parser.add_argument_group(title=cls.__name__.replace("Args", ""))
                for key, value in kw.items():
                    extra = value.pop("flags", [])
                    group.add_argument(*extra, f"--{key.replace('_', '-')}", **value)
                return parser


        @config
        class FrontendArgs(BaseFrontendArgs):
            port: int = 8000
            uvicorn_log_level: Literal["info", "debug"] = "info"
            api_key: list[str] | None = None

            @classmethod
            def _customize_cli_kwargs(cls, kw):
                kw = super()._customize_cli_kwargs(kw)
                kw["port"]["flags"] = ["-p"]
                return kw


        def make_arg_parser(parser):
            parser.add_argument("model_tag", type=str, nargs="?")
            parser.add_argument("--headless", action="store_true", default=False)
            parser = FrontendArgs.add_cli_args(parser)
            parser = EngineArgs.add_cli_args(parser)
            return parser
    """,
    "vllm/config/__init__.py": "",
    "vllm/config/utils.py": """
        def config(cls):
            return cls
    """,
    "vllm/quant.py": """
        from typing import Literal
        QuantizationMethods = Literal["fp8", "awq"]
    """,
    "vllm/config/model.py": """
        from typing import TYPE_CHECKING, ClassVar, Literal

        from vllm.config.utils import config

        if TYPE_CHECKING:
            from vllm.quant import QuantizationMethods
        else:
            QuantizationMethods = str

        TokenizerMode = Literal["auto", "mistral"]
        RunnerOption = Literal["auto", Literal["generate", "pooling"]]


        @config
        class ModelConfig:
            max_model_len: int = None
            tokenizer_mode: TokenizerMode | str = "auto"
            quantization: QuantizationMethods | None = None
            dtype: Literal["auto", "half"] = "auto"
            runner: RunnerOption = "auto"
            enforce_eager: bool = False
            served_model_name: str | list[str] | None = None
            hf_token: bool | str | None = None
            registry: ClassVar[dict] = {}
    """,
    "vllm/config/cache.py": """
        from dataclasses import dataclass, field

        from vllm.config.utils import config


        class Options(dict):
            pass


        @dataclass
        class CompilationConfig:
            mode: int = 0


        @config
        class CacheConfig:
            gpu_memory_utilization: float = 0.9
            enable_prefix_caching: bool | None = None
            limit_per_prompt: Options = field(default_factory=Options)
            cudagraph_capture_sizes: list[int] | None = None
            max_num_batched_tokens: int | None = None


        @config
        class VllmConfig:
            speculative_config: dict | None = None
            compilation_config: CompilationConfig = field(default_factory=CompilationConfig)
    """,
    "vllm/utils/__init__.py": "",
    "vllm/utils/argparse_utils.py": """
        import argparse

        class EnableDisableAction(argparse.BooleanOptionalAction):
            pass  # present since vLLM 0.33: --enable-x also takes --disable-x

        def human_readable_int(value):
            return int(value)

        def human_readable_int_or_auto(value):
            return int(value)
    """,
    "vllm/engine/__init__.py": "",
    "vllm/engine/arg_utils.py": """
        import argparse
        import json
        import sys
        from dataclasses import dataclass

        from vllm.config.cache import CacheConfig, VllmConfig
        from vllm.config.model import ModelConfig
        from vllm.utils.argparse_utils import human_readable_int, human_readable_int_or_auto


        def parse_type(return_type):
            def _parse_type(val):
                return return_type(val)
            return _parse_type


        def optional_type(return_type):
            def _optional_type(val):
                return None if val in ("", "None") else return_type(val)
            return _optional_type


        def union_dict_and_str(val):
            return val


        def get_kwargs(cls):
            raise RuntimeError("re-implemented by the extractor")


        class Backend:
            A = "a"
            ALL = (A, "b")


        class DeprecatedThingAction(argparse.Action):
            def __call__(self, parser, namespace, values, option_string=None):
                setattr(namespace, self.dest, values)


        @dataclass
        class EngineArgs:
            @staticmethod
            def add_cli_args(parser):
                mk = get_kwargs(ModelConfig)
                g = parser.add_argument_group(title="ModelConfig")
                g.add_argument("--max-model-len", **mk["max_model_len"])
                g.add_argument("--tokenizer-mode", **mk["tokenizer_mode"])
                g.add_argument("--quantization", "-q", **mk["quantization"])
                g.add_argument("--dtype", **mk["dtype"])
                g.add_argument("--runner", **mk["runner"])
                g.add_argument("--enforce-eager", **mk["enforce_eager"])
                g.add_argument("--served-model-name", **mk["served_model_name"])
                g.add_argument("--hf-token", **mk["hf_token"])
                ck = get_kwargs(CacheConfig)
                g.add_argument("--gpu-memory-utilization", "--device-memory-utilization",
                               dest="gpu_memory_utilization", **ck["gpu_memory_utilization"])
                g.add_argument("--enable-prefix-caching", **{**ck["enable_prefix_caching"], "default": None})
                g.add_argument("--limit-mm-per-prompt", **ck["limit_per_prompt"])
                g.add_argument("--cudagraph-capture-sizes", **ck["cudagraph_capture_sizes"])
                g.add_argument("--max-num-batched-tokens", **{**ck["max_num_batched_tokens"], "default": None})
                vk = get_kwargs(VllmConfig)
                vk["speculative_config"]["type"] = optional_type(json.loads)
                parser.add_argument("--speculative-config", "-sc", **vk["speculative_config"])
                parser.add_argument("--compilation-config", "-cc", **vk["compilation_config"])
                parser.add_argument("--backend", choices=Backend.ALL,
                                    type=lambda s: s.lower().replace("-", "_"))
                parser.add_argument("--disable-log-stats", action="store_true")
                parser.add_argument("--reasoning-parser", type=str, default="")
                parser.add_argument("--old-thing", action=DeprecatedThingAction,
                                    help="--old-thing is deprecated and will be removed.")
                if "--help" in sys.argv[1:]:
                    parser.add_argument("--only-with-help")
                return parser
    """,
    "vllm/tool_parsers/__init__.py": """
        _TOOL_PARSERS_TO_REGISTER = {"hermes": ("hermes_tool_parser", "Hermes"), "mistral": ("m", "M")}
    """,
    "vllm/reasoning/__init__.py": """
        _REASONING_PARSERS_TO_REGISTER = {"qwen3": ("q", "Q")}
    """,
}


FAKE_SGLANG = {
    "sglang/__init__.py": "",
    "sglang/srt/__init__.py": "",
    "sglang/srt/arg_groups/__init__.py": "",
    "sglang/srt/arg_groups/arg_utils.py": """
        from __future__ import annotations

        from typing import Annotated, Any

        import msgspec

        A = Annotated


        class Arg(msgspec.Struct, frozen=True):
            help: str = ""
            choices: list | None = None
            aliases: list[str] | None = None
            cli_name: str | None = None
            type_parser: Any = None
            nargs: str | None = None
            required: bool | None = None
            action: Any = None
            action_kwargs: dict | None = None
            const: Any = None
            no_cli: bool = False


        def add_cli_args_from_dataclass(parser, cls, *, fields=None):
            raise RuntimeError("re-implemented by the extractor")
    """,
    "sglang/srt/arg_groups/actions.py": """
        import argparse


        class DeprecatedStoreTrueAction(argparse.Action):
            def __init__(self, option_strings, dest, new_flag=None, nargs=0, const=True, default=False, **kw):
                super().__init__(option_strings, dest, nargs=nargs, const=const, default=default, **kw)
    """,
    "sglang/srt/arg_groups/names.py": """
        PARSERS = ["qwen25", "llama3"]
    """,
    "sglang/srt/arg_groups/fields.py": """
        from __future__ import annotations

        import argparse
        import json
        from typing import List, Literal, Optional

        import msgspec

        from sglang.srt.arg_groups.arg_utils import A, Arg

        LOAD_FORMATS = ["auto", "dummy"]


        def human_readable_int(value):
            \"\"\"Docs.\"\"\"
            return int(value)


        class Model(msgspec.Struct):
            _NS_PATH = "model"
            model_path: A[str, Arg(help="path", aliases=["--model"])]
            load_format: A[str, Arg(help="fmt", choices=LOAD_FORMATS)] = "auto"
            tp_size: A[int, Arg(help="tp", aliases=["--tensor-parallel-size"])] = 1
            context_length: A[Optional[int], Arg(help=f"ctx {human_readable_int.__doc__}",
                                                 type_parser=human_readable_int)] = None


        class Serving(msgspec.Struct):
            _NS_PATH = "serving"
            served_model_name: A[Optional[str], "name"] = None
            enable_metrics: A[bool, "metrics"] = False
            hidden: A[int, Arg(no_cli=True)] = 0
            plain: Optional[str] = None
            mode: A[Optional[Literal["a", "b"]], "mode"] = None
            paths: A[Optional[List[str]], "paths"] = None
            overlap: A[Optional[bool], Arg(help="o", action=argparse.BooleanOptionalAction)] = None
            extra: A[Optional[dict], Arg(help="x", type_parser=json.loads)] = None
            mem: A[float, "mem (Deprecated: use --other)"] = 0.5
    """,
    "sglang/compile_deep_gemm.py": """
        import argparse
        import dataclasses

        from sglang.srt.server_args import ServerArgs


        @dataclasses.dataclass
        class CompileArgs:
            timeout: int = 3600

            @staticmethod
            def add_cli_args(parser):
                parser.add_argument("--timeout", type=int, default=CompileArgs.timeout)


        if __name__ == "__main__":
            parser = argparse.ArgumentParser()
            ServerArgs.add_cli_args(parser)
            CompileArgs.add_cli_args(parser)
            args = parser.parse_args()
            raise SystemExit(run(args))
    """,
    "sglang/srt/server_args.py": """
        from __future__ import annotations

        import argparse

        import msgspec

        from sglang.srt.arg_groups.actions import DeprecatedStoreTrueAction
        from sglang.srt.arg_groups.arg_utils import add_cli_args_from_dataclass
        from sglang.srt.arg_groups.fields import Model, Serving


        def _parser_choices():
            import sys
            module = sys.modules.get("sglang.srt.function_call")
            if module is not None:
                return list(module.ToolCallParserEnum)
            from sglang.srt.arg_groups.names import PARSERS
            return list(PARSERS)


        class ServerArgs:
            @staticmethod
            def add_cli_args(parser):
                add_cli_args_from_dataclass(parser, ServerArgs)
                choices = _parser_choices()
                parser.add_argument("--tool-call-parser", type=str, choices=["auto"] + choices)
                parser.add_argument("--disable-x", action=DeprecatedStoreTrueAction, new_flag="--y")


        _INPUT_NAMESPACES = [Model, Serving]
        _annotations = collect_input_fields(_INPUT_NAMESPACES)
        ServerArgs = msgspec.defstruct("ServerArgs", [])
    """,
}


@pytest.fixture(scope="module")
def fake_vllm(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("fake-vllm")
    write_tree(root, FAKE_VLLM)
    return extract.extract_from_dir("vllm", root)


@pytest.fixture(scope="module")
def fake_sglang(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("fake-sglang")
    write_tree(root, FAKE_SGLANG)
    return extract.extract_from_dir("sglang", root)


def real_warnings(facts: dict) -> list[str]:
    return [w for w in facts["warnings"] if "fingerprint" not in w]


def test_synthetic_vllm(fake_vllm):
    F = fake_vllm["flags"]
    assert real_warnings(fake_vllm) == []
    assert [(p["dest"], p["nargs"]) for p in fake_vllm["positionals"]] == [("model_tag", "?")]
    assert fake_vllm["positionals"][0]["definedAt"].startswith("vllm/entrypoints/frontend.py:")
    assert "--only-with-help" not in F
    assert F["--max-model-len"]["parser"] == "vllm.human_readable_int_or_auto"
    assert F["--max-num-batched-tokens"]["parser"] == "vllm.human_readable_int"
    assert F["--max-num-batched-tokens"]["nullable"] is True
    assert F["--tokenizer-mode"]["choices"] is None
    assert F["--tokenizer-mode"]["knownValues"] == ["auto", "mistral"]
    # runtime type is `str`; the TYPE_CHECKING Literal gives knownValues
    assert F["--quantization"]["knownValues"] == ["awq", "fp8"]
    assert F["--quantization"]["nullable"] is True and F["--quantization"]["aliases"] == ["-q"]
    assert F["--dtype"]["choices"] == ["auto", "half"]
    assert F["--runner"]["choices"] == ["auto", "generate", "pooling"]  # nested Literal flattened
    assert F["--enforce-eager"]["negations"] == ["--no-enforce-eager"]
    assert F["--enforce-eager"]["takesValue"] is False
    assert F["--enable-prefix-caching"]["negations"] == ["--disable-prefix-caching", "--no-enable-prefix-caching"]
    assert F["--enable-auto-tool-choice"]["negations"] == ["--disable-auto-tool-choice",
                                                           "--no-enable-auto-tool-choice"]
    assert F["--served-model-name"]["nargs"] == "+" and F["--served-model-name"]["nullable"] is True
    assert F["--hf-token"]["nargs"] == "?" and F["--hf-token"]["constWhenBare"] is True
    assert F["--gpu-memory-utilization"]["type"] == "float"
    assert F["--gpu-memory-utilization"]["aliases"] == ["--device-memory-utilization"]
    assert F["--limit-mm-per-prompt"]["type"] == "json"  # dict subclass -> parse_type(json.loads)
    assert F["--cudagraph-capture-sizes"]["type"] == "int" and F["--cudagraph-capture-sizes"]["nargs"] == "+"
    assert F["--speculative-config"]["type"] == "json" and F["--speculative-config"]["aliases"] == ["-sc"]
    assert F["--compilation-config"]["parser"] == "dataclass:CompilationConfig"
    assert F["--backend"]["choices"] == ["a", "b"]  # class-scope constant resolved
    assert F["--backend"]["normalize"] == [["lower"], ["replace", "-", "_"]]
    assert F["--old-thing"]["deprecated"] is True and F["--old-thing"]["takesValue"] is True
    assert F["--disable-log-stats"]["action"] == "store_true"
    # Frontend dataclass loop + _customize_cli_kwargs through super()
    assert F["--port"]["aliases"] == ["-p"] and F["--port"]["type"] == "int"
    assert F["--allowed-origins"]["type"] == "json" and F["--allowed-origins"]["nargs"] is None
    assert F["--api-key"]["nargs"] == "+"
    assert F["--uvicorn-log-level"]["choices"] == ["debug", "info"]
    assert F["--tool-call-parser"]["knownValues"] == ["hermes", "mistral"]
    assert F["--tool-call-parser"]["group"] == "Frontend"
    assert F["--reasoning-parser"]["knownValues"] == ["qwen3"]
    assert "--registry" not in F  # ClassVar is not a field
    assert set(fake_vllm["source"]) >= {"vllm/engine/arg_utils.py", "vllm/entrypoints/cli/serve.py"}


def test_synthetic_sglang(fake_sglang):
    F = fake_sglang["flags"]
    assert real_warnings(fake_sglang) == []
    assert F["--model-path"]["required"] is True and F["--model-path"]["aliases"] == ["--model"]
    assert F["--load-format"]["choices"] == ["auto", "dummy"]
    assert F["--tp-size"]["aliases"] == ["--tensor-parallel-size"]
    assert F["--context-length"]["parser"] == "sglang.human_readable_int"
    assert F["--served-model-name"]["nargs"] is None and F["--served-model-name"]["type"] == "str"
    assert F["--enable-metrics"]["action"] == "store_true" and F["--enable-metrics"]["takesValue"] is False
    assert "--hidden" not in F and "--plain" not in F
    assert F["--mode"]["choices"] == ["a", "b"]
    assert F["--paths"]["nargs"] == "+"
    assert F["--overlap"]["negations"] == ["--no-overlap"]  # plain argparse: no --disable- twin
    assert F["--extra"]["type"] == "json"
    assert F["--mem"]["deprecated"] is True and F["--mem"]["type"] == "float"
    assert F["--tool-call-parser"]["choices"] == ["auto", "llama3", "qwen25"]
    assert F["--disable-x"]["deprecated"] is True and F["--disable-x"]["takesValue"] is False
    assert any("condition not statically known" in n for n in fake_sglang["notes"])
    ep = fake_sglang["entrypoints"]["sglang.compile_deep_gemm"]
    assert list(ep["flags"]) == ["--timeout"] and ep["inheritsFlagsOf"] == "sglang.launch_server"


def test_dumps_is_deterministic(fake_vllm):
    a = extract.dumps(fake_vllm)
    assert a == extract.dumps(json.loads(a))
    assert json.loads(a) == json.loads(json.dumps(fake_vllm))


def test_lambda_normalizer():
    import ast
    node = ast.parse("lambda s: s.lower().replace('-', '_')", mode="eval").body
    assert extract.lambda_normalizer(node) == [["lower"], ["replace", "-", "_"]]
    node = ast.parse("lambda s: [int(x) for x in s.split(',')]", mode="eval").body
    assert extract.lambda_normalizer(node) is None


# ----------------------------------------------------------------------------------------
# check.py
# ----------------------------------------------------------------------------------------


def run_check(facts: dict, argv: list[str], **kw) -> dict:
    return checker.check(facts, argv, **kw)


def problems(res: dict) -> dict[str, str]:
    return {p["flag"]: p["problem"] for p in res["problems"]}


def test_check_vllm_ok(vllm):
    argv = ["vllm", "serve", "Qwen/Qwen3-0.6B", "--served-model-name", "a", "b", "--revision", "main",
            "-tp", "2", "--gpu-memory-utilization", "0.85", "--max-model-len", "32k", "--max-num-seqs", "64",
            "--max-num-batched-tokens", "8192", "--enforce-eager", "--enable-sleep-mode",
            "--tokenizer-mode", "mistral", "--config-format", "mistral", "--load-format", "mistral",
            "--tool-call-parser", "mistral", "--enable-auto-tool-choice", "--reasoning-parser", "qwen3",
            "--limit-mm-per-prompt", '{"image": 2}', "--speculative-config", '{"method": "ngram"}',
            "--api-key", "k", "--host", "0.0.0.0", "--port", "8000", "--uvicorn-log-level", "warning",
            "--quantization", "fp8", "--compilation-config", '{"mode": 3}', "--max_num_seqs=8",
            "--compilation-config.cudagraph_mode", "FULL", "-O3", "--no-enforce-eager"]
    res = run_check(vllm, argv)
    assert res["ok"], res["problems"]


def test_check_vllm_problems(vllm):
    res = run_check(vllm, ["vllm", "serve", "m", "--max-model", "1k", "--bogus", "--port", "eighty",
                           "--uvicorn-log-level", "loud", "--enforce-eager=true", "--speculative-config",
                           "{not json", "--max-num-batched-tokens", "1.5K", "--tool-call-parser", "nope"])
    p = problems(res)
    assert not res["ok"]
    assert "abbreviation of --max-model-len" in p["--max-model"]
    assert "unknown flag --bogus" in p["--bogus"]
    assert "bad value 'eighty'" in p["--port"]
    assert "not in choices" in p["--uvicorn-log-level"]
    assert "takes no value" in p["--enforce-eager"]
    assert "invalid JSON" in p["--speculative-config"]
    assert "--max-num-batched-tokens" in p
    assert "not one of the values" in p["--tool-call-parser"]
    res = run_check(vllm, ["--tool-call-parser", "nope"], allow_unknown_values=True)
    assert res["ok"] and res["warnings"]


def test_check_vllm_model_position(vllm):
    res = run_check(vllm, ["vllm", "serve", "--served-model-name", "x", "--port", "1"])
    assert "--served-model-name" in problems(res)
    res = run_check(vllm, ["vllm", "serve", "m", "extra"])
    assert "extra" in problems(res)


def test_check_sglang(sglang):
    ok = ["python", "-m", "sglang.launch_server", "--model-path", "Qwen/Qwen3-0.6B", "--revision", "main",
          "--served-model-name", "q", "--tp-size", "2", "--cuda-graph-max-bs-decode", "16",
          "--max-running-requests", "8", "--enable-metrics", "--enable-memory-saver",
          "--enable-weights-cpu-backup", "--mem-fraction-static", "0.8", "--context-length", "32Ki",
          "--tool-call-parser", "qwen25", "--reasoning-parser", "qwen3", "--api-key", "k",
          "--host", "0.0.0.0", "--port", "30000"]
    res = run_check(sglang, ok)
    assert res["ok"], res["problems"]
    res = run_check(sglang, ok + ["--tp", "2", "--cuda-graph-max-bs", "8", "--max_running_requests", "3",
                                  "--served-model-name", "a", "b", "--tool-call-parser", "nope"])
    p = problems(res)
    assert "abbreviation of --tp-size" in p["--tp"]
    assert "ambiguous" in p["--cuda-graph-max-bs"]
    assert "unknown flag" in p["--max_running_requests"]  # no _ -> - rewriting in SGLang
    assert "b" in p  # --served-model-name takes exactly one value
    assert "not in choices" in p["--tool-call-parser"]
    res = run_check(sglang, ["python3", "-m", "sglang.launch_server", "--port", "1"])
    assert "required flag --model-path" in problems(res)["--model-path"]
    assert run_check(sglang, ["--port", "1"])["ok"]  # partial argv: required flags not checked


def test_sglang_compile_deep_gemm(sglang):
    ep = sglang["entrypoints"]["sglang.compile_deep_gemm"]
    assert ep["inheritsFlagsOf"] == "sglang.launch_server"
    assert ep["flags"]["--timeout"]["type"] == "int"
    argv = ["python3", "-m", "sglang.compile_deep_gemm", "--model-path", "m", "--tp-size", "8",
            "--trust-remote-code", "--timeout", "7200"]
    assert run_check(sglang, argv)["ok"]
    res = run_check(sglang, ["python3", "-m", "sglang.launch_server", "--model-path", "m", "--timeout", "1"])
    assert "--timeout" in problems(res)


def test_check_cli_interface(tmp_path):
    facts = HERE / "facts" / f"sglang-{PINS['sglang']}.json"
    proc = subprocess.run([sys.executable, str(HERE / "check.py"), "--facts", str(facts)],
                          input=json.dumps(["--model-path", "m", "--tp", "2"]), capture_output=True, text=True)
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert out["ok"] is False and out["problems"][0]["flag"] == "--tp"
    assert "--tp" in proc.stderr
    proc = subprocess.run([sys.executable, str(HERE / "check.py"), "--facts", str(facts)],
                          input=json.dumps(["--model-path", "m"]), capture_output=True, text=True)
    assert proc.returncode == 0 and json.loads(proc.stdout)["ok"] is True


# ----------------------------------------------------------------------------------------
# Drift: re-extract the pinned versions (needs the source cache or the network)
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", sorted(PINS))
def test_reextract_matches_committed_facts(engine):
    cache = extract.cache_root(None)
    cached = (cache / f"{engine}-{PINS[engine]}" / ".complete.json").is_file()
    if not cached and os.environ.get("ROUSE_ENGINE_ARGS_DOWNLOAD") != "1":
        pytest.skip("engine source not cached; set ROUSE_ENGINE_ARGS_DOWNLOAD=1 to download")
    facts = extract.extract(engine, PINS[engine], cache)
    committed = (HERE / "facts" / f"{engine}-{PINS[engine]}.json").read_text()
    assert extract.dumps(facts) == committed
