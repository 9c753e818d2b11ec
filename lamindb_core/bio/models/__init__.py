"""The bio registries: one per module, with their link tables beside them."""

from .base import BioRecord, RecordList
from .ontology import OntologyRecord
from .cell_line import ArtifactCellLine, CellLine
from .cell_marker import ArtifactCellMarker, CellMarker, FeatureSetCellMarker
from .cell_type import ArtifactCellType, CellType
from .developmental_stage import ArtifactDevelopmentalStage, DevelopmentalStage
from .disease import ArtifactDisease, Disease
from .ethnicity import ArtifactEthnicity, Ethnicity
from .experimental_factor import ArtifactExperimentalFactor, ExperimentalFactor
from .gene import ArtifactGene, FeatureSetGene, Gene
from .organism import ArtifactOrganism, Organism
from .pathway import ArtifactPathway, FeatureSetPathway, Pathway
from .phenotype import ArtifactPhenotype, Phenotype
from .protein import ArtifactProtein, FeatureSetProtein, Protein
from .source import Source
from .tissue import ArtifactTissue, Tissue

__all__ = [
    "ArtifactCellLine",
    "ArtifactCellMarker",
    "ArtifactCellType",
    "ArtifactDevelopmentalStage",
    "ArtifactDisease",
    "ArtifactEthnicity",
    "ArtifactExperimentalFactor",
    "ArtifactGene",
    "ArtifactOrganism",
    "ArtifactPathway",
    "ArtifactPhenotype",
    "ArtifactProtein",
    "ArtifactTissue",
    "BioRecord",
    "CellLine",
    "CellMarker",
    "CellType",
    "DevelopmentalStage",
    "Disease",
    "Ethnicity",
    "ExperimentalFactor",
    "FeatureSetCellMarker",
    "FeatureSetGene",
    "FeatureSetPathway",
    "FeatureSetProtein",
    "Gene",
    "OntologyRecord",
    "Organism",
    "Pathway",
    "Phenotype",
    "Protein",
    "RecordList",
    "Source",
    "Tissue",
]
