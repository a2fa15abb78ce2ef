"""Approval engine: predict drug approval from the gene-perturbation effects of a drug's targets and its chemistry.

Park et al. (eBioMedicine 2023) showed that how essential a drug's targets are in cancer cells (CRISPR, CGE) versus
in humans (loss-of-function intolerance, OGE), with network and expression features, predicts approval. This package
rebuilds those features from raw tables (:mod:`.features`), reproduces the paper's balanced-repeat protocol
(:mod:`.protocol`, :mod:`.models`) and deploys calibrated models that score new drugs and targets (:mod:`.engine`).

    from drugloop.approval import ApprovalConfig, ApprovalEngine, train
    engine = train(ApprovalConfig(out="runs/approval"))
    engine.predict_drugs(pd.DataFrame({"name": [...], "smiles": [...], "targets": ["EGFR|ERBB2", ...]}))
    engine.target_profile(["EGFR", "TP53"])
"""

from drugloop.approval.config import ApprovalConfig
from drugloop.approval.engine import ApprovalEngine, parse_targets, train, training_table
from drugloop.approval.features import (
    EXTENDED_FEATURES,
    FEATURE_GROUPS,
    GeneLookup,
    aggregate_targets,
    build_dataset,
    compare_with_ml_dataset,
    gene_table,
    rdkit_chemical,
)
from drugloop.approval.protocol import (
    balanced_indices,
    grouped_split,
    repeat_split,
    run_protocol,
    stratified_split,
)

__all__ = [
    "EXTENDED_FEATURES",
    "FEATURE_GROUPS",
    "ApprovalConfig",
    "ApprovalEngine",
    "GeneLookup",
    "aggregate_targets",
    "balanced_indices",
    "build_dataset",
    "compare_with_ml_dataset",
    "gene_table",
    "grouped_split",
    "parse_targets",
    "rdkit_chemical",
    "repeat_split",
    "run_protocol",
    "stratified_split",
    "train",
    "training_table",
]
