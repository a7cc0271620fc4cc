"""FastAPI dependencies of payments: who may confirm transfers and issue refunds."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.account.deps import require_page_role, require_role
from app.account.models import Role, User

# The platform's operators confirm bank transfers and issue refunds; nobody else may.
Operator = Annotated[User, Depends(require_role(Role.OPERATOR))]
OperatorPage = Annotated[User, Depends(require_page_role(Role.OPERATOR))]
