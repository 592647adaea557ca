"""Invitations to an application's team: pending until the invitee accepts, and without effect until then.

Joining a team recuses committee members and office staff from reviewing, triaging and deciding on the
application, so they accept only after being told so (`RecusalNotConfirmed`), and the roles it recused them in
are kept on the membership for the office to see at triage.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.auth.models import User
from app.core import audit
from app.core.mail import queue_mail
from app.core.models import utcnow
from app.core.permissions import Resource, require
from app.extensions import db
from app.submissions.models import Submission, SubmissionMember
from app.submissions.permissions import can_answer_invitation, recusing_roles


class RecusalNotConfirmed(Exception):
    """A committee member or office staff accepting without having confirmed that it recuses them."""

    def __init__(self, roles: list[str]):
        self.roles = roles
        super().__init__(f"joining recuses them as {', '.join(roles)}")


def _pending(user: User):
    return select(SubmissionMember).where(SubmissionMember.email == user.email,
                                          SubmissionMember.accepted_at.is_(None))


def pending_invitations(user: User) -> list[SubmissionMember]:
    """The user's invitations still waiting for an answer, oldest first, with their application and its owner."""
    return list(db.session.scalars(
        _pending(user).order_by(SubmissionMember.invited_at, SubmissionMember.id)
        .options(joinedload(SubmissionMember.submission).joinedload(Submission.owner))
    ))


def pending_invitation_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(_pending(user).subquery())) or 0


def invitation_for_page(member_id: int) -> SubmissionMember | None:
    return db.session.get(SubmissionMember, member_id,
                          options=[joinedload(SubmissionMember.submission).joinedload(Submission.owner)])


# An invitation is known to its invitee alone while it is pending: to anyone else, and once answered, 404.
INVITATION: Resource[SubmissionMember] = Resource("invitation", load=invitation_for_page,
                                                  visible=can_answer_invitation, id_arg="member_id")


def accept(member: SubmissionMember, user: User, *, recusal_confirmed: bool) -> None:
    require(can_answer_invitation, user, member)
    roles = recusing_roles(user)
    if roles and not recusal_confirmed:
        raise RecusalNotConfirmed(roles)
    member.accepted_at = utcnow()
    member.recused_as = roles or None
    audit.record("team.invitation_accepted", actor=user, object_type="submission", object_id=member.submission_id,
                 submission_id=member.submission_id,
                 data={"email": member.email, "role": member.role, "recused_as": roles})
    _tell_inviter(member, user, "accepted")
    db.session.commit()


def decline(member: SubmissionMember, user: User) -> None:
    require(can_answer_invitation, user, member)
    db.session.delete(member)
    audit.record("team.invitation_declined", actor=user, object_type="submission", object_id=member.submission_id,
                 submission_id=member.submission_id, data={"email": member.email, "role": member.role})
    _tell_inviter(member, user, "declined")
    db.session.commit()


def _tell_inviter(member: SubmissionMember, user: User, answer: str) -> None:
    """The person who sent the invitation (the owner when they are gone) learns the answer."""
    submission = member.submission
    inviter = db.session.get(User, member.invited_by_id) if member.invited_by_id else None
    to = inviter if inviter is not None and inviter.active else submission.owner
    queue_mail(to.email, f"Invitation {answer}: {submission.title}",
               f"{user.name} ({member.email}) has {answer} your invitation to join the team of the ethics "
               f"application \"{submission.title}\" as {member.role}.", user_id=to.id)
