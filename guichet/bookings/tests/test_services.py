"""The seat service: every change that takes or gives back seats."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.bookings.selectors import reservation_cancellable_online
from guichet.bookings.services import (
    AlreadyBooked,
    BookingError,
    NotEnoughSeats,
    SessionNotBookable,
    reservation_cancel,
    reservation_cancel_online,
    reservation_create,
    reservation_update,
    reservations_archive_past,
    seats_mismatches,
    session_save,
    sessions_lock,
)
from guichet.bookings.tests.factories import ReservationFactory, booking_data
from guichet.catalogue.models import Session, SessionStatus
from guichet.catalogue.tests.factories import ActivityFactory, SessionFactory
from guichet.core.selectors import organisation_get
from guichet.notifications.models import MessageKind, MessageState, OutgoingMessage

pytestmark = pytest.mark.django_db


def book(session, **overrides):
    return reservation_create(session=session, **booking_data(**overrides))


def seats_taken(session) -> int:
    return Session.objects.values_list("seats_taken", flat=True).get(pk=session.pk)


# --- creating -------------------------------------------------------------------------------


def test_booking_takes_seats_and_stores_the_phone_in_e164():
    session = SessionFactory(seat_limit=10)
    reservation = book(session, quantity=3, phone="07 68 84 50 70")
    assert seats_taken(session) == 3
    assert reservation.status == ReservationStatus.VALID
    assert reservation.phone == "+33768845070"
    assert reservation.phone_display == "+33 7 68 84 50 70"
    assert len(reservation.token) >= 32


def test_booking_more_than_the_seats_left_is_refused_and_books_nothing():
    session = SessionFactory(seat_limit=4)
    book(session, quantity=3)
    with pytest.raises(NotEnoughSeats, match="places restantes : 1"):
        book(session, quantity=2)
    assert seats_taken(session) == 3
    assert Reservation.objects.count() == 1


def test_last_seats_can_be_booked_exactly():
    session = SessionFactory(seat_limit=4)
    book(session, quantity=4)
    session.refresh_from_db()
    assert session.seats_left == 0


def test_unlimited_sessions_always_have_room():
    session = SessionFactory(seat_limit=None)
    for n in range(5):
        book(session, quantity=8, email=f"personne{n}@example.org")
    assert seats_taken(session) == 40


def test_invalid_phone_is_refused_before_taking_seats():
    session = SessionFactory(seat_limit=4)
    with pytest.raises(ValidationError) as exc:
        book(session, phone="123")
    assert "phone" in exc.value.message_dict
    assert seats_taken(session) == 0


@pytest.mark.parametrize(
    "phone", ["0612345678", "06.12.34.56.78", "+33 6 12 34 56 78", "0033612345678"]
)
def test_usual_phone_forms_are_accepted(phone):
    assert book(SessionFactory(), phone=phone).phone == "+33612345678"


def test_online_booking_is_capped_by_the_activity_maximum_but_staff_may_book_more():
    session = SessionFactory(seat_limit=None, activity=ActivityFactory(max_places_per_booking=8))
    with pytest.raises(BookingError, match="au plus 8 places"):
        book(session, quantity=9)
    assert book(session, quantity=12, online=False).quantity == 12


def test_online_booking_refused_when_not_bookable_online_closed_or_cancelled(time_machine):
    free_access = SessionFactory(activity=ActivityFactory(bookable_online=False))
    with pytest.raises(SessionNotBookable, match="accès libre"):
        book(free_access)

    with_delay = SessionFactory(activity=ActivityFactory(booking_delay=timedelta(days=2)))
    time_machine.move_to(with_delay.start - timedelta(days=2), tick=False)
    with pytest.raises(SessionNotBookable, match="closes"):
        book(with_delay)
    assert book(with_delay, online=False)  # staff still may, by phone

    time_machine.move_to(timezone.now() - timedelta(days=30))
    cancelled = SessionFactory(seat_limit=None)
    Session.objects.filter(pk=cancelled.pk).update(status=SessionStatus.CANCELLED)
    cancelled.refresh_from_db()
    for online in (True, False):
        with pytest.raises(SessionNotBookable, match="annulée"):
            book(cancelled, online=online)


def test_booking_closes_when_the_session_has_started(time_machine):
    session = SessionFactory()
    time_machine.move_to(session.start, tick=False)
    with pytest.raises(SessionNotBookable):
        book(session)


def test_postponed_session_takes_bookings_until_its_new_start(time_machine):
    session = SessionFactory()
    session.status, session.new_start = SessionStatus.POSTPONED, session.start + timedelta(days=7)
    session_save(session=session)
    time_machine.move_to(session.start + timedelta(hours=1), tick=False)  # after the old start
    assert book(session)
    time_machine.move_to(session.new_start, tick=False)
    with pytest.raises(SessionNotBookable):
        book(session)


def test_the_same_submission_books_once():
    session = SessionFactory(seat_limit=10)
    first = book(session, quantity=2, submission_key="k1")
    again = book(session, quantity=2, submission_key="k1")
    assert again.pk == first.pk
    assert seats_taken(session) == 2
    assert book(session, quantity=2, submission_key="k2").pk != first.pk


def test_the_same_submission_sent_again_when_it_no_longer_fits_leads_to_its_reservation():
    session = SessionFactory(seat_limit=3)
    first = book(session, quantity=2, submission_key="k1")
    book(session, quantity=1)  # now full
    assert book(session, quantity=2, submission_key="k1").pk == first.pk
    session.status = SessionStatus.CANCELLED
    session_save(session=session)
    assert book(session, quantity=2, submission_key="k1").pk == first.pk
    with pytest.raises(BookingError):
        book(session, quantity=1, submission_key="k3")
    assert seats_taken(session) == 0


def test_the_counter_is_backed_by_a_constraint():
    session = SessionFactory(seat_limit=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=session.pk).update(seats_taken=2)


# --- changing and cancelling --------------------------------------------------------------


def test_changing_quantity_moves_seats_under_the_limit():
    session = SessionFactory(seat_limit=5)
    reservation = book(session, quantity=2)
    book(session, quantity=2)
    reservation.quantity = 3
    reservation_update(reservation=reservation)
    assert seats_taken(session) == 5
    reservation.quantity = 4
    with pytest.raises(NotEnoughSeats):
        reservation_update(reservation=reservation)
    assert seats_taken(session) == 5
    reservation.refresh_from_db()
    assert reservation.quantity == 3
    reservation.quantity = 1
    reservation_update(reservation=reservation)
    assert seats_taken(session) == 3


def test_moving_to_another_session_gives_back_and_takes_seats():
    source, target = SessionFactory(seat_limit=5), SessionFactory(seat_limit=3)
    reservation = book(source, quantity=3)
    reservation.session = target
    reservation_update(reservation=reservation)
    assert (seats_taken(source), seats_taken(target)) == (0, 3)
    full = SessionFactory(seat_limit=2)
    reservation.session = full
    with pytest.raises(NotEnoughSeats):
        reservation_update(reservation=reservation)
    assert (seats_taken(target), seats_taken(full)) == (3, 0)


def test_staff_may_change_the_persons_details():
    reservation = book(SessionFactory())
    reservation.first_name, reservation.phone = "Alix", "+32 470 12 34 56"
    reservation_update(reservation=reservation)
    reservation.refresh_from_db()
    assert (reservation.first_name, reservation.phone) == ("Alix", "+32470123456")


def test_cancelling_gives_seats_back_once():
    session = SessionFactory(seat_limit=5)
    reservation = book(session, quantity=2)
    assert reservation_cancel(reservation=reservation) is True
    assert reservation_cancel(reservation=reservation) is False
    assert seats_taken(session) == 0
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CANCELLED
    assert reservation.cancelled_at is not None


def test_cancelling_through_the_change_form_and_reinstating():
    session = SessionFactory(seat_limit=2)
    reservation = book(session, quantity=2)
    reservation.status = ReservationStatus.CANCELLED
    reservation_update(reservation=reservation)
    assert seats_taken(session) == 0
    other = book(session, quantity=1)
    reservation.status = ReservationStatus.VALID
    with pytest.raises(NotEnoughSeats):
        reservation_update(reservation=reservation)
    reservation_cancel(reservation=other)
    reservation.status = ReservationStatus.VALID
    reservation_update(reservation=reservation)
    assert seats_taken(session) == 2


def test_online_cancellation_until_the_deadline_and_only_when_allowed(time_machine):
    session = SessionFactory(activity=ActivityFactory(booking_delay=timedelta(days=1)))
    reservation = book(session, quantity=2)
    assert reservation_cancellable_online(reservation=reservation)

    organisation = organisation_get()
    organisation.online_cancellation_allowed = False
    organisation.save()
    assert not reservation_cancellable_online(reservation=reservation)
    with pytest.raises(BookingError):
        reservation_cancel_online(reservation=reservation)

    organisation.online_cancellation_allowed = True
    organisation.save()
    time_machine.move_to(session.start - timedelta(days=1), tick=False)
    with pytest.raises(BookingError, match="appelez-nous"):
        reservation_cancel_online(reservation=reservation)
    time_machine.move_to(session.start - timedelta(days=2), tick=False)
    reservation_cancel_online(reservation=reservation)
    assert seats_taken(session) == 0


# --- sessions -------------------------------------------------------------------------------


def test_the_seat_limit_cannot_go_below_the_seats_booked():
    session = SessionFactory(seat_limit=10)
    book(session, quantity=6)
    session.seat_limit = 5
    with pytest.raises(ValidationError) as exc:
        session_save(session=session)
    assert "6 places sont déjà réservées" in exc.value.message_dict["seat_limit"][0]
    session.seat_limit = 6
    session_save(session=session)


def test_a_stale_form_cannot_overwrite_the_seat_counter():
    session = SessionFactory(seat_limit=10)
    stale = Session.objects.get(pk=session.pk)
    book(session, quantity=4)
    stale.price = 5
    session_save(session=stale)
    assert seats_taken(session) == 4


def test_cancelling_a_session_cancels_its_reservations_and_frees_the_seats():
    session = SessionFactory(seat_limit=10)
    valid = [book(session, quantity=2), book(session, quantity=3)]
    already = book(session)
    reservation_cancel(reservation=already)
    session.status, session.reason = SessionStatus.CANCELLED, "Conditions météo"
    session_save(session=session)
    assert seats_taken(session) == 0
    assert {r.status for r in Reservation.objects.filter(pk__in=[r.pk for r in valid])} == {
        "cancelled"
    }


def test_postponing_keeps_reservations_valid():
    session = SessionFactory(seat_limit=10)
    reservation = book(session, quantity=2)
    session.status, session.new_start = SessionStatus.POSTPONED, session.start + timedelta(days=3)
    session_save(session=session)
    assert session.effective_start == session.new_start
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.VALID
    assert seats_taken(session) == 2


def fields_of(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


def test_sessions_lock_reads_the_rows_as_the_orm_does():
    """Its statement is written by hand: every field, with its type (dates, decimals, durations
    are text or numbers in SQLite), and the activity."""
    activity = ActivityFactory(booking_delay=timedelta(hours=3), bookable_online=False)
    postponed = SessionFactory(activity=activity, price="12.50", reason="Pluie")
    postponed.status = SessionStatus.POSTPONED
    postponed.new_start = postponed.start + timedelta(days=2)
    postponed.opens_at = timezone.now().replace(microsecond=0)
    postponed.save()
    other = SessionFactory(seat_limit=None)
    with transaction.atomic():
        locked = sessions_lock(ids=[other.pk, postponed.pk, other.pk])
    assert list(locked) == sorted([postponed.pk, other.pk])
    for session in (postponed, other):
        read = Session.objects.select_related("activity").get(pk=session.pk)
        assert fields_of(locked[session.pk]) == fields_of(read)
        assert fields_of(locked[session.pk].activity) == fields_of(read.activity)
    assert locked[postponed.pk].effective_start == postponed.new_start
    assert locked[postponed.pk].activity.booking_delay == timedelta(hours=3)
    assert sessions_lock(ids=[]) == {}


# --- archiving ------------------------------------------------------------------------------


def test_archiving_marks_past_valid_reservations_once(time_machine):
    past = SessionFactory(seat_limit=None)
    future = SessionFactory(seat_limit=None, start=past.start + timedelta(days=30))
    old, cancelled, coming = book(past), book(past), book(future)
    reservation_cancel(reservation=cancelled)
    time_machine.move_to(past.end + timedelta(minutes=1), tick=False)
    assert reservations_archive_past() == 1
    assert reservations_archive_past() == 0
    statuses = dict(Reservation.objects.values_list("pk", "status"))
    assert statuses == {old.pk: "archived", cancelled.pk: "cancelled", coming.pk: "valid"}
    assert seats_taken(past) == 1  # an archived reservation still counts as booked
    assert seats_mismatches() == []


def test_a_postponed_session_is_archived_by_its_new_date(time_machine):
    session = SessionFactory(seat_limit=None)
    reservation = book(session)
    session.status = SessionStatus.POSTPONED
    session.new_start = session.start + timedelta(days=10)
    session.new_end = session.new_start + timedelta(hours=1)
    session_save(session=session)
    time_machine.move_to(session.end + timedelta(days=1), tick=False)
    assert reservations_archive_past() == 0
    time_machine.move_to(session.new_end + timedelta(minutes=1), tick=False)
    assert reservations_archive_past() == 1
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.ARCHIVED


def test_a_session_without_end_is_over_once_started(time_machine):
    session = SessionFactory(seat_limit=None, end=None)
    book(session)
    time_machine.move_to(session.start + timedelta(seconds=1), tick=False)
    assert reservations_archive_past() == 1


# --- the counter equals the reservations ----------------------------------------------------


def test_mismatches_are_reported():
    session = SessionFactory(seat_limit=10)
    book(session, quantity=2)
    assert seats_mismatches() == []
    ReservationFactory(session=session, quantity=3)  # written behind the service's back
    [(wrong, right)] = seats_mismatches()
    assert (wrong.pk, wrong.seats_taken, right) == (session.pk, 2, 5)


class TestAnySequenceKeepsTheCounterRight(HypothesisTestCase):
    """Whatever staff and visitors do, the counter equals the seats held and never passes the limit."""

    operations = st.lists(
        st.tuples(
            st.sampled_from(["book", "book_staff", "cancel", "resize", "move", "limit"]),
            st.integers(min_value=0, max_value=20),
            st.integers(min_value=1, max_value=9),
        ),
        max_size=25,
    )

    @settings(max_examples=40, deadline=None)
    @given(operations)
    def test_sequence(self, operations):
        sessions = [
            SessionFactory(seat_limit=6),
            SessionFactory(seat_limit=None),
            SessionFactory(seat_limit=3),
        ]
        reservations: list[Reservation] = []
        for action, pick, number in operations:
            try:
                if action in ("book", "book_staff"):
                    reservations.append(
                        book(sessions[pick % 3], quantity=number, online=action == "book")
                    )
                elif reservations:
                    reservation = Reservation.objects.get(
                        pk=reservations[pick % len(reservations)].pk
                    )
                    if action == "cancel":
                        reservation_cancel(reservation=reservation)
                    elif action == "resize":
                        reservation.quantity = number
                        reservation_update(reservation=reservation)
                    elif action == "move":
                        reservation.session = sessions[(pick + 1) % 3]
                        reservation_update(reservation=reservation)
                    else:
                        session = Session.objects.get(pk=sessions[pick % 3].pk)
                        session.seat_limit = number
                        session_save(session=session)
            except (BookingError, ValidationError):
                pass
            assert seats_mismatches() == []
            for session in Session.objects.all():
                assert session.seat_limit is None or session.seats_taken <= session.seat_limit


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_booking_needs_at_least_one_place(quantity):
    session = SessionFactory(seat_limit=10)
    with pytest.raises(ValidationError) as exc:
        book(session, quantity=quantity)
    assert "quantity" in exc.value.message_dict
    assert seats_taken(session) == 0


# --- short references -----------------------------------------------------------------------


def test_each_reservation_gets_its_own_short_reference():
    session = SessionFactory()
    first, second = (
        book(session, email="alix@example.org"),
        book(session, email="basile@example.org"),
    )
    assert len(first.reference) == 8 and first.reference != second.reference


def test_a_reference_already_taken_is_drawn_again(monkeypatch):
    taken = book(SessionFactory(), email="alix@example.org")
    draws = iter([taken.reference, "ZZZZ0000"])
    monkeypatch.setattr("guichet.bookings.models.reference_new", lambda: next(draws))
    session = SessionFactory(seat_limit=5)
    reservation = book(session, email="basile@example.org", quantity=2)
    assert reservation.reference == "ZZZZ0000"
    assert Reservation.objects.get(pk=reservation.pk).reference == "ZZZZ0000"
    assert seats_taken(session) == 2


def test_two_rows_cannot_share_a_reference():
    first = ReservationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ReservationFactory(reference=first.reference)


# --- one address, one session: no hoarding ------------------------------------------------


def link_mails(email: str) -> list[OutgoingMessage]:
    return list(
        OutgoingMessage.objects.filter(
            kind=MessageKind.RESERVATION_LINK, reservation__email__iexact=email
        )
    )


def test_an_address_cannot_book_a_session_past_the_most_places_per_booking():
    session = SessionFactory(seat_limit=20, activity__max_places_per_booking=8)
    first = book(session, quantity=6, email="alix@example.org")
    with pytest.raises(AlreadyBooked) as refusal:
        # Another case, other names: the same address.
        book(session, quantity=3, email="Alix@Example.org", first_name="Zoé", last_name="Autre")
    assert str(refusal.value) == (
        "Vous avez déjà une réservation pour cette session : "
        "nous venons de vous renvoyer son lien par e-mail."
    )
    assert list(Reservation.objects.filter(session=session)) == [first]
    assert seats_taken(session) == 6
    [link] = link_mails("alix@example.org")
    assert (link.reservation, link.recipients, link.state) == (
        first,
        ["alix@example.org"],
        MessageState.PENDING,
    )


def test_within_the_most_places_an_address_may_book_again():
    session = SessionFactory(seat_limit=20, activity__max_places_per_booking=8)
    book(session, quantity=5, email="alix@example.org")
    book(session, quantity=3, email="alix@example.org")
    assert seats_taken(session) == 8
    with pytest.raises(AlreadyBooked):
        book(session, quantity=1, email="alix@example.org")
    assert len(link_mails("alix@example.org")) == 2  # one per live booking


def test_cancelled_bookings_and_other_sessions_do_not_count():
    session, other = SessionFactory(), SessionFactory(activity__max_places_per_booking=8)
    cancelled = book(session, quantity=8, email="alix@example.org")
    reservation_cancel(reservation=cancelled)
    book(session, quantity=8, email="alix@example.org")
    book(other, quantity=8, email="alix@example.org")
    assert Reservation.objects.filter(email="alix@example.org").count() == 3


def test_staff_bookings_are_exempt():
    session = SessionFactory(seat_limit=30, activity__max_places_per_booking=8)
    book(session, quantity=8, email="alix@example.org")
    book(session, quantity=8, email="alix@example.org", online=False)
    assert seats_taken(session) == 16
    assert link_mails("alix@example.org") == []


def test_the_same_form_sent_again_leads_to_its_booking_not_to_a_refusal():
    session = SessionFactory(activity__max_places_per_booking=8)
    first = book(session, quantity=8, email="alix@example.org", submission_key="k1")
    assert book(session, quantity=8, email="alix@example.org", submission_key="k1") == first
    assert link_mails("alix@example.org") == []
