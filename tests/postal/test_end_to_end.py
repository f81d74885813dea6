"""Done when (issue 7): a dossier filed with pickup and delivery by post goes through its whole
life with the sandbox carrier, every shipment state visible to the citizen and the desk, and
the dossier returned (status 10) by the delivery event alone."""

import pytest
from django.template import Context, Template

from dossiers.models import DossierEvent, Status
from dossiers.workflow import transition
from postal import sandbox_driver
from postal.models import Shipment
from postal.selectors import shipments_for_dossier
from tests.dossiers.factories import pdf
from tests.postal.conftest import file_postal
from tests.postal.factories import client_sender

pytestmark = pytest.mark.django_db
STEPS = ["accepted", "picked_up", "in_transit", "delivered"]


def seen_by(api_client, user, dossier) -> dict[str, tuple[str, list[str]]]:
    api_client.force_authenticate(user)
    rows = api_client.get("/api/v1/postal/shipments/", {"dossier": dossier.code}).json()
    return {
        row["direction"]: (row["status"], [e["status"] for e in row["events"]])
        for row in rows["results"]
    }


def partial(dossier, public=False) -> str:
    template = Template("{% load postal_tags %}{% dossier_shipments dossier public %}")
    return template.render(Context({"dossier": dossier, "public": public}))


def test_a_postal_dossier_lives_its_whole_life(catalog, commit, api_client, client):
    carrier_client = type(client)()  # the post office has no session
    send = client_sender(carrier_client)

    # 1. The citizen files online, choosing pickup and delivery by post.
    dossier = file_postal(catalog, commit)
    pickup = Shipment.objects.get(dossier=dossier, direction="pickup")

    # 2. The post collects the papers and brings them to the desk, reporting every step.
    history = ["created"]
    for step in STEPS:
        [sent] = sandbox_driver.advance(pickup, step, send=send)
        assert sent.http_status == 200, sent.response
        history.append(step)
        for viewer in (catalog.citizen, catalog.desk):
            assert seen_by(api_client, viewer, dossier)["pickup"] == (step, history)

    # 3. The desk receives and processes; the leader signs off the result.
    with commit():
        transition(dossier.code, "receive", catalog.desk)
        transition(dossier.code, "assign", catalog.desk, assignee=catalog.specialist.username)
        transition(dossier.code, "complete", catalog.leader, result_summary="Cấp giấy khai sinh",
                   result_file=pdf("ket-qua.pdf"))  # fmt: skip
    delivery = Shipment.objects.get(dossier=dossier, direction="delivery")
    assert seen_by(api_client, catalog.citizen, dossier)["delivery"] == ("created", ["created"])

    # 4. The post delivers the result; nobody at the desk clicks "return".
    history = ["created"]
    for step in STEPS:
        with commit():
            [sent] = sandbox_driver.advance(delivery, send=send)  # one step at a time
        assert (sent.status, sent.http_status) == (step, 200)
        history.append(step)
        for viewer in (catalog.citizen, catalog.desk):
            assert seen_by(api_client, viewer, dossier)["delivery"] == (step, history)
        dossier.refresh_from_db()
        assert dossier.status == (Status.RETURNED if step == "delivered" else Status.RESULT_READY)

    returned = DossierEvent.objects.get(dossier=dossier, action="return")
    assert returned.actor.username == "system.postal" and dossier.return_method == "post"
    actors = set(DossierEvent.objects.filter(dossier=dossier).values_list("actor_id", flat=True))
    assert catalog.desk.pk in actors  # received by the desk …
    assert returned.actor_id != catalog.desk.pk  # … but returned by the delivery event

    # 5. Both journeys are on the dossier pages (the partial) — full for the owner and desk,
    #    without names and addresses on the public tracking page.
    assert len(shipments_for_dossier(dossier)) == 2
    html = partial(dossier)
    for label in ("Thu gom hồ sơ", "Chuyển phát kết quả", "Đã phát thành công",
                  "Đang vận chuyển", "Đã lấy hàng", pickup.waybill, delivery.waybill):  # fmt: skip
        assert label in html
    assert "Nguyễn Thị Hoà" in html and "Nguyễn Thị Hoà" not in partial(dossier, public=True)
