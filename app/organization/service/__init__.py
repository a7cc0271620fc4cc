"""Use cases of the organisation domain, by seam: the accounts themselves (registration,
reading, the operator's review), their members and invitations, and the yearly targets."""

from app.organization.service.accounts import REASON_REQUIRED as REASON_REQUIRED
from app.organization.service.accounts import OrganizationApplication as OrganizationApplication
from app.organization.service.accounts import StatusAction as StatusAction
from app.organization.service.accounts import available_actions as available_actions
from app.organization.service.accounts import change_status as change_status
from app.organization.service.accounts import count_pending as count_pending
from app.organization.service.accounts import list_for_review as list_for_review
from app.organization.service.accounts import list_my_organizations as list_my_organizations
from app.organization.service.accounts import member_role as member_role
from app.organization.service.accounts import organization_view as organization_view
from app.organization.service.accounts import register as register
from app.organization.service.accounts import registration_counties as registration_counties
from app.organization.service.accounts import review_queue as review_queue
from app.organization.service.accounts import view_organization as view_organization
from app.organization.service.fields import MIN_SHARE_BP as MIN_SHARE_BP
from app.organization.service.fields import SUGGESTED_SHARE_BP as SUGGESTED_SHARE_BP
from app.organization.service.fields import target_years as target_years
from app.organization.service.members import change_member_role as change_member_role
from app.organization.service.members import invite_member as invite_member
from app.organization.service.members import list_invitations as list_invitations
from app.organization.service.members import list_members as list_members
from app.organization.service.members import remove_member as remove_member
from app.organization.service.members import revoke_invitation as revoke_invitation
from app.organization.service.targets import declare_target as declare_target
from app.organization.service.targets import get_target as get_target
from app.organization.service.targets import list_targets as list_targets
