"""``dossier_transitioned`` fires after commit, once per history row, without dossiers knowing
its listeners; a failing listener does not break the others or the transition."""

import pytest

from dossiers.errors import ValidationError
from dossiers.events import dossier_transitioned
from dossiers.workflow import transition
from tests.dossiers.conftest import file_online

pytestmark = pytest.mark.django_db


@pytest.fixture
def received_signals():
    calls = []

    def listener(sender, **kwargs):
        calls.append(kwargs)

    def broken(sender, **kwargs):
        raise RuntimeError("listener bug")

    dossier_transitioned.connect(broken, weak=False)
    dossier_transitioned.connect(listener, weak=False)
    yield calls
    dossier_transitioned.disconnect(broken)
    dossier_transitioned.disconnect(listener)


def test_signal_is_sent_on_commit_with_ids(
    catalog, received_signals, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        dossier = file_online(catalog)
        transition(dossier.code, "receive", catalog.desk)
    assert received_signals == []  # nothing before commit
    for callback in callbacks:
        callback()
    events = list(dossier.events.order_by("id"))
    sent = [
        (c["action"], c["from_status"], c["to_status"], c["event_id"]) for c in received_signals
    ]
    assert sent == [
        ("submit", None, 1, events[0].pk),
        ("receive", 1, 2, events[1].pk),
    ]
    assert {c["dossier_id"] for c in received_signals} == {dossier.pk}


def test_failed_transition_sends_nothing(
    catalog, received_signals, django_capture_on_commit_callbacks
):
    dossier = file_online(catalog)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        transition(dossier.code, "refuse", catalog.desk, reason="")
    assert received_signals == []
