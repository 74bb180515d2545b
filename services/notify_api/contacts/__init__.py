"""Contacts: where a unit, a leader or the office reads its notices (webhook, e-mail, DingTalk, WeCom)."""
