"""Design engine: a sample-efficient design–make–test–learn loop for new molecules.

``scoring`` (TOML objectives), ``ledger`` (every oracle call, de-duplicated, budgeted, Parquet), ``graph_ga``
(graph genetic algorithm), ``lm`` (SMILES language-model prior + REINVENT-style RL), ``surrogate`` (fingerprint
ensemble / Tanimoto GP + acquisition), ``loop`` (the DMTA loop), ``pmo`` (the 20 RDKit-only PMO oracles and the
AUC top-10 metric), ``dmta`` (retrospective DMTA on KIBA), ``bench`` (benchmark runners). Submodules are imported
on use, so ``import drugloop.design`` stays light.
"""
