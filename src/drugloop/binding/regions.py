"""Residue-level binding-region predictor: protein sequence -> per-residue binding probability and merged regions.

The network is a small dilated residual 1-D CNN over one-hot residues plus five physico-chemical scales
(Kyte-Doolittle hydropathy, Zamyatnin volume, charge at pH 7, Grantham polarity, aromaticity), with a
protein-level context vector (mean over residues) concatenated before the output layer. It has four per-residue
outputs, trained jointly with masked binary cross-entropy:

- ``small``, ``metal``, ``nuclear``: bindEmbed21/BioLiP binding residues of each ligand class;
- ``region``: inside a HoTS binding region (a binding residue +- 5 residues, overlapping windows merged).

Regions are decoded from the per-residue probabilities by one of three decoders (chosen on validation data and
stored with the weights): ``segment`` (runs of region probability >= threshold), ``pad`` (binding residues >=
threshold, padded by 5 and merged, HoTS' own region rule) or ``anchor`` (fixed-width windows at every residue
scored by mean region probability, then non-maximum suppression, HoTS' detection idea).

``RegionPredictor.default()`` loads the weights shipped in ``drugloop/binding/weights/`` (trained by
``scripts/train_regions.py``; training data: bindPredict development folds and HoTS validation regions with any
protein >= 90% identical to a test protein removed).
"""

from __future__ import annotations

import copy
import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from drugloop.errors import InputError, ModelError
from drugloop.utils.io import read_model_card

__all__ = [
    "HEADS",
    "MAX_LENGTH",
    "Region",
    "RegionPrediction",
    "RegionPredictor",
    "check_sequence",
    "decode_regions",
    "residue_features",
]

log = logging.getLogger(__name__)

HEADS = ("small", "metal", "nuclear", "region")
MAX_LENGTH = 5000
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
_AA = "ACDEFGHIKLMNPQRSTVWY"
# physico-chemical scales (published values), standardised below
_KD = dict(
    zip(
        _AA,
        [
            1.8,
            2.5,
            -3.5,
            -3.5,
            2.8,
            -0.4,
            -3.2,
            4.5,
            -3.9,
            3.8,
            1.9,
            -3.5,
            -1.6,
            -3.5,
            -4.5,
            -0.8,
            -0.7,
            4.2,
            -0.9,
            -1.3,
        ],
        strict=True,
    )
)
_VOL = dict(
    zip(
        _AA,
        [
            88.6,
            108.5,
            111.1,
            138.4,
            189.9,
            60.1,
            153.2,
            166.7,
            168.6,
            166.7,
            162.9,
            114.1,
            112.7,
            143.8,
            173.4,
            89.0,
            116.1,
            140.0,
            227.8,
            193.6,
        ],
        strict=True,
    )
)
_CHARGE = {**dict.fromkeys(_AA, 0.0), "D": -1.0, "E": -1.0, "K": 1.0, "R": 1.0, "H": 0.1}
_POL = dict(
    zip(
        _AA,
        [
            8.1,
            5.5,
            13.0,
            12.3,
            5.2,
            9.0,
            10.4,
            5.2,
            11.3,
            4.9,
            5.7,
            11.6,
            8.0,
            10.5,
            10.5,
            9.2,
            8.6,
            5.9,
            5.4,
            6.2,
        ],
        strict=True,
    )
)
_AROM = {**dict.fromkeys(_AA, 0.0), "F": 1.0, "W": 1.0, "Y": 1.0, "H": 0.5}


def _feature_table() -> np.ndarray:
    """Rows: byte value; columns: 21 one-hot (20 amino acids + X) + 5 standardised scales."""
    scales = np.array([[s[a] for s in (_KD, _VOL, _CHARGE, _POL, _AROM)] for a in _AA], dtype=np.float32)
    scales = (scales - scales.mean(0)) / scales.std(0)
    table = np.zeros((256, 26), dtype=np.float32)
    table[:, 20] = 1.0  # anything unknown is X, with neutral (mean) scales
    for i, a in enumerate(_AA):
        for ch in (a, a.lower()):
            table[ord(ch)] = 0.0
            table[ord(ch), i] = 1.0
            table[ord(ch), 21:] = scales[i]
    return table


_TABLE = _feature_table()
N_FEATURES = _TABLE.shape[1]


def check_sequence(seq: Any, max_length: int = MAX_LENGTH) -> str:
    """The cleaned sequence (upper case, no whitespace; B/Z/J/U/O -> X), or InputError with one clear reason."""
    from drugloop.bio.protein import NONSTANDARD, validate_sequence

    reason = validate_sequence(seq)
    if reason is not None and not (isinstance(seq, str) and _only_nonstandard(seq, NONSTANDARD)):
        raise InputError(reason)
    text = "".join(str(seq).split()).upper()
    text = "".join("X" if c in NONSTANDARD else c for c in text)
    if len(text) > max_length:
        raise InputError(
            f"sequence of {len(text):,} residues is longer than the {max_length:,} this model accepts"
        )
    return text


def _only_nonstandard(seq: str, nonstandard: str) -> bool:
    from drugloop.bio.protein import ALPHABET

    text = "".join(seq.split()).upper()
    return bool(text) and all(c in ALPHABET or c in nonstandard for c in text)


def residue_features(seq: str) -> np.ndarray:
    """(len(seq), 26) float32 features: one-hot over 20 amino acids + X, then the five scales."""
    return _TABLE[np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)]


# ---------------------------------------------------------------------------------------------------------------
# Regions and decoding
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Region:
    """A predicted binding region: half-open 0-based ``[start, end)`` and a confidence in 0..1."""

    start: int
    end: int
    score: float

    def as_tuple(self) -> tuple[int, int, float]:
        return (self.start, self.end, self.score)


@dataclass
class RegionPrediction:
    """Per-residue probabilities (``binding`` = small-molecule binding, ``region`` = inside a binding region) and
    the decoded regions, best first."""

    sequence: str
    binding: np.ndarray
    region: np.ndarray
    regions: list[Region] = field(default_factory=list)
    template_id: str | None = None  # the annotated homolog blended in, if any
    template_identity: float | None = None


def _nms(cands: np.ndarray, iou: float, limit: int) -> list[int]:
    """Greedy 1-D non-maximum suppression over rows (start, end, score) sorted by score, descending."""
    keep: list[int] = []
    starts, ends = cands[:, 0], cands[:, 1]
    alive = np.ones(len(cands), dtype=bool)
    for i in range(len(cands)):
        if not alive[i]:
            continue
        keep.append(i)
        if len(keep) >= limit:
            break
        inter = np.clip(np.minimum(ends, ends[i]) - np.maximum(starts, starts[i]), 0, None)
        union = (ends - starts) + (ends[i] - starts[i]) - inter
        alive &= inter / np.maximum(union, 1e-9) < iou
    return keep


def decode_regions(binding: np.ndarray, region: np.ndarray, decoder: dict[str, Any]) -> list[Region]:
    """Regions from per-residue probabilities; ``decoder`` = {"kind": segment|pad|anchor, "threshold": t, ...}."""
    from drugloop.evaluate.regions import regions_from_mask, regions_from_residues

    kind, t = decoder.get("kind", "segment"), float(decoder.get("threshold", 0.5))
    n = len(region)
    out: list[Region] = []
    if kind == "segment":
        min_len = int(decoder.get("min_length", 4))
        for s, e in regions_from_mask(region >= t):
            if e - s >= min_len:
                out.append(Region(s, e, float(region[s:e].mean())))
    elif kind == "pad":
        pad = int(decoder.get("pad", 5))
        hits = np.nonzero(binding >= t)[0]
        for s, e in regions_from_residues(hits, n, pad=pad):
            out.append(Region(s, e, float(binding[s:e].max())))
    elif kind == "anchor":
        widths = decoder.get("widths", (10, 14, 20, 28, 40))
        csum = np.concatenate([[0.0], np.cumsum(region, dtype=np.float64)])
        rows = []
        for w in widths:
            w = min(int(w), n)
            starts = np.arange(0, n - w + 1)
            mean = (csum[starts + w] - csum[starts]) / w
            ok = mean >= t
            rows.append(np.stack([starts[ok], starts[ok] + w, mean[ok]], axis=1))
        cands = np.concatenate(rows) if rows else np.empty((0, 3))
        cands = cands[np.argsort(-cands[:, 2], kind="stable")]
        keep = _nms(cands, float(decoder.get("nms_iou", 0.3)), int(decoder.get("max_regions", 30)))
        out = [Region(int(cands[i, 0]), int(cands[i, 1]), float(cands[i, 2])) for i in keep]
    else:
        raise InputError(f"unknown region decoder {kind!r}; use segment, pad or anchor")
    return sorted(out, key=lambda r: -r.score)


# ---------------------------------------------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------------------------------------------
def _build_net(channels: int, dilations: Sequence[int], kernel: int, dropout: float):  # noqa: ANN202
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, d: int) -> None:
            super().__init__()
            self.conv = nn.Conv1d(channels, channels, kernel, padding=d * (kernel - 1) // 2, dilation=d)
            self.norm = nn.LayerNorm(channels)  # per residue, so padding never leaks into real residues
            self.drop = nn.Dropout(dropout)

        def forward(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            z = self.norm(self.conv(h).transpose(1, 2)).transpose(1, 2)
            return (h + self.drop(nn.functional.gelu(z))) * mask

    class RegionNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inp = nn.Conv1d(N_FEATURES, channels, 1)
            self.blocks = nn.ModuleList(Block(d) for d in dilations)
            self.head = nn.Sequential(
                nn.Conv1d(2 * channels, channels, 1), nn.GELU(), nn.Conv1d(channels, len(HEADS), 1)
            )

        def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            """x: (B, L, F), mask: (B, L) bool -> logits (B, L, len(HEADS))."""
            m = mask.unsqueeze(1).to(x.dtype)
            h = self.inp(x.transpose(1, 2)) * m
            for block in self.blocks:
                h = block(h, m)
            ctx = h.sum(-1, keepdim=True) / m.sum(-1, keepdim=True).clamp(min=1.0)
            h = torch.cat([h, ctx.expand_as(h)], dim=1)
            return self.head(h).transpose(1, 2)

    return RegionNet()


DEFAULTS: dict[str, Any] = {
    "channels": 32,
    "dilations": [1, 2, 4, 8, 16, 1, 4, 16],
    "kernel": 5,
    "dropout": 0.15,
    "epochs": 16,
    "batch_residues": 6000,
    "crop": 400,
    "lr": 2e-3,
    "weight_decay": 1e-2,
    "patience": 4,
    "head_weights": [1.0, 0.5, 0.5, 1.0],
}


@dataclass
class TrainingProtein:
    """One training protein: its sequence and, per head, a 0/1 label vector or None when unknown."""

    protein_id: str
    sequence: str
    labels: dict[str, np.ndarray | None]


def _batches(
    proteins: Sequence[TrainingProtein], budget: int, rng: np.random.Generator | None
) -> list[list[int]]:
    """Indices grouped by similar length so a batch holds about ``budget`` padded residues."""
    lengths = np.array([len(p.sequence) for p in proteins])
    order = np.argsort(lengths + (rng.uniform(0, 40, len(lengths)) if rng is not None else 0), kind="stable")
    batches, cur, cur_max = [], [], 0
    for i in order:
        new_max = max(cur_max, int(lengths[i]))
        if cur and new_max * (len(cur) + 1) > budget:
            batches.append(cur)
            cur, new_max = [], int(lengths[i])
        cur.append(int(i))
        cur_max = new_max
    if cur:
        batches.append(cur)
    if rng is not None:
        rng.shuffle(batches)
    return batches


class RegionPredictor:
    """Train, save, load and apply the residue-level binding-region model."""

    def __init__(self, seed: int = 0, **params: Any) -> None:
        unknown = set(params) - set(DEFAULTS)
        if unknown:
            raise InputError(f"unknown region model parameter(s): {', '.join(sorted(unknown))}")
        self.params = {**DEFAULTS, **params}
        self.seed = seed
        self.net: Any = None
        self.decoder: dict[str, Any] = {"kind": "segment", "threshold": 0.5, "min_length": 4}
        self.binding_threshold = 0.5
        self.card: dict[str, Any] = {}
        # homology transfer (drugloop.binding.templates): the blend is part of the model (chosen on validation,
        # saved in the card); the library of annotated proteins is attached at run time by ``use_templates``
        self.template_blend: dict[str, float] | None = None
        # proteins that got a template decode with their own decoder: their region maps are sharper than the CNN's
        self.template_decoder: dict[str, Any] | None = None
        self.templates: Any = None
        self.template_cache: Path | None = None

    # -- training -------------------------------------------------------------------------------------------
    def _tensors(
        self,
        proteins: Sequence[TrainingProtein],
        idx: list[int],
        crop: int | None,
        rng: np.random.Generator | None,
    ):  # noqa: ANN202
        import torch

        spans = []
        for i in idx:
            n = len(proteins[i].sequence)
            if crop and n > crop:
                s = int(rng.integers(0, n - crop + 1)) if rng is not None else 0
                spans.append((s, s + crop))
            else:
                spans.append((0, n))
        width = (
            -(-max(e - s for s, e in spans) // 32) * 32
        )  # few distinct shapes: CPU conv kernels are cached
        x = np.zeros((len(idx), width, N_FEATURES), dtype=np.float32)
        y = np.zeros((len(idx), width, len(HEADS)), dtype=np.float32)
        w = np.zeros((len(idx), width, len(HEADS)), dtype=np.float32)
        mask = np.zeros((len(idx), width), dtype=bool)
        for row, (i, (s, e)) in enumerate(zip(idx, spans, strict=True)):
            p = proteins[i]
            x[row, : e - s] = residue_features(p.sequence[s:e])
            mask[row, : e - s] = True
            for h, head in enumerate(HEADS):
                lab = p.labels.get(head)
                if lab is not None:
                    y[row, : e - s, h] = lab[s:e]
                    w[row, : e - s, h] = self.params["head_weights"][h]
        return (torch.from_numpy(x), torch.from_numpy(mask), torch.from_numpy(y), torch.from_numpy(w))

    def _loss(self, net: Any, batch: tuple) -> Any:
        import torch

        x, mask, y, w = batch
        logits = net(x, mask)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y, weight=w, reduction="sum")
        return loss / w.sum().clamp(min=1.0)

    def fit(
        self,
        train: Sequence[TrainingProtein],
        valid: Sequence[TrainingProtein],
        progress: Callable[[int, dict[str, float]], None] | None = None,
    ) -> RegionPredictor:
        """Train with AdamW + one-cycle LR; keep the epoch with the lowest validation loss (early stopping)."""
        import torch

        from drugloop.nn.device import seed_everything

        if not train or not valid:
            raise InputError("the region model needs training and validation proteins")
        seed_everything(self.seed)
        rng = np.random.default_rng(self.seed)
        p = self.params
        net = _build_net(p["channels"], p["dilations"], p["kernel"], p["dropout"])
        opt = torch.optim.AdamW(net.parameters(), lr=p["lr"], weight_decay=p["weight_decay"])
        n_batches = len(_batches(train, p["batch_residues"], None))
        total_steps = p["epochs"] * (n_batches + 8) + 10  # length-jittered batching varies the count a little
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=p["lr"], total_steps=total_steps, pct_start=0.1
        )
        step = 0
        val_batches = [
            self._tensors(valid, b, None, None) for b in _batches(valid, 4 * p["batch_residues"], None)
        ]
        best, best_loss, bad, history = None, math.inf, 0, []
        started = time.perf_counter()
        for epoch in range(1, p["epochs"] + 1):
            net.train()
            total, count = 0.0, 0
            for b in _batches(train, p["batch_residues"], rng):
                loss = self._loss(net, self._tensors(train, b, p["crop"], rng))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), 2.0)
                opt.step()
                step += 1
                if step < total_steps - 1:
                    sched.step()
                total, count = total + float(loss.detach()), count + 1
            net.eval()
            with torch.no_grad():
                val = float(np.mean([float(self._loss(net, vb)) for vb in val_batches]))
            record = {
                "epoch": epoch,
                "train_loss": total / max(count, 1),
                "val_loss": val,
                "seconds": time.perf_counter() - started,
            }
            history.append(record)
            if progress:
                progress(epoch, record)
            log.info(
                "region model seed %d epoch %d train %.4f val %.4f",
                self.seed,
                epoch,
                record["train_loss"],
                val,
            )
            if val < best_loss - 1e-5:
                best_loss, bad, best = val, 0, copy.deepcopy(net.state_dict())
            else:
                bad += 1
                if bad >= p["patience"]:
                    break
        net.load_state_dict(best)
        self.net = net.eval()
        self.card.update(
            {
                "seed": self.seed,
                "params": p,
                "history": history,
                "best_val_loss": best_loss,
                "n_train": len(train),
                "n_valid": len(valid),
                "train_seconds": round(time.perf_counter() - started, 1),
            }
        )
        return self

    # -- prediction -----------------------------------------------------------------------------------------
    def use_templates(
        self,
        library: Any,
        blend: dict[str, float] | None = None,
        cache_dir: str | Path | None = None,
    ) -> RegionPredictor:
        """Attach a ``TemplateLibrary``: predictions then blend in the closest homolog's labels.

        ``blend`` = {"min_identity": m, "weight": w}; default: the blend stored with the model. ``library=None``
        detaches it (CNN alone).
        """
        if library is not None:
            blend = blend or self.template_blend
            if not blend or not {"min_identity", "weight"} <= set(blend):
                raise InputError(
                    "templates need a blend {'min_identity': m, 'weight': w}; this model has none"
                )
            try:
                self.template_blend = {k: float(blend[k]) for k in ("min_identity", "weight")}
            except (TypeError, ValueError):
                raise InputError(f"template blend values must be numbers, not {blend!r}") from None
        self.templates = library
        self.template_cache = Path(cache_dir) if cache_dir else None
        return self

    def predict_proba(self, sequences: Sequence[str], batch_residues: int = 40000) -> list[np.ndarray]:
        """Per sequence, an (L, 4) array of probabilities for ``HEADS``; sequences must already be checked.

        With a template library attached, each sequence's closest annotated homolog is blended in."""
        return self.proba_and_templates(sequences, batch_residues)[0]

    def proba_and_templates(
        self, sequences: Sequence[str], batch_residues: int = 40000
    ) -> tuple[list[np.ndarray], list[Any]]:
        """``predict_proba`` plus, per sequence, the ``TemplateHit`` blended in (None: the CNN alone)."""
        probs = self.cnn_proba(sequences, batch_residues)
        if self.templates is None or not self.template_blend:
            return probs, [None] * len(probs)
        from drugloop.binding.templates import blend_template

        hits = self.templates.search(
            sequences, self.template_blend["min_identity"], cache_dir=self.template_cache
        )
        weight = self.template_blend["weight"]
        blended = [blend_template(p, h, weight) for p, h in zip(probs, hits, strict=True)]
        return blended, hits

    def decoder_for(self, has_template: bool) -> dict[str, Any]:
        """The decoder of a protein with / without a blended template."""
        return self.template_decoder if has_template and self.template_decoder else self.decoder

    def cnn_proba(self, sequences: Sequence[str], batch_residues: int = 40000) -> list[np.ndarray]:
        """The CNN's own per-residue probabilities, no templates."""
        import torch

        if self.net is None:
            raise ModelError("the region model is not trained or loaded")
        out: list[np.ndarray | None] = [None] * len(sequences)
        dummy = [TrainingProtein("", s, {}) for s in sequences]
        with torch.no_grad(), torch.inference_mode():
            for b in _batches(dummy, batch_residues, None):
                x, mask, _, _ = self._tensors(dummy, b, None, None)
                prob = torch.sigmoid(self.net(x, mask)).numpy()
                for row, i in enumerate(b):
                    out[i] = prob[row, : len(sequences[i])].astype(np.float64)
        return [o if o is not None else np.zeros((0, len(HEADS))) for o in out]

    def predict(
        self, sequences: Sequence[str] | str, decoder: dict[str, Any] | None = None
    ) -> list[RegionPrediction]:
        """Validated sequences -> per-residue probabilities and regions. Raises InputError for a bad sequence;
        use ``predict_many`` to get one message per bad input instead."""
        if isinstance(sequences, str):
            sequences = [sequences]
        clean = [check_sequence(s) for s in sequences]
        probs, hits = self.proba_and_templates(clean)
        preds = []
        for seq, prob, hit in zip(clean, probs, hits, strict=True):
            binding, region = prob[:, 0], prob[:, 3]
            dec = decoder or self.decoder_for(hit is not None)
            pred = RegionPrediction(seq, binding, region, decode_regions(binding, region, dec))
            if hit is not None:
                pred.template_id, pred.template_identity = hit.template_id, hit.identity
            preds.append(pred)
        return preds

    def predict_many(
        self, records: Sequence[tuple[str, Any]]
    ) -> list[tuple[str, RegionPrediction | None, str | None]]:
        """(id, sequence) records -> (id, prediction or None, error or None): bad inputs do not stop the others."""
        ok: list[tuple[int, str]] = []
        results: list[tuple[str, RegionPrediction | None, str | None]] = []
        for i, (rid, seq) in enumerate(records):
            try:
                ok.append((i, check_sequence(seq)))
                results.append((rid, None, None))
            except InputError as exc:
                results.append((rid, None, str(exc)))
        if ok:
            preds = self.predict([s for _, s in ok])
            for (i, _), pred in zip(ok, preds, strict=True):
                results[i] = (results[i][0], pred, None)
        return results

    # -- persistence ----------------------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        from safetensors.torch import save_file

        from drugloop.utils.io import atomic_write_json

        if self.net is None:
            raise ModelError("nothing to save: the region model is not trained")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / ".regions.safetensors.part"
        save_file({k: v.detach().cpu().contiguous() for k, v in self.net.state_dict().items()}, str(tmp))
        tmp.chmod(0o644)
        tmp.replace(folder / "regions.safetensors")
        card = {
            **self.card,
            "model_type": "region-cnn",
            "version": 1,
            "heads": list(HEADS),
            "seed": self.seed,
            "params": self.params,
            "decoder": self.decoder,
            "binding_threshold": self.binding_threshold,
            "template_blend": self.template_blend,
            "template_decoder": self.template_decoder,
        }
        card.pop("history", None) if len(json.dumps(card.get("history", []))) > 20000 else None
        atomic_write_json(folder / "regions.json", card)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> RegionPredictor:
        from safetensors.torch import load_file

        folder = Path(folder)
        card_path, weights = folder / "regions.json", folder / "regions.safetensors"
        if not card_path.is_file() or not weights.is_file():
            raise ModelError(f"{folder} holds no region model (regions.json + regions.safetensors)")
        card = read_model_card(card_path, "region model")
        if card.get("model_type") != "region-cnn" or card.get("version") != 1:
            raise ModelError(f"{card_path}: not a version-1 region model")
        model = cls(
            seed=int(card.get("seed", 0)), **{k: v for k, v in card["params"].items() if k in DEFAULTS}
        )
        net = _build_net(
            model.params["channels"],
            model.params["dilations"],
            model.params["kernel"],
            model.params["dropout"],
        )
        try:
            net.load_state_dict(load_file(str(weights)))
        except RuntimeError as exc:
            raise ModelError(f"{folder}: region weights do not fit this model version ({exc})") from None
        model.net = net.eval()
        model.decoder = dict(card.get("decoder", model.decoder))
        model.binding_threshold = float(card.get("binding_threshold", 0.5))
        model.template_blend = card.get("template_blend")
        model.template_decoder = card.get("template_decoder")
        model.card = card
        return model

    @classmethod
    def default(cls) -> RegionPredictor:
        """The shipped model (``drugloop/binding/weights``); ModelError when the package has no weights."""
        return _default_model()

    def describe(self) -> dict[str, Any]:
        return {
            "decoder": self.decoder,
            "binding_threshold": self.binding_threshold,
            "seed": self.seed,
            **{k: self.card[k] for k in ("trained_on", "validation") if k in self.card},
        }


_DEFAULT: RegionPredictor | None = None


def _default_model() -> RegionPredictor:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = RegionPredictor.load(WEIGHTS_DIR)
    return _DEFAULT


def region_dict(region: Region) -> dict[str, Any]:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(region).items()}
