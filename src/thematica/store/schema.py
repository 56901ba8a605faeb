"""The relational schema, as SQLAlchemy Core tables.

Core rather than ORM objects because the heavy paths (imports, bulk coding, retrieval) move
tens of thousands of rows at a time. Every table hangs off ``project`` so one database can hold
several studies. Migrations in ``store/migrations`` must be kept in step with this file.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()


def _pk() -> Column[int]:
    return Column("id", Integer, primary_key=True)


def _project_fk() -> Column[int]:
    return Column(
        "project_id", Integer, ForeignKey("project.id", ondelete="CASCADE"), nullable=False
    )


project = Table(
    "project",
    metadata,
    _pk(),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("settings", JSON, nullable=False),
)

coder = Table(
    "coder",
    metadata,
    _pk(),
    _project_fk(),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False, default="human"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    #: for an ``ai`` layer: backend, model, version, parameters and the layers it learned from
    Column("meta", JSON, nullable=True),
    UniqueConstraint("project_id", "name", name="uq_coder_name"),
)

case = Table(
    "case",
    metadata,
    _pk(),
    _project_fk(),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("project_id", "name", name="uq_case_name"),
)

attribute = Table(
    "attribute",
    metadata,
    _pk(),
    _project_fk(),
    Column("name", String(200), nullable=False),
    Column("type", String(20), nullable=False),
    Column("value_order", JSON, nullable=True),
    Column("position", Integer, nullable=False, default=0),
    UniqueConstraint("project_id", "name", name="uq_attribute_name"),
)

attribute_value = Table(
    "attribute_value",
    metadata,
    Column("case_id", Integer, ForeignKey("case.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "attribute_id", Integer, ForeignKey("attribute.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("value", Text, nullable=True),
)

document = Table(
    "document",
    metadata,
    _pk(),
    _project_fk(),
    Column("name", String(500), nullable=False),
    Column("text", Text, nullable=False),
    Column("length", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("source_path", Text, nullable=True),
    Column("source_format", String(20), nullable=False),
    Column("encoding", String(40), nullable=True),
    Column("case_id", Integer, ForeignKey("case.id", ondelete="SET NULL"), nullable=True),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("meta", JSON, nullable=False),
    UniqueConstraint("project_id", "name", name="uq_document_name"),
    Index("ix_document_sha", "project_id", "sha256"),
    Index("ix_document_case", "case_id"),
)

turn = Table(
    "turn",
    metadata,
    _pk(),
    Column("document_id", Integer, ForeignKey("document.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("speaker", String(200), nullable=True),
    Column("time_start", Float, nullable=True),
    Column("time_end", Float, nullable=True),
    Index("ix_turn_document", "document_id", "start"),
)

code = Table(
    "code",
    metadata,
    _pk(),
    _project_fk(),
    Column("parent_id", Integer, ForeignKey("code.id", ondelete="CASCADE"), nullable=True),
    Column("name", String(300), nullable=False),
    Column("definition", Text, nullable=False, default=""),
    Column("inclusion", Text, nullable=False, default=""),
    Column("exclusion", Text, nullable=False, default=""),
    Column("example", Text, nullable=False, default=""),
    Column("origin", String(20), nullable=True),
    Column("sem_level", String(50), nullable=True),
    Column("colour", String(20), nullable=True),
    Column("memo", Text, nullable=False, default=""),
    Column("position", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    #: the code's direct subcodes are mutually exclusive alternatives (a code-group property):
    #: coder A's X against coder B's Y under such a parent is one "different code" disagreement
    Column("exclusive", Boolean, nullable=False, default=False),
    #: bumped by every change, so an edit made against an older revision is refused (two
    #: owners editing one code at once get a conflict, never a silent overwrite)
    Column("revision", Integer, nullable=False, default=1, server_default="1"),
    Index("ix_code_parent", "project_id", "parent_id"),
)

codebook_change = Table(
    "codebook_change",
    metadata,
    _pk(),
    _project_fk(),
    Column("code_id", Integer, nullable=True),
    Column("code_path", Text, nullable=False),
    Column("action", String(20), nullable=False),
    Column("field", String(50), nullable=True),
    Column("old_value", Text, nullable=True),
    Column("new_value", Text, nullable=True),
    Column("actor", String(200), nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
)

codebook_version = Table(
    "codebook_version",
    metadata,
    _pk(),
    _project_fk(),
    Column("name", String(200), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("snapshot", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("project_id", "name", name="uq_codebook_version_name"),
)

coding = Table(
    "coding",
    metadata,
    _pk(),
    _project_fk(),
    Column("document_id", Integer, ForeignKey("document.id", ondelete="CASCADE"), nullable=False),
    Column("code_id", Integer, ForeignKey("code.id", ondelete="CASCADE"), nullable=False),
    Column("coder_id", Integer, ForeignKey("coder.id", ondelete="CASCADE"), nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("memo", Text, nullable=True),
    Column("starred", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    #: the bulk operation that added this coding (``coding_batch.id``), null for single codings
    Column("batch_id", Integer, nullable=True),
    UniqueConstraint("document_id", "code_id", "coder_id", "start", "end", name="uq_coding_span"),
    Index("ix_coding_code", "project_id", "code_id", "coder_id"),
    Index("ix_coding_document", "document_id", "start"),
    Index("ix_coding_batch", "batch_id"),
)

coding_batch = Table(
    "coding_batch",
    metadata,
    _pk(),
    _project_fk(),
    #: table | autocode | csv | consensus_apply | ...
    Column("operation", String(40), nullable=False),
    Column("coder", String(200), nullable=True),
    Column("actor", String(200), nullable=True),
    #: what was asked for (file, unit, speaker pattern, ...), for the listing and the log
    Column("parameters", JSON, nullable=False),
    Column("added", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("undone_at", DateTime(timezone=True), nullable=True),
    Column("undone_by", String(200), nullable=True),
    Index("ix_coding_batch_project", "project_id", "id"),
)

memo = Table(
    "memo",
    metadata,
    _pk(),
    _project_fk(),
    Column("target_type", String(20), nullable=False),
    Column("target_id", Integer, nullable=True),
    Column("author", String(200), nullable=True),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_memo_target", "project_id", "target_type", "target_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    _pk(),
    _project_fk(),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=True),
    Column("action", String(50), nullable=False),
    Column("detail", JSON, nullable=False),
    Index("ix_audit_project", "project_id", "at"),
)

consensus_decision = Table(
    "consensus_decision",
    metadata,
    _pk(),
    _project_fk(),
    Column("document_id", Integer, ForeignKey("document.id", ondelete="CASCADE"), nullable=False),
    #: The disagreement as it was shown: coders compared, unit, code(s), spans and texts.
    Column("disagreement", JSON, nullable=False),
    #: keep_a | keep_b | keep_both | merge | edit | drop | agreed (automatic)
    Column("action", String(20), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("decided_by", String(200), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    #: The original codings the decision was about: ids plus coder, code path, start, end.
    Column("source_codings", JSON, nullable=False),
    #: The consensus-layer codings the decision wrote (same shape; empty for "drop").
    Column("result_codings", JSON, nullable=False),
    #: the bulk operation (``consensus apply``) that recorded this decision, if any
    Column("batch_id", Integer, nullable=True),
    Index("ix_consensus_decision_project", "project_id", "document_id"),
)

agreement_run = Table(
    "agreement_run",
    metadata,
    _pk(),
    _project_fk(),
    Column("name", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    #: coders, unit, documents, codes and thresholds the run used
    Column("parameters", JSON, nullable=False),
    #: the codebook as it was (flat snapshot), so a later run can say what changed
    Column("codebook", JSON, nullable=False),
    #: overall and per-code results
    Column("results", JSON, nullable=False),
    UniqueConstraint("project_id", "name", name="uq_agreement_run_name"),
)

theme = Table(
    "theme",
    metadata,
    _pk(),
    _project_fk(),
    Column("parent_id", Integer, ForeignKey("theme.id", ondelete="CASCADE"), nullable=True),
    Column("name", String(300), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("sem_level", String(50), nullable=True),
    Column("memo", Text, nullable=False, default=""),
    Column("position", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_theme_parent", "project_id", "parent_id"),
)

theme_code = Table(
    "theme_code",
    metadata,
    Column("theme_id", Integer, ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True),
    Column("code_id", Integer, ForeignKey("code.id", ondelete="CASCADE"), primary_key=True),
)

matrix = Table(
    "matrix",
    metadata,
    _pk(),
    _project_fk(),
    Column("name", String(200), nullable=False),
    #: what rows and columns are: {"rows": "cases" | "attribute:NAME", "columns": "themes" |
    #: "codes", "coder": layer name or null, ...}
    Column("definition", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("project_id", "name", name="uq_matrix_name"),
)

matrix_cell = Table(
    "matrix_cell",
    metadata,
    _pk(),
    Column("matrix_id", Integer, ForeignKey("matrix.id", ondelete="CASCADE"), nullable=False),
    Column("row_key", String(300), nullable=False),
    Column("column_key", String(300), nullable=False),
    Column("summary", Text, nullable=False, default=""),
    #: coding ids the analyst linked to the cell, in their order
    Column("links", JSON, nullable=False),
    Column("author", String(200), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("matrix_id", "row_key", "column_key", name="uq_matrix_cell"),
)

external_id = Table(
    "external_id",
    metadata,
    Column(
        "project_id",
        Integer,
        ForeignKey("project.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    #: project | document | code | coder | case | attribute | coding | memo | set
    Column("entity_type", String(20), primary_key=True),
    Column("entity_id", Integer, primary_key=True),
    Column("guid", String(64), nullable=False),
    Index("ix_external_id_guid", "project_id", "guid"),
)

doc_set = Table(
    "doc_set",
    metadata,
    _pk(),
    _project_fk(),
    Column("name", String(300), nullable=False),
    Column("description", Text, nullable=False, default=""),
    #: documents | codes | cases
    Column("member_type", String(20), nullable=False),
    UniqueConstraint("project_id", "name", name="uq_doc_set_name"),
)

doc_set_member = Table(
    "doc_set_member",
    metadata,
    Column("set_id", Integer, ForeignKey("doc_set.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", Integer, primary_key=True),
)

speaker_case = Table(
    "speaker_case",
    metadata,
    #: which case a speaker label stands for in one document (focus groups); a null case_id
    #: marks a speaker (moderator, interviewer) who is no case
    Column("document_id", Integer, ForeignKey("document.id", ondelete="CASCADE"), primary_key=True),
    Column("speaker", String(200), primary_key=True),
    Column("case_id", Integer, ForeignKey("case.id", ondelete="CASCADE"), nullable=True),
)

user_account = Table(
    "user_account",
    metadata,
    _pk(),
    #: the login name; coder layers written by a coder carry the same name
    Column("name", String(200), nullable=False),
    Column("display_name", String(200), nullable=False),
    #: argon2 hash, for the web application's sign-in; null for command-line-only users
    Column("password_hash", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("name", name="uq_user_name"),
)

project_member = Table(
    "project_member",
    metadata,
    Column("project_id", Integer, ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    #: owner | coder | viewer (core.access.Role)
    Column("role", String(20), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("added_by", String(200), nullable=True),
)

user_token = Table(
    "user_token",
    metadata,
    _pk(),
    Column("user_id", Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
    #: session (a signed-in browser) | api (a bearer token for scripts) | invite (one use)
    Column("kind", String(20), nullable=False),
    #: SHA-256 of the secret; the secret itself is never stored
    Column("token_hash", String(64), nullable=False),
    Column("label", String(200), nullable=False, default="", server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("token_hash", name="uq_user_token_hash"),
    Index("ix_user_token_user", "user_id", "kind"),
)

login_failure = Table(
    "login_failure",
    metadata,
    _pk(),
    Column("user_name", String(200), nullable=False),
    Column("address", String(100), nullable=False, default="", server_default=""),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_login_failure_name", "user_name", "at"),
    Index("ix_login_failure_address", "address", "at"),
)

code_proposal = Table(
    "code_proposal",
    metadata,
    _pk(),
    _project_fk(),
    Column("name", String(300), nullable=False),
    Column("parent_path", Text, nullable=True),
    Column("definition", Text, nullable=False, default="", server_default=""),
    Column("origin", String(20), nullable=False, default="inductive", server_default="inductive"),
    #: the coding that prompted it, applied to the proposer's layer when it is accepted
    Column("document", String(500), nullable=True),
    Column("start", Integer, nullable=True),
    Column("end", Integer, nullable=True),
    Column("proposed_by", String(200), nullable=False),
    Column("proposed_at", DateTime(timezone=True), nullable=False),
    #: open | accepted | declined
    Column("status", String(20), nullable=False, default="open", server_default="open"),
    Column("decided_by", String(200), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("note", Text, nullable=False, default="", server_default=""),
    Index("ix_code_proposal_project", "project_id", "status"),
)

job = Table(
    "job",
    metadata,
    _pk(),
    _project_fk(),
    #: what runs: import | report | export | agreement ...
    Column("kind", String(50), nullable=False),
    Column("actor", String(200), nullable=False),
    #: queued | running | done | failed
    Column("status", String(20), nullable=False),
    Column("done", Integer, nullable=False, default=0, server_default="0"),
    Column("total", Integer, nullable=True),
    Column("message", Text, nullable=False, default="", server_default=""),
    #: a finished download (a report, an export) and its file name
    Column("result_name", String(300), nullable=True),
    Column("result", LargeBinary, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Index("ix_job_project", "project_id", "id"),
)

document_progress = Table(
    "document_progress",
    metadata,
    Column("document_id", Integer, ForeignKey("document.id", ondelete="CASCADE"), primary_key=True),
    #: the coder layer's name
    Column("coder", String(200), primary_key=True),
    #: started | done: a coder marks a document done, so an owner knows when to compare
    Column("status", String(20), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

ai_run = Table(
    "ai_run",
    metadata,
    _pk(),
    _project_fk(),
    #: suggest | clusters | draft
    Column("kind", String(20), nullable=False),
    #: the AI layer a suggest run writes (null for clusters and drafts)
    Column("coder_id", Integer, ForeignKey("coder.id", ondelete="CASCADE"), nullable=True),
    Column("backend", String(50), nullable=False),
    Column("model", String(200), nullable=False),
    #: what was asked for (unit, codes, documents, top, min score, learned-from layers, ...)
    Column("parameters", JSON, nullable=False),
    Column("actor", String(200), nullable=True),
    #: running | done | interrupted | failed
    Column("status", String(20), nullable=False),
    Column("done", Integer, nullable=False, default=0, server_default="0"),
    Column("total", Integer, nullable=True),
    #: what a clusters run proposed, a failed run's message, ...
    Column("result", JSON, nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Index("ix_ai_run_project", "project_id", "kind", "id"),
)

#: the documents a run has finished, so an interrupted run resumes where it stopped
ai_run_document = Table(
    "ai_run_document",
    metadata,
    Column("run_id", Integer, ForeignKey("ai_run.id", ondelete="CASCADE"), primary_key=True),
    Column("document_id", Integer, ForeignKey("document.id", ondelete="CASCADE"), primary_key=True),
    Column("suggestions", Integer, nullable=False, default=0, server_default="0"),
    Column("done_at", DateTime(timezone=True), nullable=False),
)

#: one AI suggestion: a coding in an ``ai`` layer plus its score and review state
suggestion = Table(
    "suggestion",
    metadata,
    _pk(),
    _project_fk(),
    Column("run_id", Integer, ForeignKey("ai_run.id", ondelete="CASCADE"), nullable=False),
    Column("coding_id", Integer, ForeignKey("coding.id", ondelete="CASCADE"), nullable=False),
    #: calibrated: the estimated probability that a human coder would apply the code here
    Column("score", Float, nullable=False),
    #: 1 = the unit's best code
    Column("rank", Integer, nullable=False, default=1, server_default="1"),
    #: why: the code label or team examples it was nearest to
    Column("evidence", JSON, nullable=True),
    #: open | accepted | rejected
    Column("status", String(20), nullable=False, default="open", server_default="open"),
    Column("reviewed_by", String(200), nullable=True),
    Column("reviewed_at", DateTime(timezone=True), nullable=True),
    #: the coding made in the reviewer's layer on acceptance
    Column("accepted_coding_id", Integer, nullable=True),
    UniqueConstraint("coding_id", name="uq_suggestion_coding"),
    Index("ix_suggestion_project", "project_id", "status"),
    Index("ix_suggestion_run", "run_id"),
)

#: text drafted by a language model (a matrix cell or theme summary); never the analyst's text
ai_draft = Table(
    "ai_draft",
    metadata,
    _pk(),
    _project_fk(),
    Column("run_id", Integer, ForeignKey("ai_run.id", ondelete="SET NULL"), nullable=True),
    #: matrix_cell | theme
    Column("target", String(20), nullable=False),
    #: {"matrix": ..., "row": ..., "column": ...} or {"theme": ...}
    Column("target_key", JSON, nullable=False),
    Column("text", Text, nullable=False),
    #: the coding ids the draft summarises (links to the excerpts)
    Column("excerpts", JSON, nullable=False),
    Column("backend", String(50), nullable=False),
    Column("model", String(200), nullable=False),
    Column("created_by", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    #: draft | adopted | discarded
    Column("status", String(20), nullable=False, default="draft", server_default="draft"),
    Column("decided_by", String(200), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Index("ix_ai_draft_project", "project_id", "target", "status"),
)

#: one audio file being transcribed: segments kept as they come, so an interrupted run resumes
transcript_run = Table(
    "transcript_run",
    metadata,
    _pk(),
    _project_fk(),
    Column("source_name", String(500), nullable=False),
    Column("source_sha256", String(64), nullable=False),
    Column("source_path", Text, nullable=True),
    Column("document_name", String(500), nullable=False),
    Column("model", String(100), nullable=False),
    Column("language", String(20), nullable=True),
    #: speakers, pause, device, compute type, VAD: what a resumed run must repeat
    Column("parameters", JSON, nullable=False),
    #: running | done | failed
    Column("status", String(20), nullable=False),
    #: seconds of audio
    Column("duration", Float, nullable=True),
    #: seconds of audio transcribed so far
    Column("done_seconds", Float, nullable=False, default=0.0, server_default="0"),
    #: [[start, end, text, speaker-or-null], ...] in order
    Column("segments", JSON, nullable=False),
    #: warnings and measures (real-time factor) of the finished run
    Column("result", JSON, nullable=True),
    Column("document_id", Integer, ForeignKey("document.id", ondelete="SET NULL"), nullable=True),
    Column("actor", String(200), nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Index("ix_transcript_run_source", "project_id", "source_sha256", "status"),
)

#: the de-identification key: each identifier and its placeholder, apart from the text; never
#: exported. ``term`` is the identifier itself, or its ciphertext when ``encrypted``;
#: ``term_hash`` finds it again without decrypting (a keyed hash when encrypted)
deid_term = Table(
    "deid_term",
    metadata,
    _pk(),
    _project_fk(),
    Column("entity_type", String(40), nullable=False),
    Column("term_hash", String(64), nullable=False),
    Column("term", Text, nullable=False),
    Column("encrypted", Boolean, nullable=False, default=False),
    #: this term's own placeholder (``[my boss]``); None: the entity type's numbered one
    Column("placeholder", String(200), nullable=True),
    #: the N of ``[person N]``, fixed once given so a placeholder means one person everywhere
    Column("number", Integer, nullable=False, default=0, server_default="0"),
    #: from the project's list of known names: searched for in every document
    Column("known", Boolean, nullable=False, default=False),
    Column("created_by", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("project_id", "entity_type", "term_hash", name="uq_deid_term"),
)

#: one proposed redaction, reviewed before the text changes
deid_proposal = Table(
    "deid_proposal",
    metadata,
    _pk(),
    _project_fk(),
    Column("document_id", Integer, ForeignKey("document.id", ondelete="CASCADE"), nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    #: the identifier as found; emptied once committed (the key keeps it)
    Column("text", Text, nullable=False),
    #: PERSON, LOCATION, ORGANIZATION, FACILITY, DATE_TIME, PHONE_NUMBER, EMAIL_ADDRESS, ...
    Column("entity_type", String(40), nullable=False),
    #: a reviewer's own placeholder for this occurrence; None: from the key
    Column("placeholder", String(200), nullable=True),
    Column("score", Float, nullable=False, default=1.0, server_default="1"),
    #: which recogniser found it, or "reviewer" for an addition made by hand
    Column("recogniser", String(100), nullable=False),
    #: proposed | accepted | rejected | committed
    Column("status", String(20), nullable=False, default="proposed", server_default="proposed"),
    Column("created_by", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(200), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Index("ix_deid_proposal_document", "document_id", "status"),
    Index("ix_deid_proposal_project", "project_id", "status"),
)
