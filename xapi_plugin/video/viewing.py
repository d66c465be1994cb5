"""The viewing state machine: one player observation in, the statements it calls for out. Pure.

:class:`Viewing` is a plain copy of a ``VideoViewingState`` row (``state.py`` loads and saves
it); :func:`step` applies one :class:`Observation` to it in place and returns
:class:`VideoIntent` records, from which ``statements/video.py`` builds the statements.

Rules (README, section "Video"):

* A *session* belongs to one page (``page_key``): opened by ``load`` (a new page load), by the
  first event of a page, or by an event after :data:`INACTIVITY` without one; closed with
  ``terminated`` by ``ended``/``unload``, by the page's next ``load``, or when it was idle
  longer than :data:`INACTIVITY` (at its last event's time: by the learner's next event, or by
  :func:`close_idle_sessions`, run periodically). Its id is the id of its ``initialized``
  statement, shaped as a version 4 UUID.
* ``initialized`` needs the video's length (the profile requires it): a session whose length
  is not known yet sends nothing; its ``initialized`` (dated at the session's start) goes out
  with the first event that brings the length, followed by that event's own statement.
* A segment opens on ``play`` and closes on ``pause``, ``ended``, ``unload``, or a ``seek``
  (at ``time_from``, reopening at ``time_to``). ``position`` observations (live playback)
  extend the open segment. Times are clamped to ``0..length``; a segment never runs backwards.
* Beacons and completion are computed on every stretch of playback, dated by interpolating the
  stretch's wall-clock times, so they read as if the player had sent them on time.
* ``completed`` goes out once per registration, when progress reaches the threshold by
  watching; the platform's own ``complete`` observation never completes anything by itself.
* Every statement is one of the Video Profile's templates (docs/video.md, "Player events and
  the profile"): captions shown/hidden (``interact``) give the closed-captioning ``interacted``;
  a player setting the profile has no template for (``setting``: speed, caption language) only
  changes the page's player state, which later statements of the session carry in context.
"""

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from xapi_plugin.statements import deterministic_uuid4_shaped, statement_id
from xapi_plugin.statements import vocabulary as v
from xapi_plugin.video import progress as p

# A page idle for longer than this has closed its session; its next event opens a new one.
INACTIVITY = timedelta(minutes=30)
#: Observations older than the state's last event by more than this were applied already (a log
#: replayed again) or are too stale to place: they change nothing. Shorter reorderings, such as
#: two web workers or a play and a pause swapped, are put right by the session logic below.
REORDER_WINDOW = timedelta(minutes=5)
# Beyond this many segments the chronological list is folded into its union (progress is kept).
MAX_SEGMENTS = 500

#: At most this many pages keep a session open in one state; opening another ends the oldest
#: (``terminated``), so fresh page ids cannot grow the row without bound.
MAX_OPEN_SESSIONS = 10
#: Completion needs threshold x length / MAX_PLAYBACK_RATE seconds of server time spent playing
#: (less WALL_TIME_SLACK): the player's fastest speed is 2x; a forged position cannot beat the clock.
MAX_PLAYBACK_RATE = 2.0
WALL_TIME_SLACK = 2.0
#: Plausible video lengths (seconds); a length outside is treated as unknown.
MIN_LENGTH, MAX_LENGTH = 0.5, 24 * 3600.0
#: A later report of the length may differ from the pinned one by this much (containers round).
LENGTH_TOLERANCE = 1.0

KINDS = ("load", "play", "pause", "seek", "ended", "position", "complete", "interact", "setting", "unload")
# What a ``setting`` observation may change in a page's player state (see PageSession.player).
PLAYER_SETTINGS = ("speed", "cc_lang")


@dataclass(frozen=True)
class Observation:
    """One thing the player reported, whichever source (tracking event, Studio aside) it came from.

    ``kind``: one of :data:`KINDS`. ``position``: media time of the event (``time_from`` and
    ``time_to`` for a seek). ``duration``: the video's length if the player knew it (None or 0:
    unknown). ``page_key``: one page load / tab (sessions are per page). ``source_id``: a stable
    id of the observation, so replaying it gives the same statement ids. ``interaction``:
    for ``interact`` (captions shown or hidden) ``{"cc_enabled": True}``; for ``setting``
    ``{"speed": "1.5x"}`` or ``{"cc_lang": "fr"}``.
    """

    user_id: int
    course_key: str
    video_key: str
    kind: str
    timestamp: datetime
    page_key: str
    source_id: str
    position: float | None = None
    time_from: float | None = None
    time_to: float | None = None
    duration: float | None = None
    display_name: str | None = None
    interaction: dict | None = None


@dataclass(frozen=True)
class VideoSettings:
    """What governs one video's tracking: on/off, completion thresholds, beacon interval."""

    tracking_enabled: bool
    end_percent: int
    end_seconds: int
    beacon_interval: str


@dataclass
class PageSession:
    """A viewing session on one page: its id, times, and the segment playing there (if any)."""

    session_id: str
    started: datetime
    last: datetime
    initialized: bool = False
    playing_from: float | None = None  # media time where the open segment started
    opened_at: datetime | None = None  # wall-clock time of that play
    position: float = 0.0  # last media time known on this page
    position_at: datetime | None = None  # wall-clock time of ``position``
    # Half of a play/pause pair that arrived out of order: (wall-clock time, media time).
    orphan_play: tuple[datetime, float] | None = None
    orphan_stop: tuple[datetime, float] | None = None
    # The player's state as this page reported it: "speed", "cc_enabled", "cc_lang" (when known).
    player: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        def when(value):
            return value.isoformat() if value else None

        return {
            "id": self.session_id,
            "started": when(self.started),
            "last": when(self.last),
            "initialized": self.initialized,
            "playing_from": self.playing_from,
            "opened_at": when(self.opened_at),
            "position": self.position,
            "position_at": when(self.position_at),
            "orphan_play": [when(self.orphan_play[0]), self.orphan_play[1]] if self.orphan_play else None,
            "orphan_stop": [when(self.orphan_stop[0]), self.orphan_stop[1]] if self.orphan_stop else None,
            "player": dict(self.player),
        }

    @classmethod
    def from_json(cls, data: dict) -> "PageSession":
        def when(value):
            return datetime.fromisoformat(value) if value else None

        def pair(value):
            return (when(value[0]), float(value[1])) if value else None

        return cls(
            session_id=data["id"],
            started=when(data["started"]),
            last=when(data["last"]),
            initialized=bool(data.get("initialized")),
            playing_from=data.get("playing_from"),
            opened_at=when(data.get("opened_at")),
            position=float(data.get("position") or 0.0),
            position_at=when(data.get("position_at")),
            orphan_play=pair(data.get("orphan_play")),
            orphan_stop=pair(data.get("orphan_stop")),
            player=dict(data.get("player") or {}),
        )


@dataclass
class Viewing:
    """What one learner watched of one video in one registration (a ``VideoViewingState`` row)."""

    user_id: int
    video_key: str
    registration: str
    length: float | None = None
    segments: list = field(default_factory=list)
    sessions: dict[str, PageSession] = field(default_factory=dict)
    progress: float = 0.0
    played_time: float = 0.0
    last_event_at: datetime | None = None
    last_beacon: float | None = None
    last_beacon_at: float | None = None
    completed_at: datetime | None = None
    wall_time: float = 0.0  # seconds of server time spent playing (the clock a browser cannot speed up)
    # The union of ``segments`` as last computed, and of which list, length and segment count:
    # a fold steps through hundreds of observations and the closed segments rarely change.
    _union: tuple | None = field(default=None, compare=False, repr=False)
    # ``played-segments`` text of ``segments`` as last formatted, with the same key: (list, count, text).
    _closed_text: tuple | None = field(default=None, compare=False, repr=False)

    def open_segments(self) -> list:
        """The segments still playing on open pages, in the order they began."""
        playing = sorted(
            (session.opened_at or session.started, session.playing_from, session.position)
            for session in self.sessions.values()
            if session.playing_from is not None and session.position > session.playing_from
        )
        return [[start, end] for _, start, end in playing]

    def all_segments(self) -> list:
        """Closed segments, then the segments still playing on open pages, in the order they began."""
        return [list(pair) for pair in self.segments] + self.open_segments()

    def covered(self) -> list:
        """``progress.merge_segments(self.all_segments(), self.length)``, reusing the closed segments' union.

        The union of the closed segments' union and the open ones is the same set (clamping and
        snapping are idempotent), so only the closed part is remembered, while the list is the
        same object with as many entries (segments are only ever appended or the list replaced).
        """
        union, segments = self._union, self.segments
        if union is None or union[0] is not segments or union[1] != len(segments) or union[2] != self.length:
            if union is not None and union[0] is segments and union[1] < len(segments) and union[2] == self.length:
                # Segments appended since: merged into the remembered union (same set, far fewer pairs).
                merged = p.merge_segments([*union[3], *segments[union[1] :]], self.length)
            else:
                merged = p.merge_segments(segments, self.length)
            union = (segments, len(segments), self.length, merged)
            self._union = union
        opened = self.open_segments()
        return p.merge_segments([*union[3], *opened], self.length) if opened else list(union[3])

    def played_segments_text(self) -> str:
        """``progress.format_played_segments(self.all_segments())``, formatting each closed segment once.

        Closed segments are only appended (or the list replaced), so the text of those already
        formatted is kept, keyed like :meth:`covered`'s union, and only new ones are added to it.
        """
        cached, segments = self._closed_text, self.segments
        count = len(segments)
        if cached is not None and cached[0] is segments and cached[1] == count:
            text = cached[2]
        else:
            if cached is not None and cached[0] is segments and cached[1] < count:
                added = p.format_played_segments(segments[cached[1] :])
                text = f"{cached[2]}[,]{added}" if cached[2] else added
            else:
                text = p.format_played_segments(segments)
            self._closed_text = (segments, count, text)
        opened = self.open_segments()
        if not opened:
            return text
        opened_text = p.format_played_segments(opened)
        return f"{text}[,]{opened_text}" if text else opened_text

    def covered_progress(self) -> float:
        """``progress.compute_progress(self.all_segments(), self.length)``, from :meth:`covered`."""
        if not self.length or self.length <= 0:
            return 0.0
        return min(1.0, max(0.0, p.covered_seconds(self.covered()) / self.length))

    def threshold(self, settings: VideoSettings) -> float | None:
        return p.completion_threshold(self.length, settings.end_percent, settings.end_seconds)


@dataclass(frozen=True)
class VideoIntent:
    """A statement the viewing state calls for, with every value it needs (see statements/video.py)."""

    verb: str
    statement_id: str
    timestamp: datetime
    session_id: str
    length: float | None = None
    threshold: float | None = None
    time: float | None = None
    time_from: float | None = None
    time_to: float | None = None
    progress: float | None = None
    played_segments: str | None = None
    played_time: float | None = None
    interaction: dict | None = None
    source_id: str | None = None
    player: dict | None = None  # the page's player state (speed, captions) when the statement is due


class _Step:
    """Applies one observation; collects intents. A class only to share the locals of ``step``.

    ``obs`` is None when no observation drives the change (:func:`close_idle_sessions`): then
    only the closing of sessions by inactivity, which needs no observation, may run.
    """

    def __init__(self, viewing: Viewing, obs: Observation | None, settings: VideoSettings):
        self.viewing = viewing
        self.obs = obs
        self.settings = settings
        self.intents: list[VideoIntent] = []
        self._threshold: tuple | None = None  # (length, threshold) last computed

    # -- helpers ----------------------------------------------------------------------------------

    def threshold(self) -> float | None:
        """``viewing.threshold(settings)``, computed once per length the viewing has during this step."""
        length = self.viewing.length
        cached = self._threshold
        if cached is None or cached[0] != length:
            cached = self._threshold = (length, self.viewing.threshold(self.settings))
        return cached[1]

    def clamp(self, value: float | None, default: float) -> float:
        return p.clamp_time(default if value is None else value, self.viewing.length)

    def emit(self, session: PageSession, verb: str, when: datetime, ident: str, **values) -> None:
        # A session without a known length has no initialized statement: nothing of it is sent.
        if not session.initialized:
            return
        viewing = self.viewing
        values.setdefault("length", viewing.length)
        if "threshold" not in values:
            values["threshold"] = self.threshold()
        if "player" not in values:
            values["player"] = dict(session.player) or None
        self.intents.append(
            VideoIntent(verb=verb, statement_id=ident, timestamp=when, session_id=session.session_id, **values)
        )

    def progress_values(self) -> dict:
        viewing = self.viewing
        return {
            "progress": viewing.progress,
            "played_segments": viewing.played_segments_text(),
            "played_time": viewing.played_time,
        }

    def own_id(self, verb: str, session: PageSession) -> str:
        # The session is part of the content (session-id), so it is part of the id too.
        return statement_id("video", self.obs.source_id, v.VERB_DISPLAY[verb], session.session_id)

    def emit_own(self, session: PageSession, verb: str, when: datetime, **values) -> None:
        """The statement of the observation itself: its id and source come from the observation."""
        self.emit(session, verb, when, self.own_id(verb, session), source_id=self.obs.source_id, **values)

    # -- sessions ---------------------------------------------------------------------------------

    def open_session(self, when: datetime) -> PageSession:
        obs = self.obs
        session_id = deterministic_uuid4_shaped(
            "video-session", obs.user_id, obs.video_key, self.viewing.registration, obs.page_key, obs.source_id
        )
        position = self.clamp(obs.position, 0.0)
        session = PageSession(session_id=session_id, started=when, last=when, position=position, position_at=when)
        self.viewing.sessions[obs.page_key] = session
        return session

    def close_session(self, key: str, when: datetime, position: float | None = None, by_player: bool = False):
        """Close the open segment (if playing) and end the session with ``terminated``.

        ``by_player``: the observation itself ends the session (its id and source are used);
        otherwise the session ended by inactivity or a new page load, and has one id for good.
        """
        session = self.viewing.sessions[key]
        if position is None:
            position = session.position
        self.advance(session, position, when, close=True)
        values = dict(self.progress_values(), time=position)
        if by_player:
            self.emit_own(session, v.VERB_TERMINATED, when, **values)
        else:
            self.emit(session, v.VERB_TERMINATED, when, statement_id("video-terminated", session.session_id), **values)
        del self.viewing.sessions[key]

    def close_idle(self, now: datetime, keep: str | None = None) -> None:
        """End every session but ``keep``'s idle for longer than :data:`INACTIVITY` at ``now``, at its last event."""
        for key, session in list(self.viewing.sessions.items()):
            if key != keep and now - session.last > INACTIVITY:
                self.close_session(key, session.last)

    def initialize(self, session: PageSession) -> None:
        if session.initialized or not self.viewing.length:
            return
        session.initialized = True
        self.emit(session, v.VERB_INITIALIZED, session.started, session.session_id)

    # -- playback ---------------------------------------------------------------------------------

    def advance(self, session: PageSession, position: float, when: datetime, close: bool) -> None:
        """Playback reached ``position`` at ``when`` on this page; close the segment if asked."""
        viewing = self.viewing
        if session.playing_from is None:
            session.position, session.position_at = position, when
            return
        start, start_at = session.position, session.position_at or when
        end = max(position, start)  # a segment never runs backwards: a late, earlier time is clamped
        if end > start:
            self.stretch(session, start, end, start_at, when)
        session.position, session.position_at = end, when
        if close:
            if end > session.playing_from:
                viewing.segments.append([session.playing_from, end])
                self.fold_segments()
            session.playing_from = None
            session.opened_at = None
        viewing.progress = viewing.covered_progress()

    def stretch(self, session: PageSession, start: float, end: float, start_at: datetime, end_at: datetime) -> None:
        """Playback went from ``start`` to ``end``: beacons, completion and the playback counter."""
        viewing = self.viewing
        played_before = viewing.played_time
        wall_before = viewing.wall_time
        if viewing.length:
            before = self.covered_until(session, start)
            beacons = p.plan_beacons(
                self.settings.beacon_interval,
                covered=before,
                start=start,
                end=end,
                length=viewing.length,
                played_before=played_before,
                last_progress=viewing.last_beacon,
                last_played=viewing.last_beacon_at,
            )
            completion_at = self.completion_position(before, start, end)
            marks = [(beacon.position, 0, beacon) for beacon in beacons]
            if completion_at is not None:
                marks.append((completion_at, 1, None))
            for position, _, beacon in sorted(marks, key=lambda mark: (mark[0], mark[1])):
                when = _interpolate(start, end, start_at, end_at, position)
                session.position = position
                viewing.played_time = p.round_time(played_before + (position - start))
                viewing.progress = viewing.covered_progress()
                if beacon is None:
                    if wall_before + max(0.0, (when - start_at).total_seconds()) >= self.wall_time_needed():
                        self.complete(session, when, position)
                else:
                    self.beacon(session, when, beacon)
        viewing.played_time = p.round_time(played_before + (end - start))
        viewing.wall_time = p.round_time(wall_before + max(0.0, (end_at - start_at).total_seconds()))

    def wall_time_needed(self) -> float:
        """Server time completion needs: the threshold's share of the length at the fastest speed, less slack."""
        threshold = self.threshold() or 0.0
        return threshold * (self.viewing.length or 0.0) / MAX_PLAYBACK_RATE - WALL_TIME_SLACK

    def covered_until(self, session: PageSession, position: float) -> list:
        """The union of everything watched, with this page's open segment running up to ``position``."""
        saved = session.position
        session.position = position
        try:
            return self.viewing.covered()
        finally:
            session.position = saved

    def completion_position(self, covered, start: float, end: float) -> float | None:
        viewing = self.viewing
        threshold = self.threshold()
        if viewing.completed_at is not None or threshold is None:
            return None
        # Completion needs some watching, even with a threshold of 0.
        target = max(threshold * viewing.length, 0.001)
        return p.position_reaching(covered, start, end, target)

    def beacon(self, session: PageSession, when: datetime, beacon: p.Beacon) -> None:
        viewing = self.viewing
        viewing.last_beacon, viewing.last_beacon_at = beacon.progress, beacon.played_time
        ident = statement_id("video-beacon", session.session_id, f"{beacon.played_time:.3f}", f"{beacon.progress:.6f}")
        self.emit(session, v.VERB_PROGRESSED, when, ident, time=beacon.position, **self.progress_values())

    def complete(self, session: PageSession, when: datetime, position: float) -> None:
        viewing = self.viewing
        viewing.completed_at = when
        ident = statement_id("video-completed", viewing.user_id, viewing.video_key, viewing.registration)
        self.emit(session, v.VERB_COMPLETED, when, ident, time=position, **self.progress_values())

    def check_completion(self, session: PageSession, when: datetime) -> None:
        """Completion reached without a stretch (e.g. a lower threshold now): completed at this event."""
        viewing = self.viewing
        threshold = self.threshold()
        if viewing.completed_at is None and threshold is not None and viewing.progress > 0:
            if viewing.progress + 1e-9 >= threshold and viewing.wall_time >= self.wall_time_needed():
                self.complete(session, when, session.position)

    def fold_segments(self) -> None:
        if len(self.viewing.segments) > MAX_SEGMENTS:
            self.viewing.segments = [list(pair) for pair in p.merge_segments(self.viewing.segments)]

    def repair_pair(self, start: tuple[datetime, float], stop: tuple[datetime, float]) -> bool:
        """A play and a pause of one page that arrived in the wrong order still make a segment."""
        (play_at, play_pos), (stop_at, stop_pos) = start, stop
        if play_at <= stop_at and play_pos < stop_pos:
            self.viewing.segments.append([play_pos, stop_pos])
            self.viewing.played_time = p.round_time(self.viewing.played_time + stop_pos - play_pos)
            self.viewing.progress = self.viewing.covered_progress()
            return True
        return False

    # -- the observation --------------------------------------------------------------------------

    def run(self) -> list[VideoIntent]:
        obs, viewing = self.obs, self.viewing
        when = obs.timestamp
        if obs.duration and obs.duration > 0:
            viewing.length = p.round_time(obs.duration)

        # Sessions of other pages idle for too long are over (a closed tab sends nothing).
        self.close_idle(when, keep=obs.page_key)

        session = viewing.sessions.get(obs.page_key)
        if session is not None and (obs.kind == "load" or when - session.last > INACTIVITY):
            self.close_session(obs.page_key, session.last)
            session = None
        if session is None:
            if obs.kind == "unload":
                return self.intents
            session = self.open_session(when)
        self.initialize(session)

        late = when < session.last
        getattr(self, f"on_{obs.kind}")(session, when, late)

        if obs.page_key in viewing.sessions:
            session.last = max(session.last, when)
        viewing.last_event_at = max(viewing.last_event_at or when, when)
        return self.intents

    def on_load(self, session: PageSession, when: datetime, late: bool) -> None:
        pass  # the session is open (and initialized when the length is known)

    def on_play(self, session: PageSession, when: datetime, late: bool) -> None:
        position = self.clamp(self.obs.position, session.position)
        if late:
            # An older play than what this page already reported: pair it with an orphan pause.
            if session.orphan_stop and self.repair_pair((when, position), session.orphan_stop):
                session.orphan_stop = None
            else:
                session.orphan_play = (when, position)
        else:
            if session.playing_from is not None:
                # Play while playing (a pause got lost): keep only what was confirmed.
                self.advance(session, session.position, when, close=True)
            session.playing_from, session.opened_at = position, when
            session.position, session.position_at = position, when
        self.emit_own(session, v.VERB_PLAYED, when, time=position)

    def stop_playing(self, session: PageSession, when: datetime, position: float) -> None:
        if session.playing_from is not None and (session.opened_at or when) <= when:
            self.advance(session, position, when, close=True)
        elif session.orphan_play and self.repair_pair(session.orphan_play, (when, position)):
            session.orphan_play = None
        else:
            if session.playing_from is None:
                session.orphan_stop = (when, position)
            if not (when < (session.position_at or when)):
                session.position, session.position_at = position, when

    def on_pause(self, session: PageSession, when: datetime, late: bool) -> None:
        position = self.clamp(self.obs.position, session.position)
        self.stop_playing(session, when, position)
        self.check_completion(session, when)
        self.emit_own(session, v.VERB_PAUSED, when, time=position, **self.progress_values())

    def on_ended(self, session: PageSession, when: datetime, late: bool) -> None:
        position = self.clamp(self.obs.position, session.position)
        self.stop_playing(session, when, position)
        self.check_completion(session, when)
        self.close_session(self.obs.page_key, when, position, by_player=True)

    def on_unload(self, session: PageSession, when: datetime, late: bool) -> None:
        self.on_ended(session, when, late)

    def on_seek(self, session: PageSession, when: datetime, late: bool) -> None:
        obs = self.obs
        time_from = self.clamp(obs.time_from, session.position)
        time_to = self.clamp(obs.time_to, time_from)
        if session.playing_from is not None and not late:
            self.advance(session, time_from, when, close=True)
            session.playing_from, session.opened_at = time_to, when
        if not late:
            session.position, session.position_at = time_to, when
        self.check_completion(session, when)
        self.emit_own(
            session,
            v.VERB_SEEKED,
            when,
            time_from=time_from,
            time_to=time_to,
            **self.progress_values(),
        )

    def on_position(self, session: PageSession, when: datetime, late: bool) -> None:
        if late:
            return
        position = self.clamp(self.obs.position, session.position)
        self.advance(session, position, when, close=False)
        self.check_completion(session, when)

    def on_complete(self, session: PageSession, when: datetime, late: bool) -> None:
        # The platform's own completion says nothing about what was watched: only the length
        # it carries is used; completion still needs the threshold reached by watching.
        self.check_completion(session, when)

    def confirm_position(self, session: PageSession, when: datetime, late: bool) -> float:
        """The event's media time; while playing, it confirms playback up to there."""
        position = self.clamp(self.obs.position, session.position)
        if not late:
            self.advance(session, position, when, close=False)
            self.check_completion(session, when)
        return position

    def on_interact(self, session: PageSession, when: datetime, late: bool) -> None:
        """Captions shown or hidden: the profile's closed-captioning ``interacted``."""
        position = self.confirm_position(session, when, late)
        interaction = self.obs.interaction or {}
        if "cc_enabled" not in interaction:
            return  # nothing the profile has a template for
        if not late:
            session.player["cc_enabled"] = bool(interaction["cc_enabled"])
        state = {"cc_enabled": bool(interaction["cc_enabled"]), "cc_lang": session.player.get("cc_lang")}
        self.emit_own(session, v.VERB_INTERACTED, when, time=position, interaction=state)

    def on_setting(self, session: PageSession, when: datetime, late: bool) -> None:
        """A player setting without a template (speed, caption language): state for later statements."""
        self.confirm_position(session, when, late)
        if not late:
            for name, value in (self.obs.interaction or {}).items():
                if name in PLAYER_SETTINGS and value:
                    session.player[name] = str(value)


def _interpolate(start: float, end: float, start_at: datetime, end_at: datetime, position: float) -> datetime:
    """Wall-clock time at which playback from ``start`` (at ``start_at``) to ``end`` passed ``position``."""
    if end_at <= start_at or end <= start:
        return end_at
    share = min(1.0, max(0.0, (position - start) / (end - start)))
    return start_at + (end_at - start_at) * share


def step(viewing: Viewing, obs: Observation, settings: VideoSettings) -> list[VideoIntent]:
    """Apply ``obs`` to ``viewing`` (changed in place); return the statements it calls for, in order."""
    if obs.kind not in KINDS:
        raise ValueError(f"unknown observation kind {obs.kind!r}")
    for value in (obs.position, obs.time_from, obs.time_to, obs.duration):
        if value is not None and not math.isfinite(value):
            raise ValueError("times must be finite numbers")
    if viewing.last_event_at is not None and obs.timestamp < viewing.last_event_at - REORDER_WINDOW:
        return []
    return _Step(viewing, obs, settings).run()


def close_idle_sessions(viewing: Viewing, settings: VideoSettings, now: datetime) -> list[VideoIntent]:
    """End the sessions of ``viewing`` idle for longer than :data:`INACTIVITY` at ``now`` (changed in place).

    What the next event of the learner would do to them, without waiting for it (a closed tab
    sends nothing): each ends with ``terminated`` dated at its last event, with the progress
    and played segments of then; its statement id is the one that event would have given it.
    A session never initialized (length unknown) ends without a statement. ``last_event_at``
    is left alone: closing is not an event, and the reorder window still counts from the last one.
    """
    stepper = _Step(viewing, None, settings)
    stepper.close_idle(now)
    return stepper.intents


def guard_observation(viewing: Viewing, obs: Observation, server_length: float | None = None) -> Observation:
    """``obs`` with a length the state can believe: the server's when it knows one, else the pinned one.

    ``server_length`` (the platform's, e.g. edx-val's duration) wins over anything the browser
    says: every observation carries it, so the state's length is the server's from the first
    one on. Without it, the first plausible length a learner's player reports for a video is
    kept; a later one further than :data:`LENGTH_TOLERANCE` from it (a second page claiming the
    video is 2 s long) is dropped, so a browser cannot shrink the video to complete it.
    """
    if server_length is not None and MIN_LENGTH <= server_length <= MAX_LENGTH:
        return obs if obs.duration == server_length else replace(obs, duration=server_length)
    duration = obs.duration
    if duration is not None and not MIN_LENGTH <= duration <= MAX_LENGTH:
        duration = None
    if duration is not None and viewing.length and abs(duration - viewing.length) > LENGTH_TOLERANCE:
        duration = None
    return obs if duration == obs.duration else replace(obs, duration=duration)


def browser_length_ignored(obs: Observation, server_length: float | None) -> bool:
    """True when the browser reported a length the server's (known) one overrides: off by more than the tolerance."""
    return bool(
        server_length is not None
        and MIN_LENGTH <= server_length <= MAX_LENGTH
        and obs.duration
        and abs(obs.duration - server_length) > LENGTH_TOLERANCE
    )


def cap_open_sessions(viewing: Viewing, settings: VideoSettings) -> list[VideoIntent]:
    """End the least recently active sessions beyond :data:`MAX_OPEN_SESSIONS` (``terminated`` at their last event)."""
    stepper = _Step(viewing, None, settings)
    while len(viewing.sessions) > MAX_OPEN_SESSIONS:
        key = min(viewing.sessions, key=lambda name: (viewing.sessions[name].last, name))
        stepper.close_session(key, viewing.sessions[key].last)
    return stepper.intents
