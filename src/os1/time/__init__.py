"""Time in what people say, read once for the whole of OS1.

- `zone`: the user's time zone, one answer for every skill.
- `future`: reminders and plans ("Friday at 1pm", "every first Monday", "in 20 minutes").
- `past`: the ranges memories are about ("last week", "in May", "two weeks ago").
- `words`: month, weekday and number words, derived from dateparser's data and package data.
"""
