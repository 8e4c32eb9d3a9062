"""Outbound messages and their delivery log: SMS log, prompts, opt-out state, backends by setting."""
