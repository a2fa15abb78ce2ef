"""The data sets drugloop ships loaders for: name, files, licence, and the loader that gives its main table."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from drugloop.data.registry import FILES, DataFile
from drugloop.errors import DataError


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    folder: str  # registry path prefix
    license: str
    citation: str
    loader: str  # function name in drugloop.data.loaders that returns the main table
    drug_column: str | None = "drug_id"
    target_column: str | None = "target_id"
    aliases: tuple[str, ...] = field(default_factory=tuple)

    @property
    def files(self) -> list[DataFile]:
        return [f for p, f in sorted(FILES.items()) if p.startswith(self.folder)]

    def load(self, **kwargs: object) -> pd.DataFrame:
        module = importlib.import_module("drugloop.data.loaders")
        fn: Callable[..., pd.DataFrame] = getattr(module, self.loader)
        return fn(**kwargs)


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in [
        Dataset(
            "davis",
            "Davis kinase Kd as pKd, DeepDTA setting-1 folds",
            "davis/",
            "no licence file upstream (terms unstated); data from Davis et al. 2011 supplement",
            "Davis et al. 2011 Nat Biotechnol; Öztürk et al. 2018 Bioinformatics (DeepDTA)",
            "load_davis",
        ),
        Dataset(
            "kiba",
            "KIBA kinase scores, DeepDTA setting-1 folds",
            "kiba/",
            "no licence file upstream (terms unstated)",
            "Tang et al. 2014 JCIM; He et al. 2017 J Cheminform (SimBoost)",
            "load_kiba",
        ),
        Dataset(
            "human_dti",
            "Human compound-protein interactions, DrugBAN random and cold splits",
            "human_dti/",
            "MIT (repository)",
            "Liu et al. 2015 Bioinformatics; Bai et al. 2023 Nat Mach Intell (DrugBAN)",
            "load_human_dti",
            aliases=("human",),
        ),
        Dataset(
            "hots",
            "HoTS protein binding regions (NON-COMMERCIAL)",
            "binding_regions/hots/",
            "GPL-3.0 repository plus CC-BY-NC-SA-4.0 notice: treat as NON-COMMERCIAL",
            "Lee & Nam 2022 J Cheminform 14:5",
            "load_hots",
        ),
        Dataset(
            "bindpredict",
            "bindEmbed21 per-residue binding labels (metal, nuclear, small)",
            "binding_sites/bindpredict/",
            "MIT",
            "Littmann et al. 2021 Sci Rep 11:23916",
            "load_bindpredict",
            drug_column=None,
            target_column="protein_id",
        ),
        Dataset(
            "kinase_activesite",
            "Kinase active-site residues (35 per kinase domain)",
            "binding_sites/kinase_activesite_alignment.smi",
            "MIT",
            "Born et al. 2022 JCIM",
            "load_kinase_active_sites",
            drug_column=None,
            target_column="protein_id",
        ),
        Dataset(
            "gdsc",
            "GDSC ln IC50 with CCLE omics on 706 census genes (TGSA)",
            "gdsc/",
            "MIT (repository); GDSC, DepMap/CCLE, STRING carry their own terms",
            "Zhu et al. 2022 Bioinformatics (TGSA)",
            "load_gdsc",
            drug_column="drug_name",
            target_column="depmap_id",
        ),
        Dataset(
            "gdsc_deepcdr",
            "GDSC ln IC50 matrix, 266 drugs x 969 cell lines (DeepCDR)",
            "gdsc_deepcdr/",
            "MIT (repository)",
            "Liu et al. 2020 Bioinformatics (DeepCDR)",
            "load_gdsc_deepcdr",
            drug_column="drug_id",
            target_column="depmap_id",
        ),
        Dataset(
            "organoid_crc",
            "Colorectal-cancer organoid drug response and expression",
            "organoid_crc/",
            "MIT (repository); van de Wetering 2015 tables and TCGA carry their own terms",
            "Kong et al. 2020 Nat Commun; van de Wetering et al. 2015 Cell",
            "load_organoid_response",
            drug_column="drug_name",
            target_column="organoid",
        ),
        Dataset(
            "string_v12",
            "STRING v12 human network (Entrez ids, score >= 400)",
            "string_v12/",
            "STRING data CC BY 4.0; dmfind package GPL-3",
            "Szklarczyk et al. 2023 NAR",
            "load_string",
            drug_column=None,
            target_column=None,
        ),
        Dataset(
            "pathways",
            "MSigDB C2 gene sets v7.2 (symbols)",
            "pathways/",
            "MSigDB terms (KEGG sets also KEGG terms); check before commercial use",
            "Liberzon et al. 2011 Bioinformatics; Kong et al. 2022 Nat Commun (NetBio)",
            "load_pathways",
            drug_column=None,
            target_column=None,
        ),
        Dataset(
            "drug_approval",
            "Drug approval with gene-perturbation and chemical features",
            "drug_approval/",
            "MIT (repository)",
            "SBIlab DrugApprovalPrediction (Park et al. 2023 eBioMedicine)",
            "load_drug_approval",
            drug_column="stitch_id",
            target_column=None,
        ),
        Dataset(
            "moleculenet",
            "MoleculeNet property benchmarks (chemprop 2019 copy)",
            "moleculenet/",
            "MIT (repository); cite MoleculeNet and original sources",
            "Wu et al. 2018 Chem Sci",
            "load_moleculenet",
            drug_column="smiles",
            target_column=None,
        ),
        Dataset(
            "zinc250k",
            "ZINC250k molecules for generation",
            "zinc250k/zinc250k",
            "MIT (repository); ZINC terms",
            "Gómez-Bombarelli et al. 2018 ACS Cent Sci",
            "load_zinc250k",
            drug_column="smiles",
            target_column=None,
        ),
        Dataset(
            "chembl10k",
            "10,000 ChEMBL molecules (MARS)",
            "zinc250k/chembl_10k",
            "MIT (repository); ChEMBL CC BY-SA 3.0",
            "Xie et al. 2021 ICLR (MARS)",
            "load_chembl10k",
            drug_column="smiles",
            target_column=None,
        ),
        Dataset(
            "moses",
            "MOSES benchmark molecules (train/test/test_scaffolds)",
            "moses/",
            "MIT",
            "Polykovskiy et al. 2020 Front Pharmacol",
            "load_moses",
            drug_column="smiles",
            target_column=None,
        ),
    ]
}


def get_dataset(name: str) -> Dataset:
    """Look a data set up by name or alias; the error lists every valid name."""
    key = name.strip().lower()
    for ds in DATASETS.values():
        if key == ds.name or key in ds.aliases:
            return ds
    raise DataError(f"unknown data set {name!r}; valid names: {', '.join(DATASETS)}")
