"""The companion's inner life: open threads it follows up on, the user's mood carried over to
the next day, and the story of the relationship (the day they met, firsts, anniversaries)."""
