"""The Discord bot: ``/coach``, direct messages, persistent buttons, section modals, nudges."""
