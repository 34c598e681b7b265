"""Voice: talk with OS1 out loud, locally — speech in, speech out, and barge-in."""
