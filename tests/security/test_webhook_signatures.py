"""The payment webhook is open to anyone: a signature header it cannot read is a refused
signature (400 invalid_signature), never a server error."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "signature", ["t=1,v1=\xe9", "t=1,v1=\xe9" + "0" * 63, "t=\xb2,v1=00", "t=1", "v1=00"]
)
def test_an_unreadable_signature_is_refused(client, signature):
    response = client.post(
        "/api/v1/payments/webhook",
        data=b'{"id": "evt_x", "type": "payment.succeeded", "data": {}}',
        headers={"X-Signature": signature, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_signature"
