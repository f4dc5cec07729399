"""The editable sections of each e-mail as first installed: the texts of the guide we replace,
mended where it was wrong ("REPORT" not "RAPPORT", agreements, phone and website never typed in
a text but taken from the organisation's settings through {telephone}, {site_web}, {organisation}).
The guide has no text for the reservation-cancelled mail: that one is written in the same style."""

from django.utils.translation import gettext_lazy as _

from guichet.notifications.models import MessageKind

SIGNATURE_SOON = _("<p>À très bientôt,<br><strong>Le service Parcs et Jardins.</strong></p>")
SIGNATURE_REGARDS = _("<p>Cordialement,<br><strong>Le service Parcs et Jardins.</strong></p>")
FOOTER = "<p>{organisation}</p>"
SIGNATURE_SOLIDARITY = _(
    "<p>À bientôt,<br><strong>L'équipe de la Billetterie solidaire.</strong></p>"
)
SIGNATURE_FAMILY = _("<p>Cordialement,<br><strong>Le pôle périscolaire.</strong></p>")

DEFAULT_TEXTS = {
    MessageKind.CONFIRMATION: {
        "header_title": _("CONFIRMATION DE RÉSERVATION"),
        "sub_greeting": _(
            "<p>Nous avons le plaisir de vous confirmer la réservation de la visite suivante :</p>"
        ),
        "main_content": "",
        "main_ending": _(
            "<p>Nous nous réjouissons de vous accueillir bientôt. Si vous avez des questions ou si vous "
            "souhaitez modifier votre réservation, n'hésitez pas à nous contacter au {telephone}.</p>"
        ),
        "signature": SIGNATURE_SOON,
        "footer": FOOTER,
    },
    MessageKind.REMINDER: {
        "header_title": _("J-2 AVANT VOTRE ACTIVITÉ"),
        "sub_greeting": _(
            "<p>Nous vous rappelons que votre réservation suivante aura lieu dans <strong>2 jours</strong>.<br>"
            "Pensez à regarder à l'avance <strong>l'heure et le lieu du rendez-vous</strong> dans la "
            "description si elle est communiquée.</p>"
        ),
        "main_content": "",
        "main_ending": _(
            "<p>Si vous avez des questions ou si vous devez apporter des modifications à votre réservation, "
            "n'hésitez pas à nous contacter au <strong>{telephone}</strong>.</p>"
            "<p>Nous avons hâte de vous accueillir et de partager cette expérience avec vous !</p>"
        ),
        "signature": SIGNATURE_SOON,
        "footer": FOOTER,
    },
    MessageKind.SESSION_CANCELLED: {
        "header_title": _("ANNULATION DE L'ACTIVITÉ"),
        "sub_greeting": "",
        "main_content": _(
            "<p>Nous comprenons que cette situation peut être gênante, et nous vous présentons nos sincères "
            "excuses pour ce désagrément. Nous vous invitons à réserver une prochaine session ou une "
            "nouvelle activité dès à présent.</p>"
        ),
        "main_ending": _(
            "<p>Si vous souhaitez obtenir des informations supplémentaires ou discuter des prochaines étapes, "
            "n'hésitez pas à nous contacter au {telephone}.</p>"
            "<p>Nous vous remercions pour votre compréhension et espérons avoir l'occasion de vous accueillir "
            "lors d'un futur événement.</p>"
        ),
        "signature": SIGNATURE_REGARDS,
        "footer": FOOTER,
    },
    MessageKind.SESSION_POSTPONED: {
        "header_title": _("REPORT DE L'ACTIVITÉ"),
        "sub_greeting": "",
        "main_content": _(
            "<p>Nous comprenons que cette situation peut être gênante, et nous vous présentons nos sincères "
            "excuses pour ce désagrément.<br>Votre réservation reste valide à la nouvelle date indiquée "
            "ci-dessus.</p>"
        ),
        "main_ending": _(
            "<p>Si vous souhaitez annuler ou modifier votre réservation, obtenir des informations "
            "supplémentaires ou discuter des prochaines étapes, n'hésitez pas à nous contacter au "
            "{telephone}.<br>Nous vous remercions pour votre compréhension.</p>"
        ),
        "signature": SIGNATURE_REGARDS,
        "footer": FOOTER,
    },
    MessageKind.RESERVATION_CANCELLED: {
        "header_title": _("ANNULATION DE VOTRE RÉSERVATION"),
        "sub_greeting": "",
        "main_content": _(
            "<p>Les places que vous aviez réservées sont de nouveau disponibles pour d'autres personnes. "
            "Nous serions heureux de vous accueillir lors d'une prochaine activité.</p>"
        ),
        "main_ending": _(
            "<p>Si cette annulation est une erreur ou si vous avez des questions, n'hésitez pas à nous "
            "contacter au {telephone}.</p>"
        ),
        "signature": SIGNATURE_REGARDS,
        "footer": FOOTER,
    },
    MessageKind.RESERVATION_LINK: {
        "header_title": _("VOTRE RÉSERVATION"),
        "sub_greeting": _(
            "<p>Une nouvelle réservation a été demandée avec votre adresse e-mail pour une session "
            "où vous avez déjà réservé. Voici le lien de votre réservation :</p>"
        ),
        "main_content": "",
        "main_ending": _(
            "<p>Pour venir avec plus de personnes, contactez-nous au {telephone}. Si vous n'êtes pas "
            "à l'origine de cette demande, vous pouvez ignorer ce message.</p>"
        ),
        "signature": SIGNATURE_SOON,
        "footer": FOOTER,
    },
    MessageKind.SCHEDULE_CHANGED: {
        "header_title": _("CHANGEMENT D'HORAIRE"),
        "sub_greeting": "",
        "main_content": _(
            "<p>Votre réservation reste valide, aux horaires indiqués ci-dessus.</p>"
        ),
        "main_ending": _(
            "<p>Si ce nouvel horaire ne vous convient pas, vous pouvez annuler votre réservation ou "
            "nous contacter au {telephone}.<br>Nous vous remercions pour votre compréhension.</p>"
        ),
        "signature": SIGNATURE_REGARDS,
        "footer": FOOTER,
    },
    MessageKind.RESERVATION_CHANGED: {
        "header_title": _("RÉSERVATION MODIFIÉE"),
        "sub_greeting": "",
        "main_content": "",
        "main_ending": _(
            "<p>Si vous n'êtes pas à l'origine de cette modification ou si vous avez des "
            "questions, n'hésitez pas à nous contacter au {telephone}.</p>"
        ),
        "signature": SIGNATURE_SOON,
        "footer": FOOTER,
    },
    MessageKind.RESERVATION_LIST: {
        "header_title": _("VOS RÉSERVATIONS"),
        "sub_greeting": _(
            "<p>Vous avez demandé les liens de vos réservations à venir. Les voici :</p>"
        ),
        "main_content": "",
        "main_ending": _(
            "<p>Si vous n'êtes pas à l'origine de cette demande, vous pouvez ignorer ce message. "
            "Pour toute question, contactez-nous au {telephone}.</p>"
        ),
        "signature": SIGNATURE_SOON,
        "footer": FOOTER,
    },
    # The solidarity portal's accounts: the button (its link), how long it lasts and that it is
    # single-use are written by the mail itself (guichet.notifications.emails).
    MessageKind.SOLIDARITY_INVITATION: {
        "header_title": _("BIENVENUE"),
        "sub_greeting": _(
            "<p>Un compte vient d'être ouvert pour vous sur la Billetterie solidaire de "
            "{organisation} : vous pourrez y réserver des invitations gratuites pour les "
            "personnes que suit votre structure.</p>"
            "<p>Pour y accéder, choisissez votre mot de passe :</p>"
        ),
        "main_content": "",
        "main_ending": _(
            "<p>Vous vous connecterez ensuite avec votre adresse e-mail et ce mot de passe. Pour "
            "toute question, contactez-nous au {telephone}.</p>"
        ),
        "signature": SIGNATURE_SOLIDARITY,
        "footer": FOOTER,
    },
    MessageKind.SOLIDARITY_PASSWORD_RESET: {
        "header_title": _("MOT DE PASSE OUBLIÉ"),
        "sub_greeting": _(
            "<p>Vous avez demandé à choisir un nouveau mot de passe pour la Billetterie "
            "solidaire :</p>"
        ),
        "main_content": "",
        "main_ending": _(
            "<p>Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot "
            "de passe ne change pas.</p>"
        ),
        "signature": SIGNATURE_SOLIDARITY,
        "footer": FOOTER,
    },
    MessageKind.SOLIDARITY_EMAIL_CHANGE: {
        "header_title": _("NOUVELLE ADRESSE E-MAIL"),
        "sub_greeting": _(
            "<p>Vous avez demandé à utiliser cette adresse pour votre compte de la Billetterie "
            "solidaire. Elle remplacera l'ancienne dès que vous l'aurez confirmée :</p>"
        ),
        "main_content": "",
        "main_ending": _(
            "<p>Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : l'adresse "
            "de votre compte ne change pas.</p>"
        ),
        "signature": SIGNATURE_SOLIDARITY,
        "footer": FOOTER,
    },
}

# The family portal (guichet.families). Its accounts as the solidarity portal's; its daily report
# is seed 002's mail, mended: the movements and their sections are written by the portal between
# "sous « Bonjour »" and "contenu principal".
DEFAULT_TEXTS |= {
    MessageKind.FAMILY_INVITATION: {
        "header_title": _("BIENVENUE"),
        "sub_greeting": _(
            "<p>Un compte famille vient d'être ouvert pour vous sur le Portail famille de "
            "{organisation} : vous pourrez y réserver l'accueil périscolaire et les centres de "
            "loisirs de vos enfants.</p>"
            "<p>Pour y accéder, choisissez votre mot de passe :</p>"
        ),
        "main_content": "",
        "main_ending": _(
            "<p>Vous vous connecterez ensuite avec votre adresse e-mail et ce mot de passe. Pour "
            "toute question, contactez le pôle périscolaire au {telephone}.</p>"
        ),
        "signature": SIGNATURE_FAMILY,
        "footer": FOOTER,
    },
    MessageKind.FAMILY_PASSWORD_RESET: {
        "header_title": _("MOT DE PASSE OUBLIÉ"),
        "sub_greeting": _(
            "<p>Vous avez demandé à choisir un nouveau mot de passe pour le Portail famille :</p>"
        ),
        "main_content": "",
        "main_ending": _(
            "<p>Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot "
            "de passe ne change pas.</p>"
        ),
        "signature": SIGNATURE_FAMILY,
        "footer": FOOTER,
    },
    MessageKind.FAMILY_EMAIL_CHANGE: {
        "header_title": _("NOUVELLE ADRESSE E-MAIL"),
        "sub_greeting": _(
            "<p>Vous avez demandé à utiliser cette adresse pour votre compte du Portail famille. "
            "Elle remplacera l'ancienne dès que vous l'aurez confirmée :</p>"
        ),
        "main_content": "",
        "main_ending": _(
            "<p>Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : l'adresse "
            "de votre compte ne change pas.</p>"
        ),
        "signature": SIGNATURE_FAMILY,
        "footer": FOOTER,
    },
    MessageKind.FAMILY_DIGEST: {
        "header_title": _("COMPTE RENDU"),
        "sub_greeting": _(
            "<p>Veuillez trouver ci-dessous un compte rendu des modifications apportées à vos "
            "demandes de réservation sur la structure : {organisation}.</p>"
        ),
        "main_content": "",
        "main_ending": _(
            "<p>Vous pouvez consulter l'état de vos réservations sur le Portail famille.</p>"
        ),
        "signature": SIGNATURE_FAMILY,
        "footer": FOOTER,
    },
}


# The solidarity portal's bookings (guichet.solidarity.mails): the sentence saying what happened,
# the people concerned and the buttons to the portal are written by the mail itself, between
# "sous « Bonjour »" and "contenu principal".
SOLIDARITY_CONTACT = _(
    "<p>Pour toute question, contactez l'équipe de la Billetterie solidaire au {telephone}.</p>"
)
DEFAULT_TEXTS |= {
    MessageKind.SOLIDARITY_BOOKED: {
        "header_title": _("RÉSERVATION ENREGISTRÉE"),
        "sub_greeting": "",
        "main_content": _(
            "<p>Les invitations sont à imprimer depuis la réservation, sur la Billetterie "
            "solidaire. Les personnes en liste d'attente reçoivent une invitation dès qu'une place "
            "se libère : vous en serez averti(e) par e-mail.</p>"
        ),
        "main_ending": SOLIDARITY_CONTACT,
        "signature": SIGNATURE_SOLIDARITY,
        "footer": FOOTER,
    },
    MessageKind.SOLIDARITY_PROMOTED: {
        "header_title": _("INVITATION ATTRIBUÉE"),
        "sub_greeting": "",
        "main_content": _(
            "<p>Une place s'est libérée : imprimez les invitations depuis la réservation, sur la "
            "Billetterie solidaire, et remettez-les aux personnes concernées.</p>"
        ),
        "main_ending": SOLIDARITY_CONTACT,
        "signature": SIGNATURE_SOLIDARITY,
        "footer": FOOTER,
    },
    MessageKind.SOLIDARITY_WAITING_CLOSED: {
        "header_title": _("LISTE D'ATTENTE CLOSE"),
        "sub_greeting": "",
        "main_content": _(
            "<p>Aucune place ne s'est libérée avant la clôture des réservations : ces personnes "
            "n'ont pas d'invitation pour cette séance. Nous vous invitons à consulter les autres "
            "sorties proposées.</p>"
        ),
        "main_ending": SOLIDARITY_CONTACT,
        "signature": SIGNATURE_SOLIDARITY,
        "footer": FOOTER,
    },
    MessageKind.SOLIDARITY_SESSION_CANCELLED: {
        "header_title": _("SÉANCE ANNULÉE"),
        "sub_greeting": "",
        "main_content": _(
            "<p>Les invitations de cette séance ne sont plus valables. Nous vous prions de "
            "prévenir les personnes concernées et vous présentons nos excuses pour ce "
            "désagrément.</p>"
        ),
        "main_ending": SOLIDARITY_CONTACT,
        "signature": SIGNATURE_SOLIDARITY,
        "footer": FOOTER,
    },
    MessageKind.SOLIDARITY_SESSION_POSTPONED: {
        "header_title": _("SÉANCE REPORTÉE"),
        "sub_greeting": "",
        "main_content": _(
            "<p>Les invitations restent valables à la nouvelle date. Merci de prévenir les "
            "personnes concernées ; si elles ne peuvent plus venir, annulez leurs invitations "
            "pour libérer les places.</p>"
        ),
        "main_ending": SOLIDARITY_CONTACT,
        "signature": SIGNATURE_SOLIDARITY,
        "footer": FOOTER,
    },
    MessageKind.SOLIDARITY_REMINDER: {
        "header_title": _("SORTIE DANS 2 JOURS"),
        "sub_greeting": "",
        "main_content": _(
            "<p>Pensez à remettre à chacune de ces personnes son invitation imprimée : elle est "
            "nominative et sera demandée à l'accueil.</p>"
        ),
        "main_ending": _(
            "<p>Si une personne ne peut plus venir, prévenez-nous au {telephone}.</p>"
        ),
        "signature": SIGNATURE_SOLIDARITY,
        "footer": FOOTER,
    },
    MessageKind.SOLIDARITY_CANCELLED: {
        "header_title": _("ANNULATION ENREGISTRÉE"),
        "sub_greeting": "",
        "main_content": _(
            "<p>Les places ont été remises en ligne. Merci de prévenir les personnes "
            "concernées.</p>"
        ),
        "main_ending": SOLIDARITY_CONTACT,
        "signature": SIGNATURE_SOLIDARITY,
        "footer": FOOTER,
    },
}


def default_texts(kind: str) -> dict[str, str]:
    """The sections of `kind` as plain strings, in the active language."""
    return {field: str(text) for field, text in DEFAULT_TEXTS[MessageKind(kind)].items()}
