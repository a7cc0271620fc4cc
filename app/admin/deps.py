"""Dependencies of the operator tools' routes: the operator, by token (API) or session (pages)."""

from __future__ import annotations

from app.account.deps import Operator as Operator
from app.account.deps import PageOperator as PageOperator
