"""The solidarity portal's channel policy, registered by its app."""

from guichet.bookings.channels import PORTAL_DEFAULT_POLICIES, MailEvent, policy_for
from guichet.catalogue.models import Channel
from guichet.catalogue.selectors import CHANNEL_STAFF_GROUPS
from guichet.core.permissions import SOLIDARITY_MANAGER_GROUP
from guichet.notifications.models import KIND_CHANNELS, MessageKind
from guichet.solidarity.policy import SOLIDARITY_POLICY


def test_the_app_registers_its_policy_in_place_of_the_default():
    policy = policy_for(Channel.SOLIDARITY)
    assert policy is SOLIDARITY_POLICY
    assert all(policy is not default for default in PORTAL_DEFAULT_POLICIES)  # equal, not it
    assert (
        policy.staff_group == SOLIDARITY_MANAGER_GROUP == CHANNEL_STAFF_GROUPS[Channel.SOLIDARITY]
    )
    assert not policy.core_mails  # no wave-1 mail per reservation
    assert policy.waiting_list and policy.eligible.__name__ == "invitation_eligible"


def test_the_minute_task_is_registered():
    from guichet.core.scheduler import periodic_jobs
    from guichet.solidarity.tasks import invitations_close_task

    [job] = [job for job in periodic_jobs() if job.task == invitations_close_task]
    assert job.crontab == "* * * * *"


def test_the_account_and_booking_mails_belong_to_the_channel():
    kinds = {kind for kind, channel in KIND_CHANNELS.items() if channel == Channel.SOLIDARITY}
    assert kinds == {
        MessageKind.SOLIDARITY_INVITATION,
        MessageKind.SOLIDARITY_PASSWORD_RESET,
        MessageKind.SOLIDARITY_EMAIL_CHANGE,
        *SOLIDARITY_POLICY.group_mails.values(),
    }


def test_each_booking_event_has_its_own_kind_rendered_by_the_portal():
    from guichet.notifications.emails import mail_context_builder
    from guichet.solidarity.mails import booking_mail_context

    assert set(SOLIDARITY_POLICY.group_mails) == set(MailEvent)
    kinds = list(SOLIDARITY_POLICY.group_mails.values())
    assert len(set(kinds)) == len(kinds) == 7
    assert all(mail_context_builder(kind) is booking_mail_context for kind in kinds)
