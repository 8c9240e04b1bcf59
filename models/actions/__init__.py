"""Follow-up actions: decided on findings or drills, owned, completed and verified effective, with reminders and a calendar feed."""
