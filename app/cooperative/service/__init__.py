"""Use cases of the cooperative domain, by seam: the suppliers themselves (onboarding, reading,
lookups), their membership, the operator's review, and the hand-written field checks they share."""

from app.cooperative.service.membership import change_member_role as change_member_role
from app.cooperative.service.membership import dashboard as dashboard
from app.cooperative.service.membership import invite_member as invite_member
from app.cooperative.service.membership import list_invitations as list_invitations
from app.cooperative.service.membership import list_members as list_members
from app.cooperative.service.membership import list_my_cooperatives as list_my_cooperatives
from app.cooperative.service.membership import remove_member as remove_member
from app.cooperative.service.membership import revoke_invitation as revoke_invitation
from app.cooperative.service.review import MAX_PER_PAGE as MAX_PER_PAGE
from app.cooperative.service.review import REASON_REQUIRED as REASON_REQUIRED
from app.cooperative.service.review import StatusAction as StatusAction
from app.cooperative.service.review import available_actions as available_actions
from app.cooperative.service.review import change_status as change_status
from app.cooperative.service.review import count_pending as count_pending
from app.cooperative.service.review import list_for_review as list_for_review
from app.cooperative.service.review import review_queue as review_queue
from app.cooperative.service.suppliers import SupplierApplication as SupplierApplication
from app.cooperative.service.suppliers import apply as apply
from app.cooperative.service.suppliers import ensure_can_sell as ensure_can_sell
from app.cooperative.service.suppliers import get_cooperative as get_cooperative
from app.cooperative.service.suppliers import get_member_cooperative as get_member_cooperative
from app.cooperative.service.suppliers import registration_counties as registration_counties
from app.cooperative.service.suppliers import update_story as update_story
from app.cooperative.service.suppliers import view_cooperative as view_cooperative
