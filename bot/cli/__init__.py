"""The `concierge` command: staff tools, the web app, the worker, the demo.

A module per command group; `running` holds how each command runs (its unit of work, a
refusal as one line), `params` what staff type.
"""

from __future__ import annotations

import logging

import click

from bot import logs
from bot.cli import (
    appointments,
    demo,
    events,
    members,
    occasions,
    outbox,
    privacy,
    processes,
    purchases,
    rewards,
    staff,
    telegram,
)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
def main(verbose: bool) -> None:
    """Concierge: the conversational concierge for a jeweller's loyalty club."""
    if not logging.getLogger().handlers:  # as basicConfig: logging set up already is kept
        logs.configure(verbose)


for module in (
    appointments, demo, events, members, occasions, outbox, processes, purchases, rewards, staff,
    telegram,
):  # fmt: skip
    for command in module.COMMANDS:
        main.add_command(command)
for command in privacy.COMMANDS:
    members.members_group.add_command(command)
