"""The printed "Lettre d'activation" of a guardian without e-mail: a one-page PDF (reportlab) with
the organisation, the guardian's "Identifiant", the 8-character code and how to use it. The code
is written only here: the database keeps its hash."""

import io
from datetime import datetime
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from guichet.core import dates
from guichet.core.pdf import FONT, FONT_BOLD, pdf_building


def activation_letter_pdf(
    *,
    organisation: str,
    address: str,
    household: str,
    name: str,
    identifier: str,
    code: str,
    expires_at: datetime,
    url: str,
) -> bytes:
    """The letter's PDF bytes. Every value is escaped: names typed by staff are text."""
    with pdf_building():
        styles = getSampleStyleSheet()
        body = ParagraphStyle(
            "body", parent=styles["BodyText"], fontName=FONT, fontSize=11, leading=15
        )
        title = ParagraphStyle("title", parent=styles["Title"], fontName=FONT_BOLD)
        bold = ParagraphStyle("bold", parent=body, fontName=FONT_BOLD)
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            title=_("Lettre d'activation"),
            author=organisation,
            leftMargin=20 * mm,
            rightMargin=20 * mm,
            topMargin=20 * mm,
            bottomMargin=20 * mm,
        )
        story = [
            Paragraph(escape(organisation), bold),
            Spacer(0, 10 * mm),
            Paragraph(escape(name), body),
            *[Paragraph(escape(line), body) for line in address.splitlines() if line.strip()],
            Spacer(0, 12 * mm),
            Paragraph(escape(_("Lettre d'activation")), title),
            Paragraph(
                escape(_("Portail famille – compte %(household)s") % {"household": household}), body
            ),
            Spacer(0, 8 * mm),
            Paragraph(
                escape(
                    _(
                        "Un compte vient d'être ouvert pour vous sur le Portail famille : vous pourrez "
                        "y réserver l'accueil périscolaire et les centres de loisirs de vos enfants."
                    )
                ),
                body,
            ),
            Spacer(0, 6 * mm),
        ]
        table = Table(
            [[_("Identifiant"), identifier], [_("Code d'activation"), code]],
            colWidths=[50 * mm, 100 * mm],
        )
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (0, -1), FONT),
                    ("FONTNAME", (1, 0), (1, -1), FONT_BOLD),
                    ("FONTSIZE", (0, 0), (-1, -1), 13),
                    ("BOX", (0, 0), (-1, -1), 0.8, "#333333"),
                    ("INNERGRID", (0, 0), (-1, -1), 0.4, "#999999"),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ]
            )
        )
        story += [
            table,
            Spacer(0, 6 * mm),
            Paragraph(
                escape(
                    _(
                        "Rendez-vous sur %(url)s, choisissez « Première connexion », saisissez votre "
                        "identifiant et ce code, puis choisissez votre mot de passe."
                    )
                    % {"url": url}
                ),
                body,
            ),
            Paragraph(
                escape(
                    _(
                        "Ce code ne sert qu'une fois et reste valable jusqu'au %(date)s. Passé ce "
                        "délai, adressez-vous au pôle périscolaire pour une nouvelle lettre."
                    )
                    % {"date": dates.day_long(expires_at)}
                ),
                body,
            ),
            Paragraph(
                escape(
                    _(
                        "Ne communiquez ce code à personne : nos services ne vous le demanderont jamais."
                    )
                ),
                body,
            ),
        ]
        document.build(story)
        return buffer.getvalue()
