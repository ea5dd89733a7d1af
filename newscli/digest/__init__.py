"""`newscli digest`: the run, one feed's run, the day's page, its state database, run lock and seen keys."""
