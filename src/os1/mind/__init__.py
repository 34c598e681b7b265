"""The companion's mind: persona, onboarding, safety policy, prompt composition and the turn."""
