"""Satisfaction rating of a returned dossier: the owner, once."""

import pytest

from dossiers.errors import InvalidState, NotAllowed, NotFound, ValidationError
from dossiers.ratings import can_rate, rate_dossier
from dossiers.workflow import transition
from tests.dossiers.factories import Catalog, pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def returned(catalog, processing):
    transition(processing.code, "complete", catalog.leader, result_summary="x", result_file=pdf())
    return transition(processing.code, "return", catalog.desk, method="desk")


def test_owner_rates_once(catalog, returned):
    assert can_rate(returned, catalog.citizen)
    rating = rate_dossier(returned.code, catalog.citizen, score="5", comment="Nhanh, tận tình")
    assert (rating.score, rating.comment) == (5, "Nhanh, tận tình")
    assert not can_rate(returned, catalog.citizen)
    with pytest.raises(InvalidState):
        rate_dossier(returned.code, catalog.citizen, score=1)


@pytest.mark.parametrize("score", [0, 6, "x", None])
def test_score_is_one_to_five(catalog, returned, score):
    with pytest.raises(ValidationError):
        rate_dossier(returned.code, catalog.citizen, score=score)


def test_not_before_return_and_not_by_others(catalog, processing):
    with pytest.raises(InvalidState):
        rate_dossier(processing.code, catalog.citizen, score=4)
    with pytest.raises(NotAllowed):
        rate_dossier(processing.code, catalog.desk, score=4)
    with pytest.raises(NotFound):
        rate_dossier(processing.code, Catalog().citizen, score=4)
