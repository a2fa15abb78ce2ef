"""Small drug-like molecules shared by the binding tests (aspirin, imatinib, a sulfonamide, ...)."""

DRUG_LIKE_SMILES = [
    "CC(=O)Oc1ccccc1C(=O)O",
    "CN1CCN(CC1)c1ccc(cc1)C(=O)Nc1ccc(C)c(Nc2nccc(n2)-c2cccnc2)c1",
    "Cc1ccc(cc1)S(=O)(=O)N",
    "c1ccc2c(c1)ccc1ccccc12",
    "CCN(CC)CCNC(=O)c1cc(Cl)c(N)cc1OC",
    "O=C(O)CCc1ccccc1",
    "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
    "CN1C=NC2=C1C(=O)N(C(=O)N2C)C",
    "Oc1ccc(cc1)C=O",
    "COc1ccc2[nH]cc(CCN)c2c1",
]
