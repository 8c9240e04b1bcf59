"""Load the ISO/IEC 27001:2022 catalogue: 93 Annex A controls and clauses 4 to 10.

The data lives here, not in the models, so that this revision means the same thing
forever; a later edition of the standard arrives as a new revision.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ANNEX_A = {
    "organizational": [
        "Policies for information security",
        "Information security roles and responsibilities",
        "Segregation of duties",
        "Management responsibilities",
        "Contact with authorities",
        "Contact with special interest groups",
        "Threat intelligence",
        "Information security in project management",
        "Inventory of information and other associated assets",
        "Acceptable use of information and other associated assets",
        "Return of assets",
        "Classification of information",
        "Labelling of information",
        "Information transfer",
        "Access control",
        "Identity management",
        "Authentication information",
        "Access rights",
        "Information security in supplier relationships",
        "Addressing information security within supplier agreements",
        "Managing information security in the ICT supply chain",
        "Monitoring, review and change management of supplier services",
        "Information security for use of cloud services",
        "Information security incident management planning and preparation",
        "Assessment and decision on information security events",
        "Response to information security incidents",
        "Learning from information security incidents",
        "Collection of evidence",
        "Information security during disruption",
        "ICT readiness for business continuity",
        "Legal, statutory, regulatory and contractual requirements",
        "Intellectual property rights",
        "Protection of records",
        "Privacy and protection of PII",
        "Independent review of information security",
        "Compliance with policies, rules and standards for information security",
        "Documented operating procedures",
    ],
    "people": [
        "Screening",
        "Terms and conditions of employment",
        "Information security awareness, education and training",
        "Disciplinary process",
        "Responsibilities after termination or change of employment",
        "Confidentiality or non-disclosure agreements",
        "Remote working",
        "Information security event reporting",
    ],
    "physical": [
        "Physical security perimeters",
        "Physical entry",
        "Securing offices, rooms and facilities",
        "Physical security monitoring",
        "Protecting against physical and environmental threats",
        "Working in secure areas",
        "Clear desk and clear screen",
        "Equipment siting and protection",
        "Security of assets off-premises",
        "Storage media",
        "Supporting utilities",
        "Cabling security",
        "Equipment maintenance",
        "Secure disposal or re-use of equipment",
    ],
    "technological": [
        "User endpoint devices",
        "Privileged access rights",
        "Information access restriction",
        "Access to source code",
        "Secure authentication",
        "Capacity management",
        "Protection against malware",
        "Management of technical vulnerabilities",
        "Configuration management",
        "Information deletion",
        "Data masking",
        "Data leakage prevention",
        "Information backup",
        "Redundancy of information processing facilities",
        "Logging",
        "Monitoring activities",
        "Clock synchronization",
        "Use of privileged utility programs",
        "Installation of software on operational systems",
        "Networks security",
        "Security of network services",
        "Segregation of networks",
        "Web filtering",
        "Use of cryptography",
        "Secure development life cycle",
        "Application security requirements",
        "Secure system architecture and engineering principles",
        "Secure coding",
        "Security testing in development and acceptance",
        "Outsourced development",
        "Separation of development, test and production environments",
        "Change management",
        "Test information",
        "Protection of information systems during audit testing",
    ],
}

#: Annex A clause number of each theme
THEME_CLAUSE = {"organizational": 5, "people": 6, "physical": 7, "technological": 8}

CLAUSES = [
    ("4.1", "Understanding the organization and its context"),
    ("4.2", "Understanding the needs and expectations of interested parties"),
    ("4.3", "Determining the scope of the information security management system"),
    ("4.4", "Information security management system"),
    ("5.1", "Leadership and commitment"),
    ("5.2", "Policy"),
    ("5.3", "Organizational roles, responsibilities and authorities"),
    ("6.1", "Actions to address risks and opportunities"),
    ("6.2", "Information security objectives and planning to achieve them"),
    ("6.3", "Planning of changes"),
    ("7.1", "Resources"),
    ("7.2", "Competence"),
    ("7.3", "Awareness"),
    ("7.4", "Communication"),
    ("7.5", "Documented information"),
    ("8.1", "Operational planning and control"),
    ("8.2", "Information security risk assessment"),
    ("8.3", "Information security risk treatment"),
    ("9.1", "Monitoring, measurement, analysis and evaluation"),
    ("9.2", "Internal audit"),
    ("9.3", "Management review"),
    ("10.1", "Continual improvement"),
    ("10.2", "Nonconformity and corrective action"),
]

control = sa.table(
    "control",
    sa.column("code", sa.String),
    sa.column("kind", sa.String),
    sa.column("ref", sa.String),
    sa.column("title", sa.String),
    sa.column("theme", sa.String),
    sa.column("sort_key", sa.String),
)


def _sort_key(prefix: str, ref: str) -> str:
    return prefix + ".".join(f"{int(part):03d}" for part in ref.split("."))


def _rows() -> list[dict]:
    rows = [
        {"code": ref, "kind": "clause", "ref": ref, "title": title, "theme": None, "sort_key": _sort_key("1:", ref)}
        for ref, title in CLAUSES
    ]
    for theme, titles in ANNEX_A.items():
        for number, title in enumerate(titles, start=1):
            ref = f"{THEME_CLAUSE[theme]}.{number}"
            rows.append(
                {
                    "code": f"A.{ref}",
                    "kind": "annex_a",
                    "ref": ref,
                    "title": title,
                    "theme": theme,
                    "sort_key": _sort_key("2:", ref),
                }
            )
    return rows


def upgrade() -> None:
    op.bulk_insert(control, _rows())


def downgrade() -> None:
    op.execute(control.delete())
