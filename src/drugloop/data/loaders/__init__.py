"""Typed loaders for every shipped data set: each resolves its files through the checksum-verified resolver and
returns a fresh pandas DataFrame whose columns its docstring lists.

``drugloop.data.catalog`` names these functions by string, so the public names here are a contract.
"""

from __future__ import annotations

from drugloop.data.loaders._common import clear_memo
from drugloop.data.loaders.approval import load_drug_approval
from drugloop.data.loaders.binding import load_davis, load_human_dti, load_kiba, stable_id
from drugloop.data.loaders.molecules import load_chembl10k, load_moleculenet, load_moses, load_zinc250k
from drugloop.data.loaders.networks import load_gene_symbols, load_pathways, load_string
from drugloop.data.loaders.response import (
    load_deepcdr_cell_lines,
    load_deepcdr_drugs,
    load_deepcdr_thresholds,
    load_gdsc,
    load_gdsc_deepcdr,
    load_gdsc_genes,
    load_gdsc_omics,
    load_gdsc_ppi,
    load_organoid_drug_targets,
    load_organoid_expression,
    load_organoid_gene_ids,
    load_organoid_pathway_proximity,
    load_organoid_replicates,
    load_organoid_response,
    load_tcga_coad_drugs,
)
from drugloop.data.loaders.sites import load_bindpredict, load_hots, load_kinase_active_sites

__all__ = [
    "clear_memo",
    "load_bindpredict",
    "load_chembl10k",
    "load_davis",
    "load_deepcdr_cell_lines",
    "load_deepcdr_drugs",
    "load_deepcdr_thresholds",
    "load_drug_approval",
    "load_gdsc",
    "load_gdsc_deepcdr",
    "load_gdsc_genes",
    "load_gdsc_omics",
    "load_gdsc_ppi",
    "load_gene_symbols",
    "load_hots",
    "load_human_dti",
    "load_kiba",
    "load_kinase_active_sites",
    "load_moleculenet",
    "load_moses",
    "load_organoid_drug_targets",
    "load_organoid_expression",
    "load_organoid_gene_ids",
    "load_organoid_pathway_proximity",
    "load_organoid_replicates",
    "load_organoid_response",
    "load_pathways",
    "load_string",
    "load_tcga_coad_drugs",
    "load_zinc250k",
    "stable_id",
]
