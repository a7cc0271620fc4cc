"""Dependencies of the organisation routes: operators, for the API and for pages."""

from __future__ import annotations

from app.account.deps import Operator as Operator
from app.account.deps import PageOperator as PageOperator
