"""The core registries: one per module, with their link tables beside them."""

from .artifact import Artifact
from .collection import Collection, CollectionArtifact
from .feature import Feature
from .feature_set import ArtifactFeatureSet, FeatureSet, FeatureSetFeature, Schema
from .feature_value import ArtifactFeatureValue, FeatureValue
from .flextable import FlexTable, FlexTableData, RunData
from .project import (
    ArtifactProject, ArtifactReference, CollectionProject, CollectionReference, FeatureProject, Person, PersonProject,
    Project, Reference, SchemaProject, TransformProject, TransformReference, ULabelProject,
)
from .param import ArtifactParamValue, Param, ParamValue, RunParamValue, SchemaParam
from .record import BasicRecord, IsVersioned, Record, TracksRun, TracksUpdates
from .registry import Registry
from .run import Run, RunCell
from .space import Space
from .storage import Storage
from .transform import Transform
from .ulabel import ArtifactULabel, ULabel
from .user import User

__all__ = [
    "Artifact",
    "ArtifactFeatureSet",
    "ArtifactFeatureValue",
    "ArtifactULabel",
    "BasicRecord",
    "Collection",
    "CollectionArtifact",
    "Feature",
    "FeatureSet",
    "FeatureSetFeature",
    "FeatureValue",
    "IsVersioned",
    "Param",
    "ParamValue",
    "Person",
    "PersonProject",
    "Project",
    "ArtifactProject",
    "TransformProject",
    "CollectionProject",
    "ULabelProject",
    "FeatureProject",
    "SchemaProject",
    "Reference",
    "ArtifactReference",
    "TransformReference",
    "CollectionReference",
    "FlexTable",
    "FlexTableData",
    "RunData",
    "Record",
    "Registry",
    "Run",
    "RunCell",
    "RunParamValue",
    "ArtifactParamValue",
    "SchemaParam",
    "Schema",
    "Space",
    "Storage",
    "Transform",
    "TracksRun",
    "TracksUpdates",
    "ULabel",
    "User",
]
