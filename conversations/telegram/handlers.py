"""The bot's handlers: python-telegram-bot routes an update (command, button press, text, photo)
and each handler hands plain values to :mod:`.dialog`, which does the work synchronously through
the core services and queues its replies in the outbox. Handlers never call the Bot API."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from . import dialog
from .dialog import Incoming


def incoming(update: Update) -> Incoming:
    message = update.effective_message
    chat = update.effective_chat
    user = update.effective_user
    query = update.callback_query
    photo = message.photo[-1] if message is not None and message.photo else None
    reply_to = message.reply_to_message if message is not None and query is None else None
    return Incoming(
        update_id=update.update_id,
        chat_id=chat.id if chat else None,
        chat_type=chat.type if chat else "",
        user_id=user.id if user else None,
        username=(user.username or "") if user else "",
        text=(message.text or "") if message is not None and query is None else "",
        caption=(message.caption or "") if message is not None and query is None else "",
        reply_to_message_id=reply_to.message_id if reply_to is not None else None,
        callback_query_id=query.id if query else None,
        callback_data=(query.data or "") if query else "",
        callback_message_id=message.message_id if query is not None and message is not None else None,
        photo_file_id=photo.file_id if photo else "",
        photo_unique_id=photo.file_unique_id if photo else "",
    )


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    token = context.args[0] if context.args else ""
    await sync_to_async(dialog.start)(incoming(update), token)


def _command(update: Update) -> tuple[str, str]:
    """``/name@bot rest of the text`` -> ("name", "rest of the text"), the text's lines kept."""
    text = (update.effective_message.text or "") if update.effective_message else ""
    if not text.startswith("/"):
        return "", ""
    words = text.split(maxsplit=1)
    return words[0][1:].split("@")[0].lower(), words[1] if len(words) > 1 else ""


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    command, _rest = _command(update)
    await sync_to_async(dialog.command)(incoming(update), command)


async def on_thread(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _command_name, rest = _command(update)
    await sync_to_async(dialog.thread)(incoming(update), rest)


async def on_write(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    command, rest = _command(update)
    await sync_to_async(dialog.write)(incoming(update), command, rest)


async def on_profile(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _command_name, rest = _command(update)
    await sync_to_async(dialog.profile)(incoming(update), rest)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await sync_to_async(dialog.button)(incoming(update))


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await sync_to_async(dialog.text)(incoming(update))


async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await sync_to_async(dialog.photo)(incoming(update))


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await sync_to_async(dialog.other)(incoming(update))


def register(application: Application) -> None:
    # new messages in private chats only: an edited message is not a second note
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("start", on_start, filters=private))
    application.add_handler(CommandHandler(list(dialog.COMMANDS), on_command, filters=private))
    application.add_handler(CommandHandler(dialog.THREAD_COMMAND, on_thread, filters=private))
    application.add_handler(CommandHandler(list(dialog.WRITE_COMMANDS), on_write, filters=private))
    application.add_handler(CommandHandler(dialog.PROFILE_COMMAND, on_profile, filters=private))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(private & filters.PHOTO, on_photo))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text))
    application.add_handler(MessageHandler(private, on_other))
