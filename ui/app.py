"""The Tierwise web app: chat, data (admin), model quality and settings, behind a login.

A thin shell over `assistant.Assistant` and the loader: every handler finds the user's role
from the signed-in name on the server (never from the browser), calls the assistant or the
loader, and renders what comes back. `build_app()` makes the app without serving it;
`demo` (built on first use) is importable for `gradio ui/app.py` and tests; `serve()` runs it.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import gradio as gr
import pandas as pd
from starlette.middleware import Middleware

from assistant.answer import Answer
from assistant.conversation import Conversation
from assistant.core import MAX_QUESTION_CHARS
from tools.errors import TierwiseError
from tools.permissions import PermissionDenied, authorize_action
from tools.workspace import Workspace
from ui import render
from ui.auth import UserStore, users_for_host
from ui.login import LoginRules, SignIn
from ui.sessions import DownloadOwners, WebGuard, install, session_token
from ui.upload import (NO_COLUMN, StageProgress, attribute_rows, check_upload, chosen_mapping, column_choices,
                       contract_fields, describe_preview, field_label, max_upload_mb, parse_mapping_text,
                       preview_mapping, report_text, without_paths)

log = logging.getLogger(__name__)

CONCURRENCY = 4      # questions answered at once; more wait in the queue
QUEUE_SIZE = 32      # waiting requests beyond this get "busy, try again"

EXAMPLES: dict[str, list[str]] = {
    "marketer": ["Who is about to churn?", "Which high-value customers lapsed?", "Compare segments by value",
                 "Monthly revenue trend by channel", "Draft a win-back email for lapsed VIPs",
                 "Export the high-value customers at risk of churn", "哪些客户快要流失了？", "按细分群体比较客户价值",
                 "给流失风险高的高价值客户写一封挽回邮件"],
    "support": ["What tier is customer C000042?", "Look up customer C000123", "What should we offer C000042 next?",
                "客户 C000042 是什么等级？", "C000123 的流失风险有多高？"],
    "admin": ["What data is loaded?", "How good is the churn model?", "Who is about to churn?",
              "Compare segments by value", "哪些客户快要流失了？", "解释一下客户价值模型"],
}
MODELS_NOTICE = ("Model quality reports carry tier and segment sizes and expected revenue; they need a marketer "
                 "or admin account.")
CSS = """
.tw-status {font-size: 0.9em; opacity: 0.85}
.tw-table-wrap {max-height: 360px; overflow: auto}
table.tw-table {border-collapse: collapse; font-size: 0.85em; width: 100%}
table.tw-table caption {text-align: left; font-weight: 600; padding: 4px 0}
table.tw-table th {cursor: pointer; position: sticky; top: 0; background: var(--background-fill-secondary);
                   text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--border-color-primary)}
table.tw-table td {padding: 3px 8px; border-bottom: 1px solid var(--border-color-primary); white-space: nowrap}
table.tw-table td.num {text-align: right; font-variant-numeric: tabular-nums}
table.tw-table th[data-order=asc]::after {content: " ▲"}
table.tw-table th[data-order=desc]::after {content: " ▼"}
""" + Path(__file__).with_name("chat.css").read_text(encoding="utf-8")
# what the empty chat and the question box suggest, by role (support looks up one customer)
PLACEHOLDERS: dict[str, tuple[str, str]] = {
    "marketer": ("Ask about your customers — in English or 中文.", "e.g. Who is about to churn?  /  哪些客户快要流失了？"),
    "support": ("Look up one customer by id, email or name: tier, churn risk, value, last orders and what to "
                "offer next — in English or 中文.", "e.g. What tier is customer C000042?  /  客户 C000042 是什么等级？"),
    "admin": ("Ask about your customers, load data in the Data tab and check model quality in the Models tab.",
              "e.g. What data is loaded?  /  哪些客户快要流失了？"),
}


# --- state ---------------------------------------------------------------------------------

@dataclass
class ChatSession:
    """One browser session's chat: its own Conversation and what the chat shows."""
    user: str
    role: str
    conversation: Conversation
    messages: list[dict[str, Any]] = field(default_factory=list)
    last_answer: Answer | None = None
    last_files: list[str] = field(default_factory=list)
    last_seconds: float = 0.0
    token: str | None = None  # the sign-in this chat's downloads are served to
    # one question at a time per session: a second one would interleave with the first's messages
    busy: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)


class AppContext:
    """What the handlers share: the workspace, the assistant (made on first use) and the users."""

    def __init__(self, workspace: Workspace, users: UserStore | None, llm=None,
                 login_rules: LoginRules | None = None):
        self.workspace, self.users, self.llm = workspace, users, llm
        self.login_rules = login_rules or LoginRules()
        self.downloads = DownloadOwners()
        self.server = None  # Gradio's server app, once launched
        self._assistant = None
        self._lock = threading.Lock()
        self.admin_lock = threading.Lock()  # one load or rebuild at a time

    @property
    def assistant(self):
        with self._lock:
            if self._assistant is None:
                from assistant.core import Assistant

                self._assistant = Assistant(self.workspace, llm=self.llm)
            return self._assistant

    def set_llm(self, settings) -> None:
        """Switch every conversation to the LLM agent (settings) or the offline planner (None)."""
        with self._lock:
            self.llm = settings
            if self._assistant is not None:
                self._assistant.llm = settings

    @property
    def exports_dir(self) -> Path:
        path = self.workspace.home / "exports"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def identify(self, request: gr.Request | None) -> tuple[str, str]:
        """(user, role) of the signed-in user, from the server's user store."""
        user = getattr(request, "username", None) if request is not None else None
        role = self.users.role(user) if (self.users is not None and user) else None
        if not user or not role:
            raise gr.Error("Please sign in again: your session has no known user.", print_exception=False)
        return user, role

    def require(self, request: gr.Request | None, action: str) -> str:
        """The signed-in user's role, if it may do `action` (tools.permissions); else a refusal sentence."""
        _, role = self.identify(request)
        try:
            authorize_action(role, action)
        except PermissionDenied as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        return role

    def session_token(self, request: gr.Request | None) -> str | None:
        """The sign-in token of the request (the cookie Gradio set at login)."""
        if request is None or self.server is None:
            return None
        return session_token(dict(getattr(request, "cookies", None) or {}), self.server.cookie_id)

    @property
    def cache_dir(self) -> str | None:
        return getattr(self.server, "uploaded_file_dir", None)


class TierwiseApp(gr.Blocks):
    """gr.Blocks whose launch() always puts the Tierwise login in front and bounds the queue."""

    tierwise: AppContext

    def launch(self, **kwargs):  # type: ignore[override]
        if kwargs.get("auth") is not None:
            raise TierwiseError("Tierwise manages its own logins (TIERWISE_USERS or users.json); don't pass auth=.")
        host = kwargs.get("server_name") or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
        # a share link is public whatever the bind address, so it needs real users too
        ctx = self.tierwise
        store, message = users_for_host("0.0.0.0" if kwargs.get("share") else host, ctx.users)
        ctx.users = store
        if message:
            print(message, flush=True)
        rules = ctx.login_rules
        kwargs["auth"] = SignIn(store, rules).verify
        kwargs.setdefault("auth_message", f"Sign in to Tierwise. Ask your Tierwise admin for an account. After "
                                          f"{rules.account_failures} failed attempts an account waits "
                                          f"{rules.lockout_seconds / 60:.0f} minutes.")
        app_kwargs = dict(kwargs.get("app_kwargs") or {})
        app_kwargs["middleware"] = [*app_kwargs.get("middleware", []),
                                    Middleware(WebGuard, users=lambda: ctx.users, downloads=ctx.downloads,
                                               cache_dir=lambda: ctx.cache_dir, max_upload_mb=max_upload_mb)]
        kwargs["app_kwargs"] = app_kwargs
        # runs saved in the browser would keep customer data in local storage
        kwargs.setdefault("run_history", False)
        kwargs.setdefault("footer_links", ["api", "settings"])
        kwargs.setdefault("max_file_size", f"{max_upload_mb()}mb")
        kwargs.setdefault("ssr_mode", False)
        kwargs.setdefault("css", CSS)
        # system fonts: the default theme fetches web fonts, which an offline install can't reach
        kwargs.setdefault("theme", gr.themes.Soft(font=("ui-sans-serif", "system-ui", "sans-serif"),
                                                  font_mono=("ui-monospace", "monospace")))
        # serve first, then put Tierwise's session table in place before blocking (as Gradio would)
        block = not kwargs.get("prevent_thread_lock") and not bool(getattr(sys, "ps1", sys.flags.interactive))
        kwargs["prevent_thread_lock"] = True
        launched = super().launch(**kwargs)
        install(self.server_app, store)
        ctx.server = self.server_app
        if block:
            self.block_thread()
        return launched


# --- chat ----------------------------------------------------------------------------------

def _session(ctx: AppContext, session: ChatSession | None, request: gr.Request | None) -> ChatSession:
    user, role = ctx.identify(request)
    if session is None or session.user != user or session.role != role:
        session = ChatSession(user=user, role=role, conversation=Conversation(role=role, user=user))
    session.token = ctx.session_token(request)
    return session


def role_may(role: str, action: str) -> bool:
    try:
        authorize_action(role, action)
        return True
    except PermissionDenied:
        return False


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _shop_currency(ctx: AppContext) -> str | None:
    """The currency money is shown in (Settings tab, `tierwise settings --currency`); none: plain numbers."""
    from tools.settings import read_settings

    try:
        return read_settings(ctx.workspace.home).get("currency")
    except TierwiseError:
        return None


def answer_stream(ctx: AppContext, question: str, session: ChatSession) -> Iterator[list[dict[str, Any]]]:
    """Ask the assistant in a worker thread; yield the chat messages as tool steps and text arrive."""
    # the whole question goes to the assistant, which refuses one over MAX_QUESTION_CHARS with a sentence naming
    # the limit (a question cut short here would be answered as if it were the whole one); the chat shows its start
    question = question.strip()
    shown = question if len(question) <= MAX_QUESTION_CHARS else question[:MAX_QUESTION_CHARS].rstrip() + " …"
    session.messages.append({"role": "user", "content": render.escape_text(shown)})
    base = list(session.messages)
    events: queue.Queue = queue.Queue()
    outcome: dict[str, Any] = {}
    started = last = time.monotonic()

    def work() -> None:
        try:
            outcome["answer"] = ctx.assistant.ask(question, session.conversation,
                                                  on_event=lambda kind, payload: events.put((kind, payload)))
        except Exception as exc:  # a bug must reach the user as a sentence, not a stack trace
            log.exception("answering %r failed", question)
            outcome["error"] = exc
        finally:
            events.put(("done", None))

    threading.Thread(target=work, name="tierwise-answer", daemon=True).start()
    steps: list[dict[str, Any]] = []
    notices: list[dict[str, Any]] = []
    text = ""
    pending = render.pending_step("正在分析…" if _is_chinese(question) else "Working on it…")
    yield base + [pending]
    while True:
        kind, payload = events.get()
        now = time.monotonic()
        if kind == "done":
            break
        if kind == "tool":
            steps.append(render.tool_step(payload, index=len(steps), seconds=now - last,
                                          language="zh" if _is_chinese(question) else "en"))
        elif kind == "token":
            text += str(payload)
        elif kind == "notice":
            notices.append({"role": "assistant", "content": f"ℹ️ {render.escape_text(payload)}"})
        last = now
        yield base + steps + notices + ([render.text_message(text)] if text else [pending])

    session.last_seconds = round(time.monotonic() - started, 3)
    if "error" in outcome:
        err = outcome["error"]
        sentence = str(err) if isinstance(err, TierwiseError) else (
            f"Sorry, something went wrong while answering ({type(err).__name__}). Your data is unchanged; "
            "try rephrasing the question.")
        session.messages = base + steps + [{"role": "assistant", "content": f"⚠️ {render.escape_text(sentence)}"}]
        session.last_answer, session.last_files = None, []
        yield session.messages
        return
    answer: Answer = outcome["answer"]
    if answer.notice and not notices:
        notices.append({"role": "assistant", "content": f"ℹ️ {render.escape_text(answer.notice)}"})
    extras = render.answer_extras(answer, role=session.role, exports_dir=ctx.exports_dir,
                                  currency=_shop_currency(ctx), steps_shown=bool(steps))
    session.messages = base + steps + notices + render.answer_messages(answer, steps_shown=bool(steps)) + extras
    session.last_answer = answer
    session.last_files = [m["content"]["path"] for m in extras
                          if isinstance(m.get("content"), dict) and "path" in m["content"]]
    for path in session.last_files:  # served to this sign-in only, whoever else learns the link
        ctx.downloads.register(path, session.token)
    yield session.messages


# --- page sections -------------------------------------------------------------------------

def _status_markdown(ctx: AppContext) -> str:
    from tools.store import dataset_status

    try:
        s = dataset_status(ctx.workspace)
    except TierwiseError as exc:
        return f"Data in service: unavailable ({render.escape_text(exc)})"
    if not s.get("loaded"):
        return "No dataset is loaded yet."
    source = Path(str(s.get("source") or "?")).name
    return (f"**In service:** {s['customers']:,} customers, {s['orders']:,} orders, "
            f"{render.escape_text(s['date_min'])} to {render.escape_text(s['date_max'])} "
            f"(as of {render.escape_text(s.get('as_of'))}), from {render.escape_text(source)}, "
            f"loaded {render.escape_text(s.get('loaded_at'))}.")


def _planner_status(ctx: AppContext) -> str:
    llm = ctx.llm
    key = "set" if os.environ.get("OPENAI_API_KEY") else "not set"
    if llm is None:
        return f"Planner: **offline** (deterministic, no network). `OPENAI_API_KEY` in the environment: {key}."
    return (f"Planner: **LLM** {render.escape_text(llm.model)} at {render.escape_text(llm.endpoint)}; the offline "
            f"planner answers if it fails. `OPENAI_API_KEY` in the environment: {key}.")


def _llm_from_form(mode: str, url: str, model: str):
    if mode != "llm":
        return None
    from assistant.llm import LLMSettings

    key = os.environ.get("OPENAI_API_KEY") or None
    url = (url or "").strip() or None
    if not key and not url:
        raise TierwiseError("An OpenAI-compatible endpoint needs a URL (for Ollama or vLLM) or OPENAI_API_KEY "
                            "in the server's environment (for OpenAI).")
    if url and not url.startswith(("http://", "https://")):
        raise TierwiseError(f"The endpoint URL must start with http:// or https://; got '{url}'.")
    return LLMSettings(base_url=url, api_key=key, model=(model or "").strip() or "gpt-4o-mini")


# --- the app -------------------------------------------------------------------------------

def _as_store(users: UserStore | dict | str | Path | None) -> UserStore | None:
    if users is None or isinstance(users, UserStore):
        return users
    if isinstance(users, dict):
        return UserStore.from_passwords(users)
    return UserStore.from_file(users)


def build_app(workspace: Workspace | str | Path | None = None,
              users: UserStore | dict[str, tuple[str, str]] | str | Path | None = None,
              *, llm=None, login_rules: LoginRules | None = None) -> TierwiseApp:
    """The whole web app, not yet serving. `users`: a UserStore, {name: (role, password)} or a users file;
    None reads TIERWISE_USERS_INLINE / TIERWISE_USERS / $TIERWISE_HOME/users.json at launch."""
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    ctx = AppContext(ws, _as_store(users), llm=llm, login_rules=login_rules)

    # downloads live in Gradio's cache; drop them after a day
    with TierwiseApp(title="Tierwise", fill_width=True, analytics_enabled=False, delete_cache=(3600, 86400)) as app:
        app.tierwise = ctx
        session = gr.State(None)
        header = gr.Markdown("# Tierwise")
        role_marker = gr.HTML("", elem_id="tw-role-marker", padding=False)  # ui/chat.css hides tabs by role

        with gr.Tabs():
            # -- chat ------------------------------------------------------------------------
            with gr.Tab("Chat", id="chat"):
                chatbot = gr.Chatbot(label="Tierwise", show_label=False, autoscroll=False, height=620,
                                     sanitize_html=True, render_markdown=True,
                                     latex_delimiters=[], buttons=[], group_consecutive_messages=False,
                                     feedback_options=None, elem_id="tw-chat",
                                     placeholder="Ask about your customers — in English or 中文.")
                with gr.Row(elem_id="tw-ask-row"):  # pinned to the bottom on a phone (ui/chat.css)
                    question = gr.Textbox(show_label=False, placeholder="e.g. Who is about to churn?  /  哪些客户快要流失了？",
                                          scale=8, max_lines=4, elem_id="tw-question", autofocus=True)
                    ask_btn = gr.Button("Ask", variant="primary", scale=1, elem_id="tw-ask")
                    new_btn = gr.Button("New chat", scale=1, elem_id="tw-new-chat")
                examples = gr.Dataset(components=[gr.Textbox(visible=False)], samples=[[q] for q in EXAMPLES["marketer"]],
                                      label="Try asking", type="index", samples_per_page=12, elem_id="tw-examples")
                last_json = gr.JSON(visible=False)
                last_files = gr.File(visible=False, file_count="multiple")

            # -- data (admin) ----------------------------------------------------------------
            with gr.Tab("Data", id="data", elem_id="tw-tab-data"):
                data_notice = gr.Markdown("Loading and replacing data needs an admin account.")
                with gr.Column(visible=False) as data_panel:
                    data_status = gr.Markdown(elem_classes=["tw-status"])
                    with gr.Row():
                        tx_file = gr.File(label=f"Transactions (CSV, Parquet or Excel; up to {max_upload_mb()} MB)",
                                          type="filepath", file_types=[".csv", ".txt", ".tsv", ".parquet", ".xlsx", ".xls"],
                                          elem_id="tw-upload")
                        cust_file = gr.File(label="Customers (optional)", type="filepath",
                                            file_types=[".csv", ".txt", ".tsv", ".parquet", ".xlsx", ".xls"])
                    detect_btn = gr.Button("1. Detect columns", elem_id="tw-detect")
                    detected = gr.Textbox(label="What Tierwise detected", lines=6, interactive=False)
                    # one dropdown per contract field: the detected column preselected, sample values beside
                    # each column; what they say goes to the loader as mapping lines (hidden; the API's input)
                    field_boxes, field_menus = {}, {}
                    for kind, title in (("transactions", "Transactions: which column holds each field"),
                                        ("customers", "Customers file: which column holds each field")):
                        with gr.Group(visible=False, elem_id=f"tw-fields-{kind}") as field_boxes[kind]:
                            gr.Markdown(f"**{title}** — the detected column is chosen; choose another to override.",
                                        padding=True)
                            with gr.Row(equal_height=True):
                                field_menus[kind] = [
                                    gr.Dropdown(label=field_label(f, required), choices=[], value=None, min_width=240,
                                                interactive=True, elem_id=f"tw-map-{kind}-{f}", elem_classes=["tw-map"])
                                    for f, required in contract_fields(kind)]
                    tx_mapping = gr.Textbox(visible=False, elem_id="tw-mapping")
                    cust_mapping = gr.Textbox(visible=False)
                    attributes_df = gr.Dataframe(headers=["Column", "Type", "Per", "Sample values"], visible=False,
                                                 label="Every other column, kept as an attribute", interactive=False,
                                                 buttons=[], elem_id="tw-attributes")
                    preview = gr.Dataframe(label="First rows of the file", interactive=False, max_height=240, buttons=[])
                    with gr.Row():
                        load_btn = gr.Button("2. Load and build models", variant="primary", elem_id="tw-load")
                        rebuild_btn = gr.Button("Rebuild models", elem_id="tw-rebuild")
                        # new orders for the data in service: scores refreshed, models kept (tierwise append)
                        append_btn = gr.Button("Append as new orders", elem_id="tw-append")
                    report = gr.Textbox(label="Load report", lines=16, interactive=False, elem_id="tw-report")

            # -- models ----------------------------------------------------------------------
            with gr.Tab("Models", id="models", elem_id="tw-tab-models") as models_tab:
                models_notice = gr.Markdown(MODELS_NOTICE, visible=False, elem_id="tw-models-notice")
                with gr.Column() as models_panel:
                    refresh_btn = gr.Button("Refresh", size="sm")
                    # each model's verdict in words first, then its figures; the charts below
                    cards_md = gr.HTML("Open this tab to see the model cards.", elem_id="tw-model-cards")
                    churn_df = gr.Dataframe(label="Churn model vs baselines (held-out customers)", interactive=False,
                                            buttons=[])
                    with gr.Row():
                        tier_plot = gr.Plot(label="Value tiers")
                        segment_plot = gr.Plot(label="RFM segments")
                    with gr.Row():
                        persona_plot = gr.Plot(label="Persona map")
                        clv_plot = gr.Plot(label="CLV distribution")

            # -- settings --------------------------------------------------------------------
            with gr.Tab("Settings", id="settings", elem_id="tw-tab-settings"):
                planner_line = gr.Markdown(elem_classes=["tw-status"])
                mode = gr.Radio([("Offline planner (no network)", "offline"), ("OpenAI-compatible endpoint", "llm")],
                                value="offline", label="Planner", interactive=False)
                llm_url = gr.Textbox(label="Endpoint URL (blank = api.openai.com)", interactive=False,
                                     value=os.environ.get("OPENAI_BASE_URL", ""))
                llm_model = gr.Textbox(label="Model", interactive=False,
                                       value=os.environ.get("TIERWISE_MODEL", "gpt-4o-mini"))
                gr.Markdown("The API key is read from `OPENAI_API_KEY` in the server's environment, never typed here. "
                            "Customer names and emails are never sent to the model.")
                with gr.Row():
                    save_btn = gr.Button("Save", visible=False)
                    check_btn = gr.Button("Check connection", visible=False)
                connection = gr.Markdown(elem_id="tw-connection")
                gr.Markdown("### Your shop\nThe brand name signs campaign copy (none: copy signs off neutrally); "
                            "campaign ROI is computed on the gross margin.")
                with gr.Row():
                    shop_brand = gr.Textbox(label="Brand name", interactive=False)
                    shop_currency = gr.Textbox(label="Currency (USD, EUR, ¥, …)", interactive=False)
                    shop_margin = gr.Textbox(label="Gross margin (e.g. 40%)", interactive=False)
                shop_save = gr.Button("Save shop settings", visible=False)
                shop_note = gr.Markdown(elem_id="tw-shop-note")

        # --- handlers -------------------------------------------------------------------------

        def on_load(request: gr.Request):
            user, role = ctx.identify(request)
            admin = role == "admin"
            llm = ctx.llm
            return (
                f"# Tierwise\nSigned in as **{render.escape_text(user)}** ({role}) · [Log out](logout)",
                gr.Dataset(samples=[[q] for q in EXAMPLES.get(role, [])]),
                gr.update(visible=not admin, value="Loading and replacing data needs an admin account."
                          if not admin else ""),
                gr.update(visible=admin),
                _status_markdown(ctx) if admin else "",
                _planner_status(ctx),
                gr.update(interactive=admin, value="llm" if llm else "offline"),
                gr.update(interactive=admin, value=(llm.base_url or "") if llm else os.environ.get("OPENAI_BASE_URL", "")),
                gr.update(interactive=admin, value=llm.model if llm else os.environ.get("TIERWISE_MODEL", "gpt-4o-mini")),
                gr.update(visible=admin), gr.update(visible=admin),
                None if admin else "Only an admin can change the planner.",
            )

        app.load(on_load, None, [header, examples, data_notice, data_panel, data_status, planner_line, mode,
                                 llm_url, llm_model, save_btn, check_btn, connection], api_visibility="private")

        def role_view(request: gr.Request):
            """What the chat suggests to this role, and which tabs it sees (support: the chat only)."""
            _, role = ctx.identify(request)
            chat_hint, question_hint = PLACEHOLDERS.get(role, PLACEHOLDERS["marketer"])
            marker = f'<span data-role="{render.escape_text(role)}"></span>'
            return marker, gr.update(placeholder=chat_hint), gr.update(placeholder=question_hint)

        app.load(role_view, None, [role_marker, chatbot, question], api_visibility="private")
        app.load(None, None, None, js=render.PIN_QUESTION_JS)

        def one_at_a_time(state: ChatSession):
            if not state.busy.acquire(blocking=False):
                raise gr.Error("Still answering your previous question; ask again when it is done.",
                               print_exception=False)

        def chat(text: str, state: ChatSession | None, request: gr.Request):
            state = _session(ctx, state, request)
            if not (text or "").strip():
                yield state.messages, "", state
                return
            one_at_a_time(state)
            try:
                for messages in answer_stream(ctx, text, state):
                    yield messages, "", state
            finally:
                state.busy.release()

        def ask(text: str, state: ChatSession | None, request: gr.Request):
            """Ask one question; returns the answer as JSON and its downloadable files (API clients)."""
            state = _session(ctx, state, request)
            if not (text or "").strip():
                raise gr.Error("Ask a question, e.g. “Who is about to churn?”", print_exception=False)
            one_at_a_time(state)
            try:
                for _ in answer_stream(ctx, text, state):
                    pass
            finally:
                state.busy.release()
            if state.last_answer is None:
                message = state.messages[-1]["content"] if state.messages else "No answer."
                return {"error": message, "role": state.role}, None, state
            data = render.answer_summary(state.last_answer, role=state.role, files=state.last_files)
            data["seconds"] = state.last_seconds
            return data, (state.last_files or None), state

        def new_chat(state: ChatSession | None, request: gr.Request):
            user, role = ctx.identify(request)
            fresh = ChatSession(user=user, role=role, conversation=Conversation(role=role, user=user))
            return [], "", fresh

        def pick_example(index: int | None, request: gr.Request):
            _, role = ctx.identify(request)
            options = EXAMPLES.get(role, [])
            return options[index] if index is not None and 0 <= index < len(options) else ""

        chat_outputs = [chatbot, question, session]
        ask_btn.click(chat, [question, session], chat_outputs, api_name="chat")
        question.submit(chat, [question, session], chat_outputs, api_visibility="private")
        examples.click(pick_example, examples, question, api_visibility="private").then(
            chat, [question, session], chat_outputs, api_visibility="private")

        def choose(state: ChatSession | None, request: gr.Request, evt: gr.SelectData):
            """A clarifying question's button: its number is the next question, as if typed."""
            yield from chat(str(evt.value), state, request)

        chatbot.option_select(choose, session, chat_outputs, api_visibility="private")
        new_btn.click(new_chat, session, [chatbot, question, session], api_name="new_chat")
        chatbot.clear(new_chat, session, [chatbot, question, session], api_visibility="private")
        ask_event = gr.Button(visible=False)  # an API-only endpoint: the answer as JSON plus its files
        ask_event.click(ask, [question, session], [last_json, last_files, session], api_name="ask")

        # -- data handlers ---------------------------------------------------------------------

        def field_updates(kind: str, found: dict | None) -> tuple[list, list, str]:
            """The box and the dropdowns of a file's fields: each offers the file's columns with their sample
            values, the detected one chosen ('(none)' for an optional field not found); and the mapping lines."""
            if found is None:
                return [gr.update(visible=False)], [gr.update(choices=[], value=None) for _ in field_menus[kind]], ""
            values = [found["mapping"].get(f) or (None if required else NO_COLUMN) for f, required in contract_fields(kind)]
            menus = [gr.update(choices=column_choices(found, required=required), value=value)
                     for (_, required), value in zip(contract_fields(kind), values)]
            return [gr.update(visible=True)], menus, chosen_mapping(kind, values)

        def detect(tx, cust, request: gr.Request):
            """Preview the upload: detected format, a dropdown per field with the detected column chosen, the
            other columns kept as attributes, the first rows; nothing is loaded."""
            ctx.require(request, "load_data")
            found = cust_found = None
            try:
                tx_path = check_upload(tx)
                found = preview_mapping(tx_path, "transactions")
                text = describe_preview(found)
                cust_path = check_upload(cust, what="customers file", required=False)
                if cust_path is not None:
                    cust_found = preview_mapping(cust_path, "customers")
                    text += "\n\nCustomers file:\n" + describe_preview(cust_found)
            except TierwiseError as exc:
                text = without_paths(f"Could not read the upload: {exc}", tx, cust)
                found = cust_found = None
            tx_box, tx_menus, tx_text = field_updates("transactions", found)
            cust_box, cust_menus, cust_text = field_updates("customers", cust_found)
            rows = attribute_rows(found or {}) + attribute_rows(cust_found or {})
            attrs = gr.update(value=pd.DataFrame(rows, columns=["Column", "Type", "Per", "Sample values"]),
                              visible=bool(rows))
            head = pd.DataFrame(found["preview"], columns=[str(c) for c in found["columns"]]) \
                if found and found["preview"] else None
            return (text, tx_text, cust_text, head, attrs, *tx_box, *cust_box, *tx_menus, *cust_menus)

        def load(tx, cust, tx_map, cust_map, request: gr.Request, progress=gr.Progress()):
            """Load the uploaded files with the (edited) mapping and build the models; a failure changes nothing."""
            from tools.loading import load_dataset

            ctx.require(request, "load_data")
            if not ctx.admin_lock.acquire(blocking=False):
                return "Another load or rebuild is running; wait for it to finish and try again.", _status_markdown(ctx)
            try:
                tx_path = check_upload(tx)
                cust_path = check_upload(cust, what="customers file", required=False)
                mapping = parse_mapping_text(tx_map, "transactions")
                cust_mapping = parse_mapping_text(cust_map, "customers") if cust_path else None
                progress(0.0, desc="starting")
                result = load_dataset(ctx.workspace, tx_path, customers=cust_path, mapping=mapping or None,
                                      customer_mapping=cust_mapping or None,
                                      progress=StageProgress(lambda v, d: progress(v, desc=d)))
                return "Loaded. The new data is in service.\n\n" + report_text(result), _status_markdown(ctx)
            except TierwiseError as exc:
                return (without_paths(f"Load failed: {exc}", tx, cust) + "\n\nNothing was changed: the data loaded "
                        "before is still in service.", _status_markdown(ctx))
            except Exception as exc:  # a bug: still a sentence, still nothing changed
                log.exception("load failed")
                return (f"Load failed unexpectedly ({type(exc).__name__}). Nothing was changed: the data loaded "
                        "before is still in service.", _status_markdown(ctx))
            finally:
                ctx.admin_lock.release()

        def rebuild_models(request: gr.Request, progress=gr.Progress()):
            """Recompute features and every model on the data in service."""
            from tools.loading import rebuild

            ctx.require(request, "rebuild_models")
            if not ctx.admin_lock.acquire(blocking=False):
                return "Another load or rebuild is running; wait for it to finish and try again.", _status_markdown(ctx)
            try:
                progress(0.0, desc="starting")
                result = rebuild(ctx.workspace, progress=StageProgress(lambda v, d: progress(v, desc=d),
                                                                       start_phase="features"))
                lines = [f"Rebuilt as of {result['as_of']} in {result['timings']['total_seconds']:.1f} s."]
                for name, status in (result.get("models", {}).get("status") or {}).items():
                    lines.append(f"  {name:<16} " + (f"built in {status.get('seconds', 0):.1f} s" if status.get("available")
                                                    else f"not built: {status.get('reason')}"))
                return "\n".join(lines), _status_markdown(ctx)
            except TierwiseError as exc:
                return f"Rebuild failed: {exc}\n\nThe models in service are unchanged.", _status_markdown(ctx)
            except Exception as exc:
                log.exception("rebuild failed")
                return (f"Rebuild failed unexpectedly ({type(exc).__name__}). The models in service are unchanged.",
                        _status_markdown(ctx))
            finally:
                ctx.admin_lock.release()

        def append(tx, cust, request: gr.Request, progress=gr.Progress()):
            """Add the uploaded file's new orders to the data in service with its mapping; a bad file changes nothing."""
            from assistant.cli import format_append_report
            from tools.refresh import append_orders

            ctx.require(request, "load_data")
            if not ctx.admin_lock.acquire(blocking=False):
                return "Another load or rebuild is running; wait for it to finish and try again.", _status_markdown(ctx)
            try:
                tx_path = check_upload(tx)
                cust_path = check_upload(cust, what="customers file", required=False)
                progress(0.0, desc="starting")
                result = append_orders(ctx.workspace, tx_path, customers=cust_path,
                                       progress=lambda stage, fraction=None: progress(fraction or 0.0, desc=stage))
                return format_append_report(result), _status_markdown(ctx)
            except TierwiseError as exc:
                return f"Append failed: {exc}", _status_markdown(ctx)
            except Exception as exc:  # a bug: still a sentence, still nothing changed
                log.exception("append failed")
                return (f"Append failed unexpectedly ({type(exc).__name__}). Nothing was changed: the data in service "
                        "is as it was.", _status_markdown(ctx))
            finally:
                ctx.admin_lock.release()

        detection = [detected, tx_mapping, cust_mapping, preview, attributes_df, field_boxes["transactions"],
                     field_boxes["customers"], *field_menus["transactions"], *field_menus["customers"]]

        def forget_detection():
            tx_box, tx_menus, _ = field_updates("transactions", None)
            cust_box, cust_menus, _ = field_updates("customers", None)
            return ("", "", "", None, gr.update(value=None, visible=False), *tx_box, *cust_box, *tx_menus, *cust_menus)

        # a new file must be detected again; a stale mapping would silently apply to it
        tx_file.change(forget_detection, None, detection, api_visibility="private")
        cust_file.change(forget_detection, None, detection, api_visibility="private")
        detect_btn.click(detect, [tx_file, cust_file], detection, api_name="preview_upload", concurrency_limit=2)
        # what the admin chooses in a dropdown becomes the mapping the load uses
        for kind, hidden in (("transactions", tx_mapping), ("customers", cust_mapping)):
            for menu in field_menus[kind]:
                menu.input(lambda *values, kind=kind: chosen_mapping(kind, list(values)), field_menus[kind], hidden,
                           api_visibility="private")
        load_btn.click(load, [tx_file, cust_file, tx_mapping, cust_mapping], [report, data_status],
                       api_name="load_data", concurrency_limit=1, concurrency_id="admin-data")
        rebuild_btn.click(rebuild_models, None, [report, data_status], api_name="rebuild_models",
                          concurrency_limit=1, concurrency_id="admin-data")
        append_btn.click(append, [tx_file, cust_file], [report, data_status], api_name="append_data",
                         concurrency_limit=1, concurrency_id="admin-data")

        # -- models ------------------------------------------------------------------------------

        def show_models(request: gr.Request):
            """The model cards of the data in service, with tier, segment, persona, churn and CLV views."""
            from ui.model_page import model_page, text

            ctx.require(request, "view_models")  # tier and segment sizes, totals: not for support
            try:
                page = model_page(ctx.assistant.dataset.snapshot(), currency=_shop_currency(ctx))
            except TierwiseError as exc:
                return f'<p class="tw-status">{text(exc)}</p>', None, None, None, None, None
            return page["markdown"], page["tiers"], page["segments"], page["personas"], page["clv"], page["churn"]

        def open_models_tab(request: gr.Request):
            """Opening the tab: the cards for who may see them; the tab's sentence already tells the others."""
            _, role = ctx.identify(request)
            if not role_may(role, "view_models"):
                return tuple(gr.update() for _ in model_outputs)
            return show_models(request)

        def models_tab_for(request: gr.Request):
            _, role = ctx.identify(request)
            allowed = role_may(role, "view_models")
            return gr.update(visible=not allowed), gr.update(visible=allowed)

        model_outputs = [cards_md, tier_plot, segment_plot, persona_plot, clv_plot, churn_df]
        models_tab.select(open_models_tab, None, model_outputs, api_visibility="private")
        refresh_btn.click(show_models, None, model_outputs, api_name="model_cards")
        # Gradio can't hide a tab after the page is built; its content gives way to a sentence instead
        app.load(models_tab_for, None, [models_notice, models_panel], api_visibility="private")

        # -- settings ----------------------------------------------------------------------------

        def require_settings_admin(request: gr.Request | None) -> None:
            _, role = ctx.identify(request)
            if role != "admin":
                raise gr.Error(f"Sorry, your {role} account can't change the planner; ask an admin.",
                               print_exception=False)

        def save_settings(mode_value: str, url: str, model: str, request: gr.Request):
            require_settings_admin(request)
            try:
                settings = _llm_from_form(mode_value, url, model)
            except TierwiseError as exc:
                return _planner_status(ctx), f"Not saved: {render.escape_text(exc)}"
            ctx.set_llm(settings)
            return _planner_status(ctx), "Saved." + (" Use **Check connection** to test it." if settings else "")

        def check_llm(mode_value: str, url: str, model: str, request: gr.Request):
            require_settings_admin(request)
            if mode_value != "llm":
                return "The offline planner needs no connection: ✅ ready."
            try:
                settings = _llm_from_form(mode_value, url, model)
                from assistant.llm import check_connection

                ok, sentence = check_connection(settings)
            except TierwiseError as exc:
                ok, sentence = False, str(exc)
            except ImportError as exc:
                ok, sentence = False, f"The LLM client is not installed ({exc.name})."
            return f"{'✅' if ok else '❌'} {render.escape_text(sentence)}"

        save_btn.click(save_settings, [mode, llm_url, llm_model], [planner_line, connection], api_name="save_settings")

        def show_shop(request: gr.Request):
            from tools.settings import read_settings

            _, role = ctx.identify(request)
            admin, current = role == "admin", read_settings(ctx.workspace.home)
            return (gr.update(value=current.get("brand") or "", interactive=admin),
                    gr.update(value=current.get("currency") or "", interactive=admin),
                    gr.update(value=f"{float(current['margin']):.0%}", interactive=admin), gr.update(visible=admin))

        def save_shop(brand: str, currency: str, margin: str, request: gr.Request):
            from tools.settings import write_settings

            _, role = ctx.identify(request)
            if role != "admin":
                raise gr.Error(f"Sorry, your {role} account can't change the shop settings; ask an admin.",
                               print_exception=False)
            try:
                saved = write_settings(ctx.workspace.home, brand=brand, currency=currency, margin=margin)
            except TierwiseError as exc:
                return f"Not saved: {render.escape_text(exc)}"
            return (f"Saved: brand {render.escape_text(saved['brand'] or '(none)')}, currency "
                    f"{render.escape_text(saved['currency'] or '(none)')}, margin {float(saved['margin']):.0%}.")

        app.load(show_shop, None, [shop_brand, shop_currency, shop_margin, shop_save], api_visibility="private")
        shop_save.click(save_shop, [shop_brand, shop_currency, shop_margin], shop_note, api_name="save_shop_settings")
        check_btn.click(check_llm, [mode, llm_url, llm_model], connection, api_name="check_connection")

    app.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    return app


# --- module-level app and serving ------------------------------------------------------------

_demo: TierwiseApp | None = None
_demo_lock = threading.Lock()


def get_demo() -> TierwiseApp:
    """The app for the default workspace, built on first use (importing this module stays cheap)."""
    global _demo
    with _demo_lock:
        if _demo is None:
            _demo = build_app()
        return _demo


def __getattr__(name: str):
    if name == "demo":
        return get_demo()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def start(app: TierwiseApp, host: str = "127.0.0.1", port: int | None = None, **launch_options) -> str:
    """Serve in a background thread (tests, notebooks) and return the URL; stop with app.close()."""
    port = port or free_port(host)
    launch_options.setdefault("quiet", True)
    app.launch(server_name=host, server_port=port, prevent_thread_lock=True, **launch_options)
    return f"http://{host}:{port}/"


def serve(host: str = "127.0.0.1", port: int = 7860, *, workspace: Workspace | str | Path | None = None,
          users: UserStore | dict | str | Path | None = None, llm=None, **launch_options) -> None:
    """Serve the app until interrupted. Refuses a non-loopback host when no users are configured."""
    app = build_app(workspace, users, llm=llm)
    app.launch(server_name=host, server_port=port, **launch_options)


if __name__ == "__main__":
    serve(os.environ.get("TIERWISE_HOST", "127.0.0.1"), int(os.environ.get("TIERWISE_PORT", "7860")))
