"""Dependencies of the organisation routes: operators, for the API and for pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.account.deps import require_page_role, require_role
from app.account.models import Role, User

Operator = Annotated[User, Depends(require_role(Role.OPERATOR))]
PageOperator = Annotated[User, Depends(require_page_role(Role.OPERATOR))]
