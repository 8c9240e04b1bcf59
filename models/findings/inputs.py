"""What people may submit about a finding."""

from typing import ClassVar

from models.core.inputs import Order
from models.findings.tables import FindingBase


class FindingIn(FindingBase):
    ORDERS: ClassVar = (Order("detected_at", "resolved_at", "Resolved before it was detected."),)
