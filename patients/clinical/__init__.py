"""The clinical core: pure Python rules with no Django, no database and no clock.

Every function takes "today" (or the dates it needs) as a parameter, and every number names its
source: ../shared/docs/CLINICAL.md, the seed documents it cites, or a reference given beside it.
"""
