"""Customers by SMS over Twilio: webhooks, intent reading, the conversation, the Twilio transport."""
