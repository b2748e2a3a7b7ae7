"""Denver II norm tables and interpretation (CLINICAL.md section 7, data README)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from patients.clinical.ages import WHO_GROWTH_CORRECTION, age_on, denver_ii_age_line
from patients.clinical.denver import (
    BUNDLED_NORM_TABLE_VERSION,
    DENVER_RULES_VERSION,
    DenverSector,
    DenverTestResult,
    DevelopmentalAge,
    DevelopmentalAgeKind,
    ItemInterpretation,
    ItemResult,
    ItemScore,
    NormItem,
    NormQaFlag,
    Recommendation,
    ReferenceTableError,
    UnknownItemError,
    bundled_norm_table,
    denver_test_result,
    developmental_age,
    interpret_assessment,
    interpret_item,
    load_norm_table,
    norm_table_from_rows,
)

P, F, R, NO = ItemScore.PASS, ItemScore.FAIL, ItemScore.REFUSAL, ItemScore.NO_OPPORTUNITY
ADVANCED, NORMAL, CAUTION, DELAYED, NO_OPP = (
    ItemInterpretation.ADVANCED,
    ItemInterpretation.NORMAL,
    ItemInterpretation.CAUTION,
    ItemInterpretation.DELAYED,
    ItemInterpretation.NO_OPPORTUNITY,
)

HEADER = "sector,item_no,label,p25_months,p50_months,p75_months,p90_months,qa_flag\n"
WALK_WELL_ROW = "gross_motor,17,Walk Well,11.1,12.3,13.6,14.9,\n"
BIRTH = dt.date(2021, 6, 15)


def norm_file(*rows: str, version: str | None = "test-v1") -> io.StringIO:
    preamble = f"# version: {version}\n" if version else ""
    return io.StringIO(preamble + HEADER + "".join(rows))


def problems_of(error: pytest.ExceptionInfo[ReferenceTableError]) -> str:
    return "\n".join(error.value.problems)


# --- The bundled norm table ----------------------------------------------------------------------


class TestBundledNormTable:
    def test_version_and_item_count(self):
        table = bundled_norm_table()

        assert (
            table.version == BUNDLED_NORM_TABLE_VERSION == "denver-ii-1992-public-transcription-v1"
        )
        assert len(table.items) == 125
        assert {sector: len(table.sector_items(sector)) for sector in DenverSector} == {
            DenverSector.PERSONAL_SOCIAL: 25,
            DenverSector.FINE_MOTOR_ADAPTIVE: 29,
            DenverSector.LANGUAGE: 39,
            DenverSector.GROSS_MOTOR: 32,
        }

    def test_walk_well_matches_the_training_manuals_worked_example(self):
        walk_well = bundled_norm_table().item("gross_motor:17")

        assert walk_well.label == "Walk Well"
        assert (walk_well.p25_months, walk_well.p50_months) == (11.1, 12.3)
        assert (walk_well.p75_months, walk_well.p90_months) == (13.6, 14.9)

    def test_every_item_is_keyed_by_its_stable_code(self):
        for code, item in bundled_norm_table().items.items():
            assert code == item.code == f"{item.sector.value}:{item.item_no}"

    def test_qa_flags_are_kept(self):
        flagged: dict[NormQaFlag | None, set[str]] = {}
        for item in bundled_norm_table().items.values():
            flagged.setdefault(item.qa_flag, set()).add(item.label)

        assert flagged[NormQaFlag.ALL_ZERO_IN_SOURCE] == {
            "Regard Face",
            "Respond to Bell",
            "Equal Movements",
            "Lift Head",
        }
        assert flagged[NormQaFlag.SUSPECT_P25] == {
            "Scribbles",
            "Dump Raisin, Demonstrated",
            "Tower of 2 Cubes",
            "Tower of 4 Cubes",
            "Tower of 6 Cubes",
            "Tower of 8 Cubes",
        }
        # Shipped as found, never "fixed": Scribbles keeps its implausible 25 % age.
        assert bundled_norm_table().item("fine_motor_adaptive:15").p25_months == 1.7

    def test_provenance_and_licensing_travel_with_the_table(self):
        metadata = bundled_norm_table().metadata

        assert "Pediatrics 1992;89(1):91-97" in metadata["source"]
        assert "copyrighted" in metadata["licensing"]
        assert "scoring only" in metadata["licensing"]


# --- Loading a table (a clinic's licensed table comes in this way) -------------------------------


class TestLoadNormTable:
    def test_from_a_path(self, tmp_path: Path):
        path = tmp_path / "clinic.csv"
        path.write_text(HEADER + WALK_WELL_ROW, encoding="utf-8")

        table = load_norm_table(path, version="clinic-licensed-2025")

        assert table.version == "clinic-licensed-2025"
        assert table.item("gross_motor:17").p90_months == 14.9
        assert load_norm_table(str(path), version="v2").version == "v2"

    def test_from_a_stream_with_a_declared_version(self):
        table = load_norm_table(norm_file(WALK_WELL_ROW, version="declared-v1"))

        assert table.version == "declared-v1"
        assert table.metadata["version"] == "declared-v1"

    def test_a_spreadsheet_byte_order_mark_is_ignored(self):
        table = load_norm_table(io.StringIO("\ufeff# version: excel-v1\n" + HEADER + WALK_WELL_ROW))

        assert table.version == "excel-v1"

    def test_without_qa_flag_column(self):
        text = "sector,item_no,label,p25_months,p50_months,p75_months,p90_months\n"
        text += "gross_motor,17,Walk Well,11.1,12.3,13.6,14.9\n"

        table = load_norm_table(io.StringIO(text), version="v1")

        assert table.item("gross_motor:17").qa_flag is None

    def test_from_rows(self):
        table = norm_table_from_rows(
            [
                {
                    "sector": "language",
                    "item_no": "14",
                    "label": "One Word",
                    "p25_months": "9.7",
                    "p50_months": "11.5",
                    "p75_months": "13.3",
                    "p90_months": "15.0",
                }
            ],
            version="rows-v1",
        )

        assert table.item("language:14").p50_months == 11.5

    def test_items_come_out_in_form_order(self):
        table = load_norm_table(
            norm_file(
                WALK_WELL_ROW,
                "personal_social,2,Smile Responsively,0.5,0.8,1.2,1.5,\n",
                "gross_motor,3,Head up 45 Degrees,0.0,0.86,1.8,2.7,zero_lower_percentiles\n",
            )
        )

        assert list(table.items) == ["personal_social:2", "gross_motor:3", "gross_motor:17"]

    def test_the_declared_version_must_match_the_requested_one(self):
        with pytest.raises(ReferenceTableError, match="declares version 'test-v1'"):
            load_norm_table(norm_file(WALK_WELL_ROW), version="other-v2")

    def test_a_version_is_required(self):
        with pytest.raises(ReferenceTableError, match="no version"):
            load_norm_table(norm_file(WALK_WELL_ROW, version=None))

    @pytest.mark.parametrize("version", ["has space", "", "-leading-dash", "x" * 81])
    def test_a_version_is_an_identifier(self, version: str):
        with pytest.raises(ReferenceTableError, match="version"):
            load_norm_table(norm_file(WALK_WELL_ROW, version=None), version=version)

    def test_missing_and_unknown_columns(self):
        text = "sector,item_no,label,p25_months,p50_months,p75_months,p90_month\n"

        with pytest.raises(ReferenceTableError) as error:
            load_norm_table(io.StringIO(text), version="v1")

        assert "missing column 'p90_months'" in problems_of(error)
        assert "unknown column 'p90_month'" in problems_of(error)

    def test_a_repeated_column(self):
        text = "# version: v1\n" + HEADER.replace("qa_flag", "label")

        with pytest.raises(ReferenceTableError, match="line 2: column\\(s\\) label repeated"):
            load_norm_table(io.StringIO(text))

    @pytest.mark.parametrize(
        ("row", "problem"),
        [
            pytest.param(
                "gross motor,17,Walk Well,11.1,12.3,13.6,14.9,\n",
                "line 3: unknown sector 'gross motor'",
                id="unknown sector",
            ),
            pytest.param(
                "gross_motor,17,Walk Well,11.1,12.3,14.9,13.6,\n",
                "line 3: gross_motor:17 percentiles must not decrease",
                id="p75 above p90",
            ),
            pytest.param(
                "gross_motor,17,Walk Well,12.4,12.3,13.6,14.9,\n",
                "percentiles must not decrease",
                id="p25 above p50",
            ),
            pytest.param(
                "gross_motor,17,Walk Well,11.1,12.3,13.6,abc,\n",
                "p90_months 'abc' is not an age in months",
                id="not a number",
            ),
            pytest.param(
                "gross_motor,17,Walk Well,-1,12.3,13.6,14.9,\n",
                "p25_months '-1' is not an age in months",
                id="negative",
            ),
            pytest.param(
                "gross_motor,17,Walk Well,11.1,12.3,13.6,nan,\n",
                "p90_months 'nan' is not an age in months",
                id="not finite",
            ),
            pytest.param(
                "gross_motor,17,Walk Well,11.1,12.3,,14.9,\n",
                "line 3: missing p75_months",
                id="empty value",
            ),
            pytest.param(
                "gross_motor,0,Walk Well,11.1,12.3,13.6,14.9,\n",
                "item_no '0' is not a positive whole number",
                id="item number zero",
            ),
            pytest.param(
                "gross_motor,17,Walk Well,11.1,12.3,13.6,14.9,suspect\n",
                "unknown qa_flag 'suspect'",
                id="unknown flag",
            ),
            pytest.param(
                "gross_motor,2,Lift Head,0,0,0,0.5,all_zero_in_source\n",
                "flagged all_zero_in_source but p90 is 0.5",
                id="flag contradicts values",
            ),
            pytest.param(
                "gross_motor,17,Walk Well,11.1,12.3,13.6,14.9\n",
                "line 3: 7 fields for 8 columns",
                id="short row",
            ),
        ],
    )
    def test_bad_rows_are_refused_with_their_line(self, row: str, problem: str):
        with pytest.raises(ReferenceTableError) as error:
            load_norm_table(norm_file(row))

        assert problem in problems_of(error)

    def test_duplicate_item(self):
        with pytest.raises(ReferenceTableError) as error:
            load_norm_table(norm_file(WALK_WELL_ROW, "gross_motor,17,Runs,13.8,15.8,17.8,19.9,\n"))

        assert "line 4: duplicate item gross_motor:17" in problems_of(error)

    def test_duplicate_label_in_a_sector(self):
        with pytest.raises(ReferenceTableError) as error:
            load_norm_table(norm_file(WALK_WELL_ROW, "gross_motor,18,walk well,11,12,13,14,\n"))

        assert "duplicate label 'walk well' in gross_motor (also gross_motor:17)" in problems_of(
            error
        )

    def test_an_empty_table(self):
        with pytest.raises(ReferenceTableError, match="no items"):
            load_norm_table(norm_file())

    def test_every_problem_is_reported_at_once(self):
        with pytest.raises(ReferenceTableError) as error:
            load_norm_table(
                norm_file(
                    "gross_motr,1,Equal Movements,0,0,0,0,all_zero_in_source\n",
                    WALK_WELL_ROW,
                    "gross_motor,17,Walk Well,11.1,12.3,13.6,14.9,\n",
                    "language,14,One Word,9.7,11.5,13.3,x,\n",
                )
            )

        assert len(error.value.problems) == 3
        assert "3 problem(s)" in str(error.value)

    def test_unknown_item_lookup(self):
        with pytest.raises(UnknownItemError, match="gross_motor:99"):
            bundled_norm_table().item("gross_motor:99")


# --- Item interpretation: CLINICAL.md section 7, one row per rule and boundary -------------------

WALK_WELL = NormItem(DenverSector.GROSS_MOTOR, 17, "Walk Well", 11.1, 12.3, 13.6, 14.9)

ITEM_RULES = [
    # advanced: passed, and age < p25
    pytest.param(P, 0.0, ADVANCED, id="P, newborn: advanced"),
    pytest.param(P, 11.0, ADVANCED, id="P, age < p25: advanced"),
    # normal: passed (age >= p25)
    pytest.param(P, 11.1, NORMAL, id="P, age == p25: normal"),
    pytest.param(P, 14.9, NORMAL, id="P, age == p90: normal"),
    pytest.param(P, 30.0, NORMAL, id="P, age > p90: normal"),
    # normal: failed or refused with age < p75
    pytest.param(F, 5.0, NORMAL, id="F, age < p25: normal"),
    pytest.param(F, 13.59, NORMAL, id="F, age just < p75: normal"),
    pytest.param(R, 13.59, NORMAL, id="R, age just < p75: normal"),
    # caution: failed or refused with p75 <= age <= p90
    pytest.param(F, 13.6, CAUTION, id="F, age == p75: caution"),
    pytest.param(F, 14.0, CAUTION, id="F, p75 < age < p90: caution"),
    pytest.param(F, 14.9, CAUTION, id="F, age == p90: caution"),
    pytest.param(R, 13.6, CAUTION, id="R, age == p75: caution"),
    pytest.param(R, 14.9, CAUTION, id="R, age == p90: caution"),
    # delayed: failed or refused with age > p90
    pytest.param(F, 14.91, DELAYED, id="F, age just > p90: delayed"),
    pytest.param(F, 36.0, DELAYED, id="F, age >> p90: delayed"),
    pytest.param(R, 14.91, DELAYED, id="R, age just > p90: delayed"),
    # no opportunity: NO
    pytest.param(NO, 0.0, NO_OPP, id="NO, newborn: no opportunity"),
    pytest.param(NO, 14.0, NO_OPP, id="NO, in caution zone: no opportunity"),
    pytest.param(NO, 36.0, NO_OPP, id="NO, past p90: no opportunity"),
]


@pytest.mark.parametrize(("score", "age_months", "expected"), ITEM_RULES)
def test_item_interpretation(score: ItemScore, age_months: float, expected: ItemInterpretation):
    assert interpret_item(WALK_WELL, score, age_months) is expected


REGARD_FACE = bundled_norm_table().item("personal_social:1")

ALL_ZERO_RULES = [
    # data README: expected from birth, any failure at any age is a delay. The general table says
    # caution at age 0 (p75 <= 0 <= p90); the README's rule is applied there too.
    pytest.param(F, 0.0, DELAYED, id="F on the day of birth: delayed"),
    pytest.param(R, 0.0, DELAYED, id="R on the day of birth: delayed"),
    pytest.param(F, 0.03, DELAYED, id="F one day old: delayed"),
    pytest.param(F, 24.0, DELAYED, id="F at 2 years: delayed"),
    pytest.param(P, 0.0, NORMAL, id="P on the day of birth: normal (never advanced)"),
    pytest.param(NO, 0.0, NO_OPP, id="NO: no opportunity"),
]


@pytest.mark.parametrize(("score", "age_months", "expected"), ALL_ZERO_RULES)
def test_items_expected_from_birth(
    score: ItemScore, age_months: float, expected: ItemInterpretation
):
    assert REGARD_FACE.qa_flag is NormQaFlag.ALL_ZERO_IN_SOURCE
    assert interpret_item(REGARD_FACE, score, age_months) is expected


def test_a_suspect_p25_only_moves_the_advanced_label():
    scribbles = bundled_norm_table().item("fine_motor_adaptive:15")  # 1.7 / 13.2 / 14.8 / 16.3

    # Shipped as found: a pass at 2 months reads normal, where a plausible p25 (near p50) would
    # read advanced. Only this label depends on the flagged value.
    assert interpret_item(scribbles, P, 1.6) is ADVANCED
    assert interpret_item(scribbles, P, 2.0) is NORMAL
    assert interpret_item(scribbles, F, 14.7) is NORMAL
    assert interpret_item(scribbles, F, 14.8) is CAUTION
    assert interpret_item(scribbles, F, 16.4) is DELAYED


@pytest.mark.parametrize("age_months", [-0.5, float("nan")])
def test_an_age_line_before_the_chart_is_refused(age_months: float):
    with pytest.raises(ValueError, match="before the Denver II chart starts"):
        interpret_item(WALK_WELL, F, age_months)


def test_scores_given_as_text_are_read():
    assert interpret_item(WALK_WELL, ItemScore("F"), 15.0) is DELAYED


# --- Test result: CLINICAL.md section 7, in its order --------------------------------------------


def results(*scored: tuple[ItemScore, ItemInterpretation]) -> list[ItemResult]:
    return [ItemResult(WALK_WELL, score, interpretation) for score, interpretation in scored]


TEST_RESULT_RULES = [
    pytest.param([], DenverTestResult.NORMAL, id="nothing scored: normal"),
    pytest.param([(P, NORMAL), (P, ADVANCED)], DenverTestResult.NORMAL, id="passes: normal"),
    pytest.param([(F, NORMAL), (R, NORMAL)], DenverTestResult.NORMAL, id="F/R before p75: normal"),
    pytest.param([(F, CAUTION)], DenverTestResult.NORMAL, id="one F caution: normal"),
    pytest.param([(R, CAUTION)], DenverTestResult.NORMAL, id="one R caution: normal"),
    pytest.param(
        [(F, CAUTION), (F, CAUTION)], DenverTestResult.SUSPECT, id="two F cautions: suspect"
    ),
    pytest.param([(F, DELAYED)], DenverTestResult.SUSPECT, id="one F delay: suspect"),
    pytest.param(
        [(F, DELAYED), (R, DELAYED)],
        DenverTestResult.SUSPECT,
        id="F delay and R delay: suspect comes first",
    ),
    pytest.param(
        [(F, CAUTION), (F, CAUTION), (R, CAUTION)],
        DenverTestResult.SUSPECT,
        id="two F cautions and an R caution: suspect",
    ),
    pytest.param([(R, DELAYED)], DenverTestResult.UNTESTABLE, id="one R delay: untestable"),
    pytest.param(
        [(R, CAUTION), (R, CAUTION)], DenverTestResult.UNTESTABLE, id="two R cautions: untestable"
    ),
    pytest.param(
        [(F, CAUTION), (R, CAUTION)],
        DenverTestResult.UNTESTABLE,
        id="F caution and R caution: untestable",
    ),
    pytest.param(
        [(NO, NO_OPP), (NO, NO_OPP), (F, CAUTION)],
        DenverTestResult.NORMAL,
        id="no opportunity never counts",
    ),
]


@pytest.mark.parametrize(("scored", "expected"), TEST_RESULT_RULES)
def test_test_result(
    scored: list[tuple[ItemScore, ItemInterpretation]], expected: DenverTestResult
):
    assert denver_test_result(results(*scored)) is expected


# --- Developmental age per sector ----------------------------------------------------------------


def by_p50(*scored: tuple[float, ItemScore]) -> list[ItemResult]:
    return [
        ItemResult(
            NormItem(DenverSector.LANGUAGE, number, f"item {number}", p50, p50, p50, p50),
            score,
            NORMAL,
        )
        for number, (p50, score) in enumerate(scored, start=1)
    ]


ESTIMATE, AT_LEAST, BELOW = (
    DevelopmentalAgeKind.ESTIMATE,
    DevelopmentalAgeKind.AT_LEAST,
    DevelopmentalAgeKind.BELOW,
)

DEVELOPMENTAL_AGE_CASES = [
    pytest.param(
        [(1, P), (2, P), (3, P), (4, F), (5, F), (6, F)],
        DevelopmentalAge(3, ESTIMATE),
        id="clean cross-over: last pass",
    ),
    pytest.param(
        [(1, F), (2, P), (3, P), (4, P), (5, P), (6, F), (7, F)],
        DevelopmentalAge(5, ESTIMATE),
        id="a scattered early failure does not pull it down",
    ),
    pytest.param(
        [(1, P), (2, P), (3, F), (4, P), (5, F), (6, F)],
        DevelopmentalAge(2, ESTIMATE),
        id="a tie takes the lower age",
    ),
    pytest.param(
        [(1, P), (2, P), (3, F), (4, P), (5, P), (6, F)],
        DevelopmentalAge(5, ESTIMATE),
        id="a scattered pass above one failure counts",
    ),
    pytest.param(
        [(2, P), (2, F), (2, P), (3, F)],
        DevelopmentalAge(2, ESTIMATE),
        id="items sharing a p50 are taken together",
    ),
    pytest.param([(1, P), (2, P)], DevelopmentalAge(2, AT_LEAST), id="all passed: at least"),
    pytest.param([(1, F), (2, F)], DevelopmentalAge(1, BELOW), id="all failed: below"),
    pytest.param([(1, F), (2, P)], DevelopmentalAge(1, BELOW), id="never ahead: below"),
    pytest.param(
        [(1, P), (2, R), (3, R), (4, NO), (5, F)],
        DevelopmentalAge(1, ESTIMATE),
        id="refusals and no opportunity ignored",
    ),
    pytest.param([(1, R), (2, NO)], None, id="nothing passed or failed: none"),
]


@pytest.mark.parametrize(("scored", "expected"), DEVELOPMENTAL_AGE_CASES)
def test_developmental_age(
    scored: list[tuple[float, ItemScore]], expected: DevelopmentalAge | None
):
    assert developmental_age(by_p50(*scored)) == expected


# --- Whole assessments ---------------------------------------------------------------------------


def denver_age(age_days: int, gestational_age_days: int | None = None):
    return denver_ii_age_line(
        BIRTH, BIRTH + dt.timedelta(days=age_days), gestational_age_days=gestational_age_days
    )


class TestInterpretAssessment:
    def test_result_records_versions_and_age_line(self):
        age_line = denver_age(400)

        result = interpret_assessment(
            {"gross_motor:17": P}, norms=bundled_norm_table(), age_line=age_line
        )

        assert result.norm_table_version == BUNDLED_NORM_TABLE_VERSION
        assert result.rules_version == DENVER_RULES_VERSION
        assert result.age_line is age_line
        assert result.age_line_months == pytest.approx(400 / 30.4375)

    @pytest.mark.parametrize(
        ("scores", "test_result", "recommendation"),
        [
            (
                {"gross_motor:17": P},
                DenverTestResult.NORMAL,
                Recommendation.CONTINUE_SCHEDULED_SCREENING,
            ),
            (
                {"gross_motor:17": F},
                DenverTestResult.SUSPECT,
                Recommendation.RESCREEN_IN_1_2_WEEKS_THEN_REFER,
            ),
            (
                {"gross_motor:17": R},
                DenverTestResult.UNTESTABLE,
                Recommendation.RESCREEN_IN_1_2_WEEKS_THEN_REFER,
            ),
        ],
    )
    def test_suspect_or_untestable_means_rescreen_then_refer(
        self,
        scores: dict[str, ItemScore],
        test_result: DenverTestResult,
        recommendation: Recommendation,
    ):
        # 16 months: past Walk Well's p90 (14.9).
        result = interpret_assessment(scores, norms=bundled_norm_table(), age_line=denver_age(487))

        assert result.test_result is test_result
        assert result.recommendation is recommendation

    def test_the_corrected_age_line_is_used(self):
        # Born at 34+0 weeks (42 days early), 15.1 months old: 13.7 months corrected.
        result = interpret_assessment(
            {"gross_motor:17": F}, norms=bundled_norm_table(), age_line=denver_age(460, 238)
        )

        assert result.age_line.corrected
        assert result.items[0].interpretation is CAUTION
        assert result.test_result is DenverTestResult.NORMAL

    def test_items_keep_their_norms_and_come_in_form_order(self):
        result = interpret_assessment(
            {"gross_motor:17": P, "personal_social:1": P, "language:14": NO},
            norms=bundled_norm_table(),
            age_line=denver_age(400),
        )

        assert [item.item.code for item in result.items] == [
            "personal_social:1",
            "language:14",
            "gross_motor:17",
        ]
        assert result.items[0].item.qa_flag is NormQaFlag.ALL_ZERO_IN_SOURCE

    def test_an_unknown_item_is_refused(self):
        with pytest.raises(UnknownItemError, match="'language:99'"):
            interpret_assessment(
                {"language:99": P}, norms=bundled_norm_table(), age_line=denver_age(400)
            )

    def test_an_empty_assessment_is_refused(self):
        with pytest.raises(ValueError, match="at least one scored item"):
            interpret_assessment({}, norms=bundled_norm_table(), age_line=denver_age(400))

    def test_a_growth_age_is_not_an_age_line(self):
        growth = age_on(
            BIRTH,
            BIRTH + dt.timedelta(days=400),
            gestational_age_days=None,
            rule=WHO_GROWTH_CORRECTION,
        )

        with pytest.raises(ValueError, match="Denver II correction rule"):
            interpret_assessment({"gross_motor:17": P}, norms=bundled_norm_table(), age_line=growth)

    def test_before_the_due_date_is_refused(self):
        with pytest.raises(ValueError, match="before the Denver II chart starts"):
            interpret_assessment(
                {"gross_motor:1": P}, norms=bundled_norm_table(), age_line=denver_age(20, 224)
            )

    def test_seed_000_patient_1_at_3_years_shape_of_the_report(self):
        """Seed 000: at 3 years "retarded especially in language and fine motor".

        The paper gives no item scores; these are an illustrative pattern of that report, checking
        that such a pattern reads as the paper reads it, sector by sector.
        """
        scores = {
            # language: passes up to ~20 months, fails beyond
            "language:19": P,  # Combine Words, p50 19.8
            "language:21": P,  # Body Parts-6, p50 19.8
            "language:20": P,  # Name 1 Picture, p50 19.9
            "language:22": F,  # Point 4 Pictures, p90 30.0 -> delayed
            "language:24": F,  # Name 4 Pictures, p90 34.8 -> delayed
            "language:25": F,  # Know 2 Actions, p75 33.6 / p90 38.4 -> caution
            # fine motor-adaptive
            "fine_motor_adaptive:17": P,  # Tower of 2 Cubes
            "fine_motor_adaptive:18": P,  # Tower of 4 Cubes
            "fine_motor_adaptive:19": F,  # Tower of 6 Cubes, p90 31.2 -> delayed
            "fine_motor_adaptive:20": F,  # Imitate Vertical Line, p75 33.6 -> caution
            # gross motor caught up
            "gross_motor:22": P,
            "gross_motor:23": P,
            "gross_motor:24": P,
            "gross_motor:25": P,
            # personal-social
            "personal_social:17": P,
            "personal_social:19": P,
            "personal_social:20": P,
        }

        result = interpret_assessment(
            scores, norms=bundled_norm_table(), age_line=denver_age(3 * 365 + 1)
        )

        language = result.sector(DenverSector.LANGUAGE)
        fine_motor = result.sector(DenverSector.FINE_MOTOR_ADAPTIVE)
        gross_motor = result.sector(DenverSector.GROSS_MOTOR)
        assert (language.delayed, language.caution, language.normal) == (2, 1, 3)
        assert (fine_motor.delayed, fine_motor.caution, fine_motor.normal) == (1, 1, 2)
        assert (gross_motor.delayed, gross_motor.caution, gross_motor.normal) == (0, 0, 4)
        assert language.developmental_age == DevelopmentalAge(19.9, ESTIMATE)
        assert fine_motor.developmental_age == DevelopmentalAge(19.2, ESTIMATE)
        assert gross_motor.developmental_age == DevelopmentalAge(32.4, AT_LEAST)
        assert result.test_result is DenverTestResult.SUSPECT
        assert result.recommendation is Recommendation.RESCREEN_IN_1_2_WEEKS_THEN_REFER

    def test_every_sector_is_summarised(self):
        result = interpret_assessment(
            {"gross_motor:17": NO}, norms=bundled_norm_table(), age_line=denver_age(400)
        )

        assert [summary.sector for summary in result.sectors] == list(DenverSector)
        assert result.sector(DenverSector.GROSS_MOTOR).no_opportunity == 1
        assert result.sector(DenverSector.LANGUAGE).developmental_age is None
