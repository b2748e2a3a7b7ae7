"""Growth z-scores and centiles: WHO Child Growth Standards 2006, and any LMS reference a clinic adds.

Sources (../shared/docs/CLINICAL.md, section 6): WHO Child Growth Standards 2006 by age in days,
LMS method, WHO's restricted calculation beyond +/-3 SD for weight-based indicators, never capped;
WHO's biologically implausible ranges flagged, never capped; recumbent length before 2 years.

    >>> m = GrowthMeasurement(sex=Sex.FEMALE, age_days=274, weight_kg=5.6, length_cm=60,
    ...                       length_recumbent=True, head_circumference_cm=40.5)
    >>> assess_growth(m)[Indicator.WFA].z
    -3.23

Every result carries the reference name and version and whether corrected age was used, so it can
be stored as is; `assess_growth_against` scores the same measurement with several references.
"""

from .assess import (
    LENGTH_HEIGHT_SWITCH_DAYS,
    LYING_STANDING_DIFFERENCE_CM,
    assess_growth,
    assess_growth_against,
    length_for_age,
    z_to_centile,
)
from .lms import (
    AgeUnit,
    LmsReference,
    LmsRow,
    LmsTable,
    LmsTableError,
    lms_value,
    lms_z,
    lms_z_restricted,
    parse_lms_csv,
)
from .model import (
    GrowthAssessment,
    GrowthMeasurement,
    GrowthReference,
    Indicator,
    IndicatorResult,
    ReferenceNotApplicable,
    Sex,
    Status,
)
from .who2006 import WHO_2006, WHO_PLAUSIBILITY_LIMITS, WhoGrowthStandards2006

__all__ = [
    "LENGTH_HEIGHT_SWITCH_DAYS",
    "LYING_STANDING_DIFFERENCE_CM",
    "WHO_2006",
    "WHO_PLAUSIBILITY_LIMITS",
    "AgeUnit",
    "GrowthAssessment",
    "GrowthMeasurement",
    "GrowthReference",
    "Indicator",
    "IndicatorResult",
    "LmsReference",
    "LmsRow",
    "LmsTable",
    "LmsTableError",
    "ReferenceNotApplicable",
    "Sex",
    "Status",
    "WhoGrowthStandards2006",
    "assess_growth",
    "assess_growth_against",
    "length_for_age",
    "lms_value",
    "lms_z",
    "lms_z_restricted",
    "parse_lms_csv",
    "z_to_centile",
]
