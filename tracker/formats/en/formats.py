"""English dates as a clinic outside the United States writes them: 20 Feb 2023, never 02/20/2023,
which a Turkish reader would take for the second of a twentieth month."""

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j F Y H:i"
SHORT_DATETIME_FORMAT = "j M Y H:i"
TIME_FORMAT = "H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
