"""Hugging Face model folders for the transformers backend, converted once from a verified GGUF.

transformers can read a GGUF file, but dequantizing it takes most of a minute on this CPU; the
dense bf16 copy it yields is saved under the cache directory, named after the GGUF's sha256, so
later runs load that folder in seconds and a changed file never reuses a stale conversion.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from language.errors import LanguageInputError
from language.model_files import SOURCES, model_path, sha256_of


def is_hf_folder(name: str) -> bool:
    """A local Hugging Face model folder (it holds a config.json)."""
    return (Path(name).expanduser() / "config.json").is_file()


def hf_model_dir(name: str, cache_dir: Path) -> Path:
    """A folder transformers can load for `name`: a local HF folder as it is, else the cached
    conversion of the (verified) GGUF that `name` designates, made on first use."""
    if is_hf_folder(name):
        return Path(name).expanduser()
    gguf = model_path(name, cache_dir)
    source = SOURCES.get(name)
    label, digest = (name, source.sha256) if source else (gguf.stem, sha256_of(gguf))
    target = cache_dir / "converted" / f"{label}-{digest[:16]}"
    if not (target / "config.json").is_file():
        convert_gguf(gguf, target)
    return target


def convert_gguf(gguf: Path, target: Path) -> None:
    """Dequantize `gguf` into a bf16 Hugging Face folder at `target` (written aside, then renamed,
    so an interrupted conversion never looks finished)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(
            gguf.parent,
            gguf_file=gguf.name,
            dtype=torch.bfloat16,
            quantization_config=GgufConfig(dequantize=True),
        )
    except (ImportError, ValueError) as exc:  # transformers names the missing package (gguf, accelerate)
        raise LanguageInputError(
            f"cannot convert {gguf.name} for transformers: {exc} (pip install worldmind[hf])"
        ) from exc
    # The weights are dense now, but the GGUF quantizer still marks the model as not serializable.
    model.hf_quantizer = None  # type: ignore[assignment]  # torch's Module typing knows no None attributes
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    partial.replace(target)
