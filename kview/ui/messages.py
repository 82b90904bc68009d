"""Message classes shared between panes (attributes down, messages up)."""

from __future__ import annotations

from textual.message import Message


class OpenTopic(Message):
    """Ask the app to show one topic's detail."""

    def __init__(self, topic: str) -> None:
        super().__init__()
        self.topic = topic


class OpenGroup(Message):
    """Ask the app to show one consumer group's detail."""

    def __init__(self, group: str) -> None:
        super().__init__()
        self.group = group


class TailTopic(Message):
    """Ask the app to open the tail pane on a topic."""

    def __init__(self, topic: str, partition: int | None = None) -> None:
        super().__init__()
        self.topic = topic
        self.partition = partition


class ProduceTo(Message):
    """Ask the app to open the producer pane on a topic."""

    def __init__(self, topic: str) -> None:
        super().__init__()
        self.topic = topic
