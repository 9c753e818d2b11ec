"""The bio registries: one per module, with their link tables beside them."""

from .base import BioRecord, RecordList
from .ontology import OntologyRecord
from .cell_line import ArtifactCellLine, CellLine
from .cell_type import ArtifactCellType, CellType
from .developmental_stage import ArtifactDevelopmentalStage, DevelopmentalStage
from .disease import ArtifactDisease, Disease
from .ethnicity import ArtifactEthnicity, Ethnicity
from .experimental_factor import ArtifactExperimentalFactor, ExperimentalFactor
from .gene import ArtifactGene, FeatureSetGene, Gene
from .organism import ArtifactOrganism, Organism
from .phenotype import ArtifactPhenotype, Phenotype
from .source import Source
from .tissue import ArtifactTissue, Tissue

__all__ = [
    "ArtifactCellLine",
    "ArtifactCellType",
    "ArtifactDevelopmentalStage",
    "ArtifactDisease",
    "ArtifactEthnicity",
    "ArtifactExperimentalFactor",
    "ArtifactGene",
    "ArtifactOrganism",
    "ArtifactPhenotype",
    "ArtifactTissue",
    "BioRecord",
    "CellLine",
    "CellType",
    "DevelopmentalStage",
    "Disease",
    "Ethnicity",
    "ExperimentalFactor",
    "FeatureSetGene",
    "Gene",
    "OntologyRecord",
    "Organism",
    "RecordList",
    "Phenotype",
    "Source",
    "Tissue",
]
